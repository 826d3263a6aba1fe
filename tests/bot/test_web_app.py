"""The web app: health and the privacy notice every channel links to, served to a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.config import Settings
from bot.serve import running_web
from tests.conftest import free_port


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("web")
    settings = Settings(database_url=f"sqlite:///{folder / 'bot.db'}", web_port=free_port(), secret_key="test")
    with running_web(settings, log_dir=folder) as url:
        yield url


def test_privacy_notice_is_served_in_french(web: str, page: object) -> None:
    page.goto(f"{web}/confidentialite")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "Vos données personnelles"  # type: ignore[attr-defined]
    assert "24 mois" in page.content()  # type: ignore[attr-defined]


def test_unknown_page_is_a_404(web: str, page: object) -> None:
    response = page.goto(f"{web}/nulle-part")  # type: ignore[attr-defined]
    assert response.status == 404


def test_secret_key_is_created_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.config as config

    monkeypatch.setattr(config, "ROOT", tmp_path)
    first = config.secret_key(Settings())
    assert len(first) == 64 and config.secret_key(Settings()) == first
    assert config.secret_key(Settings(secret_key="fixed")) == b"fixed"


def test_make_run_says_how_to_create_the_first_console_account(sqlite_url: str) -> None:
    from bot.serve import first_account_hint
    from bot.store import staff
    from bot.store.session import session_scope

    settings = Settings(database_url=sqlite_url)
    assert "bot staff add" in first_account_hint(settings)
    with session_scope(sqlite_url) as session:
        staff.add(session, email="admin@exemple.fr", role="admin", password="un mot de passe solide")
    assert first_account_hint(settings) == ""


def test_while_the_assistant_is_down_health_says_so_and_the_bubble_is_reconnecting(
    page: object, tmp_path: Path
) -> None:
    """Nothing on the Rasa port (stopped, or being restarted): nobody is told it is there."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}", web_port=free_port(), rasa_port=free_port(),
                        action_endpoint=f"http://127.0.0.1:{free_port()}/webhook", secret_key="test")  # fmt: skip
    with running_web(settings, log_dir=tmp_path) as url:
        health = requests.get(f"{url}/health", timeout=10)
        assert health.status_code == 503 and health.json()["parts"]["rasa"] == "down"
        page.goto(f"{url}/")  # type: ignore[attr-defined]
        page.get_by_role("button", name="Discuter avec l'assistant bénévolat").click()  # type: ignore[attr-defined]
        panel = "document.querySelector('#entraide-widget').shadowRoot.querySelector('.panel')"
        page.wait_for_function(f"{panel}?.getAttribute('data-connection') === 'reconnecting'")  # type: ignore[attr-defined]
        status = page.evaluate(f"{panel}.querySelector('.status').textContent")  # type: ignore[attr-defined]
        assert status.startswith("Connexion perdue. Nouvelle tentative dans")
