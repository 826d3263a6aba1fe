"""A coordinator's morning in a real browser (Debian Chromium through Playwright) against the web app
started as `bot serve` starts it: log in, filter leads, open one, change its status, export CSV,
create a mission, see the alert list. No JavaScript is needed, and a volunteer's <script> never runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


def test_a_coordinators_morning(web: str, page: object, tmp_path: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    page.goto(f"{web}/console/leads")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "Connexion"  # type: ignore[attr-defined]
    page.fill("#email", COORDINATOR[0])  # type: ignore[attr-defined]
    page.fill("#password", COORDINATOR[1])  # type: ignore[attr-defined]
    page.click("button:has-text('Se connecter')")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "Candidats"  # type: ignore[attr-defined]
    assert page.locator("#total").inner_text() == "2 candidats"  # type: ignore[attr-defined]
    assert XSS in page.locator("#leads").inner_text()  # shown as text, never run  # type: ignore[attr-defined]

    page.select_option("#skill", "driving")  # type: ignore[attr-defined]
    page.click("button:has-text('Filtrer')")  # type: ignore[attr-defined]
    assert page.locator("#total").inner_text() == "1 candidat"  # type: ignore[attr-defined]
    assert "skill=driving" in page.url  # type: ignore[attr-defined]

    with page.expect_download() as download_info:  # type: ignore[attr-defined]
        page.click("text=Exporter en CSV")  # type: ignore[attr-defined]
    saved = tmp_path / "export.csv"
    download_info.value.save_as(saved)
    exported = saved.read_text(encoding="utf-8-sig")
    assert exported.splitlines()[0].startswith("Identifiant;Prénom;E-mail")
    assert XSS in exported and "Julie" not in exported

    page.click(f"#leads a:has-text('{XSS}')")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text().startswith(XSS)  # type: ignore[attr-defined]
    page.click("button:has-text('Passer à « Contacté »')")  # type: ignore[attr-defined]
    assert page.locator(".flash").inner_text() == "Statut : Contacté."  # type: ignore[attr-defined]
    assert "Contacté" in page.locator("h1 .badge").inner_text()  # type: ignore[attr-defined]

    page.click("nav >> text=Missions")  # type: ignore[attr-defined]
    page.click("text=Nouvelle mission")  # type: ignore[attr-defined]
    page.fill("#id", "M777")  # type: ignore[attr-defined]
    page.fill("#title", "Maraude du mardi soir")  # type: ignore[attr-defined]
    page.fill("#town", "Bron")  # type: ignore[attr-defined]
    page.fill("#places", "4")  # type: ignore[attr-defined]
    page.check("input[name=skills][value=driving]")  # type: ignore[attr-defined]
    page.check("input[name=schedule][value='tuesday:evening']")  # type: ignore[attr-defined]
    page.click("button:has-text('Créer la mission')")  # type: ignore[attr-defined]
    assert page.locator(".flash").inner_text() == "Mission créée."  # type: ignore[attr-defined]
    assert "Bron (69500)" in page.content()  # type: ignore[attr-defined]
    assert XSS in page.locator("#suggestions").inner_text()  # the Bron driver is suggested  # type: ignore[attr-defined]

    page.click("nav >> text=Besoin de bénévoles")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "Besoin de bénévoles"  # type: ignore[attr-defined]
    row = page.locator("tr", has_text="Maraude du mardi soir")  # type: ignore[attr-defined]
    assert row.count() == 1 and "4" in row.inner_text()
    assert dialogs == []


def test_console_works_without_javascript(web: str, browser: object) -> None:
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)  # type: ignore[attr-defined]
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
