"""What an outside review tried against the notifications, kept as tests: one recipient per e-mail,
no marker read from free text, first names shown on one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import BotError, InvalidDataError
from bot.serve import rasa_server
from bot.store import outbox, staff
from bot.store.migrate import upgrade
from bot.store.session import session_scope
from tests.bot.console.conftest import add_volunteer

CONSOLE = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "address", ["x@a.test, victim@evil.test", "y@a.test\nBcc: victim@evil.test", "x@a.test;v@evil.test", "x y@a.test"]
)
def test_a_staff_account_has_one_address(database_url: str, address: str) -> None:
    """A comma made every notification go to an outside address too."""
    upgrade(database_url)
    with session_scope(database_url) as session, pytest.raises(InvalidDataError, match="une seule adresse"):
        staff.add(session, email=address, role="coordinator", password="password-long-1")


def test_free_text_cannot_name_a_lead(database_url: str) -> None:
    """A mission titled with a marker pulled any lead's first name into the e-mail to every staff member."""
    upgrade(database_url)
    lead = add_volunteer(database_url, sender_id="hostile-1", first_name="Secrète")
    title = outbox.literal(f"Evil {outbox.first_name_of(lead)} {outbox.CONSOLE}")
    with session_scope(database_url) as session:
        shown = outbox.render(session, f"Mission : {title}", console_url=CONSOLE)
    assert "Secrète" not in shown and CONSOLE not in shown


def test_a_first_name_is_shown_on_one_line_and_brings_nothing_in(database_url: str) -> None:
    upgrade(database_url)
    lead = add_volunteer(
        database_url, sender_id="hostile-2", first_name="Eve\r\nURGENT: [[console]]/x\u202e" + "e" * 30
    )
    with session_scope(database_url) as session:
        shown = outbox.render(session, f"Bonjour {outbox.first_name_of(lead)} !", console_url=CONSOLE)
    assert "\n" not in shown and "\u202e" not in shown and CONSOLE not in shown
    assert shown.startswith("Bonjour Eve URGENT: [[console]]/x") and len(shown) <= len("Bonjour  !") + 60


@pytest.mark.parametrize("hour", [-1, 24, 25])
def test_a_digest_hour_that_never_comes_stops_bot_serve_politely(hour: int, tmp_path: Path) -> None:
    with pytest.raises(BotError, match="DIGEST_HOUR vaut"):
        rasa_server(Settings(digest_hour=hour), tmp_path / "model.tar.gz")
