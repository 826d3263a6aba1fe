"""The web app's own background loop sends a handoff e-mail within BACKGROUND_SECONDS (the real web app process)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from bot.config import Settings, get_settings
from bot.onboarding import request_handoff
from bot.serve import running_web
from tests.bot.notifications.conftest import ADMIN, PUBLIC_URL, SmtpServer, add_staff
from tests.conftest import free_port


def test_the_running_web_app_sends_a_handoff_email_by_itself(
    settings: Settings, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = replace(
        settings,
        web_port=free_port(),
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_tls="none",
        public_url=PUBLIC_URL,
        background_seconds=1,
    )
    add_staff(web.database_url, ADMIN)
    monkeypatch.setenv("DATABASE_URL", web.database_url)  # the action server's side: this process
    get_settings.cache_clear()
    try:
        with running_web(web):
            started = time.monotonic()
            request_handoff(channel="rest", sender_id="quelqu-un")
            received = smtp_server.wait_for(1, timeout=15)
            elapsed = time.monotonic() - started
    finally:
        get_settings.cache_clear()
    assert [email["To"] for email in received] == [ADMIN]
    assert f"{PUBLIC_URL}/console/handoffs/" in received[0].get_content()
    assert elapsed < 5, elapsed
