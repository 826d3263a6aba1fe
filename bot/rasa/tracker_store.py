"""Rasa's SQL tracker store, made to keep no personal data without consent and to honour erasure.

Configured in endpoints.yml (``type: bot.rasa.tracker_store.PrivacyTrackerStore``), it is
Rasa's ``SQLTrackerStore`` with three changes to what is written:

- Without consent (none asked yet, refused, or withdrawn by an erasure), events are
  written *redacted*: the person's message texts, entity values and channel metadata,
  the assistant's message texts and template values, and the values of the profile
  slots are removed; intent and action names, slot names and timestamps stay, so the
  dialogue's shape can still be studied. The original events of the current
  conversation are kept aside, in this process's memory or in Redis when several Rasa
  processes share the conversations (``pending_url``, bot.rasa.pending; at most ``PENDING_TTL``), so
  the conversation keeps working: a first message "je m'appelle Julie, j'habite à Bron,
  je voudrais aider" still fills the form once the person accepts. When they accept,
  the profile slot values written earlier are restored in the database (the texts stay
  redacted); when they refuse, the memory of them is dropped.
- When the erasure action ran in a turn (``action_forget_me``), the person's whole
  conversation is deleted at the end of the turn and nothing of the turn is written:
  Rasa's own ``save`` would otherwise re-insert the in-memory events the action's
  deletion had just removed. The database's files then keep no copy of the deleted events
  (``bot.store.session.wipe_deleted_rows``). What this process remembers of a conversation
  another process erased (the command line, the console) is dropped when its rows are
  found gone, never written back.
- A message the person wrote (not one the assistant sent on its own initiative through
  ``trigger_intent``) counts as activity for the retention rules (``bot privacy purge``).

It also reads a conversation back with SQL statements built once (the events of the latest
session as ``(id, data)`` rows, and their number), where Rasa builds an ORM query and an
object per stored event on every turn: the same rows, a fraction of the CPU. The number of
rows read is remembered on the tracker for its next save, which Rasa counts again.

When the database fails, a turn is stored whole or not at all, and the volunteer is told:

- A read or a save is one transaction. One that meets a lock or a lost connection is tried
  again a few times (``RETRY_PAUSES``, about 3 s in all, the event loop free in between: a
  SQLite lock is waited for ``BUSY_TIMEOUT`` at a time, not SQLite's usual 5 s that would
  stop every other conversation); a save tried again counts the stored events again, so
  events committed just before the connection died are not written twice. PostgreSQL
  connections lost between turns are replaced before use (``pool_pre_ping``).
- What still fails raises :class:`bot.errors.DatabaseUnavailableError`, logged in one line
  (the conversation's pseudonym, "locked", "full" or "unreachable"). What is kept aside of an
  unconsented conversation is written just before the commit and taken back if the commit
  fails; when the Redis that keeps it (``REDIS_URL``) is unreachable, the read or the save
  fails whole with a log line saying so, never falling back on this process's memory.
- Rasa's agent wraps every tracker store in its ``FailSafeTrackerStore``, which hides such a
  failure: a conversation it could not read is handled as a new one (consent and profile
  forgotten for the turn, its events then written after the stored ones), a turn it could
  not save goes to a memory nothing reads (the volunteer saw the answers, the conversation
  does not have them). :func:`install`, run by the Rasa server's entry point, makes that
  wrapper pass the failure on instead: the turn stops, nothing of it is written, and the
  channel answers politely (``bot.rasa.channels.delivery``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import DatabaseUnavailableError
from bot.logs import pseudonym
from bot.profile import PROFILE_SLOTS
from bot.rasa.pending import RedisPending, pending_store
from bot.store.session import FAILING, TRANSIENT, database_failure

logger = logging.getLogger(__name__)

ERASURE_ACTION = "action_forget_me"
# Slots that hold what the person said about themself (bot.profile.PROFILE_SLOTS) and
# the channel metadata Rasa copies into a slot at session start.
PERSONAL_SLOTS = frozenset({*PROFILE_SLOTS, "session_started_metadata"})
REDACTED = "[masqué]"
# Attribute of a tracker read from this store: how many stored events it was read from.
_STORED_COUNT = "_privacy_store_rows_read"
# Seconds a SQLite write waits at a time for another connection's lock: the event loop stands still meanwhile.
BUSY_TIMEOUT = 0.25
# Pauses (event loop free) between the attempts at a read or a save that met a lock or a lost connection.
RETRY_PAUSES = (0.1, 0.25, 0.5, 1.0)
# The Rasa version whose Agent._create_tracker_store `install` replaces.
CHECKED_RASA = "3.6.21"
_MARK = "_bot_tracker_store_failures_passed_on"
Result = TypeVar("Result")
MAX_RECORDING = 4  # activity records under way at once (_record_activity_beside)
ACTIVITY_WAIT = 0.5  # seconds a turn's answer waits for its activity record
_recording: set[asyncio.Future[None]] = set()


def consented(tracker: DialogueStateTracker) -> bool:
    """True when the person has accepted the consent text in this conversation."""
    return tracker.get_slot("consent") == "given"


def held_by_staff(tracker: DialogueStateTracker) -> set[int]:
    """``id()`` of the messages exchanged while a staff member held the conversation (Rasa's pause).

    The person asked to talk to someone and is told, when a staff member joins, that what they
    write is read and kept to answer them: those messages are kept even without consent (erased
    with the conversation and by the retention rules); slots and entities stay redacted.
    """
    paused, held = False, set()
    for event in tracker.events:
        if isinstance(event, ConversationPaused):
            paused = True
        elif isinstance(event, ConversationResumed):
            paused = False
        elif paused and isinstance(event, (UserUttered, BotUttered)):
            held.add(id(event))
    return held


def redact(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of one serialised event without personal data (see the module docstring)."""
    event = json.loads(json.dumps(data))  # deep copy of plain JSON data
    kind = event.get("event")
    if kind == "user":
        event["text"] = None
        event["metadata"] = _only(event.get("metadata"), "is_external")
        parse = event.get("parse_data") or {}
        if parse:
            parse["text"] = None
            parse["entities"] = _redacted_entities(parse.get("entities"))
        if "entities" in event:
            event["entities"] = _redacted_entities(event.get("entities"))
    elif kind == "bot":
        event["text"] = None
        event["metadata"] = _only(event.get("metadata"), "utter_action")
    elif kind == "slot" and event.get("name") in PERSONAL_SLOTS and event.get("value") is not None:
        event["value"] = None
    elif kind == "entities":
        event["entities"] = _redacted_entities(event.get("entities"))
    return event


def _only(metadata: Mapping[str, Any] | None, key: str) -> dict[str, Any]:
    return {key: metadata[key]} if metadata and key in metadata else {}


def _redacted_entities(entities: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{**entity, "value": REDACTED, "text": REDACTED} for entity in entities or []]


def is_written_by_person(data: Mapping[str, Any]) -> bool:
    """True for a message the person typed, False for an intent the assistant triggered itself.

    ``data`` is a serialised event (``Event.as_dict()``).
    """
    return data.get("event") == "user" and not (data.get("metadata") or {}).get("is_external")


class PrivacyTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that redacts conversations without consent and deletes erased ones."""

    engine: Any  # Rasa's SQLAlchemy engine (set by SQLTrackerStore.__init__), replaced below for SQLite files

    def __init__(self, *args: Any, pending_url: str | None = None, **kwargs: Any) -> None:
        from bot.store.session import is_sqlite_file, private_sqlite_file, sqlite_file_engine

        if "://" in str(kwargs.get("host") or ""):
            private_sqlite_file(kwargs["host"])  # before Rasa's engine creates the file
        super().__init__(*args, **kwargs)

        url = self.engine.url
        if is_sqlite_file(url):
            # Rasa's engine opens the file again for every session; keep the connections instead.
            self.engine.dispose()
            self.engine = sqlite_file_engine(url, busy_timeout=BUSY_TIMEOUT)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        elif url.get_backend_name() != "sqlite":
            # Rasa's engine hands out a connection the server dropped (a restart, an idle timeout)
            # and the turn fails; test each one before use and replace it if it is gone.
            self.engine.dispose()
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self._statements = _event_statements(self.SQLEvent.__table__)
        # Rasa creates its table once, at start-up, and goes on without it if the database is away then
        # ("Could not create tables"): every turn would fail until a restart. Created at the first turn instead.
        self._tables_ready = self._create_tables()
        # the original events of unconsented conversations: this process's memory, or Redis (bot.rasa.pending)
        self.pending = pending_store(pending_url or None)
        if isinstance(self.pending, RedisPending):
            persisted = self.pending.persistence()
            logger.info("what people say before consenting is kept aside in Redis, for 2 hours at most")
            if any(found.startswith("unknown: ") and "CONFIG" not in found for found in persisted):
                logger.warning(
                    "Redis (REDIS_URL) unreachable at start-up (%s): turns are refused with the channel's apology "
                    "until it answers; its persistence is not checked",
                    ", ".join(persisted),
                )
            elif persisted:
                logger.warning(
                    "Redis keeps copies on disk (%s): what people say before consenting may reach its dump "
                    "files; run the Redis of REDIS_URL without persistence (docs/architecture.md)",
                    ", ".join(persisted),
                )

    # --- memory of what was redacted ---------------------------------------------------------

    def forget_pending(self, sender_id: str) -> None:
        """Drop what is remembered of an unconsented conversation."""
        self.pending.forget(sender_id)

    def _still_stored(self, session: Any, sender_id: str, originals: dict[int, str]) -> dict[int, str]:
        """The remembered originals whose rows are still stored; the others are forgotten.

        Another process (``bot volunteers forget``, the console) may have erased the
        conversation: its rows are gone and their ids may be reused, and what was said must
        not come back with the next consent.
        """
        if not originals:
            return originals
        table = self.SQLEvent.__table__
        stored = set(
            session.execute(
                sa.select(table.c.id).where(table.c.sender_id == sender_id, table.c.id.in_(list(originals)))
            ).scalars()
        )
        if len(stored) == len(originals):
            return originals
        kept = {row_id: original for row_id, original in originals.items() if row_id in stored}
        self.pending.replace(sender_id, kept)
        return kept

    # --- Rasa's interface ---------------------------------------------------------------------

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        statement = self._statements["all" if fetch_events_from_all_sessions else "session"]

        async def read() -> tuple[list[Any], list[dict[str, Any]]]:
            with self.session_scope() as session:
                rows = session.execute(statement, {"sender_id": sender_id}).all()
                originals = self._still_stored(session, sender_id, self.pending.get(sender_id))
                return rows, [json.loads(originals.get(row.id, row.data)) for row in rows]

        rows, events = await self._retrying("read", sender_id, read)
        if self.domain and events:
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            if not fetch_events_from_all_sessions:
                # what the "count" statement would say until this turn's save (the turn holds the lock)
                tracker.__dict__[_STORED_COUNT] = len(rows)
            return tracker
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the turn's new events: redacted without consent, none at all after an erasure."""
        written = await self._retrying("saved", tracker.sender_id, lambda: self._write(tracker))
        if written.erased is not None:
            logger.info("conversation %s erased (%d events)", pseudonym(tracker.sender_id), written.erased)
            await self._wipe_erased()  # the commit gave the session's connection back
            return
        if written.consented and any(is_written_by_person(data) for data in written.events):
            recording = _record_activity_beside(tracker.get_latest_input_channel() or "rest", tracker.sender_id)
            if recording is not None:  # done before the answer, as a rule; a slow database is not waited for
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(recording), ACTIVITY_WAIT)

    async def _write(self, tracker: DialogueStateTracker) -> _Written:
        """One attempt at writing the turn, in one transaction; this process's memory follows only its commit."""
        with self.session_scope() as session:
            # each new event serialised once: the checks below and the rows all read it
            new_events = [(event, event.as_dict()) for event in self._additional_events(session, tracker)]
            serialised = [data for _, data in new_events]
            if _erased(serialised):
                deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == tracker.sender_id).delete()
                session.commit()
                self.forget_pending(tracker.sender_id)
                return _Written(serialised, consented=False, erased=deleted)
            await self.stream_events(tracker)
            keep = consented(tracker)
            held = set() if keep else held_by_staff(tracker)
            rows = [
                _row(tracker.sender_id, event, data, data if keep or id(event) in held else redact(data))
                for event, data in new_events
            ]
            insert = self.SQLEvent.__table__.insert()
            originals: dict[int, str] = {}
            if keep:
                if rows:
                    session.execute(insert, rows)  # one statement for the turn's events
                self._restore_profile_slots(session, tracker.sender_id)
            else:
                # one statement per event: the memory of the originals goes by row id
                originals = {
                    session.execute(insert, row).inserted_primary_key[0]: json.dumps(data)
                    for row, (_, data) in zip(rows, new_events, strict=True)
                }
                # Kept aside before the commit: when Redis is away the turn is rolled back whole, rather
                # than stored redacted with what the person said lost.
                self.pending.remember(tracker.sender_id, originals)
            try:
                session.commit()
            except BaseException:
                self._unremember(tracker.sender_id, originals)
                raise
        if keep or (tracker.get_slot("consent") == "refused" and _refused_now(serialised)):
            self.forget_pending(tracker.sender_id)
        return _Written(serialised, consented=keep)

    def _unremember(self, sender_id: str, originals: dict[int, str]) -> None:
        """Drop the originals of a turn whose commit failed: their row ids were never stored (SQLite reuses them)."""
        if not originals:
            return
        with contextlib.suppress(Exception):  # Redis away too: PostgreSQL never reuses an id, reads drop it
            kept = self.pending.get(sender_id)
            self.pending.replace(sender_id, {row_id: data for row_id, data in kept.items() if row_id not in originals})

    async def _retrying(self, doing: str, sender_id: str, attempt: Callable[[], Awaitable[Result]]) -> Result:
        """``attempt`` (one transaction), tried again after a lock or a lost connection; then DatabaseUnavailableError.

        Each attempt starts afresh: a save counts the stored events again (``_additional_events``),
        so one committed just before its connection died is not written twice.
        """
        for pause in (*RETRY_PAUSES, None):
            try:
                if not self._tables_ready:
                    self._tables_ready = await asyncio.to_thread(self._create_tables)
                return await attempt()
            except _redis_errors() as error:
                logger.error(
                    "conversation %s not %s: Redis (REDIS_URL) unreachable (%s); the volunteer is asked to try again",
                    pseudonym(sender_id), doing, type(error).__name__,
                )  # fmt: skip
                raise
            except SQLAlchemyError as error:
                kind = database_failure(error) or FAILING
                if pause is None or kind not in TRANSIENT:
                    logger.error(
                        "conversation %s not %s: the database is %s (%s); the volunteer is asked to try again",
                        pseudonym(sender_id), doing, kind, type(error).__name__,
                    )  # fmt: skip
                    raise DatabaseUnavailableError(kind) from error
                if pause == RETRY_PAUSES[0]:
                    logger.info("conversation %s not %s yet: the database is %s", pseudonym(sender_id), doing, kind)
            await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _create_tables(self) -> bool:
        """Create Rasa's events table if it is missing; False when the database cannot be reached yet."""
        try:
            self.Base.metadata.create_all(self.engine)
        except SQLAlchemyError as error:
            logger.warning(
                "the conversations' table is not checked yet: %s (%s)", database_failure(error), type(error).__name__
            )
            return False
        return True

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterable[Event]:
        """The tracker's events of the latest session that are not stored yet (as Rasa counts them).

        The first save of a tracker this store has just read uses the number of rows it read:
        nothing else writes this conversation while Rasa's lock on it is held.
        """
        stored = tracker.__dict__.pop(_STORED_COUNT, None)
        if stored is None:
            stored = session.execute(self._statements["count"], {"sender_id": tracker.sender_id}).scalar_one()
        return itertools.islice(tracker.events, stored, len(tracker.events))

    def _restore_profile_slots(self, session: Any, sender_id: str) -> None:
        """Consent given: write back the profile slot values said before it (not the texts).

        The memory of them is dropped by the caller once the turn is committed.
        """
        originals = self.pending.get(sender_id)
        for row_id, original in originals.items():
            data = json.loads(original)
            if data.get("event") != "slot":
                continue
            session.query(self.SQLEvent).filter(
                self.SQLEvent.id == row_id, self.SQLEvent.sender_id == sender_id
            ).update({"data": original}, synchronize_session=False)

    async def _wipe_erased(self) -> None:
        """Leave no copy of an erased conversation in the database's files (in a thread: it may wait for readers)."""
        from bot.store.session import wipe_deleted_rows

        await asyncio.to_thread(wipe_deleted_rows, self.engine, (self.SQLEvent.__tablename__,), rewrite=False)


def _event_statements(table: sa.Table) -> dict[str, Any]:
    """Rasa's event queries (SQLTrackerStore._event_query) as statements compiled once.

    "session": the events since the person's latest session start (all of them when there is
    none), as ``(id, data)`` rows in the order they were written; "all": every event; "count":
    how many "session" returns.
    """
    sender = table.c.sender_id == sa.bindparam("sender_id")
    session_start = (
        sa.select(sa.func.max(table.c.timestamp))
        .where(sender, table.c.type_name == SessionStarted.type_name)
        .scalar_subquery()
    )
    latest_session = sa.or_(table.c.timestamp >= session_start, session_start.is_(None))
    rows = sa.select(table.c.id, table.c.data)
    return {
        "session": rows.where(sender, latest_session).order_by(table.c.id),
        "all": rows.where(sender).order_by(table.c.id),
        "count": sa.select(sa.func.count()).select_from(table).where(sender, latest_session),
    }


def _row(sender_id: str, event: Event, data: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The ``events`` row of one event (``data``, serialised) as Rasa writes it, holding ``stored``."""
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(stored),
    }


def _erased(events: Iterable[Mapping[str, Any]]) -> bool:
    return any(data.get("event") == "action" and data.get("name") == ERASURE_ACTION for data in events)


def _refused_now(events: Iterable[Mapping[str, Any]]) -> bool:
    return any(data.get("event") == "slot" and data.get("name") == "consent" for data in events)


@dataclass(frozen=True)
class _Written:
    """What a save wrote: the turn's new events (serialised), whether kept whole, how many erased."""

    events: list[dict[str, Any]]
    consented: bool
    erased: int | None = None


def _record_activity_beside(channel: str, sender_id: str) -> asyncio.Future[None] | None:
    """Record the person's activity in a thread, beside the turn; None when skipped.

    The application database may keep it waiting (a lock: up to ``BUSY_TIMEOUT``, 5 s): the
    turn waits for it ``ACTIVITY_WAIT`` at most, the other conversations not at all. Best
    effort: with ``MAX_RECORDING`` records under way already, the database is slow and this
    one is skipped (the next message records it; activity counts to within ten minutes).
    """
    if len(_recording) >= MAX_RECORDING:
        logger.info("activity of conversation %s not recorded: the database is slow", pseudonym(sender_id))
        return None
    task = asyncio.ensure_future(asyncio.to_thread(_record_activity, channel, sender_id))
    _recording.add(task)
    task.add_done_callback(_recording.discard)
    return task


def _record_activity(channel: str, sender_id: str) -> None:
    """The person wrote: they are active (retention). Never breaks the conversation."""
    from bot.store import retention
    from bot.store.session import session_scope

    try:
        with session_scope() as session:
            retention.touch(session, channel=channel, sender_id=sender_id)
    except Exception as error:  # noqa: BLE001 - the application database being down must not stop the dialogue
        logger.warning(
            "could not record the activity of conversation %s: %s (%s)",
            pseudonym(sender_id), database_failure(error) or "failed", type(error).__name__,
        )  # fmt: skip


def _redis_errors() -> tuple[type[Exception], ...]:
    """Redis's errors (what people said before consenting is kept there with REDIS_URL)."""
    import redis

    return (redis.RedisError,)


def _pass_on(error: Exception) -> None:
    """FailSafeTrackerStore's error callback: the failure reaches the channel, which answers politely."""
    raise error


def install() -> bool:
    """Make the Rasa agent's tracker store wrapper pass failures on (see the module docstring); True when in place.

    Rasa's ``Agent._create_tracker_store`` builds ``FailSafeTrackerStore(store)``; this builds it
    with the error callback that Rasa's constructor offers, so that a failure is raised instead
    of hidden. Only on the Rasa version it was checked against.
    """
    import rasa
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore

    if rasa.__version__ != CHECKED_RASA:
        logger.warning(
            "tracker store failures stay hidden by Rasa (handled as a new conversation): checked against "
            "Rasa %s, this is Rasa %s", CHECKED_RASA, rasa.__version__,
        )  # fmt: skip
        return False
    if getattr(Agent._create_tracker_store, _MARK, False):
        return True

    def create_tracker_store(store: Any, domain: Any) -> Any:
        if store is not None:
            store.domain = domain
        else:
            store = InMemoryTrackerStore(domain)
        return FailSafeTrackerStore(store, on_tracker_store_error=_pass_on)

    setattr(create_tracker_store, _MARK, True)
    Agent._create_tracker_store = staticmethod(create_tracker_store)
    return True
