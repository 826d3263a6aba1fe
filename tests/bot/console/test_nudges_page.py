"""The console's 'Relances' page and the lead page's "stop relances" line."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from bot.config import Settings
from bot.store import models, nudges
from bot.store.session import session_scope
from tests.bot.console.conftest import add_volunteer


def test_the_page_lists_recent_nudges_with_their_channels_and_counts_and_a_lead_shows_the_opt_out(
    coordinator: TestClient, console_settings: Settings
) -> None:
    url = console_settings.database_url
    lina = add_volunteer(url, sender_id="nudges-lina", first_name="Lina", channel="telegram")
    sacha = add_volunteer(url, sender_id="web-nudges-sacha", first_name="Sacha", channel="web")
    now = models.utcnow()
    with session_scope(url) as session:
        nudges.record(
            session, kind="inactive", channel="telegram", sender_id="nudges-lina", volunteer_id=lina,
            mission_id="M001", via=["telegram", "email"], at=now,
        )  # fmt: skip
        nudges.record(session, kind="unfinished_profile", channel="web", sender_id="web-anon", via=["web"], at=now)
        nudges.stop(session, channel="web", sender_id="web-quiet", now=now)  # a marker: not listed
        nudges.stop(session, channel="web", sender_id="web-nudges-sacha", now=now)
    page = coordinator.get("/console/relances")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'href="/console/relances" aria-current="page">Relances' in text
    rows = text.split('id="nudges"', 1)[1]
    assert f'<a href="/console/leads/{lina}">Lina</a>' in rows and "Telegram, E-mail" in rows
    assert "Sans profil" in rows and "Bulle du site" in rows
    assert rows.count("<tr><td>") == 2
    counts = text.split('id="nudge-counts"', 1)[1].split("</table>", 1)[0]
    assert "<td>Suggestion après un long silence</td><td>1</td>" in counts
    assert "<td>Inscription pas finie</td><td>1</td>" in counts
    assert "<td>Avis avant suppression des données</td><td>0</td>" in counts
    assert "1 bénévole a demandé à ne plus être relancé." in text
    lead = html.unescape(coordinator.get(f"/console/leads/{sacha}").text)
    assert "A demandé à ne plus être relancé le" in lead and "les rappels de ses créneaux continuent" in lead
    assert "ne plus être relancé" not in html.unescape(coordinator.get(f"/console/leads/{lina}").text)
