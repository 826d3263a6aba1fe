"""The person's rights and the retention rules, for every entry point.

``erase_person`` is the one erasure: the conversation (``action_forget_me``), the command
line (``bot volunteers forget``) and the staff console call it. ``purge`` applies the
retention period (``bot privacy purge``): a notice a month before on every way that reaches
the person (their conversation on Telegram or the chat bubble, and e-mail when they gave an
address), recorded as a nudge of kind "retention", then erasure. Either leaves no copy of
what it deleted in the databases' files (``leave_no_copies``).
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.errors import AlreadyRunningError, BotError, NotFoundError
from bot.store import conversations, models, outbox, retention
from bot.store import jobs as leases
from bot.store import nudges as nudge_store
from bot.store import takeovers as takeover_store
from bot.store import volunteers as volunteer_store
from bot.store.leads import record_audit
from bot.store.models import utcnow
from bot.store.session import get_engine, session_scope, wipe_deleted_rows

logger = logging.getLogger(__name__)

# Channels on which the assistant can write first (Rasa pushes on the latest channel).
PUSH_CHANNELS = frozenset({"telegram"})
# Conversations a message from the assistant reaches: Telegram pushes; the chat bubble shows it at
# once when open, else in its history when reopened. The REST channel reaches nobody.
CONVERSATION_CHANNELS = PUSH_CHANNELS | {"web"}
RETENTION_NOTICE_INTENT = "retention_notice"
# The purge's lease in job_leases (bot.store.jobs): one purge at a time; a holder that died frees it after this.
PURGE_LEASE = "retention purge"
PURGE_LEASE_SECONDS = 3600.0
# The tables an erasure deletes from: the volunteer's own and every table that refers to it.
_VOLUNTEERS = models.Volunteer.__table__
PERSON_TABLES = (
    _VOLUNTEERS.name,
    *(t.name for t in models.metadata.sorted_tables if any(k.references(_VOLUNTEERS) for k in t.foreign_keys)),
)


def privacy_url(settings: Settings) -> str:
    """The public address of the privacy notice (served by the web app at /confidentialite)."""
    return settings.public_url.rstrip("/") + "/confidentialite"


def with_privacy_details(text: str, settings: Settings) -> str:
    """Fill ``{privacy_url}`` and ``{retention_months}`` in an association text (consent, FAQ)."""
    return text.replace("{privacy_url}", privacy_url(settings)).replace(
        "{retention_months}", str(settings.retention_months)
    )


def erase_person(
    settings: Settings, *, channel: str | None, sender_id: str, actor: str, conversation: bool = True
) -> bool:
    """Erase a person from every application table and their conversation from the tracker store.

    Keeps only an anonymous audit entry, and no copy in the databases' files. ``channel`` None
    erases the sender id on every channel. Returns False when nothing at all was stored about them.

    ``conversation`` False leaves the conversation to its one owner in a turn of that very
    conversation (``action_forget_me``): the tracker store, which erases it at the end of the
    turn and writes nothing of the turn (:mod:`bot.rasa.tracker_store`). The command line and
    the console erase it here.
    """
    erased = _erase(settings, channel=channel, sender_id=sender_id, actor=actor, conversation=conversation)
    if erased:
        leave_no_copies(settings, conversations_too=conversation)
    return erased


def leave_no_copies(settings: Settings, *, rewrite_conversations: bool = False, conversations_too: bool = True) -> bool:
    """Wipe what was just deleted from the files of both databases; False if some copy may remain (logged).

    SQLite: the write-ahead logs are emptied into the files, where deleted data is zeroes.
    PostgreSQL: the application tables are rewritten (``VACUUM FULL``); Rasa's ``events``
    table, shared by every conversation and possibly large, only with ``rewrite_conversations``
    (the daily purge), otherwise vacuumed in place. See ``wipe_deleted_rows``.
    """
    application = wipe_deleted_rows(get_engine(settings.database_url), PERSON_TABLES)
    if not conversations_too:
        return application
    tracker = wipe_deleted_rows(
        get_engine(settings.tracker_store_url), (conversations.events.name,), rewrite=rewrite_conversations
    )
    return application and tracker


def _erase(settings: Settings, *, channel: str | None, sender_id: str, actor: str, conversation: bool = True) -> bool:
    """``erase_person`` without the wiping (the purge wipes once, after every erasure)."""
    with session_scope(settings.database_url) as session:
        nudges_erased = nudge_store.forget_sender(session, sender_id=sender_id, channel=channel)
        try:
            volunteer_store.forget(session, sender_id=sender_id, channel=channel, actor=actor)
            stored = True
        except NotFoundError:
            stored = False
    events = conversations.delete_conversation(settings.tracker_store_url, sender_id) if conversation else 0
    if not stored and (events or not conversation):  # no profile: the audit says a conversation was erased
        details = {"conversation_events": events} if conversation else {"conversation": "erased at the end of the turn"}
        with session_scope(settings.database_url) as session:
            subject = volunteer_store.pseudonym(channel or "*", sender_id)
            record_audit(session, actor=actor, action="erase", subject=subject, **details)
    if stored or events:
        logger.info("erasure by %s: profile %s, %d conversation events", actor, "yes" if stored else "no", events)
    return stored or events > 0 or nudges_erased > 0


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass
class RetentionReport:
    """What a purge did (or, with dry_run, would do): ids and dates only."""

    erased: list[retention.InactiveVolunteer] = field(default_factory=list)
    notified: list[retention.InactiveVolunteer] = field(default_factory=list)
    notice_failed: list[retention.InactiveVolunteer] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)
    handoffs: list[int] = field(default_factory=list)
    sent_emails: int = 0  # e-mails sent more than outbox.SENT_KEPT_DAYS ago, deleted (none in a dry run)


Notifier = Callable[[Settings, retention.InactiveVolunteer], None]


def send_retention_notice(settings: Settings, volunteer: retention.InactiveVolunteer) -> None:
    """Have the assistant tell the person, on their channel, that their data will be erased."""
    from bot.assistant_api import trigger_intent

    trigger_intent(settings, sender_id=volunteer.sender_id, intent=RETENTION_NOTICE_INTENT)


def purge(
    settings: Settings,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    notify: Notifier = send_retention_notice,
    notify_channels: Collection[str] = CONVERSATION_CHANNELS,
) -> RetentionReport:
    """Erase volunteers inactive for ``retention_months``; notify those due within ``retention_notice_days``.

    Also deletes conversations and contact requests of people without a profile that are
    older than the retention period. With ``dry_run``, lists what would happen and changes nothing.
    Once at a time across processes and machines (the lease ``retention purge`` in ``job_leases``):
    two purges at once would both send the notice; the second raises :class:`AlreadyRunningError`.
    """
    if dry_run:
        return _purge(settings, now=now, dry_run=True, notify=notify, notify_channels=notify_channels)
    from bot.background import HOLDER

    with session_scope(settings.database_url) as session:
        leases.ensure(session, [PURGE_LEASE])
        taken = leases.take(session, name=PURGE_LEASE, holder=HOLDER, now=utcnow(), every=0, lease=PURGE_LEASE_SECONDS)
    if not taken:
        logger.warning("retention purge not started: another process is running it")
        raise AlreadyRunningError("une purge est déjà en cours dans un autre processus : rien n'a été fait ici")
    error: str | None = None
    try:
        return _purge(settings, now=now, dry_run=False, notify=notify, notify_channels=notify_channels)
    except Exception as failure:
        error = type(failure).__name__
        raise
    finally:
        with session_scope(settings.database_url) as session:
            leases.release(session, name=PURGE_LEASE, holder=HOLDER, now=utcnow(), error=error)


def _purge(
    settings: Settings,
    *,
    now: datetime | None,
    dry_run: bool,
    notify: Notifier,
    notify_channels: Collection[str],
) -> RetentionReport:
    """:func:`purge`'s work, once its lease is held (or for a dry run)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    cutoff = months_before(now, settings.retention_months)
    notice_cutoff = cutoff + timedelta(days=settings.retention_notice_days)
    report = RetentionReport()
    with session_scope(settings.database_url) as session:
        due = retention.inactive_since(session, before=notice_cutoff)
        by_email = nudge_store.with_email(session, [volunteer.id for volunteer in due])
        keep_conversations = retention.volunteer_senders(session)
        report.handoffs = [h.id for h in retention.stale_handoffs(session, before=cutoff)]
    for volunteer in due:
        if volunteer.last_active < cutoff:
            report.erased.append(volunteer)
        elif (volunteer.channel in notify_channels or volunteer.id in by_email) and not _noticed(volunteer):
            report.notified.append(volunteer)
    report.conversations = [
        sender
        for sender in conversations.inactive_conversations(settings.tracker_store_url, before=cutoff)
        if sender not in keep_conversations
    ]
    if dry_run:
        return report

    for volunteer in report.erased:
        _erase(settings, channel=volunteer.channel, sender_id=volunteer.sender_id, actor="retention")
    for sender in report.conversations:
        conversations.delete_conversation(settings.tracker_store_url, sender)
    with session_scope(settings.database_url) as session:
        retention.delete_handoffs(session, report.handoffs)
        for sender in report.conversations:  # who held these conversations, when, and nudges: gone with them
            takeover_store.forget_sender(session, sender_id=sender)
            nudge_store.forget_sender(session, sender_id=sender)
        report.sent_emails = outbox.delete_sent_before(session, before=now - timedelta(days=outbox.SENT_KEPT_DAYS))
        if report.conversations or report.handoffs:
            counts = {"conversations": len(report.conversations), "handoff_requests": len(report.handoffs)}
            record_audit(session, actor="retention", action="purge", subject="sans profil", **counts)
    # Every day, erasures or not: also catches what the day's erasures could not wipe, and
    # old values of rectified profiles (docs/privacy.md, 3.6).
    leave_no_copies(settings, rewrite_conversations=True)
    sent: list[retention.InactiveVolunteer] = []
    for volunteer in report.notified:
        via: list[str] = []
        if volunteer.channel in notify_channels:
            try:
                notify(settings, volunteer)
                via.append(volunteer.channel)
            except BotError as error:
                logger.warning("retention notice to volunteer %s not sent in the conversation: %s", volunteer.id, error)
        with session_scope(settings.database_url) as session:
            if volunteer.id in by_email and _queue_retention_email(session, settings, volunteer.id):
                via.append("email")
            if via:  # reached one way at least: not tried again (an e-mail is never queued twice)
                retention.record_notice(session, volunteer_id=volunteer.id, at=now)
                nudge_store.record(
                    session, kind="retention", channel=volunteer.channel, sender_id=volunteer.sender_id,
                    volunteer_id=volunteer.id, via=via, at=now,
                )  # fmt: skip
        (sent if via else report.notice_failed).append(volunteer)
    report.notified = sent
    logger.info(
        "retention purge: %d volunteers erased, %d notified, %d conversations, %d contact requests and %d sent"
        " e-mails deleted",
        len(report.erased), len(sent), len(report.conversations), len(report.handoffs), report.sent_emails,
    )  # fmt: skip
    return report


def _queue_retention_email(session: Session, settings: Settings, volunteer_id: int) -> bool:
    """The retention notice by e-mail (first name filled in when sent); False when the address is gone."""
    volunteer = session.get(models.Volunteer, volunteer_id)
    if volunteer is None or not volunteer.email:
        return False
    body = (
        f"Bonjour {outbox.first_name_of(volunteer_id)},\n\n"
        "Nous n'avons pas eu de vos nouvelles depuis longtemps. Sans nouvelles de votre part d'ici "
        f"{settings.retention_notice_days} jours, votre profil de bénévole et nos échanges seront supprimés, "
        f"comme prévu par notre politique de confidentialité : {privacy_url(settings)}\n\n"
        "Pour les garder, écrivez simplement à notre assistant, là où vous avez créé votre profil "
        "(une réponse à cet e-mail ne suffit pas). Pour les supprimer dès maintenant, écrivez-lui "
        "« supprimez mes données ».\n\n"
        f"{settings.association_name}\n"
    )
    outbox.queue_to_volunteer(
        session, volunteer_id=volunteer_id, kind="retention", subject="Vos données seront bientôt supprimées", body=body
    )
    return True


def _noticed(volunteer: retention.InactiveVolunteer) -> bool:
    """A notice was sent since the person was last active (answering makes them active again)."""
    return volunteer.notice_sent_at is not None and volunteer.notice_sent_at >= volunteer.last_active
