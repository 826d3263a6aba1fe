"""Declines in the console: the dashboard counts them by reason, a lead's page lists them, the export has them."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.store import declines, volunteers
from bot.store.session import session_scope
from tests.bot.console.conftest import add_volunteer


@pytest.fixture(scope="module")
def lead(console_settings: Settings) -> int:
    """Lina declined two missions as too far, then one more in her own words, and asked for no more proposals."""
    url = console_settings.database_url
    lina = add_volunteer(url, sender_id="declines-lina", first_name="Lina")
    marc = add_volunteer(url, sender_id="declines-marc", first_name="Marc")
    with session_scope(url) as session:
        declines.give_reason(
            session, volunteer_id=marc, decline_ids=declines.record(session, volunteer_id=marc, mission_ids=["M001"]),
            reason="not_my_cause",
        )  # fmt: skip
        far = declines.record(session, volunteer_id=lina, mission_ids=["M001", "M002"])
        declines.give_reason(session, volunteer_id=lina, decline_ids=far, reason="too_far")
        words = declines.record(session, volunteer_id=lina, mission_ids=["M003"])
        declines.give_reason(session, volunteer_id=lina, decline_ids=words, reason="other", text="le soir seulement")
        volunteer = volunteers.find(session, channel="rest", sender_id="declines-lina")
        assert volunteer is not None
        declines.stop_proposals(session, volunteer=volunteer)
    return lina


def test_the_dashboard_counts_declines_by_reason_and_lists_the_most_declined_missions(
    coordinator: TestClient, lead: int
) -> None:
    page = coordinator.get("/console/")
    assert page.status_code == 200
    section = html.unescape(page.text.split('id="declines"', 1)[1].split("</section>", 1)[0])
    assert "Missions déclinées, par raison" in section
    bars = dict(_bars(section))
    assert (bars["Trop loin"], bars["Autre raison"], bars["Pas ma cause"]) == ("2", "1", "1")
    table = section.split('id="most-declined"', 1)[1]
    assert table.index("Préparation des colis alimentaires") < table.index("2 fois") < table.index("1 fois")


def _bars(svg: str) -> list[tuple[str, str]]:
    """(label, value) of each bar of a bar chart."""
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return list(zip(texts[0::2], texts[1::2], strict=False))


def test_a_leads_page_lists_their_declines_and_their_words_with_the_conversation(
    admin: TestClient, coordinator: TestClient, lead: int
) -> None:
    shown = html.unescape(admin.get(f"/console/leads/{lead}").text)
    declined = shown.split("Missions déclinées", 1)[1].split("</table>", 1)[0]
    assert declined.count("Trop loin") == 2 and "Autre raison" in declined
    assert "le soir seulement" in declined
    assert "Ne souhaite plus recevoir de propositions depuis le" in shown
    # a coordinator who does not follow Lina sees the reasons, not her words (like the conversation)
    hidden = html.unescape(coordinator.get(f"/console/leads/{lead}").text)
    assert "Trop loin" in hidden and "le soir seulement" not in hidden


def test_the_access_export_has_the_declines_and_the_opt_out(admin: TestClient, lead: int) -> None:
    data = admin.get(f"/console/leads/{lead}/export.json").json()
    assert sorted((d["mission_id"], d["reason"], d["text"]) for d in data["declines"]) == [
        ("M001", "too_far", None),
        ("M002", "too_far", None),
        ("M003", "other", "le soir seulement"),
    ]
    assert data["proposals_opt_out_at"] is not None
