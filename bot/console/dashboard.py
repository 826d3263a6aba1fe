"""The dashboard: the funnel per week and per channel, the drop-off per profile question, why missions are declined."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.console.charts import bar_chart, grouped_columns
from bot.console.deps import DbSession, SettingsDep, Staff, render
from bot.console.forms import CHANNELS
from bot.console.funnel import QUESTIONS, STAGES, compute
from bot.store import declines as decline_store
from bot.store import leads as lead_store
from bot.store import staffing

router = APIRouter()


@router.get("/")
def dashboard_page(*, request: Request, member: Staff, session: DbSession, settings: SettingsDep) -> Response:
    """Where things stand this morning: what needs attention, then the funnel, then why missions are declined."""
    weeks = request.query_params.get("semaines", "8")
    span = int(weeks) if weeks.isascii() and weeks.isdigit() and 1 <= int(weeks) <= 52 else 8
    funnel = compute(session, settings.tracker_store_url, weeks=span)
    labels = dict(STAGES)
    week_labels = [week.strftime("%d/%m") for week in funnel.weeks]
    channel_charts = [
        (CHANNELS.get(channel, channel), bar_chart(
            [(labels[stage], funnel.by_channel[stage].get(channel, 0)) for stage, _ in STAGES],
            title=f"Entonnoir, canal {CHANNELS.get(channel, channel)}", width=560,
        ))
        for channel in funnel.channels
    ]  # fmt: skip
    since = datetime.combine(funnel.weeks[0], datetime.min.time(), tzinfo=timezone.utc)
    by_reason = decline_store.counts_by_reason(session, since=since)
    return render(
        request,
        "dashboard.html",
        {
            "funnel": funnel,
            "span": span,
            "stages": STAGES,
            "week_labels": week_labels,
            "funnel_chart": bar_chart(
                [(label, funnel.totals[stage]) for stage, label in STAGES],
                title=f"Entonnoir des {span} dernières semaines",
            ),
            "weekly_chart": grouped_columns(
                week_labels,
                [(labels[stage], list(funnel.by_week[stage].values())) for stage in ("started", "profile", "active")],
                title="Par semaine : conversations, profils complets, bénévoles actifs",
            ),
            "channel_charts": channel_charts,
            "dropoff_chart": bar_chart(
                [(label, dict(funnel.dropoff).get(key, 0)) for key, label in QUESTIONS],
                title="Profils abandonnés, par dernière question posée",
                show_share=False,
            ),
            "declines_total": sum(by_reason.values()),
            "declines_chart": bar_chart(
                [(label, by_reason.get(reason, 0)) for reason, label in decline_store.REASON_LABELS.items()],
                title="Missions déclinées, par raison",
                show_share=False,
            ),
            "most_declined": decline_store.most_declined(session, since=since),
            "handoffs": len(lead_store.open_handoffs(session)),
            "new_leads": lead_store.search(session, filters=lead_store.LeadFilter(status="nouveau", per_page=1)).total,
            "needs": len(staffing.needing_volunteers(session)),
        },
    )
