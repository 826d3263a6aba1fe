"""Attestations of volunteering: the PDF, the expiring link that serves it, and the CEC yearly summary.

The PDF is made with fpdf2 (pure Python, installed from the lock file, no system package) on each
download, from the hours log; nothing is written to disk. It uses fpdf2's core Helvetica font in
the Windows-1252 encoding, which covers French (accents, œ, « », €, ’); any other character of a
name is reduced to its base letter, or "?" (:func:`printable`).

A link is a random token (``secrets``); only its SHA-256 is stored, in ``attestation_links``,
with the period, the full name to print and an expiry (``ATTESTATION_LINK_HOURS``). The row is
erased with the volunteer (foreign key ON DELETE CASCADE) and, once expired, by the scheduled job
:func:`purge_expired_links`. See docs/attestations.md.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

from fpdf import FPDF
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.errors import InvalidDataError, NotFoundError
from bot.shifts import MONTH_NAMES, local
from bot.store import hours as hours_store
from bot.store import models
from bot.store.leads import record_audit
from bot.store.retention import as_utc
from bot.store.session import session_scope

logger = logging.getLogger(__name__)

ENCODING = "windows-1252"
MAX_NAME = 120
TOKEN_BYTES = 32
# Letters that Unicode does not decompose into a base letter and an accent.
PLAIN_LETTERS = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h", "ŀ": "l"})


# --------------------------------------------------------------------------- words


def say_hours(minutes: int) -> str:
    """Minutes as French hours: "1 heure", "12 heures", "2 h 30"."""
    whole, rest = divmod(max(minutes, 0), 60)
    if rest:
        return f"{whole} h {rest:02d}"
    return f"{whole} heure" if whole <= 1 else f"{whole} heures"


def say_date(day: date) -> str:
    """A date in words: "1er janvier 2026"."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTH_NAMES[day.month - 1]} {day.year}"


def printable(text: str) -> str:
    """``text`` reduced to what the PDF's core font can print (Windows-1252), on one line."""
    kept = []
    for char in " ".join(text.split()):
        try:
            char.encode(ENCODING)
            kept.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char.translate(PLAIN_LETTERS)) if not unicodedata.combining(c)
        )
        try:
            base.encode(ENCODING)
            kept.append(base or "?")
        except UnicodeEncodeError:
            kept.append("?")
    return "".join(kept)


def issue_place(address: str) -> str:
    """The town of the association's address ("1 place de la Mairie, 69001 Lyon" → "Lyon"), else the address."""
    match = re.search(r"\b\d{5}\s+([^,\d][^,]*)\s*$", address.strip())
    return match.group(1).strip() if match else address.strip()


# --------------------------------------------------------------------------- the PDF


def render_pdf(
    settings: Settings,
    *,
    full_name: str,
    start: date,
    end: date,
    missions: Sequence[tuple[str, int]],
    issued_on: date,
) -> bytes:
    """The attestation as an A4 PDF: association, statement of hours, missions with hours, place, date, signatory.

    ``missions`` is (mission title, minutes); nothing else about the person is printed.
    """
    total = sum(minutes for _, minutes in missions)
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_title("Attestation de bénévolat")
    pdf.set_author(printable(settings.association_name))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, *, size: float = 11, style: str = "", align: str = "L", height: float = 6) -> None:
        pdf.set_font("helvetica", style=style, size=size)
        pdf.multi_cell(width, height, printable(text), align=align, new_x="LMARGIN", new_y="NEXT")

    line(settings.association_name, size=13, style="B")
    line(settings.association_address, size=10)
    pdf.ln(18)
    line("Attestation de bénévolat", size=18, style="B", align="C", height=9)
    pdf.ln(12)
    line(
        f"Je soussigné·e {signatory_in_sentence(settings.association_signatory)}, atteste que {full_name} a effectué "
        f"{say_hours(total)} de bénévolat au sein de l'association {settings.association_name} "
        f"du {say_date(start)} au {say_date(end)}.",
        height=7,
    )
    pdf.ln(6)
    if missions:
        line("Détail par mission :", style="B")
        pdf.ln(2)
        pdf.set_font("helvetica", size=10)
        with pdf.table(col_widths=(3, 1), text_align=("LEFT", "RIGHT"), line_height=7) as table:
            table.row(("Mission", "Heures"))
            for title, minutes in missions:
                table.row((printable(title), say_hours(minutes)))
            table.row(("Total", say_hours(total)))
    pdf.ln(10)
    line(f"Fait à {issue_place(settings.association_address)}, le {say_date(issued_on)}.")
    pdf.ln(4)
    line(f"Pour l'association, {settings.association_signatory}")
    pdf.ln(16)
    line("Signature : ______________________________")
    return bytes(pdf.output())


# --------------------------------------------------------------------------- links


def token_hash(token: str) -> str:
    """What is stored of a link's token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _full_name(text: str | None, volunteer: models.Volunteer) -> str:
    name = " ".join((text or "").split())[:MAX_NAME]
    return name or volunteer.first_name


def create_link(
    session: Session,
    settings: Settings,
    *,
    volunteer_id: int,
    start: date,
    end: date,
    full_name: str | None = None,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> str | None:
    """A link to the volunteer's attestation over ``start``..``end``: PUBLIC_URL/attestations/<token>.

    The period ends today at the latest (the attestation says what was done) and starts on
    ``bot.store.hours.EARLIEST_DAY`` at the earliest. None when there
    are no hours in it. ``full_name`` is what the PDF prints (the first name when not given).
    The creation is audited with ids only.
    """
    now = now or datetime.now(timezone.utc)
    volunteer = session.get(models.Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFoundError("ce bénévole n'existe pas")
    end = min(end, local(now, settings.timezone).date())
    start = max(start, hours_store.EARLIEST_DAY)  # no hours before it: "du 1er janvier 1" would be printed
    if start > end:
        raise InvalidDataError("la période doit commencer avant sa fin, et pas dans le futur")
    if hours_store.minutes_between(session, volunteer_id=volunteer_id, start=start, end=end) <= 0:
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = models.AttestationLink(
        token_hash=token_hash(token),
        volunteer_id=volunteer_id,
        period_start=start,
        period_end=end,
        full_name=_full_name(full_name, volunteer),
        staff_id=staff_id,
        created_at=now,
        expires_at=now + timedelta(hours=settings.attestation_link_hours),
    )
    session.add(link)
    session.flush()
    record_audit(
        session,
        actor=f"staff:{staff_id}" if staff_id is not None else "volunteer",
        action="export",
        subject=f"volunteer:{volunteer_id}",
        document="attestation",
        link=link.id,
    )
    logger.info("attestation link %s created for volunteer %s", link.id, volunteer_id)
    return f"{settings.public_url.rstrip('/')}/attestations/{token}"


VALID, EXPIRED, UNKNOWN = "valid", "expired", "unknown"


def pdf_for_token(settings: Settings, token: str, *, now: datetime | None = None) -> tuple[str, bytes | None]:
    """(VALID, the PDF) for a live link; (EXPIRED, None) or (UNKNOWN, None) otherwise."""
    now = now or datetime.now(timezone.utc)
    if not token or len(token) > 200:
        return UNKNOWN, None
    with session_scope(settings.database_url) as session:
        link = session.scalar(
            select(models.AttestationLink).where(models.AttestationLink.token_hash == token_hash(token))
        )
        if link is None:
            return UNKNOWN, None
        if as_utc(link.expires_at) <= now:
            return EXPIRED, None
        missions = hours_store.missions_between(
            session, volunteer_id=link.volunteer_id, start=link.period_start, end=link.period_end
        )
        if not missions:  # the hours were removed since: nothing left to attest
            return EXPIRED, None
        pdf = render_pdf(
            settings,
            full_name=link.full_name,
            start=link.period_start,
            end=link.period_end,
            missions=missions,
            issued_on=local(now, settings.timezone).date(),
        )
        logger.info("attestation link %s downloaded", link.id)
        return VALID, pdf


def purge_expired_links(settings: Settings, *, now: datetime | None = None) -> int:
    """Scheduled job: delete the expired attestation links (one DELETE: safe in several processes)."""
    now = now or datetime.now(timezone.utc)
    with session_scope(settings.database_url) as session:
        removed = session.execute(
            delete(models.AttestationLink.__table__).where(models.AttestationLink.expires_at <= now)
        ).rowcount
    if removed:
        logger.info("%d expired attestation links deleted", removed)
    return int(removed or 0)


# --------------------------------------------------------------------------- Compte d'engagement citoyen


def cec_summary(settings: Settings, *, minutes: int, year: int, pending: int = 0) -> str:
    """The year's hours with the association and what they mean for the Compte d'engagement citoyen, in French.

    ``minutes`` are the hours as attestations count them; ``pending``, hours declared beyond them that
    staff have still to check, are said apart and count for nothing until accepted.

    Rules (code du travail, art. L5151-7 and following, D5151-14; docs/attestations.md cites the sources):
    CEC_HOURS_TOTAL hours of associative volunteering in the calendar year, in one or several
    associations, of which CEC_HOURS_ONE_ASSOCIATION in one; only for volunteers who sit on the
    board or lead other volunteers; declared by the volunteer, validated by the association.
    """
    name = settings.association_name
    total, one = settings.cec_hours_total, settings.cec_hours_one_association
    done = max(minutes, 0)
    if done == 0:
        first = f"En {year}, vous n'avez pas d'heures de bénévolat enregistrées avec {name}."
    else:
        first = f"En {year}, vous avez fait {say_hours(done)} de bénévolat avec {name}."
    if pending > 0:
        first += (
            f" L'équipe doit encore vérifier un complément de {say_hours(pending)} que vous avez déclaré : "
            "il sera compté une fois validé."
        )
    rule = (
        f"Le Compte d'engagement citoyen (CEC) demande au moins {total} heures de bénévolat dans l'année, "
        f"dans une ou plusieurs associations, dont au moins {one} heures dans la même association."
    )
    if done >= total * 60:
        where = f"Vos heures avec nous atteignent à elles seules ces {total} heures."
    elif done >= one * 60:
        where = (
            f"Vos heures avec nous atteignent les {one} heures dans une même association ; "
            f"vos heures dans d'autres associations comptent pour arriver à {total} heures."
        )
    else:
        missing = one * 60 - done
        where = (
            f"Il vous manque {say_hours(missing)} avec nous pour les {one} heures dans une même association "
            f"(et il en faut {total} en tout, toutes associations comprises)."
        )
    conditions = (
        "Le CEC est aussi réservé aux bénévoles qui siègent dans l'instance de direction de l'association "
        "(bureau, conseil d'administration) ou qui encadrent d'autres bénévoles. C'est vous qui déclarez vos "
        "heures, sur le service en ligne « Le Compte Bénévole », avant le 30 juin de l'année suivante ; "
        "l'association les valide, puis les droits arrivent sur Mon Compte Formation."
    )
    return " ".join((first, rule, where, conditions))


def cec_staff_note(settings: Settings, *, minutes: int) -> str:
    """What a year's hours mean for the volunteer's Compte d'engagement citoyen, said to staff (console)."""
    total, one = settings.cec_hours_total, settings.cec_hours_one_association
    done = max(minutes, 0)
    rule = f"CEC : {total} heures dans l'année, dont {one} dans une même association"
    if done >= total * 60:
        where = "atteint avec nos seules heures"
    elif done >= one * 60:
        where = f"les {one} heures chez nous sont atteintes ; le reste se compte dans d'autres associations"
    else:
        where = f"il manque {say_hours(one * 60 - done)} chez nous pour les {one} heures"
    return (
        f"{rule} : {where}. Réservé aux membres du bureau ou du conseil et aux bénévoles qui en encadrent "
        "d'autres ; le bénévole déclare ses heures (« Le Compte Bénévole ») avant le 30 juin, l'association valide."
    )


def signatory_in_sentence(signatory: str) -> str:
    """The signatory as it reads after "Je soussigné·e": an article in lower case ("la présidente"), names kept."""
    first, _, rest = signatory.partition(" ")
    if first in {"La", "Le", "Les"} or first.startswith(("L'", "L’")):
        return first[0].lower() + first[1:] + (" " + rest if rest else "")
    return signatory
