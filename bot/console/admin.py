"""Admins only: staff accounts, the audit log, the export of everything."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.console.deps import Admin, DbSession, RowId, actor, download, redirect, render
from bot.errors import InvalidDataError
from bot.store import leads as lead_store
from bot.store import staff as staff_store
from bot.store import volunteers as volunteer_store

router = APIRouter(prefix="/admin")


@router.get("/staff")
def staff_page(*, request: Request, member: Admin, session: DbSession) -> Response:
    """Staff accounts, and the form to add one."""
    return render(request, "staff.html", {"members": staff_store.all_members(session), "error": None})


@router.post("/staff")
def staff_add(
    *,
    request: Request,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    member: Admin,
    session: DbSession,
) -> Response:
    """Create an account (or reset its password and role)."""
    try:
        added = staff_store.add(session, email=email, role=role, password=password)
    except InvalidDataError as error:
        session.rollback()
        message = str(error)
        return render(
            request,
            "staff.html",
            {"members": staff_store.all_members(session), "error": message[:1].upper() + message[1:]},
            400,
        )
    lead_store.record_audit(session, actor=actor(member), action="staff", subject=f"staff:{added.id}", role=role)
    session.commit()
    return redirect("/console/admin/staff", "Compte enregistré.")


@router.post("/staff/{staff_id}/supprimer")
def staff_delete(*, staff_id: RowId, member: Admin, session: DbSession) -> Response:
    """Remove an account (never one's own)."""
    if staff_id == member.id:
        raise InvalidDataError("vous ne pouvez pas supprimer votre propre compte")
    staff_store.delete(session, staff_id=staff_id)
    lead_store.record_audit(session, actor=actor(member), action="staff", subject=f"staff:{staff_id}", change="delete")
    session.commit()
    return redirect("/console/admin/staff", "Compte supprimé.")


@router.get("/audit")
def audit_page(
    *,
    request: Request,
    page: int = 1,
    member: Admin,
    session: DbSession,
) -> Response:
    """Who viewed, exported, changed or erased what, and when."""
    page = max(1, min(page, 1_000_000))
    entries, total = lead_store.audit_entries(session, page=page)
    emails = {m.id: m.email for m in staff_store.all_members(session)}
    return render(
        request,
        "audit.html",
        {"entries": entries, "total": total, "page": page, "pages": max(1, -(-total // 100)), "emails": emails},
    )


@router.get("/export.json")
def export_everything(*, member: Admin, session: DbSession) -> Response:
    """Every stored volunteer (the ``bot volunteers export`` format), as a JSON download."""
    rows = volunteer_store.export(session)
    lead_store.record_audit(session, actor=actor(member), action="export", subject="volunteers:all", rows=len(rows))
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return download(
        json.dumps(rows, ensure_ascii=False, indent=2),
        filename=f"benevoles-{stamp}.json",
        media_type="application/json",
    )
