"""A conversation, live: staff read it as it goes, take it over, write to the person, hand it back.

A conversation is reached through what the console already shows: a lead
(``/console/conversations/lead/{volunteer_id}``) or a request to talk to someone
(``/console/conversations/handoff/{request_id}``). The page works without JavaScript (each
form posts and comes back; the transcript is as fresh as the page); with it,
``conversation.js`` asks ``…/messages?after=N`` every second and adds what is new, and sends
messages without reloading. The work itself is :mod:`bot.takeover`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from bot import takeover as takeovers
from bot.console import access
from bot.console.deps import DbSession, Forbidden, SettingsDep, Staff, actor, redirect, render
from bot.console.transcript import TranscriptUnavailable, read_transcript
from bot.errors import AssistantUnavailableError, InvalidDataError, NotFoundError
from bot.store import leads as lead_store
from bot.store import models
from bot.store import takeovers as takeover_store
from bot.store import volunteers as volunteer_store

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/conversations")

Kind = Literal["lead", "handoff"]
UNREACHABLE = (
    "L'assistant est injoignable : rien n'a été envoyé. Vérifiez que le serveur Rasa fonctionne, puis réessayez."
)
NOT_CONFIRMED = (
    "L'assistant n'a pas confirmé l'envoi : regardez si le message est apparu dans la conversation "
    "avant de le renvoyer, et vérifiez que le serveur Rasa fonctionne."
)
# What ?err= may say (a code: the page never shows a text taken from its address).
ERRORS = {
    "held": "Un autre membre de l'équipe tient déjà cette conversation (son nom est indiqué ci-dessous).",
    "unreachable": UNREACHABLE,
    "erased": "Cette conversation n'existe plus : elle a été effacée.",
    "not_holder": "Seule la personne qui tient la conversation (ou un administrateur) peut la rendre.",
}
NOT_YOURS = "Seuls un administrateur et la personne qui suit ce candidat voient sa conversation."


@dataclass(frozen=True)
class Conversation:
    """Whose conversation a console address designates, and where to go back."""

    sender_id: str
    channel: str
    title: str
    back_url: str
    back_label: str
    volunteer_id: int | None = None
    handoff_id: int | None = None


def conversation_of(session: Session, member: models.StaffMember, kind: Kind, ref: int) -> Conversation:
    """The conversation behind a lead or a request, if ``member`` may see it (Forbidden otherwise)."""
    if kind == "lead":
        volunteer = lead_store.get(session, volunteer_id=ref)
        if not access.sees_contact_of(session, member, volunteer_id=volunteer.id):
            raise Forbidden(NOT_YOURS)
        return Conversation(
            volunteer.sender_id,
            volunteer.channel,
            f"Conversation avec {volunteer.first_name}",
            f"/console/leads/{volunteer.id}",
            "Fiche du candidat",
            volunteer_id=volunteer.id,
        )
    handoff = lead_store.handoff(session, request_id=ref)
    lead = lead_of(session, handoff)
    if lead is not None:  # the lead's rules, even when the profile was saved after the request
        return conversation_of(session, member, "lead", lead)
    return Conversation(
        handoff.sender_id,
        handoff.channel,
        "Conversation sans profil",
        f"/console/handoffs/{handoff.id}",
        "Demande de contact",
        handoff_id=handoff.id,
    )


def lead_of(session: Session, handoff: models.HandoffRequest) -> int | None:
    """The lead behind a request to talk to someone, looked up now (the profile may be newer than the request)."""
    volunteer = volunteer_store.find(session, channel=handoff.channel, sender_id=handoff.sender_id)
    return volunteer.id if volunteer is not None else handoff.volunteer_id


def _page_url(kind: Kind, ref: int) -> str:
    return f"/console/conversations/{kind}/{ref}"


@router.get("/{kind}/{ref}")
def conversation_page(
    *,
    request: Request,
    kind: Kind,
    ref: int,
    member: Staff,
    session: DbSession,
    settings: SettingsDep,
    err: str = "",
) -> Response:
    """The live conversation, who holds it, and the forms to take over, write and hand back."""
    conversation = conversation_of(session, member, kind, ref)
    return _render(request, session, settings, member, kind, ref, conversation, error=ERRORS.get(err))


def _render(
    request: Request,
    session: Session,
    settings: SettingsDep,
    member: models.StaffMember,
    kind: Kind,
    ref: int,
    conversation: Conversation,
    *,
    error: str | None = None,
    draft: str = "",
    status_code: int = 200,
) -> Response:
    lead_store.record_audit(session, actor=actor(member), action="view", subject=f"conversation:{kind}:{ref}")
    session.commit()
    try:
        transcript, transcript_error = read_transcript(settings.tracker_store_url, conversation.sender_id), None
    except TranscriptUnavailable:
        transcript, transcript_error = [], "La conversation n'a pas pu être lue (base des conversations indisponible)."
    held = takeover_store.open_for(session, sender_id=conversation.sender_id)
    return render(
        request,
        "conversation.html",
        {
            "conversation": conversation,
            "page_url": _page_url(kind, ref),
            "transcript": transcript,
            "transcript_error": transcript_error,
            "last_id": transcript[-1].id if transcript else 0,
            "held": held,
            "mine": held is not None and held.staff_id == member.id,
            "error": error,
            "draft": draft,
            "max_chars": takeovers.MAX_MESSAGE_CHARS,
            "handback_minutes": settings.handback_minutes,
        },
        status_code=status_code,
    )


@router.get("/{kind}/{ref}/messages")
def conversation_messages(
    *,
    kind: Kind,
    ref: int,
    member: Staff,
    session: DbSession,
    settings: SettingsDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> JSONResponse:
    """What was said after event ``after``, and who holds the conversation (the live view asks every second)."""
    conversation = conversation_of(session, member, kind, ref)
    held = takeover_store.open_for(session, sender_id=conversation.sender_id)
    try:
        turns = read_transcript(settings.tracker_store_url, conversation.sender_id, after=after, limit=200)
    except TranscriptUnavailable:
        return JSONResponse({"error": "La conversation n'a pas pu être lue."}, status_code=503)
    return JSONResponse(
        {
            "turns": [turn.as_json() for turn in turns],
            "held_by": held.staff.email if held is not None and held.staff is not None else None,
            "mine": held is not None and held.staff_id == member.id,
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/{kind}/{ref}/prendre")
def take_over(*, kind: Kind, ref: int, member: Staff, session: DbSession, settings: SettingsDep) -> Response:
    """Hold the conversation: the person is told, the assistant falls silent."""
    conversation = conversation_of(session, member, kind, ref)
    url = _page_url(kind, ref)
    try:
        takeovers.take_over(
            settings,
            session,
            member=member,
            sender_id=conversation.sender_id,
            channel=conversation.channel,
            volunteer_id=conversation.volunteer_id,
            handoff_id=conversation.handoff_id,
        )
    except takeover_store.AlreadyHeld:
        return redirect(f"{url}?err=held")
    except AssistantUnavailableError:
        return redirect(f"{url}?err=unreachable")
    except NotFoundError:
        return redirect(f"{url}?err=erased")
    return redirect(url, "Vous tenez la conversation : l'assistant se tait, la personne en est informée.")


@router.post("/{kind}/{ref}/message")
def send_message(
    *,
    request: Request,
    kind: Kind,
    ref: int,
    text: Annotated[str, Form()] = "",
    member: Staff,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """Send a message to the person, on their channel. With JavaScript: JSON; without: back to the page."""
    conversation = conversation_of(session, member, kind, ref)
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        takeovers.send(settings, session, member=member, sender_id=conversation.sender_id, text=text)
    except (InvalidDataError, NotFoundError, AssistantUnavailableError) as error:
        session.rollback()
        message = NOT_CONFIRMED if isinstance(error, AssistantUnavailableError) else _sentence(str(error))
        status = 503 if isinstance(error, AssistantUnavailableError) else 400
        if wants_json:
            return JSONResponse({"error": message}, status_code=status)
        return _render(
            request, session, settings, member, kind, ref, conversation, error=message, draft=text, status_code=status
        )
    if wants_json:
        return JSONResponse({"sent": True})
    return redirect(_page_url(kind, ref), "Message envoyé.")


@router.post("/{kind}/{ref}/rendre")
def hand_back(*, kind: Kind, ref: int, member: Staff, session: DbSession, settings: SettingsDep) -> Response:
    """Give the conversation back to the assistant; the person is told."""
    conversation = conversation_of(session, member, kind, ref)
    url = _page_url(kind, ref)
    held = takeover_store.open_for(session, sender_id=conversation.sender_id)
    if held is None:
        return redirect(url, "L'assistant tient déjà cette conversation.")
    try:
        takeovers.hand_back(settings, session, takeover=held, reason="staff", member=member)
    except InvalidDataError:
        return redirect(f"{url}?err=not_holder")
    except AssistantUnavailableError:
        return redirect(f"{url}?err=unreachable")
    return redirect(url, "L'assistant a repris la conversation ; la personne en est informée.")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
