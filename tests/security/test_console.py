"""The staff console attacked from outside: login lockout under concurrency, enumeration of staff
e-mails, replayed session cookies."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.serve import running_web
from bot.store import models, staff
from bot.store.session import session_scope
from bot.web import create_app
from tests.bot.console.conftest import (
    ADMIN,
    COORDINATOR,
    csrf_of,
    login,
    make_settings,
    seed_staff,
)
from tests.conftest import free_port

ATTEMPTS = 30

# --------------------------------------------------------------------------- 1. lockout under concurrency


@pytest.fixture()
def two_web_processes(database_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two web processes on one database (SQLite or PostgreSQL), as with several workers in production."""
    seed_staff(database_url)
    settings = Settings(
        database_url=database_url,
        tracker_store_url=f"sqlite:///{tmp_path / 'tracker.db'}",
        secret_key="lockout-test-secret",
        web_port=free_port(),
    )
    second_logs = tmp_path / "second"
    second_logs.mkdir()
    with (
        running_web(settings, log_dir=tmp_path) as first,
        running_web(replace(settings, web_port=free_port()), log_dir=second_logs) as second,
    ):
        yield [first, second]


def _login_form(client: httpx.Client) -> str:
    return csrf_of(client.get("/console/login").text)


def test_thirty_concurrent_wrong_passwords_lock_the_account(two_web_processes: list[str], database_url: str) -> None:
    clients = [httpx.Client(base_url=two_web_processes[n % 2], timeout=60) for n in range(ATTEMPTS)]
    tokens = [_login_form(client) for client in clients]
    start = threading.Barrier(ATTEMPTS)

    def attempt(n: int) -> int:
        form = {"email": ADMIN[0], "password": f"faux-{n}", "csrf_token": tokens[n], "next": "/console/"}
        start.wait()  # every request leaves at once
        return clients[n].post("/console/login", data=form).status_code

    try:
        with ThreadPoolExecutor(ATTEMPTS) as pool:
            statuses = list(pool.map(attempt, range(ATTEMPTS)))
        assert statuses == [401] * ATTEMPTS
        with httpx.Client(base_url=two_web_processes[0], timeout=60) as client:
            form = {"email": ADMIN[0], "password": ADMIN[1], "csrf_token": _login_form(client), "next": "/console/"}
            assert client.post("/console/login", data=form).status_code == 401  # the right password is refused
    finally:
        for client in clients:
            client.close()
    with session_scope(database_url) as session:
        member = staff.find_by_email(session, email=ADMIN[0])
        assert member.locked_until is not None and staff._aware(member.locked_until) > models.utcnow()


# --------------------------------------------------------------------------- 2. no e-mail enumeration


@pytest.fixture()
def fresh(tmp_path: Path) -> Iterator[TestClient]:
    """The web app on a database of its own, with one admin and one coordinator."""
    settings = make_settings(tmp_path)
    seed_staff(settings.database_url)
    with TestClient(create_app(settings)) as client:
        client.settings = settings  # type: ignore[attr-defined]
        yield client


@pytest.fixture()
def hash_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification the app runs, recorded (and still run)."""
    calls: list[str] = []
    original = PasswordHasher.verify

    def verify(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append(str(password))
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    return calls


def _refusal(client: TestClient, email: str, password: str) -> tuple[int, str]:
    form = {"email": email, "password": password, "csrf_token": csrf_of(client.get("/console/login").text)}
    response = client.post("/console/login", data=dict(form, next="/console/"), follow_redirects=False)
    page = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value="TOKEN"', response.text)
    return response.status_code, page.replace(email, "EMAIL")


def test_unknown_locked_and_wrong_password_get_the_same_answer_after_the_same_work(
    fresh: TestClient, hash_checks: list[str]
) -> None:
    unknown = _refusal(fresh, "personne@entraide.test", "un-essai-1")
    wrong = _refusal(fresh, COORDINATOR[0], "un-essai-2")
    for n in range(staff.MAX_FAILED_LOGINS):
        _refusal(fresh, ADMIN[0], f"faux-{n}")
    hash_checks.clear()
    locked = _refusal(fresh, ADMIN[0], "un-essai-3")
    locked_right = _refusal(fresh, ADMIN[0], ADMIN[1])
    assert wrong[0] == 401
    assert unknown == wrong == locked == locked_right
    assert hash_checks == ["un-essai-3", ADMIN[1]]  # a hash is verified even when the account is locked


def test_every_login_attempt_verifies_one_hash(fresh: TestClient, hash_checks: list[str]) -> None:
    attempts = [("personne@entraide.test", "a-1"), (COORDINATOR[0], "a-2"), (COORDINATOR[0], COORDINATOR[1])]
    for email, password in attempts:
        _refusal(fresh, email, password)
    assert hash_checks == ["a-1", "a-2", COORDINATOR[1]]


# --------------------------------------------------------------------------- 3. sessions end on the server


def _replay(fresh: TestClient, cookie: str) -> int:
    with TestClient(fresh.app) as thief:  # type: ignore[arg-type]
        thief.cookies.set("console_session", cookie, path="/console")
        return thief.get("/console/leads", follow_redirects=False).status_code


def test_a_cookie_copied_before_logout_is_refused_after_it(fresh: TestClient) -> None:
    login(fresh, *COORDINATOR)
    stolen = fresh.cookies["console_session"]
    assert _replay(fresh, stolen) == 200
    page = fresh.get("/console/leads")
    assert fresh.post("/console/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 200
    assert _replay(fresh, stolen) == 303


def test_logout_with_an_old_cookie_does_not_end_the_current_sessions(fresh: TestClient) -> None:
    login(fresh, *COORDINATOR)
    old = fresh.cookies["console_session"]
    old_csrf = csrf_of(fresh.get("/console/leads").text)
    fresh.post("/console/logout", data={"csrf_token": old_csrf})
    login(fresh, *COORDINATOR)
    current = fresh.cookies["console_session"]
    with TestClient(fresh.app) as thief:  # type: ignore[arg-type]
        thief.cookies.set("console_session", old, path="/console")
        thief.post("/console/logout", data={"csrf_token": old_csrf})
    assert _replay(fresh, current) == 200


def test_a_deleted_account_or_a_new_password_ends_its_sessions(fresh: TestClient) -> None:
    url = fresh.settings.database_url  # type: ignore[attr-defined]
    login(fresh, *COORDINATOR)
    cookie = fresh.cookies["console_session"]
    with session_scope(url) as session:
        staff.add(session, email=COORDINATOR[0], role="coordinator", password="un-nouveau-mot-de-passe")
    assert _replay(fresh, cookie) == 303
    login(fresh, COORDINATOR[0], "un-nouveau-mot-de-passe")
    cookie = fresh.cookies["console_session"]
    with session_scope(url) as session:
        staff.delete(session, staff_id=staff.find_by_email(session, email=COORDINATOR[0]).id)
    assert _replay(fresh, cookie) == 303
