"""Staff take a conversation over from the console, write in it, and hand it back to the assistant.

Everything goes through Rasa's own doors (its HTTP API, :mod:`bot.assistant_api`):

- taking over appends Rasa's ``pause`` event and a bot message ("Marie, de l'équipe, a
  rejoint la conversation"): while a conversation is paused, Rasa stores what the person
  writes and runs no action, so the assistant is silent. What is said while it is paused is
  kept even without consent (the person asked for someone and is told their words are kept
  to answer them: ``bot.rasa.tracker_store.held_by_staff``);
- a staff message is a bot message appended with ``execute_side_effects``: Rasa stores it in
  the conversation (with who wrote it in its metadata) and sends it at once on the channel
  the person last used (Telegram, the chat bubble; a REST integration reads it from the
  conversation, nothing is pushed to it);
- handing back puts back the slots the person's words changed while a person answered
  (Rasa fills slots from entities even in a paused conversation, and no form validated
  them), appends ``resume`` and a message saying the assistant is back, and asks again the
  form's pending question, if a form was under way.

The ``takeovers`` table says who holds which conversation (one holder at a time) and since
when it is silent: :func:`hand_back_silent` (a background job of the web app) gives back
the conversations nobody wrote in for ``HANDBACK_MINUTES``.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

import yaml
from sqlalchemy.orm import Session

from bot import assistant_api
from bot.config import ROOT, Settings
from bot.errors import AssistantUnavailableError, InvalidDataError, NotFoundError
from bot.rasa.channels import plain_text
from bot.store import conversations, models
from bot.store import takeovers as takeover_store
from bot.store.leads import record_audit
from bot.store.session import session_scope
from bot.texts import labels

logger = logging.getLogger(__name__)

RIGHTS_INTENTS = ("delete_my_data", "show_my_data")  # asked while held: the assistant takes over at once
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
MAX_MESSAGE_CHARS = 4000  # a Telegram message holds 4,096 characters; the prefix needs the rest
STAFF_METADATA = "staff"  # key of a bot event's metadata naming the staff member who wrote it


def display_name(email: str) -> str:
    """What the volunteer sees of a staff member: the first word of their address, capitalised."""
    local = email.split("@", 1)[0]
    for separator in "._-+":
        local = local.split(separator, 1)[0]
    return local[:30].capitalize() or "Quelqu'un"


def _text(key: str, **values: str) -> str:
    return str(labels()[key]).format(**values)


def _bot_event(text: str, *, staff: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"event": "bot", "text": text, "timestamp": time.time()}
    if staff is not None:
        event["metadata"] = {STAFF_METADATA: staff}
    return event


def conversation_exists(settings: Settings, sender_id: str) -> bool:
    """True while the conversation has events (False once erased)."""
    return conversations.count_events(settings.tracker_store_url, sender_id) > 0


def _erased_meanwhile(settings: Settings, session: Session, takeover_id: int, sender_id: str) -> bool:
    """After Rasa was asked something: True (and the conversation deleted again) if an erasure came in between.

    An erasure deletes the conversation's takeovers; Rasa, asked to add events to a conversation it
    no longer has, starts a new one: that one is deleted at once, so the erasure stands.
    """
    session.expire_all()
    if session.get(models.Takeover, takeover_id) is not None:
        return False
    conversations.delete_conversation(settings.tracker_store_url, sender_id)
    return True


def take_over(
    settings: Settings,
    session: Session,
    *,
    member: models.StaffMember,
    sender_id: str,
    channel: str,
    volunteer_id: int | None = None,
    handoff_id: int | None = None,
) -> models.Takeover:
    """``member`` holds the conversation from now; the person is told and the assistant falls silent.

    Raises :class:`~bot.store.takeovers.AlreadyHeld` when another member holds it, NotFoundError
    when the conversation was erased, AssistantUnavailableError when Rasa does not answer
    (then nothing is held).
    """
    if not conversation_exists(settings, sender_id):
        raise NotFoundError("cette conversation n'existe plus (elle a peut-être été effacée)")
    current = takeover_store.open_for(session, sender_id=sender_id)
    if current is not None and current.staff_id == member.id:
        return current
    takeover = takeover_store.start(
        session,
        sender_id=sender_id,
        channel=channel,
        staff_id=member.id,
        volunteer_id=volunteer_id,
        handoff_id=handoff_id,
    )
    session.commit()  # the claim is visible to every other member before Rasa is asked anything
    takeover_id, name = takeover.id, display_name(member.email)
    try:
        assistant_api.append_events(
            settings,
            sender_id=sender_id,
            events=[{"event": "pause"}, _bot_event(_text("takeover_joined", name=name), staff=member.email)],
        )
    except AssistantUnavailableError:
        takeover_store.end(session, takeover_id, reason="failed")
        session.commit()
        with contextlib.suppress(AssistantUnavailableError):  # it may have paused before failing: never left mute
            assistant_api.append_events(settings, sender_id=sender_id, events=[{"event": "resume"}])
        raise
    if _erased_meanwhile(settings, session, takeover_id, sender_id):
        raise NotFoundError("cette conversation vient d'être effacée")
    record_audit(session, actor=f"staff:{member.id}", action="takeover", subject=f"takeover:{takeover_id}")
    session.commit()
    logger.info("conversation takeover %s started by staff %s", takeover_id, member.id)
    return takeover


def checked_message(text: str) -> str:
    """A staff message as it can be sent and stored; InvalidDataError (in French) when it cannot.

    Cleaned as a person's message is (``plain_text``: no NUL, no lone surrogate), and without the
    invisible controls that reverse the direction of the text.
    """
    cleaned = BIDI_CONTROLS.sub("", plain_text(text.replace("\r\n", "\n"))).strip()
    if not cleaned:
        raise InvalidDataError("le message est vide : écrivez quelque chose avant d'envoyer")
    if len(cleaned) > MAX_MESSAGE_CHARS:
        raise InvalidDataError(
            f"le message fait {len(cleaned)} caractères, {MAX_MESSAGE_CHARS} au plus : "
            "coupez-le en plusieurs messages (votre texte est resté dans le champ)"
        )
    return cleaned


def send(settings: Settings, session: Session, *, member: models.StaffMember, sender_id: str, text: str) -> None:
    """Send ``member``'s message to the person, who must be in a conversation ``member`` holds."""
    message = checked_message(text)
    takeover = takeover_store.open_for(session, sender_id=sender_id)
    if takeover is None or takeover.staff_id != member.id:
        raise InvalidDataError("vous ne tenez pas cette conversation : prenez la main avant d'écrire")
    takeover_id = takeover.id
    if not conversation_exists(settings, sender_id):
        takeover_store.end(session, takeover_id, reason="erased")
        session.commit()
        raise NotFoundError("cette conversation a été effacée entre-temps : le message n'a pas été envoyé")
    prefix = _text("takeover_staff_prefix", name=display_name(member.email))
    assistant_api.append_events(
        settings, sender_id=sender_id, events=[_bot_event(prefix + message, staff=member.email)]
    )
    if _erased_meanwhile(settings, session, takeover_id, sender_id):
        raise NotFoundError("cette conversation vient d'être effacée")
    takeover_store.touch(session, takeover_id)
    subject = f"takeover:{takeover_id}"
    record_audit(session, actor=f"staff:{member.id}", action="message", subject=subject, characters=len(message))
    session.commit()


def hand_back(
    settings: Settings,
    session: Session,
    *,
    takeover: models.Takeover,
    reason: str,
    member: models.StaffMember | None = None,
) -> bool:
    """Give the conversation back to the assistant (``reason``: "staff", "silence" or "request"); the person is told.

    Returns False when someone else handed it back first (two clicks, two processes): the takeover
    is closed once, and the person told once.
    """
    if member is not None and takeover.staff_id != member.id and member.role != "admin":
        raise InvalidDataError("seule la personne qui tient la conversation (ou un administrateur) peut la rendre")
    takeover_id, sender_id = takeover.id, takeover.sender_id
    holder = takeover.staff.email if takeover.staff is not None else ""
    if not takeover_store.end(session, takeover_id, reason=reason):
        session.rollback()
        return False
    session.commit()  # claimed: nobody else tells the person
    if not conversation_exists(settings, sender_id):
        return True
    try:
        tracker = assistant_api.tracker_events(settings, sender_id=sender_id)
        if reason == "silence":
            notice = _text("takeover_silence")
        else:
            notice = _text("takeover_handed_back", name=display_name(holder) if holder else "L'équipe")
        events = [*restored_slots(tracker), _bot_event(notice), {"event": "resume"}]
        assistant_api.append_events(settings, sender_id=sender_id, events=events)
    except AssistantUnavailableError:
        takeover_store.reopen(session, takeover_id)  # still paused: still held, tried again later
        session.commit()
        raise
    if _erased_meanwhile(settings, session, takeover_id, sender_id):
        return True
    pending = pending_question(tracker)
    if pending is not None:
        try:
            assistant_api.execute(settings, sender_id=sender_id, action=pending)
        except AssistantUnavailableError:  # the person is back with the assistant anyway; their next message goes on
            logger.warning("takeover %s: the form's question could not be asked again", takeover_id)
    record_audit(
        session,
        actor=f"staff:{member.id}" if member is not None else "assistant",
        action="handback",
        subject=f"takeover:{takeover_id}",
        reason=reason,
    )
    session.commit()
    logger.info("conversation takeover %s handed back (%s)", takeover_id, reason)
    return True


def restored_slots(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    """Slot events that put back the values the slots had when the conversation was paused."""
    events = tracker.get("events") or []
    paused_at = max((i for i, e in enumerate(events) if e.get("event") == "pause"), default=None)
    if paused_at is None:
        return []
    before: dict[str, Any] = {}
    for event in events[:paused_at]:
        if event.get("event") == "slot":
            before[event["name"]] = event.get("value")
        elif event.get("event") in ("restart", "session_started"):
            before = {}
    changed = {e["name"] for e in events[paused_at + 1 :] if e.get("event") == "slot"}
    return [{"event": "slot", "name": name, "value": before.get(name)} for name in sorted(changed)]


def pending_question(tracker: dict[str, Any]) -> str | None:
    """The action that asks the active form's pending question again, if a form is under way."""
    loop = (tracker.get("active_loop") or {}).get("name")
    slot = (tracker.get("slots") or {}).get("requested_slot")
    if not loop or not slot:
        return None
    return f"action_ask_{slot}" if f"action_ask_{slot}" in _custom_asks() else f"utter_ask_{slot}"


@cache
def _custom_asks() -> frozenset[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return frozenset(name for name in domain.get("actions", []) if str(name).startswith("action_ask_"))


def hand_back_silent(settings: Settings, now: datetime | None = None) -> None:
    """Watch the held conversations (a background job of the web app, every few seconds).

    - The person asked to see or erase their data (the NLU still reads their messages): the
      conversation goes back to the assistant at once, which handles the request; their rights
      never wait for a staff member to notice.
    - Nobody wrote for ``HANDBACK_MINUTES``: it goes back to the assistant, with a message.
    - Rasa started a new session meanwhile (which ends a pause): the takeover is closed.
    """
    now = now or datetime.now(timezone.utc)
    limit = now - timedelta(minutes=settings.handback_minutes)
    with session_scope(settings.database_url) as session:
        for takeover in takeover_store.held(session):
            try:
                _watch(settings, session, takeover, limit)
            except Exception as error:  # noqa: BLE001 - tried again at the next turn; the others go on
                session.rollback()
                logger.warning("takeover %s could not be watched: %s", takeover.id, type(error).__name__)


def _watch(settings: Settings, session: Session, takeover: models.Takeover, limit: datetime) -> None:
    started = _as_utc(takeover.started_at)
    rights = [i for i in conversations.intents_since(settings.tracker_store_url, takeover.sender_id, since=started)
              if i in RIGHTS_INTENTS]  # fmt: skip
    if rights:
        sender_id = takeover.sender_id
        if hand_back(settings, session, takeover=takeover, reason="request"):
            assistant_api.trigger_intent(settings, sender_id=sender_id, intent=rights[-1])
        return
    last = _as_utc(takeover.last_activity_at)
    person = conversations.last_message_at(settings.tracker_store_url, takeover.sender_id)
    if person is not None:
        last = max(last, person)
    if last < limit:
        hand_back(settings, session, takeover=takeover, reason="silence")
        return
    if not assistant_api.tracker_events(settings, sender_id=takeover.sender_id, events="NONE").get("paused"):
        takeover_store.end(session, takeover.id, reason="expired")
        session.commit()


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
