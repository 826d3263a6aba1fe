"""Staff accounts: login, logout, lockout, roles, CSRF, and `bot staff add|token` on the command line."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from bot.cli import main
from bot.store import models, staff
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.console.conftest import ADMIN, COORDINATOR, csrf_of, login, make_settings, member_of, seed_staff

PAGES = ["/console/", "/console/leads", "/console/missions", "/console/missions/besoin", "/console/handoffs"]
ADMIN_PAGES = ["/console/admin/staff", "/console/admin/audit", "/console/admin/export.json"]


@pytest.mark.parametrize("path", PAGES + ADMIN_PAGES)
def test_anonymous_requests_are_sent_to_the_login_page(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/login?next={path}"
    page = anonymous.get(path)
    assert "Connexion" in page.text and 'name="password"' in page.text


def test_login_then_back_to_the_page_asked_for(anonymous: TestClient) -> None:
    page = anonymous.get("/console/missions")
    form = {"email": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf_of(page.text), "next": "/console/missions"}
    response = anonymous.post("/console/login", data=form)
    assert response.status_code == 200
    assert str(response.url).endswith("/console/missions")
    assert "<h1>Missions</h1>" in response.text


def test_session_cookie_is_httponly_and_samesite(anonymous: TestClient) -> None:
    page = anonymous.get("/console/login")
    form = {"email": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf_of(page.text), "next": "/console/"}
    response = anonymous.post("/console/login", data=form, follow_redirects=False)
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "console_session" in v)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie


def test_wrong_password_is_refused_politely(anonymous: TestClient) -> None:
    page = anonymous.get("/console/login")
    form = {"email": COORDINATOR[0], "password": "pas le bon", "csrf_token": csrf_of(page.text), "next": "/console/"}
    response = anonymous.post("/console/login", data=form)
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in response.text
    assert anonymous.get("/console/leads", follow_redirects=False).status_code == 303


def test_a_forged_session_cookie_is_ignored(anonymous: TestClient) -> None:
    anonymous.cookies.set("console_session", "eyJzdGFmZl9pZCI6MX0.forged.signature", path="/console")
    assert anonymous.get("/console/leads", follow_redirects=False).status_code == 303


def test_post_without_csrf_token_is_refused(admin: TestClient) -> None:
    response = admin.post("/console/admin/staff", data={"email": "x@y.fr", "role": "admin", "password": "x" * 12})
    assert response.status_code == 403
    assert "Formulaire refusé" in response.text
    wrong = admin.post("/console/logout", data={"csrf_token": "pas-le-bon"})
    assert wrong.status_code == 403
    assert admin.get("/console/leads").status_code == 200  # still logged in


def test_login_without_csrf_token_is_refused(anonymous: TestClient) -> None:
    anonymous.get("/console/login")
    response = anonymous.post("/console/login", data={"email": ADMIN[0], "password": ADMIN[1], "next": "/console/"})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_coordinators_get_403_on_admin_pages(coordinator: TestClient, path: str) -> None:
    response = coordinator.get(path)
    assert response.status_code == 403
    assert "réservée aux administrateurs" in response.text


def test_admin_pages_open_to_admins(admin: TestClient) -> None:
    for path in ADMIN_PAGES:
        assert admin.get(path).status_code == 200, path


def test_logout_ends_the_session(coordinator: TestClient) -> None:
    page = coordinator.get("/console/leads")
    response = coordinator.post("/console/logout", data={"csrf_token": csrf_of(page.text)})
    assert "Connexion" in response.text
    assert coordinator.get("/console/leads", follow_redirects=False).status_code == 303


def test_admin_adds_an_account_that_can_log_in(admin: TestClient, app: object) -> None:
    page = admin.get("/console/admin/staff")
    form = {
        "email": "Nouvelle@Entraide.test",
        "role": "coordinator",
        "password": "mot-de-passe-42",
        "csrf_token": csrf_of(page.text),
    }
    assert "Compte enregistré." in admin.post("/console/admin/staff", data=form).text
    short = dict(form, password="court")
    assert "au moins 10 caractères" in admin.post("/console/admin/staff", data=short).text
    with TestClient(app) as other:  # type: ignore[arg-type]
        login(other, "nouvelle@entraide.test", "mot-de-passe-42")
        assert other.get("/console/admin/staff").status_code == 403


@pytest.fixture()
def lockout_client(tmp_path: object) -> TestClient:
    settings = make_settings(tmp_path)  # type: ignore[arg-type]
    seed_staff(settings.database_url)
    client = TestClient(create_app(settings))
    client.settings = settings  # type: ignore[attr-defined]
    return client


def _attempt(client: TestClient, password: str) -> int:
    page = client.get("/console/login")
    form = {"email": ADMIN[0], "password": password, "csrf_token": csrf_of(page.text), "next": "/console/"}
    return client.post("/console/login", data=form, follow_redirects=False).status_code


def test_lockout_after_repeated_failed_logins(lockout_client: TestClient) -> None:
    assert [_attempt(lockout_client, "faux") for _ in range(staff.MAX_FAILED_LOGINS)] == [401] * 5
    response_code = _attempt(lockout_client, ADMIN[1])  # even the right password is refused now
    assert response_code == 401  # as for a wrong password: the answer does not tell a locked account apart
    page = lockout_client.get("/console/login")
    form = {"email": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf_of(page.text), "next": "/console/"}
    assert "verrouillé pendant 15 minutes" in lockout_client.post("/console/login", data=form).text
    url = lockout_client.settings.database_url  # type: ignore[attr-defined]
    with session_scope(url) as session:  # fifteen minutes later
        member = member_of(session, ADMIN[0])
        member.locked_until = models.utcnow() - timedelta(seconds=1)
    assert _attempt(lockout_client, ADMIN[1]) == 303


def test_a_new_password_ends_existing_sessions(lockout_client: TestClient) -> None:
    login(lockout_client, *COORDINATOR)
    assert lockout_client.get("/console/leads").status_code == 200
    with session_scope(lockout_client.settings.database_url) as session:  # type: ignore[attr-defined]
        staff.add(session, email=COORDINATOR[0], role="coordinator", password="un-autre-mot-de-passe")
    assert lockout_client.get("/console/leads", follow_redirects=False).status_code == 303


def test_cli_staff_add_reads_the_password_from_stdin(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.cli

    settings = make_settings(tmp_path)  # type: ignore[arg-type]
    monkeypatch.setattr(bot.cli, "get_settings", lambda: settings)
    monkeypatch.setattr("bot.store.session.get_settings", lambda: settings)
    monkeypatch.setattr("sys.stdin", io.StringIO("un-mot-de-passe-solide\n"))
    assert main(["staff", "add", "Chef@Entraide.test", "--role", "admin"]) == 0
    assert "Compte chef@entraide.test enregistré (administrateur)." in capsys.readouterr().out
    with session_scope(settings.database_url) as session:
        assert staff.check_password(session, email="chef@entraide.test", password="un-mot-de-passe-solide") is not None
        assert member_of(session, "chef@entraide.test").password_hash.startswith("$argon2")
    monkeypatch.setattr("sys.stdin", io.StringIO("court\n"))
    assert main(["staff", "add", "x@entraide.test", "--role", "admin"]) == 2
    assert "au moins 10 caractères" in capsys.readouterr().err
    assert main(["staff", "token", "chef@entraide.test"]) == 0
    token = capsys.readouterr().out.strip()
    with session_scope(settings.database_url) as session:
        holder = staff.staff_for_token(session, token=token)
        assert holder is not None and holder.email == "chef@entraide.test"
        assert session.query(models.ApiToken).one().token_hash != token  # only the hash is stored
    assert main(["staff", "token", "inconnu@entraide.test"]) == 2
