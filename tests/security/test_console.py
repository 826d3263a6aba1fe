"""The staff console and the web app attacked from outside: login lockout under concurrency,
enumeration of staff e-mails, replayed session cookies, coordinators reaching contact details
they do not follow, and security headers on every public route."""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.serve import running_web
from bot.store import leads as lead_store
from bot.store import models, staff
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.console.conftest import (
    ADMIN,
    COORDINATOR,
    add_volunteer,
    csrf_of,
    login,
    make_settings,
    member_of,
    seed_staff,
)
from tests.conftest import free_port

ATTEMPTS = 30
OTHER_COORDINATOR = ("autre@entraide.test", "autre-password-1")

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
        member = member_of(session, ADMIN[0])
        locked_until = staff._aware(member.locked_until)
        assert locked_until is not None and locked_until > models.utcnow()


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
    with TestClient(fresh.app) as thief:
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
    with TestClient(fresh.app) as thief:
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
        staff.delete(session, staff_id=member_of(session, COORDINATOR[0]).id)
    assert _replay(fresh, cookie) == 303


# --------------------------------------------------------------------------- 4. who sees contact details


@pytest.fixture()
def leads(fresh: TestClient) -> dict[str, int]:
    """Three new leads: one followed by the coordinator, one by another coordinator, one by nobody."""
    url = fresh.settings.database_url  # type: ignore[attr-defined]
    ids = {
        name: add_volunteer(url, sender_id=name, first_name=name.title(), email=f"{name}@exemple.fr",
                            phone=f"+3361234567{n}")
        for n, name in enumerate(("mine", "theirs", "nobodys"))
    }  # fmt: skip
    with session_scope(url) as session:
        staff.add(session, email=OTHER_COORDINATOR[0], role="coordinator", password=OTHER_COORDINATOR[1])
        coordinator = member_of(session, COORDINATOR[0])
        other = member_of(session, OTHER_COORDINATOR[0])
        lead_store.assign(session, volunteer_id=ids["mine"], staff_id=coordinator.id)
        lead_store.assign(session, volunteer_id=ids["theirs"], staff_id=other.id)
    return ids


def _emails_on_pages(client: TestClient, ids: dict[str, int]) -> set[str]:
    seen = set()
    for lead_id in ids.values():
        page = client.get(f"/console/leads/{lead_id}").text
        emails = set(re.findall(r"[a-z]+@exemple\.fr", page))
        assert bool(emails) == bool(re.search(r"\+3361234567\d", page))  # the phone goes with the e-mail
        seen |= emails
    return seen


def _emails_in_csv(client: TestClient) -> set[str]:
    response = client.get("/console/leads/export.csv?status=nouveau")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 3  # every lead is listed; only the contact columns depend on who asks
    for row in rows:
        assert bool(row["E-mail"]) == bool(row["Téléphone"])
    return {row["E-mail"] for row in rows if row["E-mail"]}


def _emails_in_api(client: TestClient, email: str) -> set[str]:
    url = client.settings.database_url  # type: ignore[attr-defined]
    with session_scope(url) as session:
        token = staff.create_token(session, email=email)
    headers = {"Authorization": f"Bearer {token}"}
    listing = client.get("/api/leads", params={"status": "nouveau"}, headers=headers).json()
    details = [client.get(f"/api/leads/{item['id']}", headers=headers).json() for item in listing["items"]]
    assert len(details) == 3
    for lead in details:
        assert (lead["email"] is None) == (lead["phone"] is None)
    return {lead["email"] for lead in details if lead["email"]}


def test_a_coordinator_sees_contact_details_of_their_own_leads_only_on_pages_csv_and_api(
    fresh: TestClient, leads: dict[str, int]
) -> None:
    login(fresh, *COORDINATOR)
    expected = {"mine@exemple.fr"}
    assert _emails_on_pages(fresh, leads) == expected
    assert _emails_in_csv(fresh) == expected
    assert _emails_in_api(fresh, COORDINATOR[0]) == expected


def test_an_admin_sees_every_contact_detail_on_pages_csv_and_api(fresh: TestClient, leads: dict[str, int]) -> None:
    login(fresh, *ADMIN)
    expected = {"mine@exemple.fr", "theirs@exemple.fr", "nobodys@exemple.fr"}
    assert _emails_on_pages(fresh, leads) == expected
    assert _emails_in_csv(fresh) == expected
    assert _emails_in_api(fresh, ADMIN[0]) == expected


def test_a_coordinator_cannot_read_others_contact_details_through_the_edit_form_or_the_conversation(
    fresh: TestClient, leads: dict[str, int]
) -> None:
    login(fresh, *COORDINATOR)
    assert fresh.get(f"/console/leads/{leads['theirs']}/edit").status_code == 403
    page = fresh.get(f"/console/leads/{leads['theirs']}").text
    assert 'id="transcript"' not in page and "Suivi par" in page
    assert 'id="transcript"' in fresh.get(f"/console/leads/{leads['mine']}").text
    assert fresh.get(f"/console/leads/{leads['mine']}/edit").status_code == 200


def test_a_coordinator_takes_a_free_lead_but_not_one_another_coordinator_follows(
    fresh: TestClient, leads: dict[str, int]
) -> None:
    login(fresh, *COORDINATOR)
    with session_scope(fresh.settings.database_url) as session:  # type: ignore[attr-defined]
        my_id = str(member_of(session, COORDINATOR[0]).id)
    for name, expected in (("theirs", 403), ("nobodys", 200)):
        path = f"/console/leads/{leads[name]}"
        token = csrf_of(fresh.get(path).text)
        assert fresh.post(f"{path}/assign", data={"staff_id": my_id, "csrf_token": token}).status_code == expected
    assert _emails_on_pages(fresh, leads) == {"mine@exemple.fr", "nobodys@exemple.fr"}


def _found_by_search(client: TestClient, query: str, headers: dict[str, str] | None = None) -> tuple[set, set]:
    """Lead ids a search finds on the console's list page and through the API."""
    page = client.get("/console/leads", params={"q": query}).text
    on_page = {int(lead_id) for lead_id in re.findall(r'href="/console/leads/(\d+)"', page)}
    if headers is None:
        return on_page, set()
    api = client.get("/api/leads", params={"q": query}, headers=headers).json()
    return on_page, {item["id"] for item in api["items"]}


def test_a_coordinator_cannot_spell_out_a_hidden_email_through_search(fresh: TestClient, leads: dict[str, int]) -> None:
    login(fresh, *COORDINATOR)
    with session_scope(fresh.settings.database_url) as session:  # type: ignore[attr-defined]
        headers = {"Authorization": f"Bearer {staff.create_token(session, email=COORDINATOR[0])}"}
    for hidden in ("theirs", "nobodys"):
        for query in (f"{hidden[1:4]}@", f"{hidden}@exemple.fr", "@exemple"):
            on_page, in_api = _found_by_search(fresh, query, headers)
            assert leads[hidden] not in on_page and leads[hidden] not in in_api, query
    on_page, in_api = _found_by_search(fresh, "ine@exem", headers)  # their own lead's e-mail: searchable
    assert leads["mine"] in on_page and leads["mine"] in in_api
    on_page, in_api = _found_by_search(fresh, "Theirs", headers)  # every lead's first name: searchable
    assert leads["theirs"] in on_page and leads["theirs"] in in_api
    assert fresh.get("/console/leads/export.csv", params={"q": "eirs@"}).text.count("\n") == 1  # header row only


def test_an_admin_still_finds_a_lead_by_its_email(fresh: TestClient, leads: dict[str, int]) -> None:
    login(fresh, *ADMIN)
    on_page, _ = _found_by_search(fresh, "eirs@exemple")
    assert on_page == {leads["theirs"]}


# --------------------------------------------------------------------------- 5. headers on every route


def _public_get_routes(app: Any) -> list[str]:
    """Every GET route of the web app that takes no path parameter."""
    paths = [route.path for route in app.routes if "GET" in getattr(route, "methods", set())]
    return sorted(path for path in paths if "{" not in path)


def test_every_get_route_is_covered_below(fresh: TestClient) -> None:
    assert set(_public_get_routes(fresh.app)) <= set(ROUTES)


ROUTES = [
    "/", "/confidentialite", "/health", "/widget.js", "/widget.css", "/api/openapi.json", "/api/leads",
    "/api/missions", "/console/login", "/console/", "/console/leads", "/console/leads/export.csv",
    "/console/missions", "/console/missions/besoin", "/console/missions/nouvelle", "/console/missions/importer",
    "/console/handoffs", "/console/admin/staff", "/console/admin/audit", "/console/admin/export.json",
    "/console/static/console.css", "/nulle-part", "/console/nulle-part", "/console/leads/1", "/api/leads/1",
    "/console/missions/M001", "/api/missions/M001/suggestions", "/console/notifications",
    "/console/static/conversation.js", "/console/conversations/lead/1", "/console/conversations/handoff/1",
    "/console/relances", "/console/missions/M001/attendance", "/console/leads/1/hours", "/api/missions/M001/shifts",
    "/attestations/pas-un-jeton",
]  # fmt: skip


@pytest.mark.parametrize("path", ROUTES)
def test_every_route_carries_the_security_headers(fresh: TestClient, path: str) -> None:
    response = fresh.get(path, follow_redirects=False)
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src", 1)[1].split(";")[0]
    assert response.headers.get("x-frame-options") == "DENY"
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") == "same-origin"
    assert response.headers.get("cache-control")


def test_personal_data_is_never_cached(fresh: TestClient) -> None:
    login(fresh, *ADMIN)
    for path in ("/api/leads", "/console/leads", "/console/leads/export.csv", "/console/admin/export.json"):
        assert fresh.get(path).headers["cache-control"] == "no-store", path


def test_the_demo_page_may_reach_the_assistant_it_names_and_nothing_else(fresh: TestClient) -> None:
    response = fresh.get("http://127.0.0.1:8000/")
    server = re.search(r'data-server="([^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    directives = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert directives["connect-src"] == f"'self' {server.replace('http', 'ws', 1)}"
    assert fresh.get("/widget.js").headers["cache-control"] == "public, max-age=300"  # the bubble stays cacheable


@pytest.fixture()
def web(tmp_path: Path) -> Iterator[str]:
    """The web app as `bot serve` runs it, with nothing on the assistant's port."""
    settings = make_settings(tmp_path, web_port=free_port(), rasa_port=free_port())
    with running_web(settings, log_dir=tmp_path) as url:
        yield url


def test_the_demo_page_runs_the_bubble_under_its_policy(web: str, page: Any) -> None:
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));"
    )
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(f"{web}/")
    page.get_by_role("button", name="Discuter avec l'assistant bénévolat").click()
    page.wait_for_function("document.querySelector('#entraide-widget').shadowRoot.querySelector('.panel')")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__violations") == []
    assert sockets and sockets[0].startswith("ws://127.0.0.1:")
    assert page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.goto(f"{web}/confidentialite")
    assert page.evaluate("window.__violations") == []
