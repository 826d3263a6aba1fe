"""``GET /calendar/{token}.ics``: the file of a live sign-up; forged, unknown or cancelled ones get a French 404."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from bot import signups
from bot.config import Settings
from bot.store import models
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.test_ics import parse

STARTS = datetime(2030, 6, 15, 7, 0, tzinfo=timezone.utc)  # Saturday 9:00 in Paris


@pytest.fixture()
def app_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, public_url="https://benevoles.example.org/", background_seconds=0)


@pytest.fixture()
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), base_url="http://testserver") as client:
        yield client


def _signup(url: str, status: str = "confirmed") -> int:
    with session_scope(url) as session:
        session.add(
            models.Mission(
                id="M1", title="Préparation des colis", address="12 rue du Port", city="Villeurbanne",
                contact="Karim, 04 00 00 00 00",
            )
        )  # fmt: skip
        volunteer = models.Volunteer(
            channel="rest", sender_id="julie", first_name="Julie", age_group="adult", email="julie@example.org"
        )
        shift = models.Shift(mission_id="M1", starts_at=STARTS, ends_at=STARTS + timedelta(hours=3), places=3, taken=1)
        session.add_all([volunteer, shift])
        session.flush()
        signup = models.Signup(shift_id=shift.id, volunteer_id=volunteer.id, status=status)
        session.add(signup)
        session.flush()
        return int(signup.id)


def _path(settings: Settings, signup_id: int) -> str:
    url = signups.calendar_url(settings, signup_id)
    assert url.startswith("https://benevoles.example.org/calendar/") and url.endswith(".ics")
    return url.removeprefix("https://benevoles.example.org")


def test_a_good_token_gives_the_calendar_file_without_personal_data(app_settings: Settings, client: TestClient) -> None:
    signup_id = _signup(app_settings.database_url)
    response = client.get(_path(app_settings, signup_id))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"] == 'attachment; filename="creneau-benevolat.ics"'
    event = parse(response.text)
    assert event["UID"] == f"signup-{signup_id}@benevoles.example.org"
    assert (event["DTSTART"], event["DTEND"]) == ("20300615T070000Z", "20300615T100000Z")
    assert event["SUMMARY"] == "Préparation des colis"
    assert event["LOCATION"] == "12 rue du Port, Villeurbanne"
    assert event["DESCRIPTION"] == "Contact sur place : Karim, 04 00 00 00 00"
    assert "Julie" not in response.text and "julie@" not in response.text


@pytest.mark.parametrize("tamper", ["wrong-digest", "other-id", "no-digest", "junk"])
def test_a_bad_token_is_a_french_404(app_settings: Settings, client: TestClient, tamper: str) -> None:
    signup_id = _signup(app_settings.database_url)
    good = signups.calendar_token(app_settings, signup_id)
    token = {
        "wrong-digest": good[:-1] + ("0" if good[-1] != "0" else "1"),
        "other-id": f"{signup_id + 1}-{good.split('-', 1)[1]}",
        "no-digest": str(signup_id),
        "junk": "abc-def",
    }[tamper]
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 404
    assert "Créneau introuvable" in response.text and response.headers["cache-control"] == "no-store"


def test_an_unknown_or_cancelled_sign_up_is_a_404(app_settings: Settings, client: TestClient) -> None:
    cancelled = _signup(app_settings.database_url, status="cancelled")
    assert client.get(_path(app_settings, cancelled)).status_code == 404
    assert client.get(_path(app_settings, 4242)).status_code == 404


def test_a_shift_cancelled_by_staff_is_a_404(app_settings: Settings, client: TestClient) -> None:
    signup_id = _signup(app_settings.database_url)
    with session_scope(app_settings.database_url) as session:
        session.get(models.Signup, signup_id).shift.cancelled_at = datetime.now(timezone.utc)
    assert client.get(_path(app_settings, signup_id)).status_code == 404
