"""The queue of people who asked to talk to someone, each with a link to their conversation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.console import access
from bot.console.conversations import lead_of
from bot.console.deps import DbSession, RowId, Staff, actor, redirect, render
from bot.store import leads as lead_store
from bot.store import takeovers as takeover_store

router = APIRouter(prefix="/handoffs")


@router.get("")
def handoff_queue(*, request: Request, member: Staff, session: DbSession) -> Response:
    """Open requests, oldest first."""
    held = takeover_store.held(session)
    return render(request, "handoffs.html", {"rows": lead_store.open_handoffs(session), "held": held})


@router.get("/{request_id}")
def handoff_conversation(*, request_id: RowId, member: Staff, session: DbSession) -> Response:
    """The conversation behind a request, live (the lead's page for a coordinator who does not follow the lead)."""
    handoff = lead_store.handoff(session, request_id=request_id)
    lead = lead_of(session, handoff)
    if lead is None:
        return redirect(f"/console/conversations/handoff/{handoff.id}")
    if access.sees_contact_of(session, member, volunteer_id=lead):
        return redirect(f"/console/conversations/lead/{lead}")
    return redirect(f"/console/leads/{lead}#conversation-title")


@router.post("/{request_id}/traitee")
def handoff_done(*, request_id: RowId, member: Staff, session: DbSession) -> Response:
    """Mark a request as handled."""
    lead_store.close_handoff(session, request_id=request_id)
    lead_store.record_audit(
        session, actor=actor(member), action="status", subject=f"handoff:{request_id}", status="traitée"
    )
    session.commit()
    return redirect("/console/handoffs", "Demande marquée comme traitée.")
