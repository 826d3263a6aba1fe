"""Issue 18's doors attacked again, as a low-privilege staff member or a stranger (second review).

Each test is a way in that worked against a running copy and must not work now:

- a check-in's comment is free text that the person often fills with a phone number ("rappelez-moi
  au 06…"); the lead page and the JSON API hide it, like the conversation, from a coordinator who
  does not follow the person, but the mission's attendance page showed every comment to every
  coordinator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.store import leads as lead_store
from bot.store import models, staff
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.console.conftest import ADMIN, COORDINATOR, add_volunteer, login, make_settings, member_of, seed_staff

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
