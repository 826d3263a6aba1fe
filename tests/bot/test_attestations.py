"""Attestations: the PDF's text read back, the expiring link and its route, the purge job, the CEC summary."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot import attestations
from bot.attestations import cec_summary, create_link, printable, purge_expired_links, render_pdf, say_hours
from bot.background import JOBS
from bot.config import Settings
from bot.errors import InvalidDataError
from bot.store import hours, models
from bot.store.session import session_scope
from bot.store.volunteers import forget
from bot.web_app import create_app

NOW = datetime(2026, 12, 10, 9, 0, tzinfo=timezone.utc)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def pdf_text(pdf: bytes) -> str:
    """The text the PDF shows, its lines joined by spaces (content streams inflated, strings unescaped)."""
    assert pdf.startswith(b"%PDF-")
    lines = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(match.group(1)).decode("cp1252")
        except zlib.error:
            continue
        for shown in re.findall(r"\((.*?)(?<!\\)\) Tj", content):
            lines.append(re.sub(r"\\(.)", r"\1", shown))
    return " ".join(lines)


def _settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings,
        association_name="Les Amis du Quai",
        association_address="12 rue des Œillets, 69003 Lyon",
        association_signatory="Claire Martin, présidente",
        public_url="https://benevoles.example.org/",
        attestation_link_hours=72,
        background_seconds=0,
    )


def _volunteer_with_hours(url: str, *, minutes: tuple[int, ...] = (150, 90)) -> int:
    with session_scope(url) as session:
        session.add(models.Mission(id="M1", title="Épicerie « solidaire »"))
        session.add(models.Mission(id="M2", title="Café l’été"))
        staff = models.StaffMember(email="admin@example.org", role="admin", password_hash="x")
        volunteer = models.Volunteer(channel="rest", sender_id="julie", first_name="Julie", age_group="adult")
        session.add_all([staff, volunteer])
        session.flush()
        for index, amount in enumerate(minutes):
            hours.add_staff_hours(
                session, volunteer_id=volunteer.id, mission_id=f"M{index % 2 + 1}", day=date(2026, 3, 1 + index),
                minutes=amount, staff_id=staff.id, today=NOW.date(),
            )  # fmt: skip
        return int(volunteer.id)


# --------------------------------------------------------------------------- the PDF


def test_the_pdf_says_who_did_how_many_hours_where_with_french_characters() -> None:
    settings = _settings(Settings())
    pdf = render_pdf(
        settings,
        full_name="Zoé Œuvray-Łukasz",
        start=date(2026, 1, 1),
        end=date(2026, 6, 30),
        missions=[("Épicerie « solidaire » (œufs)", 630), ("Café l’été, 5 €", 90)],
        issued_on=date(2026, 7, 1),
    )
    text = pdf_text(pdf)
    assert "Les Amis du Quai" in text and "12 rue des Œillets, 69003 Lyon" in text
    assert "Attestation de bénévolat" in text
    assert "Je soussigné·e Claire Martin, présidente, atteste que Zoé Œuvray-Lukasz a effectué 12 heures" in text
    assert "du 1er janvier 2026 au 30 juin 2026." in text
    assert "Épicerie « solidaire » (œufs)" in text and "10 h 30" in text
    assert "Café l’été, 5 €" in text and "1 h 30" in text
    assert "Fait à Lyon, le 1er juillet 2026." in text
    assert "Signature" in text


def test_text_the_core_font_cannot_print_is_reduced_not_dropped() -> None:
    assert printable("Łukasz  Nguyễn\nDvořák 😀") == "Lukasz Nguyen Dvorák ?"
    assert printable("« Œuvre » l’été, 5 €") == "« Œuvre » l’été, 5 €"
    assert [say_hours(m) for m in (60, 150, 0, 1440)] == ["1 heure", "2 h 30", "0 heure", "24 heures"]


# --------------------------------------------------------------------------- links and the route


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(settings)), base_url="http://testserver") as client:
        yield client


def _token(link: str | None) -> str:
    assert link is not None and link.startswith("https://benevoles.example.org/attestations/")
    return link.rsplit("/", 1)[1]


def test_a_link_stores_only_the_tokens_hash_and_is_audited_with_ids(settings: Settings) -> None:
    settings = _settings(settings)
    volunteer_id = _volunteer_with_hours(settings.database_url)
    with session_scope(settings.database_url) as session:
        link = create_link(session, settings, volunteer_id=volunteer_id, start=YEAR[0], end=YEAR[1],
                           full_name="  Julie   Martin ", staff_id=None, now=NOW)  # fmt: skip
    token = _token(link)
    with session_scope(settings.database_url) as session:
        row = session.scalars(select(models.AttestationLink)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
        assert (row.full_name, row.period_end) == ("Julie Martin", NOW.date())  # the period ends today at most
        assert row.expires_at.replace(tzinfo=timezone.utc) == NOW + timedelta(hours=72)
        audit = session.scalars(select(models.AuditEntry).where(models.AuditEntry.action == "export")).one()
        assert (audit.actor, audit.subject) == ("volunteer", f"volunteer:{volunteer_id}")
        assert audit.details == {"document": "attestation", "link": row.id}


def test_no_link_for_a_period_without_hours_and_a_clear_refusal_for_a_reversed_period(settings: Settings) -> None:
    settings = _settings(settings)
    volunteer_id = _volunteer_with_hours(settings.database_url)
    with session_scope(settings.database_url) as session:
        assert create_link(session, settings, volunteer_id=volunteer_id, start=date(2025, 1, 1),
                           end=date(2025, 12, 31), now=NOW) is None  # fmt: skip
        with pytest.raises(InvalidDataError):
            create_link(session, settings, volunteer_id=volunteer_id, start=date(2027, 1, 1), end=date(2027, 2, 1),
                        now=NOW)  # fmt: skip
        assert session.scalar(select(func.count()).select_from(models.AttestationLink)) == 0


def test_a_live_link_downloads_the_pdf_without_cache_nor_indexing(settings: Settings, client: TestClient) -> None:
    settings = _settings(settings)
    volunteer_id = _volunteer_with_hours(settings.database_url)
    with session_scope(settings.database_url) as session:
        token = _token(create_link(session, settings, volunteer_id=volunteer_id, start=YEAR[0], end=YEAR[1],
                                   full_name="Julie Martin", staff_id=1, now=NOW))  # fmt: skip
    with time_machine.travel(NOW + timedelta(hours=71), tick=False):
        response = client.get(f"/attestations/{token}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="attestation-benevolat.pdf"'
    assert response.headers["cache-control"] == "no-store" and response.headers["x-robots-tag"] == "noindex"
    text = pdf_text(response.content)
    assert "Julie Martin a effectué 4 heures de bénévolat" in text
    assert "du 1er janvier 2026 au 10 décembre 2026" in text
    assert "Épicerie « solidaire »" in text and "2 h 30" in text and "Café l’été" in text
    assert "Fait à Lyon, le 13 décembre 2026." in text


def test_an_expired_link_says_so_in_french_and_the_job_deletes_it(settings: Settings, client: TestClient) -> None:
    settings = _settings(settings)
    volunteer_id = _volunteer_with_hours(settings.database_url)
    with session_scope(settings.database_url) as session:
        token = _token(create_link(session, settings, volunteer_id=volunteer_id, start=YEAR[0], end=YEAR[1], now=NOW))
    with time_machine.travel(NOW + timedelta(hours=72, seconds=1), tick=False):
        response = client.get(f"/attestations/{token}")
    assert response.status_code == 410
    assert "a expiré" in response.text and "Je voudrais une attestation" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert purge_expired_links(settings, now=NOW + timedelta(hours=71)) == 0
    assert purge_expired_links(settings, now=NOW + timedelta(hours=73)) == 1
    assert client.get(f"/attestations/{token}").status_code == 404
    assert any(job.target == "bot.attestations:purge_expired_links" and job.every == 3600 for job in JOBS)


def test_an_unknown_link_is_a_french_404(client: TestClient) -> None:
    response = client.get("/attestations/not-a-real-token")
    assert response.status_code == 404
    assert "n'est pas valide" in response.text and "<script" not in response.text


def test_the_link_is_erased_with_the_volunteer(settings: Settings, client: TestClient) -> None:
    settings = _settings(settings)
    volunteer_id = _volunteer_with_hours(settings.database_url)
    with session_scope(settings.database_url) as session:
        token = _token(create_link(session, settings, volunteer_id=volunteer_id, start=YEAR[0], end=YEAR[1]))
    assert client.get(f"/attestations/{token}").status_code == 200
    with session_scope(settings.database_url) as session:
        forget(session, sender_id="julie", channel="rest")
    with session_scope(settings.database_url) as session:
        assert session.scalar(select(func.count()).select_from(models.AttestationLink)) == 0
        assert session.scalar(select(func.count()).select_from(models.HoursEntry)) == 0
    assert client.get(f"/attestations/{token}").status_code == 404


def test_links_made_by_staff_and_by_the_chat_both_work(settings: Settings) -> None:
    settings = _settings(settings)
    volunteer_id = _volunteer_with_hours(settings.database_url)
    with session_scope(settings.database_url) as session:
        first = _token(create_link(session, settings, volunteer_id=volunteer_id, start=YEAR[0], end=YEAR[1]))
        second = _token(create_link(session, settings, volunteer_id=volunteer_id, start=YEAR[0], end=YEAR[1]))
    assert first != second
    assert attestations.pdf_for_token(settings, first)[0] == attestations.VALID


# --------------------------------------------------------------------------- Compte d'engagement citoyen


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, "vous n'avez pas d'heures de bénévolat enregistrées avec Les Amis du Quai"),
        (30 * 60, "Il vous manque 70 heures avec nous pour les 100 heures dans une même association"),
        (99 * 60 + 30, "Il vous manque 0 h 30 avec nous"),
        (100 * 60, "Vos heures avec nous atteignent les 100 heures dans une même association"),
        (210 * 60, "Vos heures avec nous atteignent à elles seules ces 200 heures"),
    ],
)
def test_the_cec_summary_says_where_the_volunteer_stands(minutes: int, expected: str) -> None:
    text = cec_summary(_settings(Settings()), minutes=minutes, year=2026)
    assert text.startswith("En 2026, vous")
    assert expected in text
    assert "au moins 200 heures de bénévolat dans l'année" in text and "dont au moins 100 heures" in text
    assert "instance de direction" in text and "encadrent d'autres bénévoles" in text
    assert "Le Compte Bénévole" in text and "Mon Compte Formation" in text


def test_the_cec_thresholds_are_settings() -> None:
    settings = dataclasses.replace(_settings(Settings()), cec_hours_total=150, cec_hours_one_association=80)
    text = cec_summary(settings, minutes=90 * 60, year=2027)
    assert "au moins 150 heures" in text and "les 80 heures dans une même association" in text


@pytest.mark.parametrize(
    ("signatory", "expected"),
    [
        ("La présidente", "la présidente"),
        ("Le trésorier", "le trésorier"),
        ("L'équipe de coordination", "l'équipe de coordination"),
        ("Claire Martin, présidente", "Claire Martin, présidente"),
        ("Lea Martin", "Lea Martin"),
    ],
)
def test_signatory_reads_inside_the_sentence(signatory: str, expected: str) -> None:
    assert attestations.signatory_in_sentence(signatory) == expected
