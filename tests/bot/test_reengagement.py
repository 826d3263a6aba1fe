"""Re-engagement with restraint, on SQLite and PostgreSQL, the clock moved with time-machine.

Rasa's ``trigger_intent`` is replaced by a recording stand-in; the tracker store's ``events`` table
lives in the test database, rows written as Rasa writes them.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from bot import reengagement
from bot.config import Settings
from bot.errors import AssistantUnavailableError
from bot.missions import Mission
from bot.notifications.sending import send_pending
from bot.privacy import erase_person
from bot.profile import ConsentRecord, Place, ProfileSubmission, TimeSlot
from bot.store import conversations, missions, models, nudges, volunteers
from bot.store.session import get_engine, session_scope
from tests.bot.notifications.conftest import SmtpServer, smtp_server  # noqa: F401 (the fixture)

VILLEURBANNE = Place("Villeurbanne", 45.76601, 4.8795, "69100")
GRENOBLE = Place("Grenoble", 45.16667, 5.71667, "38000")
SATURDAY = TimeSlot("saturday", "morning")
SOUP = Mission(
    id="M901", title="Soupe solidaire", causes=("solidarity",), skills=("cooking",), schedule=(SATURDAY,),
    place=VILLEURBANNE, places_total=10,
)  # fmt: skip
START = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)


class Rasa:
    """Records each injected intent (after ``delay`` seconds); raises while ``down``."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.down = False
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(
        self, settings: Settings, *, sender_id: str, intent: str, entities: dict[str, Any] | None = None
    ) -> list[object]:
        if self.down:
            raise AssistantUnavailableError("l'assistant ne répond pas (ConnectError)")
        time.sleep(self.delay)
        with self.lock:
            self.calls.append((sender_id, intent, entities or {}))
        return []


@pytest.fixture()
def settings(database_url: str) -> Settings:
    conversations.metadata.create_all(get_engine(database_url))
    return Settings(database_url=database_url, tracker_store_url=database_url)


def write(
    settings: Settings, sender: str, *, at: datetime, consent: str | None = "given", external: bool = False
) -> None:
    """A message of the person at ``at`` (and the consent slot set then, unless None)."""
    text = "EXTERNAL: retention_notice" if external else "bonjour"
    user = {"event": "user", "text": text, "timestamp": at.timestamp(), "input_channel": "telegram"}
    if external:
        user["metadata"] = {"is_external": True}
    rows = [
        {
            "sender_id": sender,
            "type_name": "user",
            "timestamp": at.timestamp(),
            "action_name": None,
            "data": json.dumps(user),
        }  # fmt: skip
    ]
    if consent is not None:
        slot = {"event": "slot", "name": "consent", "value": consent, "timestamp": at.timestamp()}
        rows.append(
            {
                "sender_id": sender,
                "type_name": "slot",
                "timestamp": at.timestamp(),
                "action_name": "consent",
                "data": json.dumps(slot),
            }  # fmt: skip
        )
    with get_engine(settings.tracker_store_url).begin() as connection:
        connection.execute(conversations.events.insert(), rows)


def add_volunteer(
    settings: Settings, sender: str, *, channel: str = "telegram", at: datetime = START, email: str | None = None,
    place: Place = VILLEURBANNE,
) -> int:  # fmt: skip
    profile = ProfileSubmission(
        first_name=sender.title(), age_group="adult", place=place, skills=("cooking",), causes=("solidarity",),
        availability=(SATURDAY,), email=email,
    )  # fmt: skip
    with session_scope(settings.database_url) as session:
        volunteer = volunteers.save_profile(
            session, channel=channel, sender_id=sender, profile=profile, consent=ConsentRecord("2026-01", at, channel)
        )
        volunteer.created_at = volunteer.last_seen_at = at
        return int(volunteer.id)


def add_missions(settings: Settings, *more: Mission) -> None:
    with session_scope(settings.database_url) as session:
        missions.upsert(session, more or (SOUP,))


def nudge_rows(settings: Settings) -> list[tuple[str, str, str | None, str]]:
    with session_scope(settings.database_url) as session:
        rows = session.execute(select(models.Nudge).order_by(models.Nudge.id)).scalars()
        return [(n.kind, n.sender_id, n.mission_id, n.via) for n in rows]


def hold(settings: Settings, sender: str) -> None:
    with session_scope(settings.database_url) as session:
        session.add(models.Takeover(sender_id=sender, channel="telegram"))


# ----------------------------------------------------------------------------- unfinished profile


def test_an_unfinished_profile_gets_one_reminder_a_day_after_the_last_message_and_never_a_second(
    settings: Settings,
) -> None:
    rasa = Rasa()
    write(settings, "4242", at=START)
    with time_machine.travel(START + timedelta(hours=23), tick=False):
        assert reengagement.remind_unfinished(settings, trigger=rasa) == 0
    with time_machine.travel(START + timedelta(hours=24, minutes=5), tick=False):
        assert reengagement.remind_unfinished(settings, trigger=rasa) == 1
    assert rasa.calls == [("4242", "unfinished_profile_nudge", {})]
    write(settings, "4242", at=START + timedelta(hours=30), consent=None)  # came back, left again
    with time_machine.travel(START + timedelta(hours=60), tick=False):
        assert reengagement.remind_unfinished(settings, trigger=rasa) == 0
    assert nudge_rows(settings) == [("unfinished_profile", "4242", None, "telegram")]


def test_someone_who_came_back_meanwhile_is_not_reminded_until_a_day_after_their_new_message(
    settings: Settings,
) -> None:
    rasa = Rasa()
    write(settings, "web-abc", at=START)
    write(settings, "web-abc", at=START + timedelta(hours=20), consent=None)
    write(settings, "web-abc", at=START + timedelta(hours=21), external=True)  # the assistant's, not theirs
    with time_machine.travel(START + timedelta(hours=25), tick=False):
        assert reengagement.remind_unfinished(settings, trigger=rasa) == 0
    with time_machine.travel(START + timedelta(hours=44, minutes=1), tick=False):
        assert reengagement.remind_unfinished(settings, trigger=rasa) == 1
    assert nudge_rows(settings) == [("unfinished_profile", "web-abc", None, "web")]


def test_no_reminder_without_consent_with_a_profile_held_by_staff_unreachable_too_late_or_after_stop(
    settings: Settings,
) -> None:
    rasa = Rasa()
    write(settings, "1001", at=START, consent=None)  # never consented
    write(settings, "1002", at=START, consent="refused")
    write(settings, "1003", at=START)
    add_volunteer(settings, "1003")  # finished after all
    write(settings, "1004", at=START)
    hold(settings, "1004")
    write(settings, "api-1005", at=START)  # REST: the assistant cannot write first there
    write(settings, "1006", at=START - timedelta(days=8))  # a reminder this late is worse than none
    write(settings, "1007", at=START)
    with session_scope(settings.database_url) as session:
        assert nudges.stop(session, channel="telegram", sender_id="1007", now=START) is True
        assert nudges.stop(session, channel="telegram", sender_id="1007", now=START) is False
    with time_machine.travel(START + timedelta(hours=25), tick=False):
        assert reengagement.remind_unfinished(settings, trigger=rasa) == 0
    assert rasa.calls == []


def test_two_processes_at_once_send_the_reminder_exactly_once(settings: Settings) -> None:
    rasa = Rasa(delay=0.2)
    for sender in ("2001", "2002", "2003"):
        write(settings, sender, at=START)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(reengagement.remind_unfinished(settings, now=START + timedelta(hours=25), trigger=rasa))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 3
    assert sorted(sender for sender, _, _ in rasa.calls) == ["2001", "2002", "2003"]
    assert len(nudge_rows(settings)) == 3


def test_an_unreachable_assistant_sends_nothing_and_the_next_run_tries_again(settings: Settings) -> None:
    rasa = Rasa()
    rasa.down = True
    write(settings, "3001", at=START)
    assert reengagement.remind_unfinished(settings, now=START + timedelta(hours=25), trigger=rasa) == 0
    assert nudge_rows(settings) == []
    rasa.down = False
    assert reengagement.remind_unfinished(settings, now=START + timedelta(hours=26), trigger=rasa) == 1


# ----------------------------------------------------------------------------- inactive volunteers


def test_a_volunteer_silent_for_three_months_gets_one_suggestion_with_its_reason_per_period(
    settings: Settings,
) -> None:
    rasa = Rasa()
    add_missions(settings)
    add_volunteer(settings, "5001", at=START)
    with time_machine.travel(START + timedelta(days=88), tick=False):
        assert reengagement.suggest_to_inactive(settings, trigger=rasa) == 0
    with time_machine.travel(START + timedelta(days=93), tick=False):
        assert reengagement.suggest_to_inactive(settings, trigger=rasa) == 1
        assert reengagement.suggest_to_inactive(settings, trigger=rasa) == 0
    with time_machine.travel(START + timedelta(days=150), tick=False):
        assert reengagement.suggest_to_inactive(settings, trigger=rasa) == 0  # same period
    with time_machine.travel(START + timedelta(days=190), tick=False):
        assert reengagement.suggest_to_inactive(settings, trigger=rasa) == 1  # still silent: the next period
    assert rasa.calls == [("5001", "inactive_suggestion", {"mission_id": "M901"})] * 2
    assert nudge_rows(settings) == [("inactive", "5001", "M901", "telegram")] * 2


def test_no_suggestion_when_no_mission_fits_and_none_after_a_recent_sign_up_or_hours(settings: Settings) -> None:
    rasa = Rasa()
    add_missions(settings)
    add_volunteer(settings, "6001", at=START, place=GRENOBLE)  # too far from the one mission
    busy = add_volunteer(settings, "6002", at=START)
    with session_scope(settings.database_url) as session:
        session.add(
            models.HoursEntry(
                volunteer_id=busy,
                mission_id="M901",
                mission_title="Soupe solidaire",
                day=date(2027, 5, 1),
                minutes=120,
                source="staff",
                created_at=START + timedelta(days=60),
            )  # fmt: skip
        )
    with time_machine.travel(START + timedelta(days=100), tick=False):
        assert reengagement.suggest_to_inactive(settings, trigger=rasa) == 0
    assert rasa.calls == [] and nudge_rows(settings) == []


def test_no_suggestion_after_stop_relances_no_more_proposals_or_while_staff_hold_the_conversation(
    settings: Settings,
) -> None:
    rasa = Rasa()
    add_missions(settings)
    for sender in ("7001", "7002", "7003", "7004"):
        add_volunteer(settings, sender, at=START)
    add_volunteer(settings, "api-7005", channel="rest", at=START)  # neither a pushing channel nor an address
    with session_scope(settings.database_url) as session:
        assert nudges.stop(session, channel="telegram", sender_id="7001", now=START) is True
        quiet = volunteers.find(session, channel="telegram", sender_id="7002")
        assert quiet is not None
        quiet.proposals_opt_out_at = START
    hold(settings, "7003")
    with time_machine.travel(START + timedelta(days=100), tick=False):
        assert reengagement.suggest_to_inactive(settings, trigger=rasa) == 1
    assert [sender for sender, _, _ in rasa.calls] == ["7004"]


def test_two_processes_at_once_send_each_suggestion_exactly_once(settings: Settings) -> None:
    rasa = Rasa(delay=0.2)
    add_missions(settings)
    for number in range(3):
        add_volunteer(settings, f"850{number}", at=START, email=f"v{number}@exemple.fr")
    results: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                reengagement.suggest_to_inactive(settings, now=START + timedelta(days=100), trigger=rasa)
            )
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 3
    assert sorted(sender for sender, _, _ in rasa.calls) == ["8500", "8501", "8502"]
    with session_scope(settings.database_url) as session:
        assert session.execute(select(func.count(models.OutgoingEmail.id))).scalar_one() == 3
    assert len(nudge_rows(settings)) == 3


def test_the_number_of_suggestions_per_run_is_capped(settings: Settings) -> None:
    rasa = Rasa()
    add_missions(settings)
    for number in range(3):
        add_volunteer(settings, f"800{number}", at=START)
    capped = replace(settings, nudges_per_run=2)
    assert reengagement.suggest_to_inactive(capped, now=START + timedelta(days=100), trigger=rasa) == 2
    assert reengagement.suggest_to_inactive(capped, now=START + timedelta(days=100), trigger=rasa) == 1


def test_the_suggestion_also_goes_by_email_and_reads_back_from_the_smtp_server(
    settings: Settings,
    smtp_server: SmtpServer,  # noqa: F811 (the fixture imported above)
) -> None:
    rasa = Rasa()
    add_missions(settings)
    add_volunteer(settings, "9001", at=START, email="julie@exemple.fr")
    add_volunteer(settings, "api-9002", channel="rest", at=START, email="marc@exemple.fr")  # e-mail only
    assert reengagement.suggest_to_inactive(settings, now=START + timedelta(days=100), trigger=rasa) == 2
    assert [sender for sender, _, _ in rasa.calls] == ["9001"]
    assert sorted(via for _, _, _, via in nudge_rows(settings)) == ["email", "telegram,email"]
    mail = replace(settings, smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_tls="none")
    assert send_pending(mail) == 2
    received = {str(m["To"]): m for m in smtp_server.wait_for(2)}
    julie = received["julie@exemple.fr"]
    assert julie["Subject"] == "Une mission pour vous : Soupe solidaire"
    body = julie.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert text.startswith("Bonjour 9001,") and "Soupe solidaire" in text and "stop relances" in text


# ----------------------------------------------------------------------------- stop relances, erasure


def test_stop_relances_without_a_profile_is_a_marker_erased_with_the_person(settings: Settings) -> None:
    write(settings, "web-zz", at=START)
    with session_scope(settings.database_url) as session:
        assert nudges.stop(session, channel="web", sender_id="web-zz", now=START) is True
    assert nudge_rows(settings) == [("unfinished_profile", "web-zz", None, "stop")]
    with session_scope(settings.database_url) as session:
        assert nudges.recent(session) == []  # a marker is not a message sent
    assert erase_person(settings, channel="web", sender_id="web-zz", actor="volunteer") is True
    assert nudge_rows(settings) == []


def test_stop_relances_of_a_volunteer_is_their_opt_out_date(settings: Settings) -> None:
    volunteer_id = add_volunteer(settings, "web-yy", channel="web")
    with session_scope(settings.database_url) as session:
        assert nudges.stop(session, channel="rest", sender_id="web-yy", now=START) is True  # the channel may differ
        assert nudges.opted_out(session, volunteer_id=volunteer_id) == START
        assert nudges.opted_out_count(session) == 1
        assert session.execute(select(func.count(models.Nudge.id))).scalar_one() == 0
