"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and settings that send to it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.config import Settings
from bot.store import models, staff
from bot.store.session import session_scope
from tests.conftest import free_port

PUBLIC_URL = "https://entraide.example"
ADMIN = "admin@entraide.test"
COORDINATOR = "coord@entraide.test"


@dataclass
class SmtpServer:
    """An SMTP server that can be stopped and started again on its port, as a real one going down."""

    port: int
    received: list[EmailMessage] = field(default_factory=list)
    controller: Controller | None = None

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        """Refuse mailboxes whose name starts with 'inconnu', as a server does for an unknown address."""
        if address.startswith("inconnu"):
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        """Keep the message as the recipient's mail client would read it."""
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        """Listen on 127.0.0.1 at the server's port."""
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages received, once there are ``count`` of them (or the timeout has passed)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


@pytest.fixture()
def smtp_server() -> Iterator[SmtpServer]:
    """A fresh SMTP server on a free loopback port, stopped afterwards."""
    server = SmtpServer(port=free_port())
    server.start()
    yield server
    server.stop()


def mail_settings(database_url: str, smtp_port: int, **overrides: object) -> Settings:
    """Settings that send to the test SMTP server, in plain text (loopback), with links to PUBLIC_URL."""
    values: dict[str, object] = {
        "database_url": database_url,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_tls": "none",
        "public_url": PUBLIC_URL,
        "background_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def add_staff(url: str, email: str = ADMIN, role: str = "admin", **choices: bool) -> int:
    """A staff account with its notification choices (all on unless told); returns its id."""
    with session_scope(url) as session:
        member = staff.add(session, email=email, role=role, password="a-long-password-1")
        for name, value in choices.items():
            setattr(member, f"notify_{name}", value)
        return member.id


def pending(url: str) -> list[models.OutgoingEmail]:
    """The e-mails not sent yet, oldest first (detached copies of their columns)."""
    with session_scope(url) as session:
        rows = session.execute(
            select(models.OutgoingEmail).where(models.OutgoingEmail.sent_at.is_(None)).order_by(models.OutgoingEmail.id)
        ).scalars()
        found = list(rows)
        session.expunge_all()
        return found
