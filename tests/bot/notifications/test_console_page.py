"""'Mes notifications': each staff member ticks what they receive; the page says when e-mail is not configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.store import staff
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.console.conftest import csrf_of, login
from tests.bot.notifications.conftest import COORDINATOR, add_staff, mail_settings

PASSWORD = "a-long-password-1"


@pytest.fixture()
def page_settings(sqlite_url: str) -> Settings:
    """A coordinator's account on a fresh database, e-mail not configured."""
    add_staff(sqlite_url, COORDINATOR, "coordinator")
    return mail_settings(sqlite_url, 25, smtp_host="", secret_key="notifications-test-secret")


@pytest.fixture()
def coordinator(page_settings: Settings) -> Iterator[TestClient]:
    """The coordinator, logged in."""
    with TestClient(create_app(page_settings), base_url="http://testserver") as client:
        yield login(client, COORDINATOR, PASSWORD)


def _choices(url: str) -> tuple[bool, bool, bool]:
    with session_scope(url) as session:
        member = staff.find_by_email(session, email=COORDINATOR)
        assert member is not None
        return bool(member.notify_handoffs), bool(member.notify_digest), bool(member.notify_missions)


def test_the_choices_are_saved_and_shown_again(coordinator: TestClient, page_settings: Settings) -> None:
    page = coordinator.get("/console/").text
    assert '<a href="/console/notifications"' in page
    page = coordinator.get("/console/notifications").text
    assert "L'envoi d'e-mails n'est pas configuré" in page
    assert page.count("checked") == 3

    response = coordinator.post(
        "/console/notifications", data={"csrf_token": csrf_of(page), "digest": "1"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert _choices(page_settings.database_url) == (False, True, False)
    assert coordinator.get("/console/notifications").text.count("checked") == 1


def test_a_form_without_its_token_is_refused(coordinator: TestClient, page_settings: Settings) -> None:
    response = coordinator.post("/console/notifications", data={"digest": "1"})
    assert response.status_code == 403
    assert "Formulaire refusé" in response.text
    assert _choices(page_settings.database_url) == (True, True, True)


def test_with_smtp_configured_the_page_does_not_warn(page_settings: Settings) -> None:
    with TestClient(
        create_app(mail_settings(page_settings.database_url, 25, secret_key="s")), base_url="http://t"
    ) as c:
        login(c, COORDINATOR, PASSWORD)
        assert "n'est pas configuré" not in c.get("/console/notifications").text
