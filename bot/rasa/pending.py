"""What a person said before consenting, kept out of the database until they accept (bot.rasa.tracker_store).

The tracker store writes an unconsented conversation redacted and keeps the original events aside
for at most :data:`PENDING_TTL`, so that "je m'appelle Julie, j'habite à Bron" said before the
consent question still fills the profile once the person accepts. Where they are kept:

- :class:`InMemoryPending` (one Rasa process, ``make run``): this process's memory, at most
  :data:`PENDING_MAX_CONVERSATIONS` conversations, the least recently used dropped first;
- :class:`RedisPending` (several Rasa processes, issue 19: any process may take the next turn):
  one Redis hash per conversation (field: the event's row id; value: the original event), which
  expires :data:`PENDING_TTL` after its last change. A refusal or an erasure deletes it at once.

Redis's own persistence would copy these values into its dump files: run the Redis that holds
them without persistence (``save ""``, ``appendonly no``; docs/architecture.md, "Several Rasa
processes"), and :meth:`RedisPending.persistence` reports it so that the server can say so at
start-up.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Protocol

PENDING_TTL = 2 * 60 * 60  # seconds: the conversation's session expiry (domain.yml session_config)
PENDING_MAX_CONVERSATIONS = 10_000
SOCKET_TIMEOUT_SECONDS = 3.0
DEFAULT_PREFIX = "benevoles:pending:"


class Pending(Protocol):
    """The original events of unconsented conversations, by sender id and event row id."""

    def get(self, sender_id: str) -> dict[int, str]: ...

    def remember(self, sender_id: str, originals: dict[int, str]) -> None: ...

    def replace(self, sender_id: str, kept: dict[int, str]) -> None: ...

    def forget(self, sender_id: str) -> None: ...


class InMemoryPending:
    """This process's memory: right for one Rasa process."""

    def __init__(self, ttl: float = PENDING_TTL, most: int = PENDING_MAX_CONVERSATIONS) -> None:
        self.ttl, self.most = ttl, most
        # sender id -> (last change, {event row id: original serialised event})
        self._kept: OrderedDict[str, tuple[float, dict[int, str]]] = OrderedDict()

    def get(self, sender_id: str) -> dict[int, str]:
        entry = self._kept.get(sender_id)
        if entry is None:
            return {}
        if time.monotonic() - entry[0] > self.ttl:
            del self._kept[sender_id]
            return {}
        return entry[1]

    def remember(self, sender_id: str, originals: dict[int, str]) -> None:
        if not originals:
            return
        kept = {**self.get(sender_id), **originals}
        self._kept[sender_id] = (time.monotonic(), kept)
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.most:
            self._kept.popitem(last=False)

    def replace(self, sender_id: str, kept: dict[int, str]) -> None:
        if not kept:
            self.forget(sender_id)
        elif sender_id in self._kept:
            self._kept[sender_id] = (self._kept[sender_id][0], kept)

    def forget(self, sender_id: str) -> None:
        self._kept.pop(sender_id, None)


class RedisPending:
    """A Redis hash per conversation, expiring: any Rasa process continues the conversation."""

    def __init__(self, client: Any, *, ttl: float = PENDING_TTL, prefix: str = DEFAULT_PREFIX) -> None:
        self.red, self.ttl_ms, self.prefix = client, int(ttl * 1000), prefix

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisPending:
        """On the Redis at ``url`` (``redis://host:port/db``)."""
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_SECONDS), **kwargs)

    def _key(self, sender_id: str) -> str:
        return self.prefix + sender_id

    def get(self, sender_id: str) -> dict[int, str]:
        stored = self.red.hgetall(self._key(sender_id))
        return {int(row_id): original.decode("utf-8") for row_id, original in stored.items()}

    def remember(self, sender_id: str, originals: dict[int, str]) -> None:
        if not originals:
            return
        key = self._key(sender_id)
        with self.red.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={str(row_id): original for row_id, original in originals.items()})
            pipe.pexpire(key, self.ttl_ms)
            pipe.execute()

    def replace(self, sender_id: str, kept: dict[int, str]) -> None:
        key = self._key(sender_id)
        with self.red.pipeline(transaction=True) as pipe:
            ttl = self.red.pttl(key)
            pipe.delete(key)
            if kept and ttl > 0:
                pipe.hset(key, mapping={str(row_id): original for row_id, original in kept.items()})
                pipe.pexpire(key, ttl)
            pipe.execute()

    def forget(self, sender_id: str) -> None:
        self.red.delete(self._key(sender_id))

    def persistence(self) -> list[str]:
        """What of Redis's persistence is on (``save`` snapshots, ``appendonly``); empty when none.

        A Redis that refuses CONFIG (a managed one) or cannot be reached says so in the list.
        """
        import redis

        found = []
        try:
            config = self.red.config_get("save")
            if (config.get("save") or "").strip():
                found.append(f"save {config['save']}")
            if self.red.config_get("appendonly").get("appendonly") == "yes":
                found.append("appendonly yes")
        except redis.ResponseError:
            found.append("unknown: CONFIG refused")
        except redis.RedisError as error:
            found.append(f"unknown: {type(error).__name__}")
        return found


def pending_store(url: str | None) -> Pending:
    """Redis when ``url`` is set (several Rasa processes), this process's memory otherwise."""
    return RedisPending.from_url(url) if url else InMemoryPending()
