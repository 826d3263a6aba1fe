"""A Redis lock store whose every step is one atomic operation on the server (issue 19).

Rasa serialises the turns of one conversation with a ticket lock: a message takes a ticket, waits
until its ticket is the first unexpired one, is processed, and gives the ticket back. Rasa 3.6's
``RedisLockStore`` keeps the whole lock as one JSON value and changes it by reading it, changing
it in Python and writing it back: two processes taking a ticket at the same moment both read the
same lock, both write, and one ticket is lost, so two turns of one conversation can run at once.

Here a conversation's lock is a sorted set in Redis (member: the ticket's number; score: when it
expires, in Redis's own clock, milliseconds) and a counter for the numbers. Each step is one Lua
script, which Redis runs atomically:

- taking a ticket drops the expired ones, increments the counter and adds the ticket, and makes
  both keys expire with the last ticket (a process killed mid-turn leaves nothing behind for
  longer than the lock's lifetime);
- "is it my turn?" drops the expired tickets and checks that no smaller number is left;
- giving a ticket back removes it and deletes both keys when no one else waits.

Expiry is decided by Redis's clock only, so machines whose clocks differ agree. The waiting loop
polls every :data:`POLL_SECONDS` rather than Rasa's default second: a conversation's second
message should not wait a second longer than the first one's turn.

Configured in endpoints.yml (``type: bot.rasa.lock_store.AtomicRedisLockStore``, ``url``,
``port``, ``db``, ``password``, ``key_prefix``). It extends Rasa's ``LockStore`` (its extension
point): :meth:`lock` keeps Rasa's contract (``LockError`` when the ticket expired while waiting).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.02
SOCKET_TIMEOUT_SECONDS = 5.0
DEFAULT_PREFIX = "benevoles:lock:"

# Every script starts from Redis's clock (TIME: seconds, microseconds) and drops expired tickets.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
"""

# KEYS: tickets, counter. ARGV: lifetime in ms. Returns the new ticket's number.
_ISSUE = (
    _NOW
    + """
local lifetime = tonumber(ARGV[1])
local number = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], now + lifetime, number)
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < lifetime then redis.call('PEXPIRE', key, lifetime) end
end
return number
"""
)

# KEYS: tickets. ARGV: ticket. Returns 1 when it is this ticket's turn (no smaller number left: the
# set is ordered by expiry, and a later ticket may expire sooner), 0 when others come first, -1 when
# the ticket is gone (expired while waiting). A queue holds a few tickets: the loop is short.
_TURN = (
    _NOW
    + """
local mine = tonumber(ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -1 end
for _, number in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if tonumber(number) < mine then return 0 end
end
return 1
"""
)

# KEYS: tickets, counter. ARGV: ticket. Returns how many tickets still wait.
_RELEASE = (
    _NOW
    + """
redis.call('ZREM', KEYS[1], ARGV[1])
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then redis.call('DEL', KEYS[1], KEYS[2]) end
return left
"""
)

# KEYS: tickets. Returns the unexpired tickets with their expiry in ms, and Redis's now in ms.
_STATE = (
    _NOW
    + """
return {redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES'), now}
"""
)


def _number(ticket: Ticket) -> int:
    return ticket.number


class AtomicRedisLockStore(LockStore):
    """Rasa's ticket lock kept in Redis, each step one atomic script."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        host: str = "localhost",
        port: int = 6379,
        db: int = 1,
        password: str | None = None,
        key_prefix: str = DEFAULT_PREFIX,
        client: Any = None,
    ) -> None:
        import redis

        if endpoint_config is not None:
            kwargs = endpoint_config.kwargs
            host = endpoint_config.url or host
            port = int(kwargs.get("port") or port)
            db = int(kwargs.get("db") or db)
            password = kwargs.get("password") or None
            key_prefix = kwargs.get("key_prefix") or key_prefix
        self.red = client or redis.Redis(
            host=host, port=int(port), db=int(db), password=password, socket_timeout=SOCKET_TIMEOUT_SECONDS
        )
        self.prefix = key_prefix
        self._failing = False  # Redis unreachable at the last ticket: the outage is logged once
        self._issue = self.red.register_script(_ISSUE)
        self._turn = self.red.register_script(_TURN)
        self._release = self.red.register_script(_RELEASE)
        self._state = self.red.register_script(_STATE)
        super().__init__()

    @classmethod
    def from_url(cls, url: str, *, key_prefix: str = DEFAULT_PREFIX) -> AtomicRedisLockStore:
        """A lock store on the Redis at ``url`` (``redis://host:port/db``)."""
        import redis

        return cls(client=redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_SECONDS), key_prefix=key_prefix)

    def _keys(self, conversation_id: str) -> list[str]:
        tickets = f"{self.prefix}{conversation_id}"
        return [tickets, f"{tickets}:n"]

    # Rasa's LockStore interface -------------------------------------------------------------

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket for the conversation, atomically."""
        try:
            number = int(self._issue(keys=self._keys(conversation_id), args=[max(1, int(lock_lifetime * 1000))]))
        except Exception as error:
            if not self._failing:  # once per outage: every turn meanwhile is refused the same way
                logger.error(
                    "conversation locks: Redis unreachable (%s): every turn is refused with the channel's apology "
                    "until it answers again",
                    type(error).__name__,
                )
            self._failing = True
            raise LockError(f"Error while acquiring lock: {type(error).__name__}") from error
        if self._failing:
            logger.info("conversation locks: Redis reachable again, turns are served")
            self._failing = False
        return number

    def is_my_turn(self, conversation_id: str, ticket: int) -> bool:
        """Whether ``ticket`` is the first unexpired one; LockError when it expired while waiting."""
        turn = int(self._turn(keys=self._keys(conversation_id)[:1], args=[ticket]))
        if turn < 0:
            raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
        return turn == 1

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = POLL_SECONDS
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock: take a ticket, wait for its turn, give it back at the end."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            poll = min(wait_time_in_seconds, POLL_SECONDS)
            while not self.is_my_turn(conversation_id, ticket):
                await asyncio.sleep(poll)
            yield TicketLock(conversation_id)  # Rasa's agent does not read it: no extra round trip per turn
        finally:
            self.cleanup(conversation_id, ticket)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back; the keys go with the last ticket."""
        try:
            self._release(keys=self._keys(conversation_id), args=[ticket_number])
        except Exception as error:  # noqa: BLE001 - the ticket expires by itself
            logger.warning("lock of a conversation not released (%s): it expires by itself", type(error).__name__)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back (same as :meth:`cleanup`: one atomic step)."""
        self.cleanup(conversation_id, ticket_number)

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's unexpired tickets, their expiry in this machine's clock; None without any."""
        members, now_ms = self._state(keys=self._keys(conversation_id)[:1])
        if not members:
            return None
        offset = time.time() - int(now_ms) / 1000
        pairs = zip(members[::2], members[1::2], strict=True)
        tickets = deque(sorted((Ticket(int(n), float(score) / 1000 + offset) for n, score in pairs), key=_number))
        return TicketLock(conversation_id, tickets)

    def is_someone_waiting(self, conversation_id: str) -> bool:
        """Whether any unexpired ticket is left."""
        return self.get_lock(conversation_id) is not None

    def update_lock(self, conversation_id: str) -> None:
        """Expired tickets are dropped by every script: nothing to do."""

    def delete_lock(self, conversation_id: str) -> None:
        """Forget the conversation's lock altogether."""
        self.red.delete(*self._keys(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        """Not used: every change is a script. Kept for Rasa's interface."""
        raise NotImplementedError("AtomicRedisLockStore changes locks only through atomic scripts")


class ConfiguredLockStore(LockStore):
    """endpoints.yml's lock store: in this process's memory without ``url``, :class:`AtomicRedisLockStore` with.

    ``url`` is the REDIS_URL setting (``redis://host:port/db``). Rasa builds a custom lock store by
    calling its class with the endpoint's configuration; this class hands back the right store.
    """

    def __new__(cls, endpoint_config: EndpointConfig | None = None) -> LockStore:
        from rasa.core.lock_store import InMemoryLockStore

        url = (endpoint_config.url if endpoint_config is not None else "") or ""
        if not url:
            return InMemoryLockStore()
        prefix = (endpoint_config.kwargs.get("key_prefix") if endpoint_config is not None else None) or DEFAULT_PREFIX
        store = AtomicRedisLockStore.from_url(url, key_prefix=prefix)
        logger.info("conversation locks in Redis (%s)", _where(url))
        return store


def _where(url: str) -> str:
    """The Redis address without its password, for the logs."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"
