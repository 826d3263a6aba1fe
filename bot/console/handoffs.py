"""The queue of people who asked to talk to someone, each with a link to their conversation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.console.deps import DbSession, SettingsDep, Staff, actor, redirect, render
from bot.console.transcript import TranscriptUnavailable, read_transcript
from bot.store import leads as lead_store
from bot.store import takeovers as takeover_store

router = APIRouter(prefix="/handoffs")


@router.get("")
def handoff_queue(*, request: Request, member: Staff, session: DbSession) -> Response:
    """Open requests, oldest first."""
    held = takeover_store.held(session)
    return render(request, "handoffs.html", {"rows": lead_store.open_handoffs(session), "held": held})


@router.get("/{request_id}")
def handoff_conversation(
    *,
    request: Request,
    request_id: int,
    member: Staff,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """The conversation behind a request (also for people who never gave a profile)."""
    handoff = lead_store.handoff(session, request_id=request_id)
    if handoff.volunteer_id is not None:
        return redirect(f"/console/leads/{handoff.volunteer_id}#conversation-title")
    lead_store.record_audit(session, actor=actor(member), action="view", subject=f"handoff:{handoff.id}")
    try:
        transcript, error = read_transcript(settings.tracker_store_url, handoff.sender_id), None
    except TranscriptUnavailable:
        transcript, error = [], "La conversation n'a pas pu être lue (base des conversations indisponible)."
    return render(request, "handoff.html", {"handoff": handoff, "transcript": transcript, "transcript_error": error})


@router.post("/{request_id}/traitee")
def handoff_done(*, request_id: int, member: Staff, session: DbSession) -> Response:
    """Mark a request as handled."""
    lead_store.close_handoff(session, request_id=request_id)
    lead_store.record_audit(
        session, actor=actor(member), action="status", subject=f"handoff:{request_id}", status="traitée"
    )
    session.commit()
    return redirect("/console/handoffs", "Demande marquée comme traitée.")
