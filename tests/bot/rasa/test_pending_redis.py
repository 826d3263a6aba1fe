"""What people said before consenting, kept in Redis so that any Rasa process continues the conversation (issue 19).

Two tracker stores on one database and one Redis stand for two Rasa processes; the local Redis and
the databases are real (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
import redis
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from sqlalchemy import text

from bot.config import get_settings
from bot.rasa.pending import InMemoryPending, RedisPending, pending_store
from bot.rasa.tracker_store import PrivacyTrackerStore
from tests.bot.rasa.test_tracker_store import EMAIL, NAME, SENDER, domain, first_message, rows, turn

__all__ = ["domain"]  # the module-scoped fixture, shared


@pytest.fixture()
def two_processes(
    database_url: str, domain: Domain, redis_server: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[PrivacyTrackerStore, PrivacyTrackerStore]]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    dialect = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    stores = []
    for _ in range(2):
        store = PrivacyTrackerStore(domain=domain, host=database_url, dialect=dialect, pending_url=redis_server)
        store.pending = RedisPending.from_url(redis_server, prefix=redis_prefix)
        stores.append(store)
    yield stores[0], stores[1]
    for store in stores:
        store.engine.dispose()
    get_settings.cache_clear()


def keys(url: str, prefix: str) -> list[bytes]:
    return list(redis.Redis.from_url(url).scan_iter(f"{prefix}*"))


def test_another_process_continues_with_what_was_said_before_consent(
    two_processes: tuple[PrivacyTrackerStore, PrivacyTrackerStore], domain: Domain, redis_server: str, redis_prefix: str
) -> None:
    first, other = two_processes
    first_message(first, domain)
    assert NAME not in rows(first)  # redacted in the database
    ttl = redis.Redis.from_url(redis_server).pttl(keys(redis_server, redis_prefix)[0])
    assert 0 < ttl <= 2 * 60 * 60 * 1000
    tracker = asyncio.run(other.retrieve(SENDER))
    assert (tracker.get_slot("first_name"), tracker.get_slot("email")) == (NAME, EMAIL)
    turn(
        other, domain,
        UserUttered("oui j'accepte", {"name": "affirm", "confidence": 0.99}, input_channel="rest"),
        ActionExecuted("action_record_consent"), SlotSet("consent", "given"), SlotSet("awaiting", None),
        ActionExecuted("action_listen"),
    )  # fmt: skip
    assert f'"value": "{NAME}"' in rows(first)  # the profile's facts restored in the database
    assert keys(redis_server, redis_prefix) == []  # and nothing left aside


def test_a_refusal_in_one_process_leaves_nothing_for_the_other(
    two_processes: tuple[PrivacyTrackerStore, PrivacyTrackerStore], domain: Domain, redis_server: str, redis_prefix: str
) -> None:
    first, other = two_processes
    first_message(first, domain)
    turn(
        other, domain,
        UserUttered("non merci", {"name": "deny", "confidence": 0.99}, input_channel="rest"),
        ActionExecuted("action_decline_consent"), SlotSet("consent", "refused"), SlotSet("first_name", None),
        SlotSet("email", None), SlotSet("place", None), ActionExecuted("action_listen"),
    )  # fmt: skip
    assert keys(redis_server, redis_prefix) == []
    assert asyncio.run(first.retrieve(SENDER)).get_slot("first_name") is None


def test_a_conversation_erased_elsewhere_is_forgotten_in_redis_too(
    two_processes: tuple[PrivacyTrackerStore, PrivacyTrackerStore], domain: Domain, redis_server: str, redis_prefix: str
) -> None:
    first, other = two_processes
    first_message(first, domain)
    with first.engine.begin() as connection:  # `bot volunteers forget` or the console, in a third process
        connection.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": SENDER})
    assert asyncio.run(other.retrieve(SENDER)) is None
    assert keys(redis_server, redis_prefix) == []


def test_what_is_kept_aside_expires(redis_server: str, redis_prefix: str) -> None:
    pending = RedisPending.from_url(redis_server, prefix=redis_prefix, ttl=0.2)
    pending.remember("c", {1: '{"event": "user"}'})
    assert pending.get("c") == {1: '{"event": "user"}'}
    time.sleep(0.3)
    assert pending.get("c") == {} and keys(redis_server, redis_prefix) == []


def test_one_process_keeps_it_in_memory_and_redis_persistence_is_reported(redis_server: str) -> None:
    assert isinstance(pending_store(None), InMemoryPending) and isinstance(pending_store(""), InMemoryPending)
    assert isinstance(pending_store(redis_server), RedisPending)
    reported = RedisPending.from_url(redis_server).persistence()
    assert all(item.startswith(("save ", "appendonly")) for item in reported)


def test_an_unreachable_redis_at_start_up_is_said_not_fatal() -> None:
    assert RedisPending.from_url("redis://127.0.0.1:1/0").persistence() == ["unknown: ConnectionError"]
