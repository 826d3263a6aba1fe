"""'Mes notifications': what each staff member receives by e-mail; and the notice of e-mails that wait.

The notice (``_outbox_notice.html``, on the dashboard and the handoff queue) calls
:func:`waiting_notice` from the template, so the pages showing it need nothing in their routes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.console.deps import TEMPLATES, DbSession, SettingsDep, Staff, redirect, render
from bot.store import outbox
from bot.store.session import session_scope

router = APIRouter(prefix="/notifications")


@router.get("")
def notifications_page(*, request: Request, member: Staff, settings: SettingsDep) -> Response:
    """The staff member's choices, and whether e-mail is configured at all."""
    return render(request, "notifications.html", {"member": member, "configured": bool(settings.smtp_host)})


@router.post("")
def notifications_save(
    *,
    handoffs: Annotated[bool, Form()] = False,
    digest: Annotated[bool, Form()] = False,
    missions: Annotated[bool, Form()] = False,
    member: Staff,
    session: DbSession,
) -> Response:
    """Save what the staff member chose (an unticked box is absent from the form: off)."""
    outbox.choose(session, staff_id=member.id, handoffs=handoffs, digest=digest, missions=missions)
    session.commit()
    return redirect("/console/notifications", "Vos choix de notifications sont enregistrés.")


def waiting_notice(request: Request) -> outbox.Waiting | None:
    """The e-mails that failed and wait to be sent again, for the notice; None when there are none."""
    with session_scope(request.app.state.settings.database_url) as session:
        return outbox.waiting(session)


TEMPLATES.env.globals["outbox_waiting"] = waiting_notice
