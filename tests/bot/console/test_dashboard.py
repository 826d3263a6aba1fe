"""The dashboard: the funnel per week and per channel, and the drop-off per profile question, as SVG."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.console import charts
from bot.console.funnel import compute, week_of
from bot.missions import Proposal
from bot.store import leads, models, volunteers
from bot.store.session import session_scope
from tests.bot.console.conftest import add_volunteer, record_conversation

NOW = datetime.now(timezone.utc)
LAST_WEEK = NOW - timedelta(days=7)


@pytest.fixture(scope="module")
def activity(console_settings: Settings) -> None:
    """Five conversations: two stop at a profile question, three save a profile; one volunteer goes all the way."""
    from rasa.shared.core.events import SlotSet, UserUttered

    def said(when: datetime, channel: str) -> UserUttered:
        return UserUttered(
            "bonjour", {"name": "greet", "confidence": 1.0}, input_channel=channel, timestamp=when.timestamp()
        )

    def slot(name: str, value: object, when: datetime) -> SlotSet:
        return SlotSet(name, value, timestamp=when.timestamp())

    store = console_settings.tracker_store_url
    record_conversation(
        store,
        "stops-at-place",
        [
            said(NOW, "rest"),
            slot("consent", "given", NOW),
            slot("requested_slot", "first_name", NOW),
            slot("requested_slot", "place", NOW),
        ],
    )
    record_conversation(
        store,
        "stops-at-skills",
        [said(LAST_WEEK, "web"), slot("consent", "given", LAST_WEEK), slot("requested_slot", "skills", LAST_WEEK)],
    )
    for sender, channel in (("done-1", "rest"), ("done-2", "rest"), ("done-3", "telegram")):
        record_conversation(
            store,
            sender,
            [
                said(NOW, channel),
                slot("consent", "given", NOW),
                slot("requested_slot", "contact", NOW),
                slot("requested_slot", None, NOW),
                slot("profile_status", "saved", NOW),
            ],
        )
    url = console_settings.database_url
    ids = [add_volunteer(url, sender_id=s, first_name="Dana", channel=c)
           for s, c in (("done-1", "rest"), ("done-2", "rest"), ("done-3", "telegram"))]  # fmt: skip
    with session_scope(url) as session:
        first, second = (session.get(models.Volunteer, i) for i in ids[:2])
        volunteers.record_proposals(session, volunteer=first, proposals=[_proposal("M001")])
        volunteers.record_proposals(session, volunteer=second, proposals=[_proposal("M001")])
        volunteers.record_application(session, volunteer=first, mission_id="M001")
        for status in ("contacté", "entretien", "actif"):
            leads.change_status(session, volunteer_id=first.id, status=status)
    # fmt: skip


def _proposal(mission_id: str) -> Proposal:
    return Proposal(mission_id=mission_id, title="t", score=1.0, reasons=("r",))


def test_funnel_counts_each_stage(console_settings: Settings, activity: None) -> None:
    with session_scope(console_settings.database_url) as session:
        funnel = compute(session, console_settings.tracker_store_url, weeks=4)
    assert funnel.totals == {
        "started": 5, "consented": 5, "profile": 3, "proposed": 2, "interested": 1, "contacted": 1, "active": 1,
    }  # fmt: skip
    assert funnel.by_week["started"][week_of(NOW)] == 4
    assert funnel.by_week["started"][week_of(LAST_WEEK)] == 1
    assert funnel.by_channel["started"] == {"rest": 3, "web": 1, "telegram": 1}
    assert funnel.by_channel["profile"] == {"rest": 2, "telegram": 1}
    assert dict(funnel.dropoff) == {"first_name": 0, "age_group": 0, "place": 1, "skills": 1,
                                    "availability": 0, "causes": 0, "contact": 0}  # fmt: skip


def test_older_activity_is_outside_the_window(console_settings: Settings, activity: None) -> None:
    with session_scope(console_settings.database_url) as session:
        funnel = compute(session, console_settings.tracker_store_url, weeks=1)
    assert funnel.totals["started"] == 4 and len(funnel.weeks) == 1


def test_dashboard_page_draws_svg_charts(coordinator: TestClient, activity: None) -> None:
    page = coordinator.get("/console/?semaines=4")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 4  # funnel, weekly, one per channel, drop-off
    funnel = page.text.split('id="funnel"', 1)[1].split("</section>", 1)[0]
    assert re.search(r"Conversations commencées</text><rect[^>]*/><text[^>]*>5</text>", funnel)
    assert re.search(r"Bénévoles actifs</text><rect[^>]*/><text[^>]*>1 \(20 %\)</text>", funnel)
    dropoff = page.text.split('id="dropoff"', 1)[1].split("</section>", 1)[0]
    assert re.search(r"Commune</text><rect[^>]*/><text[^>]*>1</text>", dropoff)
    assert "Telegram" in page.text and "Site web (bulle)" in page.text
    assert "<script" not in page.text  # server-rendered, no JavaScript


def test_dashboard_survives_an_unreadable_tracker_store(coordinator: TestClient, app: Any) -> None:
    settings = app.state.settings
    app.state.settings = Settings(
        **{**settings.__dict__, "tracker_store_url": "postgresql+psycopg2://nobody@127.0.0.1:1/none"}
    )
    try:
        page = coordinator.get("/console/")
    finally:
        app.state.settings = settings
    assert page.status_code == 200 and "La base des conversations est indisponible" in page.text


def test_chart_labels_are_escaped() -> None:
    svg = charts.bar_chart([("<b>x</b>", 3)], title="t & <u>")
    assert "&lt;b&gt;x&lt;/b&gt;" in svg and "<b>" not in svg and "t &amp; &lt;u&gt;" in svg
