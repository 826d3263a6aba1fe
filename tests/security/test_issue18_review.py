"""Issue 18's doors attacked again, as a low-privilege staff member or a stranger (second review).

Each test is a way in that worked against a running copy and must not work now:

- a check-in's comment is free text that the person often fills with a phone number ("rappelez-moi
  au 06…"); the lead page and the JSON API hide it, like the conversation, from a coordinator who
  does not follow the person, but the mission's attendance page showed every comment to every
  coordinator;
- a number written with digits Python counts as digits but ``int`` refuses ("²", "³", "¹") in the
  calendar link was a 500 for anyone on the Internet (``"²".isdigit()`` is true); the same in the
  places of a shift, a series or a mission, a shift line of an imported CSV ("x²"), the dashboard's
  weeks, the list's page and "Suivi par" gave staff a 500, and a ``Content-Length: ²`` sent while
  the model loads got no answer at all, only a traceback in the logs;
- a 16-year-old signed up to a date of a mission for adults only: matching never proposes it, but
  the "Plus d'infos" button of the missions browsed before the profile (or one an earlier answer
  offered) stays valid in the conversation, and neither the dates offered nor the booking looked
  at the mission's minimum age; "Ça m'intéresse" still recorded an application for staff to refuse;
- a link to the console carrying ``?ok=`` or ``?err=`` showed its words in the console's own
  confirmation or alert box ("Votre session a expiré : reconnectez-vous sur https://…"), on every
  page for ``ok`` and on a mission's page and its attendance page for ``err``: anyone could send
  staff such a link (the live conversation's page already showed codes only);
- the address a profile gives is not verified, and booking, cancelling and booking the same date
  again queued a confirmation e-mail (with its calendar file) to that address and a sign-up alert
  to staff at every turn: anyone could make the association write to someone else's address, and to
  its staff, as often as they liked; several profiles giving one address added up.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions import missions as mission_actions
from actions import shifts as shift_actions
from bot import signups
from bot.config import Settings
from bot.rasa.loading import LoadingPort
from bot.store import leads as lead_store
from bot.store import models, outbox, staff
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.actions.conftest import app_database, make_tracker  # noqa: F401 - a fixture used below
from tests.bot.console.conftest import (
    ADMIN,
    COORDINATOR,
    add_volunteer,
    csrf_of,
    login,
    make_settings,
    member_of,
    seed_staff,
)
from tests.conftest import free_port

OTHER_COORDINATOR = ("autre@entraide.test", "autre-password-1")
NOW = datetime.now(timezone.utc)
PHONE = re.compile(r"06 12 34 56 7\d")


@pytest.fixture()
def web(tmp_path: Path) -> Iterator[TestClient]:
    """The web app on a database of its own, with one admin and two coordinators."""
    settings = make_settings(tmp_path)
    seed_staff(settings.database_url)
    with session_scope(settings.database_url) as session:
        staff.add(session, email=OTHER_COORDINATOR[0], role="coordinator", password=OTHER_COORDINATOR[1])
    with TestClient(create_app(settings)) as client:
        client.settings = settings  # type: ignore[attr-defined]
        yield client


@pytest.fixture()
def commented(web: TestClient) -> dict[str, int]:
    """A past shift of mission MR1 with three check-ins, each comment with a phone number: the person
    followed by the coordinator, the one another coordinator follows, the one nobody follows."""
    url = web.settings.database_url  # type: ignore[attr-defined]
    ids = {name: add_volunteer(url, sender_id=f"review-{name}", first_name=name.title())
           for name in ("mine", "theirs", "nobodys")}  # fmt: skip
    with session_scope(url) as session:
        session.add(models.Mission(id="MR1", title="Maraude du soir"))
        shift = models.Shift(mission_id="MR1", starts_at=NOW - timedelta(days=1, hours=3),
                             ends_at=NOW - timedelta(days=1), places=5, taken=3)  # fmt: skip
        session.add(shift)
        session.flush()
        for n, volunteer_id in enumerate(ids.values()):
            session.add(models.Signup(shift_id=shift.id, volunteer_id=volunteer_id, status="attended", rating=4,
                                      comment=f"Très bien, rappelez-moi au 06 12 34 56 7{n}"))  # fmt: skip
        lead_store.assign(session, volunteer_id=ids["mine"], staff_id=member_of(session, COORDINATOR[0]).id)
        lead_store.assign(session, volunteer_id=ids["theirs"], staff_id=member_of(session, OTHER_COORDINATOR[0]).id)
    return ids


def _phones_on(client: TestClient, path: str) -> set[str]:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return set(PHONE.findall(response.text))


def _phones_in_api(client: TestClient, email: str, ids: dict[str, int]) -> set[str]:
    with session_scope(client.settings.database_url) as session:  # type: ignore[attr-defined]
        token = staff.create_token(session, email=email)
    found: set[str] = set()
    for volunteer_id in ids.values():
        lead = client.get(f"/api/leads/{volunteer_id}", headers={"Authorization": f"Bearer {token}"}).json()
        found |= {match for signup in lead["signups"] for match in PHONE.findall(signup["comment"] or "")}
    return found


def test_a_check_in_comment_is_shown_only_to_those_who_see_the_conversation_on_every_page(
    web: TestClient, commented: dict[str, int]
) -> None:
    every = {"06 12 34 56 70", "06 12 34 56 71", "06 12 34 56 72"}
    for who, expected in ((COORDINATOR, {"06 12 34 56 70"}), (OTHER_COORDINATOR, {"06 12 34 56 71"}), (ADMIN, every)):
        web.cookies.clear()
        login(web, *who)
        on_leads = set().union(*(_phones_on(web, f"/console/leads/{lead}") for lead in commented.values()))
        assert on_leads == expected, who
        assert _phones_on(web, "/console/missions/MR1/attendance") == expected, who
        assert _phones_in_api(web, who[0], commented) == expected, who
    web.cookies.clear()
    login(web, *COORDINATOR)
    page = web.get("/console/missions/MR1/attendance").text
    assert page.count("masqué, comme la conversation") == 2  # the others' comments exist, their words are hidden


# --------------------------------------------------------------------------- digits that int() refuses

SUPERSCRIPT = "\u00b2"  # "²": str.isdigit() says yes, int() says no


def test_a_superscript_digit_in_a_calendar_link_is_a_404_not_a_500(web: TestClient) -> None:
    for token in (f"{SUPERSCRIPT}-0123456789abcdef", f"1{SUPERSCRIPT}-x", "\u00b9\u00b3-x"):
        response = web.get(f"/calendar/{token}.ics")
        assert response.status_code == 404 and "Créneau introuvable" in response.text, token


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/console/missions/MR1/creneaux", {"date": "2030-01-09", "start": "09:00", "end": "12:00"}),
        ("post", "/console/missions/MR1/series", {"day": "saturday", "start": "09:00", "end": "12:00"}),
        ("post", "/console/missions/MR1/creneaux/{shift}/places", {}),
        ("post", "/console/missions/MR1/modifier", {"title": "Maraude", "schedule": "monday:evening", "remote": "1"}),
        ("post", "/console/leads/{lead}/assign", {"staff_id": SUPERSCRIPT}),
        ("get", f"/console/?semaines={SUPERSCRIPT}", {}),
        ("get", f"/console/leads?page={SUPERSCRIPT}", {}),
        ("get", f"/console/leads?assigned={SUPERSCRIPT}", {}),
    ],
)
def test_a_superscript_digit_in_a_console_number_is_refused_not_a_500(
    web: TestClient, commented: dict[str, int], method: str, path: str, data: dict[str, str]
) -> None:
    login(web, *ADMIN)
    with session_scope(web.settings.database_url) as session:  # type: ignore[attr-defined]
        shift = session.scalars(select(models.Shift.id).where(models.Shift.mission_id == "MR1")).first()
    path = path.format(shift=shift, lead=commented["nobodys"])
    if method == "get":
        response = web.get(path)
        assert response.status_code in (200, 400), response.status_code
        return
    token = csrf_of(web.get("/console/missions/MR1").text)
    form = {"places": SUPERSCRIPT, **data, "csrf_token": token}
    response = web.post(path, data=form, follow_redirects=False)
    assert response.status_code in (303, 400, 403), response.status_code
    if response.status_code == 303 and "creneaux" in path:  # refused with the reason, nothing written
        assert "nombre entier" in web.get(response.headers["location"]).text


def test_a_superscript_digit_as_the_places_of_an_imported_shift_names_the_line(web: TestClient) -> None:
    login(web, *ADMIN)
    token = csrf_of(web.get("/console/missions/importer").text)
    header = "id,title,description,causes,skills,schedule,city,postcode,latitude,longitude,remote,places,filled,min_age"
    content = f"{header},shifts\nM960,Atelier,,culture,handiwork,wednesday:afternoon,,,,,true,4,,,"
    content += f"2030-01-09 09:00-12:00 x{SUPERSCRIPT}\n"
    response = web.post("/console/missions/importer", data={"csrf_token": token},
                        files={"file": ("ateliers.csv", content, "text/csv")})  # fmt: skip
    assert response.status_code == 400 and "incompris" in response.text


def test_a_superscript_content_length_while_the_model_loads_still_gets_its_answer() -> None:
    port = LoadingPort("127.0.0.1", free_port(), apology="Un instant.")
    assert port.start()
    try:
        with socket.create_connection(("127.0.0.1", port.port), timeout=5) as connection:
            connection.sendall(b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: \xb2\r\n\r\n")
            answer = connection.recv(4096)
        assert answer.startswith(b"HTTP/1.0 503") or answer.startswith(b"HTTP/1.1 503"), answer[:40]
    finally:
        port.close()


# --------------------------------------------------------------------------- a minor and a mission for adults


def _adults_only_shift(url: str) -> int:
    """Mission MR18 (18 and over) with a date in three days: its shift id."""
    with session_scope(url) as session:
        session.add(models.Mission(id="MR18", title="Maraude de nuit", min_age=18, status="open"))
        shift = models.Shift(mission_id="MR18", starts_at=NOW + timedelta(days=3),
                             ends_at=NOW + timedelta(days=3, hours=3), places=4)  # fmt: skip
        session.add(shift)
        session.flush()
        return int(shift.id)


def _person(url: str, age_group: str) -> None:
    with session_scope(url) as session:
        session.add(models.Volunteer(channel="rest", sender_id="test-sender", first_name="Théo", age_group=age_group))


def _said(
    action: object, entities: list[dict[str, Any]], intent: str, slots: dict[str, Any] | None = None
) -> tuple[list[str], list[str]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("", intent=intent, entities=entities, slots=slots)
    asyncio.run(action.run(dispatcher, tracker, {}))  # type: ignore[attr-defined]
    texts = [m.get("text") or m.get("response") or "" for m in dispatcher.messages]
    payloads = [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]
    return texts, payloads


def _signups(url: str) -> int:
    with session_scope(url) as session:
        return int(session.scalar(select(func.count()).select_from(models.Signup)) or 0)


def test_a_minor_is_offered_no_date_of_a_mission_for_adults_and_cannot_book_one(app_database: str) -> None:  # noqa: F811
    shift_id = _adults_only_shift(app_database)
    _person(app_database, "minor")
    offer = [{"entity": "mission_id", "value": "MR18"}]
    texts, payloads = _said(shift_actions.ActionOfferShifts(), offer, "sign_up")
    assert not any(p.startswith("/choose_shift") for p in payloads), payloads
    assert any("réservée aux personnes de 18 ans et plus" in text for text in texts), texts
    texts, _ = _said(shift_actions.ActionChooseShift(), [{"entity": "shift_id", "value": shift_id}], "choose_shift")
    assert any("réservée aux personnes de 18 ans et plus" in text for text in texts), texts
    assert _signups(app_database) == 0
    saved = {"profile_status": "saved", "mission_id": "MR18"}
    texts, payloads = _said(mission_actions.ActionMissionDetails(), offer, "mission_details", saved)
    assert not any(p.startswith("/sign_up") for p in payloads) and any("18 ans et plus" in t for t in texts)
    texts, payloads = _said(mission_actions.ActionApply(), offer, "apply", saved)  # nor does "Ça m'intéresse"
    assert not any(p.startswith("/choose_shift") for p in payloads), payloads
    assert any("Maraude de nuit" in t and "18 ans et plus" in t for t in texts), texts
    with session_scope(app_database) as session:  # and staff get no application they would have to refuse
        assert session.scalar(select(func.count()).select_from(models.Application)) == 0


def test_an_adult_still_books_the_same_date(app_database: str) -> None:  # noqa: F811
    shift_id = _adults_only_shift(app_database)
    _person(app_database, "adult")
    _, payloads = _said(shift_actions.ActionOfferShifts(), [{"entity": "mission_id", "value": "MR18"}], "sign_up")
    assert f'/choose_shift{{"shift_id": {shift_id}}}' in payloads
    saved = {"profile_status": "saved", "mission_id": "MR18"}
    _, details = _said(mission_actions.ActionMissionDetails(), [], "mission_details", saved)
    assert '/sign_up{"mission_id": "MR18"}' in details
    texts, _ = _said(mission_actions.ActionApply(), [], "apply", saved)
    assert texts[:1] == ["utter_application_recorded"], texts
    texts, _ = _said(shift_actions.ActionChooseShift(), [{"entity": "shift_id", "value": shift_id}], "choose_shift")
    assert texts[:1] == ["utter_shift_booked"], texts
    assert _signups(app_database) == 1


# --------------------------------------------------------------------------- words taken from the address

PHISHING = "Session expirée : reconnectez-vous sur https://evil.example/console"


@pytest.mark.parametrize("page", ["/console/", "/console/missions/MR1", "/console/missions/MR1/attendance",
                                  "/console/leads", "/console/leads/{lead}/hours"])  # fmt: skip
def test_a_link_cannot_make_the_console_say_what_it_carries(
    web: TestClient, commented: dict[str, int], page: str
) -> None:
    login(web, *COORDINATOR)
    response = web.get(page.format(lead=commented["nobodys"]), params={"ok": PHISHING, "err": PHISHING})
    assert response.status_code == 200
    assert "evil.example" not in response.text


def test_a_form_s_confirmation_and_refusal_still_reach_the_next_page_once(
    web: TestClient, commented: dict[str, int]
) -> None:
    login(web, *COORDINATOR)
    token = csrf_of(web.get("/console/missions/MR1").text)
    done = web.post("/console/missions/MR1/creneaux", data={"date": "2030-01-09", "start": "09:00", "end": "12:00",
                                                            "places": "2", "csrf_token": token})  # fmt: skip
    assert "Créneau ajouté." in done.text and "ok=" not in str(done.url)
    assert "Créneau ajouté." not in web.get("/console/missions/MR1").text  # said once
    refused = web.post("/console/missions/MR1/creneaux", data={"date": "2030-01-09", "start": "12:00", "end": "09:00",
                                                               "places": "2", "csrf_token": token})  # fmt: skip
    assert "Créneau non ajouté" in refused.text and "err=" not in str(refused.url)
    absent = web.post(f"/console/missions/MR1/attendance/{2**31 - 2}/absent", data={"csrf_token": token})
    assert absent.status_code == 404


# --------------------------------------------------------------------------- e-mails a sign-up sends


def _mails(url: str) -> tuple[int, int]:
    """(confirmations queued to volunteers, sign-up alerts queued to staff)."""
    with session_scope(url) as session:
        rows = session.execute(select(models.OutgoingEmail.volunteer_id, models.OutgoingEmail.subject)).all()
    to_volunteers = sum(1 for volunteer, _ in rows if volunteer is not None)
    alerts = sum(1 for volunteer, subject in rows if volunteer is None and subject.startswith("Inscription"))
    return to_volunteers, alerts


def _dated_mission(url: str, dates: int) -> list[int]:
    with session_scope(url) as session:
        session.add(models.Mission(id="MR3", title="Épicerie", status="open"))
        starts = [NOW + timedelta(days=2 + n) for n in range(dates)]
        shifts = [
            models.Shift(mission_id="MR3", starts_at=at, ends_at=at + timedelta(hours=2), places=3) for at in starts
        ]
        session.add_all(shifts)
        staff.add(session, email="alertes@entraide.test", role="coordinator", password="alertes-password-1")
        outbox.choose(session, staff_id=member_of(session, "alertes@entraide.test").id, handoffs=False, digest=False,
                      missions=True)  # fmt: skip
        session.flush()
        return [int(shift.id) for shift in shifts]


def _profile(url: str, sender_id: str, email: str) -> None:
    with session_scope(url) as session:
        session.add(models.Volunteer(channel="rest", sender_id=sender_id, first_name="Eve", age_group="adult",
                                     email=email))  # fmt: skip


def test_booking_cancelling_and_booking_again_does_not_e_mail_at_every_turn(settings: Settings) -> None:
    url = settings.database_url
    [shift_id] = _dated_mission(url, 1)
    _profile(url, "churn", "victime@exemple.fr")
    for _ in range(5):
        booked = signups.book(settings, shift_id=shift_id, channel="rest", sender_id="churn")
        assert booked.status == "ok", booked.status
        assert (
            signups.cancel(settings, signup_id=booked.signup_id or 0, channel="rest", sender_id="churn").status == "ok"
        )
    assert _mails(url) == (1, 1)  # the first sign-up's confirmation and alert, not one a turn
    again = signups.book(settings, shift_id=shift_id, channel="rest", sender_id="churn")
    assert again.status == "ok" and again.calendar_url and not again.emailed  # the chat still confirms


def test_one_address_gets_a_few_confirmations_a_day_whatever_the_profiles(settings: Settings) -> None:
    url = settings.database_url
    shift_ids = _dated_mission(url, 12)
    for n in range(4):
        _profile(url, f"same-address-{n}", "Victime@Exemple.fr" if n % 2 else "victime@exemple.fr")
    emailed = [
        signups.book(settings, shift_id=shift_id, channel="rest", sender_id=f"same-address-{n}").emailed
        for n in range(4)
        for shift_id in shift_ids[n * 3 : n * 3 + 3]
    ]
    assert emailed == [True] * signups.CONFIRMATIONS_PER_ADDRESS_A_DAY + [False] * 2
    assert _mails(url)[0] == signups.CONFIRMATIONS_PER_ADDRESS_A_DAY


def test_erasing_the_profile_does_not_reset_an_address_s_confirmations(settings: Settings) -> None:
    """Book, erase, give the same address again, book: the cap counts the address, not the profile."""
    from bot.privacy import erase_person

    url, now = settings.database_url, datetime.now(timezone.utc)  # not NOW: imported minutes earlier in a full run
    shift_ids = _dated_mission(url, signups.CONFIRMATIONS_PER_ADDRESS_A_DAY + 2)
    emailed = []
    for n, shift_id in enumerate(shift_ids):
        _profile(url, f"erased-{n}", "victime@exemple.fr")
        booked = signups.book(settings, shift_id=shift_id, channel="rest", sender_id=f"erased-{n}", now=now)
        emailed.append(booked.emailed)
        assert erase_person(settings, channel="rest", sender_id=f"erased-{n}", actor="volunteer", conversation=False)
    assert emailed == [True] * signups.CONFIRMATIONS_PER_ADDRESS_A_DAY + [False] * 2
    with session_scope(url) as session:  # what stays names no one: a keyed digest, gone after a day
        kept = session.scalars(select(models.ConfirmationSent.address_digest)).all()
        assert len(kept) == signups.CONFIRMATIONS_PER_ADDRESS_A_DAY and "victime" not in "".join(kept)
        assert session.scalar(select(func.count()).select_from(models.Volunteer)) == 0
    later = now + timedelta(hours=signups.CHURN_HOURS, minutes=1)
    _profile(url, "a-day-later", "victime@exemple.fr")
    assert signups.book(settings, shift_id=shift_ids[-1], channel="rest", sender_id="a-day-later", now=later).emailed
    with session_scope(url) as session:
        assert session.scalar(select(func.count()).select_from(models.ConfirmationSent)) == 1
