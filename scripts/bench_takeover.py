"""Part `takeover` of `make bench`: from a staff message sent in the console to its arrival in the bubble.

Starts the assistant (action server, Rasa server) and the web app as `make run` does, opens
``--takeover-bubbles`` chat bubble connections (WebSocket, as the page's script speaks it) that
each ask to talk to someone, logs a staff member in to the console and takes each conversation
over. Then, while 10 simulated volunteers talk to the REST channel at the same time
(scripts/bench_conversations.py), it sends ``--takeover-messages`` staff messages one after
another through the console's form (``POST /console/conversations/handoff/{id}/message``) and
times each from the moment the request leaves to the moment the bubble receives the message.

Usage::

    .venv/bin/python -m scripts.benchmark --only takeover --model models/X.tar.gz
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import websockets.client
from websockets.typing import Origin

from bot.config import Settings
from bot.serve import running_web
from bot.store import models
from bot.store import staff as staff_store
from bot.store.session import session_scope
from scripts.bench_conversations import LoadResult, run_load
from scripts.measure.assistant import free_port, started_assistant
from scripts.measure.report import context_lines, invocation, percentile, table, write_section

TARGET_P95_MS = 1000
STAFF = ("bench-takeover@entraide.test", "bench-takeover-password-1")
ORIGIN = "http://127.0.0.1:8000"  # allowed by default (WIDGET_ALLOWED_ORIGINS unset, WEB_PORT 8000)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This part's options."""
    parser.add_argument("--takeover-bubbles", type=int, default=5, help="bubble conversations taken over")
    parser.add_argument("--takeover-messages", type=int, default=60, help="staff messages timed")


async def _open_bubble(socket: str) -> tuple[Any, str]:
    """A bubble connection that asked to talk to someone, and its conversation id."""
    ws = await websockets.client.connect(socket, origin=Origin(ORIGIN))
    await ws.send(json.dumps({"type": "hello", "conversation": None}))
    welcome = json.loads(await ws.recv())
    await ws.send(json.dumps({"type": "message", "text": "je voudrais parler à quelqu'un de l'équipe"}))
    while True:  # until the assistant stops typing
        frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if frame["type"] == "typing" and not frame["on"]:
            break
    return ws, str(welcome["conversation"]).rsplit(".", 1)[0]


async def _staff_client(web: str) -> tuple[httpx.AsyncClient, str]:
    client = httpx.AsyncClient(base_url=web, timeout=30)
    page = await client.get("/console/login")
    token = CSRF.search(page.text)
    assert token is not None
    await client.post(
        "/console/login",
        data={"email": STAFF[0], "password": STAFF[1], "csrf_token": token.group(1), "next": "/console/"},
    )
    dashboard = await client.get("/console/")
    token = CSRF.search(dashboard.text)
    assert token is not None, "the staff member could not log in"
    return client, token.group(1)


async def _measure(settings: Settings, web: str, bubbles: int, messages: int) -> list[float]:
    socket = f"ws://127.0.0.1:{settings.rasa_port}/webhooks/web/socket"
    opened = [await _open_bubble(socket) for _ in range(bubbles)]
    with session_scope(settings.database_url) as session:
        requests_of = {
            row.sender_id: row.id
            for row in session.query(models.HandoffRequest).filter(
                models.HandoffRequest.sender_id.in_([sender for _, sender in opened])
            )
        }
    client, csrf = await _staff_client(web)
    urls = [f"/console/conversations/handoff/{requests_of[sender]}" for _, sender in opened]
    for (ws, _), url in zip(opened, urls, strict=True):
        taken = await client.post(f"{url}/prendre", data={"csrf_token": csrf})
        assert taken.status_code in (200, 303), taken.status_code
        await _until(ws, "a rejoint la conversation")
    latencies = []
    for number in range(messages):
        ws, _ = opened[number % bubbles]
        marker = f"message {number} de l'équipe"
        started = time.perf_counter()
        sent = await client.post(
            f"{urls[number % bubbles]}/message",
            data={"text": marker, "csrf_token": csrf},
            headers={"Accept": "application/json"},
        )
        assert sent.status_code == 200, sent.text
        await _until(ws, marker)
        latencies.append((time.perf_counter() - started) * 1000)
    for (ws, _), url in zip(opened, urls, strict=True):
        await client.post(f"{url}/rendre", data={"csrf_token": csrf})
        await ws.close()
    await client.aclose()
    return latencies


async def _until(ws: Any, words: str) -> None:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if frame.get("type") == "bot" and words in str(frame.get("text", "")):
            return


def _talk(webhook: str, number: int, stop: threading.Event, results: list[LoadResult]) -> None:
    """One simulated volunteer after another until ``stop``: one of the 10 concurrent conversations."""
    seed = 0
    while not stop.is_set():
        results.append(run_load(webhook, f"takeover-{number}", 1, 1, seed=seed))
        seed += 1


def run(args: argparse.Namespace, model: Path) -> None:
    """Measure and write the section ``takeover`` of the report."""
    folder = args.workdir / "takeover"
    with started_assistant(model, folder) as assistant:
        settings = replace(assistant.settings, web_port=free_port(), background_seconds=0)
        with session_scope(settings.database_url) as session:
            if staff_store.find_by_email(session, email=STAFF[0]) is None:
                staff_store.add(session, email=STAFF[0], role="admin", password=STAFF[1])
        with running_web(settings, log_dir=folder / "logs") as web:
            loads: list[LoadResult] = []
            stop = threading.Event()
            talkers = [
                threading.Thread(target=_talk, args=(assistant.webhook, number, stop, loads)) for number in range(10)
            ]
            for talker in talkers:
                talker.start()
            time.sleep(2)  # the 10 conversations are under way
            latencies = asyncio.run(_measure(settings, web, args.takeover_bubbles, args.takeover_messages))
            stop.set()
            for talker in talkers:
                talker.join()
    p95 = percentile(latencies, 95)
    turns = [latency for load in loads for latency in load.latencies_ms]
    lines = [
        "Staff message to the chat bubble: the time from the console's `POST …/message` leaving to the",
        "bubble's WebSocket receiving the message, one message at a time, while 10 simulated volunteers",
        "talk to the REST channel at the same time (scripts/bench_takeover.py).",
        "",
        *context_lines(invocation()),
        f"- {len(latencies)} staff messages over {args.takeover_bubbles} conversations taken over, while 10 "
        f"volunteers kept talking ({len(turns)} of their messages meanwhile, turn p95 {percentile(turns, 95):.0f} ms)",
        "",
        *table(
            ["", "median", "p95", "max", "target p95"],
            [[
                "staff message → bubble (ms)",
                f"{percentile(latencies, 50):.0f}",
                f"{p95:.0f}",
                f"{max(latencies):.0f}",
                f"≤ {TARGET_P95_MS} ({'met' if p95 <= TARGET_P95_MS else 'missed'})",
            ]],
        ),
    ]  # fmt: skip
    write_section(args.report, "takeover", "\n".join(lines), title="Benchmarks")
