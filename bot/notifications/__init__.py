"""E-mail notifications to staff: a new handoff request at once, a daily digest, missions falling below target.

E-mails wait in the outbox (``outgoing_emails``, :mod:`bot.store.outbox`) until the SMTP server
accepts them; the web app's background jobs (:mod:`bot.background`) send them and queue the
digest. What they say: ``data/association/notifications.yml``; the whole story:
``docs/notifications.md``.
"""

from __future__ import annotations

from bot.notifications.digest import daily_digest
from bot.notifications.sending import send_pending

__all__ = ["daily_digest", "send_pending"]
