"""A world with dated shifts for the blind dates set: one mission, four shifts, a moved clock, seeded volunteers.

Usage::

    with dated_world(model, folder, today=datetime(2026, 12, 9, 10, tzinfo=PARIS), plans=plans, title=t) as world:
        world.add_volunteer("s1"); world.book("s1", date(2026, 12, 12))
        said = world.say("s1", "mes créneaux")          # the REST webhook, as the bubble speaks
        world.say("s1", buttons_of(said, "cancel_signup")[0][0])   # a button tapped: its payload
        world.signups("s1")                             # what the database holds

The servers (Rasa and the action server, `scripts.measure.assistant.started_assistant`) live on the
day the set names, through the test clock of ``tests/support/clock`` (its ``sitecustomize`` moves
every process started with it on the ``PYTHONPATH``). The volunteers' profiles, their sign-ups and
their hours are written where the set says the state is given; the rest is reached in the chat.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from bot import signups
from bot.missions import ShiftPlan, read_missions
from bot.profile import ConsentRecord, Place, ProfileSubmission, TimeSlot
from bot.shifts import local
from bot.store import missions, models, volunteers
from bot.store.retention import as_utc
from bot.store.session import session_scope
from scripts.measure.assistant import RunningAssistant, started_assistant
from tests.support.clock import Clock

MISSION_ID = "M001"
CHANNEL = "rest"
TURN = 60.0  # seconds a turn may take on a busy machine
VILLEURBANNE = Place("Villeurbanne", 45.76601, 4.8795, "69100")
PAYLOAD = re.compile(r"^/(?P<intent>\w+)(?P<entities>\{.*\})?$")


@dataclass
class Said:
    """One message of the assistant: its text and its buttons (title, payload)."""

    text: str
    buttons: list[tuple[str, str]]


def said_of(answer: list[dict[str, Any]]) -> list[Said]:
    """The REST channel's answer as messages with their buttons."""
    return [
        Said(
            str(m.get("text") or ""),
            [(str(b.get("title", "")), str(b.get("payload", ""))) for b in m.get("buttons") or []],
        )
        for m in answer
    ]


def buttons_of(said: Sequence[Said], intent: str) -> list[tuple[str, dict[str, Any]]]:
    """(payload, entities) of every button in ``said`` whose payload is ``/intent{...}`` (entities {} without)."""
    found = []
    for message in said:
        for _, payload in message.buttons:
            match = PAYLOAD.match(payload.strip())
            if match is None or match.group("intent") != intent:
                continue
            try:
                found.append((payload, dict(json.loads(match.group("entities") or "{}"))))
            except ValueError:
                continue
    return found


def payloads(said: Sequence[Said], intent: str) -> list[dict[str, Any]]:
    """The entities of every button in ``said`` whose payload is ``/intent{...}`` (an empty dict without)."""
    return [entities for _, entities in buttons_of(said, intent)]


@dataclass
class DatedWorld:
    """The running assistant, its clock and the mission's shifts by local date."""

    assistant: RunningAssistant
    clock: Clock
    shifts: dict[date, int]
    http: requests.Session

    @property
    def url(self) -> str:
        return self.assistant.settings.database_url

    def now(self) -> datetime:
        return self.clock.now()

    def say(self, sender_id: str, message: str) -> list[Said]:
        """One turn over the REST webhook: text typed, or the payload of a button the assistant offered in this
        conversation, as the bubble sends it when tapped (any other payload is read as words,
        bot.rasa.channels.payloads)."""
        answer = self.http.post(self.assistant.webhook, json={"sender": sender_id, "message": message}, timeout=TURN)
        answer.raise_for_status()
        return said_of(answer.json())

    def add_volunteer(self, sender_id: str, first_name: str = "Camille") -> int:
        """A consented profile, as the conversation would have stored it; returns its id."""
        profile = ProfileSubmission(
            first_name=first_name, age_group="adult", place=VILLEURBANNE, skills=("logistics",),
            causes=("solidarity",), availability=(TimeSlot("saturday", "morning"),),
            email=f"{sender_id}@exemple.fr", phone=None,
        )  # fmt: skip
        consent = ConsentRecord("2026-01", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc), CHANNEL)
        with session_scope(self.url) as session:
            row = volunteers.save_profile(
                session, channel=CHANNEL, sender_id=sender_id, profile=profile, consent=consent
            )
            return int(row.id)

    def book(self, sender_id: str, day: date) -> int:
        """Sign the volunteer up for the shift of ``day`` (a state the set gives); returns the sign-up's id."""
        booking = signups.book(
            self.assistant.settings, shift_id=self.shifts[day], channel=CHANNEL, sender_id=sender_id, now=self.now()
        )
        if booking.status != "ok" or booking.signup_id is None:
            raise RuntimeError(f"seeding a sign-up failed: {booking.status}")
        return booking.signup_id

    def add_hours(self, volunteer_id: int, days: Sequence[date], minutes: int = 180) -> None:
        """Hours already logged on ``days`` (a state the set gives), as staff would enter them."""
        with session_scope(self.url) as session:
            title = session.get(models.Mission, MISSION_ID).title
            for day in days:
                session.add(
                    models.HoursEntry(
                        volunteer_id=volunteer_id, mission_id=MISSION_ID, mission_title=title, day=day,
                        minutes=minutes, source="staff",
                    )
                )  # fmt: skip

    def signups(self, sender_id: str) -> list[tuple[int, date, str]]:
        """(sign-up id, the shift's local date, status) of every sign-up of the volunteer."""
        zone = self.assistant.settings.timezone
        with session_scope(self.url) as session:
            volunteer = volunteers.find(session, channel=CHANNEL, sender_id=sender_id)
            if volunteer is None:
                return []
            rows = session.execute(
                select(models.Signup.id, models.Shift.starts_at, models.Signup.status)
                .join(models.Shift, models.Shift.id == models.Signup.shift_id)
                .where(models.Signup.volunteer_id == volunteer.id)
                .order_by(models.Signup.id)
            ).all()
            return [(int(i), local(starts_at, zone).date(), str(status)) for i, starts_at, status in rows]

    def attestation_periods(self, volunteer_id: int) -> list[tuple[date, date]]:
        """(start, end) of every attestation link made for the volunteer."""
        with session_scope(self.url) as session:
            rows = session.execute(
                select(models.AttestationLink.period_start, models.AttestationLink.period_end)
                .where(models.AttestationLink.volunteer_id == volunteer_id)
                .order_by(models.AttestationLink.id)
            ).all()
            return [(start, end) for start, end in rows]


def _seed_mission(settings: Any, plans: Sequence[ShiftPlan], title: str, now: datetime) -> dict[date, int]:
    """The demo mission renamed, with exactly ``plans`` as its shifts ahead; the shift ids by local date."""
    demo = {m.id: m for m in read_missions(settings.association_path / "missions.yml")}
    mission = dataclasses.replace(demo[MISSION_ID], title=title, urgent=False, shifts=tuple(plans))
    with session_scope(settings.database_url) as session:
        missions.upsert(session, [mission], now=now)
        rows = session.execute(
            select(models.Shift.id, models.Shift.starts_at).where(
                models.Shift.mission_id == MISSION_ID, models.Shift.cancelled_at.is_(None)
            )
        ).all()
    found = {local(starts_at, settings.timezone).date(): int(i) for i, starts_at in rows if as_utc(starts_at) > now}
    wanted = {plan.on for plan in plans}
    if set(found) != wanted:
        raise RuntimeError(f"the mission's shifts are {sorted(found)}, not {sorted(d for d in wanted if d)}")
    return found


@contextmanager
def dated_world(
    model: Path, folder: Path, *, today: datetime, plans: Sequence[ShiftPlan], title: str
) -> Iterator[DatedWorld]:
    """Start the assistant living at ``today`` (and on), with one mission whose shifts ahead are ``plans``."""
    folder.mkdir(parents=True, exist_ok=True)
    clock = Clock(folder / "clock")
    clock.move_to(today, settle=0)  # the servers start already living on that day
    saved = {name: os.environ.get(name) for name in clock.environment()}
    os.environ.update(clock.environment())  # bot.serve.process_env hands this environment to the servers
    try:
        with started_assistant(model, folder) as assistant, requests.Session() as http:
            shifts = _seed_mission(assistant.settings, plans, title, clock.now())
            yield DatedWorld(assistant, clock, shifts, http)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        clock.reset()
