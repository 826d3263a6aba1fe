"""bot.rasa.lock_store: the conversation lock in Redis, atomic across processes (issue 19), on the local Redis."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time

import pytest
import redis
from rasa.core.lock_store import LockError

from bot.rasa.lock_store import AtomicRedisLockStore


def store(url: str, prefix: str) -> AtomicRedisLockStore:
    return AtomicRedisLockStore.from_url(url, key_prefix=prefix)


def test_tickets_are_served_in_order_and_the_keys_go_with_the_last(redis_server: str, redis_prefix: str) -> None:
    locks = store(redis_server, redis_prefix)
    first, second = locks.issue_ticket("c", 10), locks.issue_ticket("c", 10)
    assert second == first + 1
    assert locks.is_my_turn("c", first) and not locks.is_my_turn("c", second)
    held = locks.get_lock("c")
    assert held is not None and [t.number for t in held.tickets] == [first, second]
    assert 9 < held.tickets[0].expires - time.time() <= 10.5  # Redis's clock, told in this machine's
    locks.cleanup("c", first)
    assert locks.is_my_turn("c", second) and locks.is_someone_waiting("c")
    locks.cleanup("c", second)
    assert not locks.is_someone_waiting("c")
    assert list(redis.Redis.from_url(redis_server).scan_iter(f"{redis_prefix}*")) == []


def test_the_keys_expire_with_the_lock_so_a_killed_process_leaves_nothing_held(
    redis_server: str, redis_prefix: str
) -> None:
    locks = store(redis_server, redis_prefix)
    ticket = locks.issue_ticket("c", 0.3)  # the process holding it dies: nobody gives it back
    client = redis.Redis.from_url(redis_server)
    assert 0 < client.pttl(f"{redis_prefix}c") <= 300 and 0 < client.pttl(f"{redis_prefix}c:n") <= 300
    waiting = locks.issue_ticket("c", 10)
    assert not locks.is_my_turn("c", waiting)
    time.sleep(0.35)
    assert locks.is_my_turn("c", waiting)  # the dead holder's ticket expired: the next one goes on
    with pytest.raises(LockError):
        locks.is_my_turn("c", ticket)


def test_a_ticket_expired_while_waiting_raises_rasas_lock_error(redis_server: str, redis_prefix: str) -> None:
    locks = store(redis_server, redis_prefix)

    async def wait_behind_a_long_turn() -> None:
        locks.issue_ticket("c", 5)
        async with locks.lock("c", lock_lifetime=0.1):
            pass

    with pytest.raises(LockError):
        asyncio.run(wait_behind_a_long_turn())


def test_an_unreachable_redis_is_a_lock_error_not_a_silent_pass() -> None:
    locks = AtomicRedisLockStore(host="127.0.0.1", port=1)  # nothing listens there

    async def turn() -> None:
        async with locks.lock("c"):
            pass

    with pytest.raises(LockError):
        asyncio.run(turn())


def _hammer(url: str, prefix: str, turns: int, start: float) -> None:
    """One process: ``turns`` turns of one conversation, each writing its start and end to a Redis list."""
    locks = store(url, prefix)
    client = redis.Redis.from_url(url)
    me = os.getpid()

    async def run() -> None:
        while time.time() < start:  # all processes begin together
            await asyncio.sleep(0.001)
        for n in range(turns):
            async with locks.lock("shared", lock_lifetime=10):
                client.rpush(f"{prefix}log", f"start {me} {n}")
                await asyncio.sleep(0.002)
                client.rpush(f"{prefix}log", f"end {me} {n}")

    asyncio.run(run())


def test_processes_hammering_one_conversation_never_interleave_its_turns(redis_server: str, redis_prefix: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = time.time() + 2.5  # after the interpreters and their imports
    workers = [context.Process(target=_hammer, args=(redis_server, redis_prefix, 40, start)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    log = [entry.decode() for entry in redis.Redis.from_url(redis_server).lrange(f"{redis_prefix}log", 0, -1)]
    assert len(log) == 4 * 40 * 2
    for opened, closed in zip(log[::2], log[1::2], strict=True):  # every start is followed by its own end
        assert opened.startswith("start ") and closed == "end " + opened.removeprefix("start ")
    assert len({entry.split()[1] for entry in log}) == 4  # all four took turns


def test_a_later_ticket_with_a_shorter_life_still_waits_its_turn(redis_server: str, redis_prefix: str) -> None:
    locks = store(redis_server, redis_prefix)
    first, later = locks.issue_ticket("c", 10), locks.issue_ticket("c", 1)
    assert not locks.is_my_turn("c", later) and locks.is_my_turn("c", first)
    held = locks.get_lock("c")
    assert held is not None and held.now_serving == first
