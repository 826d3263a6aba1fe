"""Sending the outbox through the SMTP server (aiosmtplib): what is due, once, retried with growing delays."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timedelta, timezone
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib

from bot.config import Settings
from bot.notifications.texts import one_line
from bot.store import outbox
from bot.store.session import session_scope

logger = logging.getLogger(__name__)

# While one process sends an e-mail, no other takes it; after this long it is due again (a process that died).
LEASE = timedelta(minutes=5)
SMTP_TIMEOUT = 20.0


def send_pending(settings: Settings, *, now: datetime | None = None) -> int:
    """Send the e-mails that are due; returns how many the SMTP server accepted (none while SMTP_HOST is empty)."""
    if not settings.smtp_host:
        return 0
    now = now or datetime.now(timezone.utc)
    with session_scope(settings.database_url) as session:
        due = outbox.due(session, now=now)
        taken = [email_id for email_id in due if outbox.lease(session, email_id=email_id, now=now, until=now + LEASE)]
    if not taken:
        return 0
    messages: dict[int, EmailMessage] = {}
    unwritable: dict[int, str] = {}
    with session_scope(settings.database_url) as session:
        for email_id in taken:
            email = outbox.get(session, email_id=email_id)
            if email is None:  # its recipient was erased meanwhile (the row went with them)
                continue
            to = outbox.address_of(session, email)
            if to is None:  # a volunteer who removed their address since: nobody to send it to
                outbox.drop(session, email_id=email_id)
                continue
            try:
                messages[email_id] = message(
                    settings,
                    to=to,
                    subject=outbox.render(session, email.subject, console_url=settings.public_url),
                    body=outbox.render(session, email.body, console_url=settings.public_url),
                    attachment_name=email.attachment_name,
                    attachment=email.attachment,
                )
            except (ValueError, MessageError) as error:  # an address or SMTP_FROM the e-mail format refuses
                unwritable[email_id] = type(error).__name__
    failures = {**unwritable, **asyncio.run(_deliver(settings, messages))} if messages else unwritable
    with session_scope(settings.database_url) as session:
        for email_id in (*messages, *unwritable):
            if email_id in failures:
                outbox.mark_failed(session, email_id=email_id, error=failures[email_id], now=now)
            else:
                outbox.mark_sent(session, email_id=email_id, now=now)
    if failures:
        logger.warning("%d of %d e-mails not sent (%s), kept for later", len(failures), len(taken), _summary(failures))
    return len(messages) + len(unwritable) - len(failures)


def message(
    settings: Settings,
    *,
    to: str,
    subject: str,
    body: str,
    attachment_name: str | None = None,
    attachment: str | None = None,
) -> EmailMessage:
    """An e-mail to one person; the subject is put on one line (no header injection).

    ``attachment`` is a calendar file, attached as text/calendar with method PUBLISH (an event to add,
    not an invitation to answer) under ``attachment_name``.
    """
    email = EmailMessage()
    email["Subject"] = one_line(subject)
    email["From"] = one_line(settings.smtp_from)
    email["To"] = one_line(to)
    email["Date"] = format_datetime(datetime.now(timezone.utc))
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(domain=domain)
    email.set_content(body)
    if attachment is not None:
        email.add_attachment(
            attachment,
            subtype="calendar",
            filename=one_line(attachment_name or "evenement.ics"),
            params={"method": "PUBLISH"},
        )
    return email


def _client(settings: Settings) -> aiosmtplib.SMTP:
    """A client for SMTP_HOST: implicit TLS, STARTTLS (required) or, on loopback only, plain text."""
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=settings.smtp_password or None,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls not in ("tls", "none"),
        timeout=SMTP_TIMEOUT,
    )


async def _deliver(settings: Settings, messages: dict[int, EmailMessage]) -> dict[int, str]:
    """Send the messages over one connection; returns the name of the error for each one not sent."""
    failures: dict[int, str] = {}
    client = _client(settings)
    try:
        await client.connect()
    except (aiosmtplib.SMTPException, OSError) as error:
        return {email_id: type(error).__name__ for email_id in messages}
    try:
        waiting = list(messages)
        while waiting:
            email_id = waiting.pop(0)
            try:
                email = messages[email_id]
                await client.send_message(email, recipients=[str(email["To"])])  # the one address, never a list
            except (aiosmtplib.SMTPServerDisconnected, OSError) as error:
                # The connection is gone: this e-mail and the ones after it wait for the next turn.
                failures.update((left, type(error).__name__) for left in (email_id, *waiting))
                break
            except aiosmtplib.SMTPException as error:  # refused by the server: only this one
                failures[email_id] = type(error).__name__
    finally:
        with suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
    return failures


def _summary(failures: dict[int, str]) -> str:
    """The error names of the failures, for the log (no address, no content)."""
    return ", ".join(sorted(set(failures.values())))
