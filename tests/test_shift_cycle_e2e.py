"""A sign-up's whole life on a moving clock, over Telegram's stand-in, the chat bubble and e-mail (issue 18).

Real servers (Rasa, the action server, the web app) follow the test's clock (tests.support.clock):
Julie on Telegram and Marc in the bubble sign up for a Saturday shift with the buttons on Monday,
get the confirmation and its calendar file; on Friday at the reminder hour the jobs run as
production runs them (``run_due_jobs``, what ``bot jobs run`` does) and the reminder reaches
Telegram, the open bubble and both mailboxes; Julie says yes, Marc says nothing and is followed up
once; after the shift both are checked in (hours, rating, comment) and Julie downloads her
attestation, whose link expires. Bad input is tried where it happens in life (a stale button for a
shift now past or now full, 25 and -2 hours, an attestation for a year without hours, "je ne peux
plus venir" once the shift has started): each gets a clear French answer and writes nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import websockets.client
from sqlalchemy import func, select
from websockets.typing import Origin

from bot import signups
from bot.background import run_due_jobs
from bot.config import Settings
from bot.missions import ShiftPlan, read_missions
from bot.profile import TimeSlot
from bot.serve import action_server, rasa_server, web_app
from bot.store import missions, models
from bot.store import shifts as shift_store
from bot.store.session import session_scope
from bot.supervise import Supervisor
from tests.bot.console.conftest import add_volunteer, make_settings
from tests.bot.notifications.conftest import SmtpServer
from tests.bot.rasa.channels.telegram import telegram_json as tg
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn
from tests.conftest import free_port
from tests.support.clock import Clock

TOKEN, SECRET = "424242:CYCLE-token_for-the-stand-in", "cycle-secret_for-the-tests_0123456789"
PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2027, 3, 8, 10, 0, tzinfo=PARIS)  # not January (yearly summaries), before the change of time
THURSDAY, SATURDAY, SUNDAY = date(2027, 3, 11), date(2027, 3, 13), date(2027, 3, 14)
JULIE_CHAT = 731_001
TURN = 60.0  # seconds a turn may take on a busy machine


# --------------------------------------------------------------------------- the people


def _buttons_of(markup: Any) -> list[tuple[str, str]]:
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = (markup or {}).get("inline_keyboard", [])
    return [(str(b["text"]), str(b.get("callback_data", ""))) for row in rows for b in row]


@dataclass
class Said:
    """One message of the assistant: its text and its buttons (title, what tapping sends)."""

    text: str
    buttons: list[tuple[str, str]]


def _joined(messages: list[Said]) -> str:
    return "\n".join(m.text for m in messages)


class TelegramPerson:
    """Julie in a private Telegram chat: updates posted to the webhook, answers read from the stand-in."""

    def __init__(self, standin: BotAPIStandIn, rasa_port: int, chat_id: int) -> None:
        self.standin = standin
        self.chat_id = chat_id
        self.webhook = f"http://127.0.0.1:{rasa_port}/webhooks/telegram/webhook"

    def messages(self) -> list[Said]:
        calls = [c for c in self.standin.calls_of("sendMessage", self.chat_id) if not c["refused"]]
        return [Said(str(c.params["text"]), _buttons_of(c.params.get("reply_markup"))) for c in calls]

    def settled(self, before: int) -> list[Said]:
        """The messages after the first ``before``, once at least one came and no more follow."""
        assert self.standin.wait_for(lambda: len(self.messages()) > before, TURN), self.messages()[before:]
        count = -1
        while count != len(self.messages()):
            count = len(self.messages())
            time.sleep(0.4)
        return self.messages()[before:]

    def _post(self, update: dict[str, Any]) -> list[Said]:
        before = len(self.messages())
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        answer = requests.post(self.webhook, json=update, headers=headers, timeout=TURN)
        assert answer.status_code == 200, answer.text
        return self.settled(before)

    def say(self, text: str) -> list[Said]:
        return self._post(tg.text(self.chat_id, text))

    def tap(self, title: str) -> list[Said]:
        """Tap the newest button whose title starts with ``title``."""
        for message in reversed(self.messages()):
            for shown, data in message.buttons:
                if shown.startswith(title):
                    return self._post(tg.button(self.chat_id, data))
        raise AssertionError(f"no button {title!r} in the chat")


class BubblePerson:
    """Marc on the association's website: the chat bubble's WebSocket, spoken to as widget.js does."""

    def __init__(self, rasa_port: int, origin: str) -> None:
        self.url = f"ws://127.0.0.1:{rasa_port}/webhooks/web/socket"
        self.origin = origin
        self.loop = asyncio.new_event_loop()
        self.socket: Any = None
        self.seen: list[Said] = []
        self.conversation = ""

    def _run(self, work: Any, timeout: float = TURN) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(work, timeout))

    def connect(self) -> None:
        async def open_socket() -> Any:
            return await websockets.client.connect(self.url, origin=Origin(self.origin), ping_interval=None)

        self.socket = self._run(open_socket())
        self._run(self.socket.send(json.dumps({"type": "hello", "conversation": None})))
        welcome = json.loads(self._run(self.socket.recv()))
        assert welcome["type"] == "welcome", welcome
        self.conversation = str(welcome["conversation"]).rsplit(".", 1)[0]  # the signed id is Rasa's sender id

    def _keep(self, frame: dict[str, Any]) -> Said:
        said = Said(str(frame["text"]), [(b["title"], b["payload"]) for b in frame.get("buttons") or []])
        self.seen.append(said)
        return said

    def _turn(self, frame: dict[str, Any]) -> list[Said]:
        async def turn() -> list[Said]:
            await self.socket.send(json.dumps(frame))
            answers = []
            while True:
                received = json.loads(await self.socket.recv())
                if received["type"] in ("bot", "error"):
                    answers.append(self._keep(received))
                if received == {"type": "typing", "on": False}:
                    return answers

        return list(self._run(turn()))

    def start(self) -> list[Said]:
        return self._turn({"type": "start"})

    def say(self, text: str) -> list[Said]:
        return self._turn({"type": "message", "text": text})

    def tap(self, title: str) -> list[Said]:
        """Tap the newest button whose title starts with ``title`` (the bubble sends its payload)."""
        for message in reversed(self.seen):
            for shown, payload in message.buttons:
                if shown.startswith(title):
                    return self._turn({"type": "message", "text": payload, "label": shown})
        raise AssertionError(f"no button {title!r} in the bubble")

    def pushed(self, expected: int, wait: float = 10.0) -> list[Said]:
        """Messages the assistant sent by itself (a reminder): once ``expected`` came, and any more within 1 s;
        with ``expected`` 0, those that came within ``wait`` seconds."""

        async def listen() -> list[Said]:
            found: list[Said] = []
            deadline = self.loop.time() + wait
            while (left := deadline - self.loop.time()) > 0:
                try:
                    received = json.loads(await asyncio.wait_for(self.socket.recv(), left))
                except asyncio.TimeoutError:
                    break
                if received["type"] == "bot":
                    found.append(self._keep(received))
                    if expected and len(found) >= expected:
                        deadline = min(deadline, self.loop.time() + 1.0)  # and nothing more right after
            return found

        return list(self._run(listen(), wait + 5))

    def close(self) -> None:
        if self.socket is not None:
            self._run(self.socket.close(), 10)
        self.loop.close()


# --------------------------------------------------------------------------- the servers


@dataclass
class Cycle:
    """The running servers, the clock they follow, the mailbox and the shifts of the mission."""

    settings: Settings
    clock: Clock
    standin: BotAPIStandIn
    smtp: SmtpServer
    web: str
    shifts: dict[str, int]


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), tzinfo=PARIS)


@pytest.fixture(scope="module")
def cycle(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cycle]:
    """One Rasa server, action server and web app for the module, living on the test's clock from Monday on."""
    folder = tmp_path_factory.mktemp("cycle")
    clock = Clock(folder / "clock")
    clock.move_to(MONDAY, settle=0)  # the servers start already living on Monday
    standin = BotAPIStandIn(TOKEN).start()
    smtp = SmtpServer(port=free_port())
    smtp.start()
    action_port, rasa_port, web_port = free_port(), free_port(), free_port()
    web = f"http://127.0.0.1:{web_port}"
    settings = make_settings(
        folder, rasa_host="127.0.0.1", rasa_port=rasa_port, action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook", web_port=web_port, widget_allowed_origins=web,
        public_url=web, telegram_token=TOKEN, telegram_webhook_secret=SECRET, telegram_api_url=standin.base_url,
        background_seconds=0, opening_hours="", smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none",
    )  # fmt: skip
    demo = {m.id: m for m in read_missions(settings.association_path / "missions.yml")}
    plans = {
        "thursday": ShiftPlan(clock_time(14), clock_time(16), places=3, on=THURSDAY),
        "saturday": ShiftPlan(clock_time(9), clock_time(12), places=4, on=SATURDAY),
        "sunday": ShiftPlan(clock_time(10), clock_time(12), places=1, on=SUNDAY),
    }
    with session_scope(settings.database_url) as session:
        # One mission only, not urgent: no other job writes into the conversations.
        missions.upsert(session, [dataclasses.replace(demo["M001"], urgent=False, shifts=None)])
        shifts = {
            name: int(
                shift_store.add_one_off(
                    session, mission_id="M001", plan=plan, now=clock.now(), zone=settings.timezone
                ).id
            )
            for name, plan in plans.items()
        }
    patch = pytest.MonkeyPatch()
    for name, value in clock.environment().items():  # bot.serve.process_env hands os.environ to the servers
        patch.setenv(name, value)
    logs = folder / "logs"
    try:
        with Supervisor() as supervisor:  # the three servers start together, as `bot serve` starts them
            supervisor.start(
                action_server(settings, log_dir=logs), rasa_server(settings, trained_model, log_dir=logs),
                web_app(settings, log_dir=logs),
            )  # fmt: skip
            yield Cycle(settings, clock, standin, smtp, web, shifts)
    finally:
        patch.undo()
        standin.stop()
        smtp.stop()
        clock.reset()


# --------------------------------------------------------------------------- what the database holds


def footprint(url: str) -> dict[str, object]:
    """Everything the bad inputs must leave alone: sign-ups, places taken, hours, attestation links."""
    with session_scope(url) as session:
        signup_rows = session.execute(
            select(
                models.Signup.id, models.Signup.status, models.Signup.checkin_done_at, models.Signup.rating,
                models.Signup.comment, models.Signup.reminder_answer, models.Signup.cancelled_at,
            ).order_by(models.Signup.id)
        ).all()  # fmt: skip
        return {
            "signups": [tuple(row) for row in signup_rows],
            "taken": session.execute(select(models.Shift.id, models.Shift.taken).order_by(models.Shift.id)).all(),
            "hours": session.scalar(select(func.count()).select_from(models.HoursEntry)),
            "links": session.scalar(select(func.count()).select_from(models.AttestationLink)),
        }


def hours_log(url: str) -> list[tuple[str, int, date, str]]:
    """(first name, minutes, day, source) of every hours entry."""
    with session_scope(url) as session:
        rows = session.execute(
            select(
                models.Volunteer.first_name, models.HoursEntry.minutes, models.HoursEntry.day, models.HoursEntry.source
            )
            .join(models.Volunteer, models.Volunteer.id == models.HoursEntry.volunteer_id)
            .order_by(models.Volunteer.first_name)
        ).all()
        return [tuple(row) for row in rows]


def mails_to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [m for m in smtp.received if address in str(m["To"])]


def attachment_of(message: EmailMessage) -> tuple[str, str]:
    """(file name, text) of the e-mail's one attachment."""
    (attached,) = list(message.iter_attachments())
    return str(attached.get_filename()), attached.get_content()


def pdf_text(pdf: bytes) -> bytes:
    """The page streams of a PDF, inflated (fpdf2 compresses them), where its words can be looked for."""
    found = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            found.append(zlib.decompress(stream))
        except zlib.error:
            found.append(stream)
    return b"\n".join(found)


# --------------------------------------------------------------------------- the cycle


def test_a_shift_from_sign_up_to_attestation_on_every_channel(cycle: Cycle) -> None:
    julie = TelegramPerson(cycle.standin, cycle.settings.rasa_port, JULIE_CHAT)
    marc = BubblePerson(cycle.settings.rasa_port, origin=cycle.web)
    marc.connect()
    try:
        _play(cycle, julie, marc)
    finally:
        marc.close()


def _play(cycle: Cycle, julie: TelegramPerson, marc: BubblePerson) -> None:
    settings, clock, url, smtp = cycle.settings, cycle.clock, cycle.settings.database_url, cycle.smtp
    # Profiles stored before their first message, as if they had filled them in earlier (the demo
    # mission M001 fits them: logistics, solidarity, Saturday mornings, Villeurbanne).
    for sender_id, first_name, channel in ((str(JULIE_CHAT), "Julie", "telegram"), (marc.conversation, "Marc", "web")):
        add_volunteer(
            url, sender_id=sender_id, first_name=first_name, channel=channel, skills=("logistics",),
            availability=(TimeSlot("saturday", "morning"),), email=f"{first_name.lower()}.cycle@exemple.fr",
        )  # fmt: skip
    zoe = add_volunteer(url, sender_id="cycle-zoe", first_name="Zoé", email="zoe.cycle@exemple.fr")

    # --- Monday: each signs up with the buttons ----------------------------------------------------
    assert "Bonjour Julie, ravi de vous revoir" in _joined(julie.say("bonjour"))
    assert "Marc" in _joined(marc.start())

    julie.say("voir les missions")
    assert "Préparation des colis alimentaires" in _joined(julie.tap("Plus d'infos"))
    offer = julie.tap("S'inscrire à une date")
    assert [title for title, _ in offer[-1].buttons] == [
        "jeudi 11 mars, 14 h–16 h (3 places)", "samedi 13 mars, 9 h–12 h (4 places)",
        "dimanche 14 mars, 10 h–12 h (1 place)", "Aucune de ces dates",
    ]  # fmt: skip

    # Bad input: Zoé takes Sunday's last place meanwhile; Julie's button for it now meets a full shift.
    assert signups.book(settings, shift_id=cycle.shifts["sunday"], channel="rest", sender_id="cycle-zoe").status == "ok"
    before = footprint(url)
    full = _joined(julie.tap("dimanche 14 mars"))
    assert "Désolé, ce créneau (dimanche 14 mars, 10 h–12 h) est complet" in full
    assert "Voici d'autres dates" in full
    assert footprint(url) == before

    booked = julie.tap("samedi 13 mars")
    assert "C'est noté : samedi 13 mars, 9 h–12 h, Préparation des colis alimentaires" in booked[0].text
    assert "Je vous ai aussi envoyé la confirmation par e-mail" in _joined(booked)
    calendar_url = re.search(r"(http://\S+\.ics)", booked[0].text)
    assert calendar_url is not None and calendar_url.group(1).startswith(cycle.web)

    marc.say("voir les missions")
    dates = marc.tap("Ça m'intéresse")
    assert "samedi 13 mars, 9 h–12 h (3 places)" in [title for message in dates for title, _ in message.buttons]
    marc_booked = _joined(marc.tap("samedi 13 mars"))
    assert "C'est noté : samedi 13 mars, 9 h–12 h" in marc_booked

    ics = requests.get(calendar_url.group(1), timeout=10)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.startswith("BEGIN:VCALENDAR") and ics.text.rstrip().endswith("END:VCALENDAR")
    assert "DTSTART:20270313T080000Z" in ics.text and "SUMMARY:Préparation des colis alimentaires" in ics.text

    run_due_jobs(settings)  # "send e-mails" sends the confirmations
    smtp.wait_for(3)
    for address in ("julie.cycle@exemple.fr", "marc.cycle@exemple.fr", "zoe.cycle@exemple.fr"):
        (confirmation,) = mails_to(smtp, address)
        assert str(confirmation["Subject"]).startswith("Inscription confirmée : Préparation des colis alimentaires")
        name, content = attachment_of(confirmation)
        assert name == "creneau-benevolat.ics" and "BEGIN:VEVENT" in content
    with session_scope(url) as session:
        ours = session.scalars(select(models.Signup).where(models.Signup.shift_id == cycle.shifts["saturday"])).all()
        assert sorted(s.volunteer.first_name for s in ours) == ["Julie", "Marc"]
        assert session.get(models.Shift, cycle.shifts["saturday"]).taken == 2
        zoes = session.scalars(select(models.Signup).where(models.Signup.volunteer_id == zoe)).one()
        assert (zoes.shift_id, zoes.status) == (cycle.shifts["sunday"], "confirmed")

    # --- Friday, the reminder hour: Telegram, the open bubble and e-mail; Julie says yes ---------------
    clock.move_to(_local(date(2027, 3, 12), settings.reminder_hour, 1))
    sent_before = len(julie.messages())
    outcome = run_due_jobs(settings)
    assert outcome["shift reminders"] == "ran"
    reminder = julie.settled(sent_before)
    assert [m.text for m in reminder] == [
        "Petit rappel : demain samedi 13 mars, 9 h–12 h, Préparation des colis alimentaires, "
        "Entrepôt de la banque alimentaire, 14 rue Francis-de-Pressensé. Toujours OK ?"
    ]
    assert [title for title, _ in reminder[0].buttons] == ["Oui, je serai là", "Je ne peux plus venir"]
    (bubble_reminder,) = marc.pushed(1)
    assert bubble_reminder.text == reminder[0].text
    assert [title for title, _ in bubble_reminder.buttons] == ["Oui, je serai là", "Je ne peux plus venir"]
    run_due_jobs(settings)  # the reminders' e-mails go out
    smtp.wait_for(5)
    for address in ("julie.cycle@exemple.fr", "marc.cycle@exemple.fr"):
        subjects = [str(m["Subject"]) for m in mails_to(smtp, address)]
        assert subjects[1:] == ["Rappel : Préparation des colis alimentaires, samedi 13 mars, 9 h–12 h"], subjects
    assert len(mails_to(smtp, "zoe.cycle@exemple.fr")) == 1  # her shift is on Sunday: tomorrow's reminder

    assert "Merci, c'est noté ! À samedi 13 mars." in _joined(julie.tap("Oui, je serai là"))

    # Bad input: Thursday's shift is over; Julie taps its button from Monday's list.
    before = footprint(url)
    past = _joined(julie.tap("jeudi 11 mars"))
    assert "Ce créneau (jeudi 11 mars, 14 h–16 h) a déjà commencé ou est passé : on ne peut plus s'y inscrire." in past
    assert footprint(url) == before

    # --- three hours later: the unanswered reminder is followed up, once, and only Marc's ------------
    clock.move_to(_local(date(2027, 3, 12), settings.reminder_hour + settings.reminder_followup_hours, 2))
    sent_before = len(julie.messages())
    assert run_due_jobs(settings)["reminder follow-ups"] == "ran"
    (followup,) = marc.pushed(1)
    assert followup.text.startswith("Je me permets de redemander : demain samedi 13 mars, 9 h–12 h")
    clock.move_to(_local(date(2027, 3, 12), 23, 30))
    run_due_jobs(settings)
    assert marc.pushed(0, wait=2) == []
    assert len(julie.messages()) == sent_before
    with session_scope(url) as session:
        rows = session.scalars(select(models.Signup).where(models.Signup.shift_id == cycle.shifts["saturday"])).all()
        answers = {s.volunteer.first_name: (s.reminder_answer, s.followup_sent_at is not None) for s in rows}
    assert answers == {"Julie": ("yes", False), "Marc": (None, True)}

    # --- Saturday 9:30, the shift has started: too late to cancel in the chat ------------------------
    clock.move_to(_local(SATURDAY, 9, 30))
    before = footprint(url)
    late = _joined(marc.tap("Je ne peux plus venir"))
    assert "Ce créneau (samedi 13 mars, 9 h–12 h) a déjà commencé : il est trop tard pour annuler ici." in late
    assert "Martine, 04 78 00 00 01" in late  # whom to warn instead
    typed = _joined(julie.say("je ne peux plus venir samedi"))  # in words: the same answer
    assert "Ce créneau (samedi 13 mars, 9 h–12 h) a déjà commencé : il est trop tard pour annuler ici." in typed
    assert footprint(url) == before

    # --- Saturday after the shift and the check-in delay: how it went, the hours, a rating -----------
    clock.move_to(_local(SATURDAY, 12) + timedelta(minutes=settings.checkin_delay_minutes + 1))
    sent_before = len(julie.messages())
    assert run_due_jobs(settings)["check-ins after shifts"] == "ran"
    (checkin,) = julie.settled(sent_before)
    assert checkin.text.startswith(
        "Bonjour ! Votre créneau est terminé (Préparation des colis alimentaires, samedi 13 mars"
    )
    assert [title for title, _ in checkin.buttons] == ["Oui, 3 h", "Autre durée", "Je n'ai pas pu venir"]
    (bubble_checkin,) = marc.pushed(1)
    assert bubble_checkin.text == checkin.text

    assert "C'est noté : 3 h. Comment l'avez-vous vécu, de 1 (pas bien) à 5 (très bien) ?" in _joined(
        julie.tap("Oui, 3 h")
    )
    assert "Un commentaire pour l'équipe" in _joined(julie.tap("5"))
    assert "J'ai enregistré 3 h de bénévolat" in _joined(julie.say("Très bonne ambiance, merci !"))

    assert "Combien de temps avez-vous fait ?" in _joined(marc.tap("Autre durée"))
    before = footprint(url)
    for out_of_range in ("25 heures", "-2 h"):
        refused = _joined(marc.say(out_of_range))
        assert "La durée doit être de plus de 0 et au plus 24 heures." in refused, (out_of_range, refused)
        assert footprint(url) == before
    assert "C'est noté : 2 h 30" in _joined(marc.say("2h30"))
    assert "Un commentaire pour l'équipe" in _joined(marc.say("4"))
    assert "J'ai enregistré 2 h 30 de bénévolat" in _joined(marc.tap("Passer"))

    assert hours_log(url) == [("Julie", 180, SATURDAY, "checkin"), ("Marc", 150, SATURDAY, "checkin")]
    with session_scope(url) as session:
        rows = session.scalars(select(models.Signup).where(models.Signup.shift_id == cycle.shifts["saturday"])).all()
        done = {s.volunteer.first_name: (s.status, s.rating, s.comment) for s in rows}
    assert done == {"Julie": ("attended", 5, "Très bonne ambiance, merci !"), "Marc": ("attended", 4, None)}
    clock.move_to(_local(SATURDAY, 14))
    run_due_jobs(settings)  # the check-in e-mails go out; nobody is asked twice
    smtp.wait_for(7)
    for address in ("julie.cycle@exemple.fr", "marc.cycle@exemple.fr"):
        subjects = [str(m["Subject"]) for m in mails_to(smtp, address)]
        assert subjects[2:] == ["Comment s'est passé « Préparation des colis alimentaires » ?"], subjects
    assert marc.pushed(0, wait=1) == []
    assert hours_log(url) == [("Julie", 180, SATURDAY, "checkin"), ("Marc", 150, SATURDAY, "checkin")]

    # --- the attestation: none for last year (no hours), then this year's, behind an expiring link ---
    before = footprint(url)
    assert "Pour quelle période ?" in _joined(julie.say("je voudrais une attestation"))
    none = _joined(julie.tap("L'année dernière"))  # hours are checked before a name is asked for nothing
    assert "Je ne trouve pas d'heures de bénévolat enregistrées sur cette période" in none
    assert "Quel nom complet" not in none
    assert footprint(url) == before

    julie.say("je voudrais une attestation")
    julie.tap("Cette année")
    offered = _joined(julie.say("Julie Martin"))
    link = re.search(rf"({re.escape(cycle.web)}/attestations/\S+)", offered)
    assert link is not None, offered
    assert "pas sûr de bien vous suivre" not in offered  # the flow is over: the assistant waits
    links = footprint(url)
    assert "/attestations/" not in _joined(julie.say("merci"))
    assert footprint(url) == links  # "merci" is not a full name: no second link
    pdf = requests.get(link.group(1), timeout=30)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"Julie Martin" in pdf_text(pdf.content)

    clock.move_to(clock.now() + timedelta(hours=settings.attestation_link_hours, minutes=1))
    expired = requests.get(link.group(1), timeout=30)
    assert expired.status_code == 410 and "Lien expiré" in expired.text


# --------------------------------------------------------------------------- the dates in words, a week later


def _add_shifts(cycle: Cycle, plans: dict[str, ShiftPlan]) -> dict[str, int]:
    """One-off shifts of the demo mission M001, by name."""
    with session_scope(cycle.settings.database_url) as session:
        return {
            name: int(
                shift_store.add_one_off(
                    session, mission_id="M001", plan=plan, now=cycle.clock.now(), zone=cycle.settings.timezone
                ).id
            )
            for name, plan in plans.items()
        }


NEXT_MONDAY = datetime(2027, 3, 22, 10, 0, tzinfo=PARIS)  # after the cycle above, before the change of time
NINA_CHAT, LEA_CHAT, PAUL_CHAT = 731_002, 731_003, 731_004


def test_dates_in_words_hours_to_check_and_a_practical_question_in_the_profile(cycle: Cycle) -> None:
    """What a newcomer tries beyond the buttons, over Telegram's stand-in, on the real servers (issue 18).

    Nina sees the missions twice (a mission with dates comes back), keeps a sign-up with "je garde",
    then cancels it and types another of the dates offered; Léa declares far more hours than her
    shift lasted and is told, without blame, that the team checks them, and her attestation (period
    typed in words) says what it does not count yet; Paul asks where to park in the middle of the
    profile and gets the answer, then the same question again.
    """
    settings, clock, url = cycle.settings, cycle.clock, cycle.settings.database_url
    clock.move_to(NEXT_MONDAY)
    plans = {
        "thursday": ShiftPlan(clock_time(14), clock_time(16), places=3, on=date(2027, 3, 25)),
        "friday": ShiftPlan(clock_time(10), clock_time(12), places=2, on=date(2027, 3, 26)),
        "saturday": ShiftPlan(clock_time(9), clock_time(12), places=4, on=date(2027, 3, 27)),
    }
    shifts = _add_shifts(cycle, plans)
    for chat, first_name in ((NINA_CHAT, "Nina"), (LEA_CHAT, "Léa")):
        add_volunteer(
            url, sender_id=str(chat), first_name=first_name, channel="telegram", skills=("logistics",),
            availability=(TimeSlot("saturday", "morning"),), email=f"{first_name.lower()}.words@exemple.fr",
        )  # fmt: skip
    nina = TelegramPerson(cycle.standin, settings.rasa_port, NINA_CHAT)

    # --- "voir les missions", twice: the mission with dates comes back, its dates in the reasons -----
    first = _joined(nina.say("voir les missions"))
    assert "Préparation des colis alimentaires" in first and "samedi 27 mars, 9 h–12 h" in first, first
    again = _joined(nina.say("voir les missions"))
    assert "Préparation des colis alimentaires" in again, again
    dates = nina.tap("Ça m'intéresse")
    assert "samedi 27 mars, 9 h–12 h (4 places)" in [title for message in dates for title, _ in message.buttons]
    assert "C'est noté : samedi 27 mars, 9 h–12 h" in _joined(nina.tap("samedi 27 mars"))

    # --- "je garde" at the cancellation's confirmation: nothing changes -----------------------------
    asked = _joined(nina.say("je ne peux plus venir samedi"))
    assert "Voulez-vous annuler votre inscription à « Préparation des colis alimentaires », samedi 27 mars" in asked
    before = footprint(url)
    assert "D'accord, je garde votre inscription." in _joined(nina.say("je garde"))
    assert footprint(url) == before

    # --- cancelled with a typed yes, then another of the dates offered typed in words -----------------
    nina.say("je ne peux plus venir samedi")
    cancelled = nina.say("oui")
    assert "C'est annulé : Préparation des colis alimentaires, samedi 27 mars" in _joined(cancelled)
    assert [title for title, _ in cancelled[-1].buttons][:2] == [
        "jeudi 25 mars, 14 h–16 h (3 places)", "vendredi 26 mars, 10 h–12 h (2 places)",
    ]  # fmt: skip
    booked = _joined(nina.say("plutôt le 26"))
    assert "C'est noté : vendredi 26 mars, 10 h–12 h, Préparation des colis alimentaires" in booked, booked
    with session_scope(url) as session:
        taken = {name: session.get(models.Shift, shift_id).taken for name, shift_id in shifts.items()}
    assert taken == {"thursday": 0, "friday": 1, "saturday": 0}

    # --- Léa's check-in: 5 hours for a 2-hour shift, kept, and said to be checked ---------------------
    shifts |= _add_shifts(cycle, {"léa": ShiftPlan(clock_time(11), clock_time(13), places=2, on=date(2027, 3, 22))})
    assert signups.book(settings, shift_id=shifts["léa"], channel="telegram", sender_id=str(LEA_CHAT)).status == "ok"
    lea = TelegramPerson(cycle.standin, settings.rasa_port, LEA_CHAT)
    assert "Léa" in _joined(lea.say("bonjour"))  # a conversation is only ever pushed to once it exists
    clock.move_to(_local(date(2027, 3, 22), 13) + timedelta(minutes=settings.checkin_delay_minutes + 1))
    sent_before = len(lea.messages())
    assert run_due_jobs(settings)["check-ins after shifts"] == "ran"
    (checkin,) = lea.settled(sent_before)
    assert [title for title, _ in checkin.buttons] == ["Oui, 2 h", "Autre durée", "Je n'ai pas pu venir"]
    assert "Combien de temps avez-vous fait ?" in _joined(lea.tap("Autre durée"))
    assert "C'est noté : 5 h" in _joined(lea.say("5 heures"))
    assert "Un commentaire pour l'équipe" in _joined(lea.say("4"))
    thanks = _joined(lea.tap("Passer"))
    assert "J'ai bien noté 5 h de bénévolat" in thanks and "l'équipe vérifiera ces heures" in thanks, thanks
    assert "votre attestation compte 2 h pour ce créneau" in thanks
    with session_scope(url) as session:
        entry = session.scalars(
            select(models.HoursEntry).join(models.Volunteer).where(models.Volunteer.first_name == "Léa")
        ).one()
        assert (entry.minutes, entry.counted_minutes) == (300, 120)

    # --- her attestation, the period typed in words: the hours still to check are said apart ---------
    assert "Pour quelle période ?" in _joined(lea.say("je voudrais une attestation"))
    assert "Quel nom complet" in _joined(lea.say("cette année"))
    offered = _joined(lea.say("Léa Durand"))
    assert f"{cycle.web}/attestations/" in offered, offered
    assert "Un complément de 3 h que vous avez déclaré est en cours de vérification" in offered

    # --- Paul, in the middle of the profile: a practical question, then the same question again -------
    paul = TelegramPerson(cycle.standin, settings.rasa_port, PAUL_CHAT)
    paul.say("bonjour")
    paul.say("je voudrais devenir bénévole")
    assert "quel est votre prénom ?" in _joined(paul.say("oui"))
    practical = paul.say("est-ce qu'il y a un parking près du local ?")
    assert "le plus sûr est de demander à l'équipe de la mission" in practical[0].text, _joined(practical)
    assert [title for title, _ in practical[0].buttons] == ["Parler à quelqu'un"]  # no shifts without a profile
    assert practical[-1].text == "Pour commencer, quel est votre prénom ?"
    assert "Quel âge avez-vous ?" in _joined(paul.say("Paul"))
