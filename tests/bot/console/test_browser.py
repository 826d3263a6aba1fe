"""A coordinator's morning in a real browser (Debian Chromium through Playwright) against the web app
started as `bot serve` starts it: log in, filter leads, open one, change its status, export CSV,
create a mission, see the alert list. No JavaScript is needed, and a volunteer's <script> never runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.profile import TimeSlot
from bot.serve import running_web
from tests.bot.console.conftest import BRON, COORDINATOR, XSS, add_volunteer, make_settings, seed_missions, seed_staff
from tests.conftest import free_port


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    settings: Settings = make_settings(folder, web_port=free_port())
    seed_staff(settings.database_url)
    seed_missions(settings.database_url, settings)
    add_volunteer(settings.database_url, sender_id="julie", first_name="Julie", skills=("cooking",))
    add_volunteer(settings.database_url, sender_id="tg-1", first_name=XSS, place=BRON, skills=("driving",),
                  availability=(TimeSlot("tuesday", "evening"),), channel="telegram")  # fmt: skip
    with running_web(settings, log_dir=folder) as url:
        yield url


def test_a_coordinators_morning(web: str, page: Any, tmp_path: Path) -> None:
    dialogs: list[str] = []

    def dismissed(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismissed)
    page.goto(f"{web}/console/leads")
    assert page.locator("h1").inner_text() == "Connexion"
    page.fill("#email", COORDINATOR[0])
    page.fill("#password", COORDINATOR[1])
    page.click("button:has-text('Se connecter')")
    assert page.locator("h1").inner_text() == "Candidats"
    assert page.locator("#total").inner_text() == "2 candidats"
    assert XSS in page.locator("#leads").inner_text()  # shown as text, never run

    page.select_option("#skill", "driving")
    page.click("button:has-text('Filtrer')")
    assert page.locator("#total").inner_text() == "1 candidat"
    assert "skill=driving" in page.url

    with page.expect_download() as download_info:
        page.click("text=Exporter en CSV")
    saved = tmp_path / "export.csv"
    download_info.value.save_as(saved)
    exported = saved.read_text(encoding="utf-8-sig")
    assert exported.splitlines()[0].startswith("Identifiant;Prénom;E-mail")
    assert XSS in exported and "Julie" not in exported

    page.click(f"#leads a:has-text('{XSS}')")
    assert page.locator("h1").inner_text().startswith(XSS)
    page.click("button:has-text('Passer à « Contacté »')")
    assert page.locator(".flash").inner_text() == "Statut : Contacté."
    assert "Contacté" in page.locator("h1 .badge").inner_text()

    page.click("nav >> text=Missions")
    page.click("text=Nouvelle mission")
    page.fill("#id", "M777")
    page.fill("#title", "Maraude du mardi soir")
    page.fill("#town", "Bron")
    page.fill("#places", "4")
    page.check("input[name=skills][value=driving]")
    page.check("input[name=schedule][value='tuesday:evening']")
    page.click("button:has-text('Créer la mission')")
    assert page.locator(".flash").inner_text() == "Mission créée."
    assert "Bron (69500)" in page.content()
    assert XSS in page.locator("#suggestions").inner_text()  # the Bron driver is suggested

    page.click("nav >> text=Besoin de bénévoles")
    assert page.locator("h1").inner_text() == "Besoin de bénévoles"
    row = page.locator("tr", has_text="Maraude du mardi soir")
    assert row.count() == 1 and "4" in row.inner_text()
    assert dialogs == []


def test_console_works_without_javascript(web: str, browser: Any) -> None:
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(f"{web}/console/login")
        tab.fill("#email", COORDINATOR[0])
        tab.fill("#password", COORDINATOR[1])
        tab.click("button:has-text('Se connecter')")
        assert tab.locator("h1").inner_text() == "Tableau de bord"
        tab.goto(f"{web}/console/leads?skill=cooking")
        assert tab.locator("#total").inner_text() == "1 candidat"
    finally:
        context.close()
