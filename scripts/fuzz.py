"""`make fuzz`: hostile messages on every channel of the running assistant, and what they cost real users.

Usage::

    make fuzz                                                     # writes docs/benchmarks.md (about 10 minutes)
    .venv/bin/python -m scripts.fuzz --model models/X.tar.gz --messages 2000 --report /tmp/fuzz.md
    .venv/bin/python -m scripts.fuzz --show 1234                  # print case 1234 of seed 0, to reproduce it
    .venv/bin/python -m scripts.fuzz --model M --only rest/nested_arrays telegram/odd_location --messages 200

Starts the real assistant (``bot.serve.running_assistant``: Rasa and action servers on free
loopback ports, SQLite databases in a temporary folder), with Telegram pointed at the local
stand-in of the Bot API (tests/bot/rasa/channels/telegram/standin.py). Then, in rounds, simulated
volunteers (scripts/measure/volunteers.py) talk over REST alone (baseline), then again while
a separate process sends generated hostile inputs (scripts/measure/hostile.py: a seed makes
them reproducible) to the REST channel, the Telegram webhook and the chat bubble's WebSocket
at a set pace, and then (``--control``, on by default) the same cases again with every
hostile text replaced by an ordinary sentence: the same traffic without the worst inputs,
beside which the fuzz's slowdown is judged. It counts the answers per channel and kind, 5xx, timeouts and broken
connections, the stack traces in the servers' logs (with the inputs in flight when each was
written, and sent again alone to find which one writes it), and checks that no typed
payload became an intent. When the Rasa server freezes (not even its health route answers),
it is started again and the first inputs left unanswered are sent alone: the one that freezes
it again is named and its kind left out of the rest of the run. After the rounds, each kind is
sent alone, a few cases one at a time (``--cost``), to tell which inputs cost the servers the
most CPU beside an ordinary turn: a slowdown under fuzz that no kind explains is volume, not a
bad input. The section ``fuzz`` of docs/benchmarks.md is rewritten; the exit status is 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from bot.config import ROOT, Settings, rasa_api_token
from scripts.measure.assistant import command_line, descendants, free_port, process_cpu_seconds, train_model
from scripts.measure.hostile import (
    CHANNELS,
    WEB_SOCKET_PATH,
    Case,
    HttpRequest,
    RawRequest,
    Secrets,
    SocketSession,
    all_kinds,
    cases,
    make_case,
)
from scripts.measure.report import context_lines, invocation, median, percentile, table, write_section
from scripts.measure.volunteers import Conversation, QuestionReader, load_personas, run_conversation
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn

TELEGRAM_TOKEN = "123456:FUZZ-token_for-the-stand-in"  # a fake bot: the stand-in answers it on 127.0.0.1
ORIGIN = "http://localhost:8000"  # the demo page's origin, allowed to open the chat bubble
TARGET_RATIO = 2.0
TIMEOUT_SECONDS = 20.0  # an answer slower than this is a hang
CASE_TIMEOUT_SECONDS = 3 * TIMEOUT_SECONDS + 10  # a whole case (a bubble session reads several answers)
QUIET_SECONDS = 5.0  # a bubble frame that gets nothing back within this is "no answer"
ATTRIBUTION_SECONDS = 1.5  # inputs in flight this close to a logged traceback are suspects
FAILURES = ("5xx", "timeout", "connection error")


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def secrets_for(seed: int, settings_fields: Iterable[str]) -> Secrets:
    """The fake tokens of a run: derived from the seed, so a case's bytes are reproducible."""

    def derived(purpose: str) -> str:
        return hashlib.sha256(f"fuzz:{seed}:{purpose}".encode()).hexdigest()[:32]

    rest_token = derived("rest") if "rest_token" in settings_fields else ""
    return Secrets(rest_token=rest_token, telegram_secret=derived("telegram"), origin=ORIGIN)


# --------------------------------------------------------------------------- sending (a separate process)


@dataclass(frozen=True)
class Outcome:
    """What one case got back: a label per request or frame ("200", "error too_fast", "timeout"...)."""

    index: int
    channel: str
    kind: str
    messages: int
    results: tuple[str, ...]
    started: float  # wall clock (time.time()), to match log lines
    ended: float
    opened_by_payload: str | None = None  # see Case.opened_by_payload


@dataclass(frozen=True)
class Chunk:
    """A share of the fuzz for one round: where it starts, how much, how fast, until when."""

    base_url: str
    seed: int
    start: int
    messages: int
    secrets: Secrets
    rate: float  # messages per second
    in_flight: int
    seconds: float  # stop starting new cases after this
    only: frozenset[str] | None = None
    skip: frozenset[str] = frozenset()
    attempt: int = 0  # > 0: the same cases again, with new Telegram update ids
    tame: bool = False  # the control: every hostile text replaced by an ordinary sentence


@dataclass(frozen=True)
class ChunkResult:
    """The outcomes of a chunk, the next case index, how long sending took, and whether the server froze."""

    outcomes: list[Outcome]
    next_index: int
    seconds: float
    cut_short: bool
    frozen: bool = False  # the server stopped answering even its health route: the chunk was abandoned


def status_class(label: str) -> str:
    """The class of a result label: 2xx, 4xx or 5xx for a status, the failure it names, or the label itself."""
    head = label.split()[0]
    if head.isdigit():
        return f"{head[0]}xx"
    return next((name for name in FAILURES if label.startswith(name)), label)


async def _http(case: Case, request: HttpRequest, http: Any, base_url: str) -> list[str]:
    import aiohttp

    skip = ("Content-Type",) if request.skip_content_type else ()
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with http.request(
        request.method, base_url + request.path, data=request.body, headers=list(request.headers),
        skip_auto_headers=skip, timeout=timeout, allow_redirects=False,
    ) as response:  # fmt: skip
        content = await response.read()
    label = str(response.status)
    if response.status == 200 and case.channel == "rest" and request.method == "POST" and content.strip() == b"[]":
        label = "200 no reply"
    return [label]


async def _raw(request: RawRequest, base_url: str) -> list[str]:
    """Write the bytes, say nothing more (half-close), read the status line or the close."""
    address = urllib.parse.urlsplit(base_url)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(address.hostname, address.port), 10)
    try:
        writer.write(request.data)
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        line = await asyncio.wait_for(reader.readline(), TIMEOUT_SECONDS)
    finally:
        writer.close()
    match = re.match(rb"HTTP/\d\.\d (\d{3})", line)
    return [match.group(1).decode() if match else "closed without answer"]


async def _read_frame(ws: Any, timeout: float) -> dict[str, Any] | None:
    """The next frame as JSON, None when nothing came within ``timeout``."""
    try:
        data = await asyncio.wait_for(ws.recv(), timeout)
    except asyncio.TimeoutError:
        return None
    try:
        frame = json.loads(data)
    except ValueError:
        return {"type": "not json"}
    return frame if isinstance(frame, dict) else {"type": "not an object"}


async def _answer(ws: Any) -> str:
    """Read the frames that answer one sent frame: an error, or typing until the assistant stops."""
    frame = await _read_frame(ws, QUIET_SECONDS)
    if frame is None:
        return "no answer"
    said = False
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        kind = frame.get("type")
        if kind == "error":
            return f"error {frame.get('code')}"
        if kind == "welcome":
            return "welcome"
        said = said or kind == "bot"
        if kind == "typing" and frame.get("on") is False:
            return "answered" if said else "answered without text"
        left = deadline - time.monotonic()
        next_frame = await _read_frame(ws, max(left, 0.01))
        if next_frame is None:
            return "timeout"
        frame = next_frame


async def _flood(ws: Any, frames: tuple[str, ...]) -> list[str]:
    for sent in frames:
        await ws.send(sent)
    results: list[str] = []
    deadline = time.monotonic() + 2 * TIMEOUT_SECONDS
    while len(results) < len(frames):
        frame = await _read_frame(ws, max(deadline - time.monotonic(), 0.01))
        if frame is None:
            return results + ["timeout"] * (len(frames) - len(results))
        if frame.get("type") == "error":
            results.append(f"error {frame.get('code')}")
        elif frame.get("type") == "typing" and frame.get("on") is False:
            results.append("answered")
    return results


async def _socket(session: SocketSession, base_url: str) -> list[str]:
    import websockets
    import websockets.exceptions

    url = base_url.replace("http://", "ws://", 1) + WEB_SOCKET_PATH
    results: list[str] = []
    try:
        async with websockets.connect(  # type: ignore[attr-defined]
            url, origin=session.origin, max_size=None, open_timeout=TIMEOUT_SECONDS, close_timeout=5,
            ping_interval=None, compression=None,
        ) as ws:  # fmt: skip
            results.append("101")
            for step in session.steps:
                if step[0] == "hello":
                    await ws.send(step[1])
                    result = await _answer(ws)
                    if result.startswith("error conversation_refused"):
                        result += ", then " + await _answer(ws)
                    results.append(result)
                elif step[0] == "send":
                    await ws.send(step[1])
                    results.append(await _answer(ws))
                elif step[0] == "send_only":
                    await ws.send(step[1])
                    results.append("sent, not read")
                elif step[0] == "flood":
                    results += await _flood(ws, step[1])
                elif step[0] == "silent":
                    frame = await _read_frame(ws, 2 * TIMEOUT_SECONDS)
                    results.append("timeout" if frame is None else f"frame {frame.get('type')}")
                elif step[0] == "close":
                    await ws.close()
    except websockets.exceptions.InvalidStatusCode as error:
        results.append(str(error.status_code))
    except websockets.exceptions.ConnectionClosed as error:
        code = error.rcvd.code if error.rcvd is not None else 1006
        results.append(f"closed {code}")
    return results


async def _run_case(case: Case, http: Any, base_url: str) -> list[str]:
    """Send one case; a hang or a broken connection is a result like any other."""
    import aiohttp

    try:
        if isinstance(case.request, HttpRequest):
            return await _http(case, case.request, http, base_url)
        if isinstance(case.request, RawRequest):
            return await _raw(case.request, base_url)
        return await _socket(case.request, base_url)
    except asyncio.TimeoutError:
        return ["timeout"]
    except (aiohttp.ClientError, OSError) as error:
        return [f"connection error ({type(error).__name__})"]
    except Exception as error:  # noqa: BLE001 - the client's own surprise is reported, the fuzz goes on
        return [f"client error ({type(error).__name__})"]


async def _answers(http: Any, base_url: str) -> bool:
    """Whether the Rasa server still answers its REST health route within a few seconds."""
    import aiohttp

    try:
        async with http.get(f"{base_url}/webhooks/rest/", timeout=aiohttp.ClientTimeout(total=5)) as response:
            return response.status == 200
    except (asyncio.TimeoutError, aiohttp.ClientError, OSError):
        return False


async def _send_chunk(chunk: Chunk) -> ChunkResult:
    import aiohttp

    outcomes: list[Outcome] = []
    semaphore = asyncio.Semaphore(chunk.in_flight)
    tasks: dict[asyncio.Task[None], tuple[Case, float]] = {}
    started = time.monotonic()
    sent, next_index, cut_short = 0, chunk.start, False
    frozen = asyncio.Event()

    recorded: set[int] = set()

    def record(case: Case, results: list[str], begun: float) -> None:
        if case.index in recorded:
            return
        recorded.add(case.index)
        outcome = Outcome(case.index, case.channel, case.kind, case.messages, tuple(results), begun, time.time(),
                          case.opened_by_payload)  # fmt: skip
        outcomes.append(outcome)

    async def run(case: Case, http: Any, begun: float) -> None:
        try:
            try:
                results = await asyncio.wait_for(_run_case(case, http, chunk.base_url), CASE_TIMEOUT_SECONDS)
            except asyncio.TimeoutError:
                results = ["timeout"]
            record(case, results, begun)
            if any(result.startswith("timeout") for result in results) and not await _answers(http, chunk.base_url):
                frozen.set()
        finally:
            semaphore.release()

    connector = aiohttp.TCPConnector(limit=chunk.in_flight + 2, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        for case in cases(
            chunk.seed, chunk.messages, chunk.secrets, start=chunk.start, only=chunk.only, skip=chunk.skip,
            attempt=chunk.attempt, tame=chunk.tame,
        ):  # fmt: skip
            if time.monotonic() - started > chunk.seconds:
                cut_short = True
                break
            await asyncio.sleep(max(0.0, started + sent / chunk.rate - time.monotonic()))
            await semaphore.acquire()
            if frozen.is_set():
                break
            begun = time.time()
            task = asyncio.create_task(run(case, http, begun))
            tasks[task] = (case, begun)
            task.add_done_callback(lambda done: tasks.pop(done, None))
            sent += case.messages
            next_index = case.index + 1
        while tasks and not frozen.is_set():
            await asyncio.wait(list(tasks), timeout=1.0)
        for task, (case, begun) in list(tasks.items()):  # the server froze: what is still waiting never ends
            task.cancel()
            record(case, ["timeout (server frozen)"], begun)
    return ChunkResult(outcomes, next_index, time.monotonic() - started, cut_short, frozen.is_set())


def send_chunk(chunk: Chunk) -> ChunkResult:
    """Send one chunk of the fuzz (run in a separate process: its CPU does not stall the measurements)."""
    return asyncio.run(_send_chunk(chunk))


# --------------------------------------------------------------------------- what each kind costs

COST_INDEX = 10_000_000  # case indexes of the cost probe: apart from the rounds' (Telegram update ids differ)


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU seconds used so far by these processes (those gone count 0)."""
    return sum(process_cpu_seconds(pid) for pid in pids)


def server_pids() -> tuple[int, ...]:
    """The Rasa and action servers this process started (what a hostile input makes work)."""
    return tuple(
        pid for pid in descendants(os.getpid())
        if any(f"-m {module} " in command_line(pid) + " " for module in ("bot.rasa.server", "bot.action_server"))
    )  # fmt: skip


@dataclass(frozen=True)
class CostProbe:
    """Each kind alone, a few cases one at a time, with the servers' CPU read before and after."""

    base_url: str
    seed: int
    secrets: Secrets
    kinds: tuple[str, ...]
    per_kind: int
    pids: tuple[int, ...]


@dataclass(frozen=True)
class KindCost:
    """What one kind of input cost the servers, background work (Telegram's) included."""

    kind: str
    cases: int
    messages: int
    cpu_ms: float  # the servers' CPU per message
    slowest_ms: float  # the slowest case, wall clock


async def _settled(pids: tuple[int, ...], *, step: float = 0.25, limit: float = 15.0) -> float:
    """Wait until the servers stop using CPU (work in the background is over); their CPU seconds then."""
    deadline = time.monotonic() + limit
    last = cpu_seconds(pids)
    while time.monotonic() < deadline:
        await asyncio.sleep(step)
        now = cpu_seconds(pids)
        if now - last < 0.02:
            return now
        last = now
    return last


async def _probe(probe: CostProbe) -> list[KindCost]:
    import aiohttp

    costs = []
    async with aiohttp.ClientSession() as http:
        for number, kind in enumerate(probe.kinds):
            chosen = [
                make_case(probe.seed, COST_INDEX + number * probe.per_kind + i, probe.secrets, only=frozenset({kind}))
                for i in range(probe.per_kind)
            ]  # fmt: skip
            before = await _settled(probe.pids)
            slowest = 0.0
            for case in chosen:
                began = time.perf_counter()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(_run_case(case, http, probe.base_url), CASE_TIMEOUT_SECONDS)
                slowest = max(slowest, time.perf_counter() - began)
            used = await _settled(probe.pids) - before
            messages = sum(case.messages for case in chosen)
            costs.append(KindCost(kind, len(chosen), messages, 1000 * used / max(messages, 1), 1000 * slowest))
    return costs


def probe_costs(probe: CostProbe) -> list[KindCost]:
    """Run the cost probe (in the sending process, like the fuzz)."""
    return asyncio.run(_probe(probe))


# --------------------------------------------------------------------------- ordinary conversations


class _Stopped(Exception):
    """The phase is over: the conversation ends without another request."""


@dataclass
class Turns:
    """The turns of ordinary conversations during one phase."""

    latencies_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    conversations: int = 0
    completed: int = 0

    def add(self, other: Turns) -> None:
        """Add another window's turns to these."""
        self.latencies_ms += other.latencies_ms
        self.failures.update(other.failures)
        self.conversations += other.conversations
        self.completed += other.completed


def converse(
    webhook: str, headers: dict[str, str], stop: threading.Event, *, label: str, concurrency: int,
    think: tuple[float, float] = (0.0, 0.0),
) -> Turns:  # fmt: skip
    """Simulated volunteers over REST, ``concurrency`` at a time, until ``stop`` is set.

    Each waits ``think`` seconds (drawn between the two bounds) before each message, as a person
    reads and types; (0, 0) sends the next message as soon as the answer is in.
    """
    personas = load_personas()
    reader = QuestionReader.from_domain()
    turns = Turns()
    lock = threading.Lock()
    numbers = iter(range(10**9))

    def worker(number: int) -> None:
        pause = random.Random(f"{label}:{number}")
        with requests.Session() as session:
            session.headers.update(headers)

            def post(url: str, body: dict[str, str]) -> list[dict[str, Any]]:
                if think[1] > 0:
                    stop.wait(pause.uniform(*think))
                if stop.is_set():
                    raise _Stopped
                began = time.perf_counter()
                failure = None
                try:
                    response = session.post(url, json=body, timeout=3 * TIMEOUT_SECONDS)
                    replies = response.json() if response.status_code == 200 else []
                    if response.status_code != 200:
                        failure = str(response.status_code)
                except requests.RequestException as error:
                    replies, failure = [], type(error).__name__
                with lock:
                    turns.latencies_ms.append((time.perf_counter() - began) * 1000)
                    if failure:
                        turns.failures[failure] += 1
                return list(replies)

            while not stop.is_set():
                with lock:
                    number = next(numbers)
                persona = personas[number % len(personas)]
                conversation = Conversation(persona, reader, seed=number)
                result = run_conversation(post, webhook, f"conv-{label}-{number}", conversation, max_messages=12)
                with lock:
                    turns.conversations += 1
                    turns.completed += result.completed

    threads = [threading.Thread(target=worker, args=(number,), daemon=True) for number in range(concurrency)]
    for thread in threads:
        thread.start()
    stop.wait()
    for thread in threads:
        thread.join(timeout=TIMEOUT_SECONDS * 4)
    return turns


def converse_for(webhook: str, headers: dict[str, str], seconds: float, **kwargs: Any) -> Turns:
    """Simulated volunteers for ``seconds``."""
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    return converse(webhook, headers, stop, **kwargs)


# --------------------------------------------------------------------------- the servers' logs

# A log record starts with its time: Rasa's "2026-12-02 19:01:27 INFO ...", Sanic's "[2026-12-02 19:01:25 +0000] ..."
RECORD_RE = re.compile(r"^\[?(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?: ([+-]\d{4})\])?")
EXCEPTION_RE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Usage|\w+))(?: \(|:|$)")
FRAME_RE = re.compile(r'File "([^"]+)", line (\d+), in (\w+)')
URI_RE = re.compile(r"/webhooks/(rest|telegram|web)/|bot\.rasa\.channels\.(rest|telegram|chat_bubble)")
CHANNEL_OF_MODULE = {"chat_bubble": "web"}  # the chat bubble's channel is named "web" (its webhook path)
TRACEBACK = "Traceback (most recent call last)"


@dataclass(frozen=True)
class LoggedTrace:
    """A log record with a stack trace: which log, when, its first lines, its last exception."""

    log: str
    at: float | None  # wall clock of the record (to the second)
    excerpt: tuple[str, ...]
    exception: str  # the exception type the record ends with
    tracebacks: int  # "Traceback" lines in the record (chained exceptions have several)
    channel: str | None  # when the record names a channel's route

    @property
    def signature(self) -> str:
        """What tells traces of the same failure apart from others."""
        return f"{self.log}: {self.exception}"


def _record_time(match: re.Match[str]) -> float | None:
    stamp, offset = match.group(1).replace("T", " "), match.group(2)
    try:
        if offset:
            return datetime.strptime(f"{stamp} {offset}", "%Y-%m-%d %H:%M:%S %z").timestamp()
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def traces_in(text: str, log: str, *, excerpt_lines: int = 7) -> list[LoggedTrace]:
    """The records of a log's text that carry a stack trace."""
    records: list[tuple[float | None, list[str]]] = []
    for line in text.splitlines():
        match = RECORD_RE.match(line)
        if match or not records:
            records.append((_record_time(match) if match else None, [line]))
        else:
            records[-1][1].append(line)
    found = []
    for at, lines in records:
        count = sum(TRACEBACK in line for line in lines)
        if not count:
            continue
        exceptions = [
            m.group(1)
            for line in lines[1:]
            if not line.startswith((" ", "\t", "Traceback", "During")) and (m := EXCEPTION_RE.match(line))
        ]
        exception = exceptions[-1] if exceptions else "exception cut off by the log guard"
        frames = [(m.group(1), m.group(2), m.group(3)) for line in lines if (m := FRAME_RE.search(line))]
        ours = [frame for frame in frames if "/bot/" in frame[0] or "/actions/" in frame[0]]
        if ours or frames:
            path, number, function = (ours or frames)[-1]
            path = path.removeprefix(f"{ROOT}/").split("site-packages/")[-1]
            exception += f" at {path}:{number} in {function}"
        uri = URI_RE.search(lines[0])
        excerpt = tuple(line[:200] for line in lines[:excerpt_lines]) + (
            (f"… {lines[-1][:200]}",) if len(lines) > excerpt_lines else ()
        )
        channel = (uri.group(1) or CHANNEL_OF_MODULE.get(uri.group(2), uri.group(2))) if uri else None
        found.append(LoggedTrace(log, at, excerpt, exception, count, channel))
    return found


def find_tracebacks(log: Path) -> list[LoggedTrace]:
    """Every record of a log file that carries a stack trace."""
    return traces_in(log.read_text(encoding="utf-8", errors="replace"), log.name) if log.exists() else []


def error_lines(log: Path) -> Counter[str]:
    """ERROR and CRITICAL records of a log, grouped by their first line without numbers."""
    counts: Counter[str] = Counter()
    if not log.exists():
        return counts
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if " ERROR " in line or " CRITICAL " in line or "[ERROR]" in line:
            text = RECORD_RE.sub("", line, count=1)
            counts[re.sub(r"\d+", "N", text).strip()[:160]] += 1
    return counts


def in_flight(trace: LoggedTrace, outcomes: list[Outcome]) -> list[Outcome]:
    """The inputs in flight when a trace was logged (log times are to the second), nearest first."""
    if trace.at is None:
        return []
    low, high = trace.at - ATTRIBUTION_SECONDS, trace.at + 1 + ATTRIBUTION_SECONDS
    chosen = [
        o for o in outcomes
        if o.started <= high and o.ended >= low and (trace.channel is None or o.channel == trace.channel)
    ]  # fmt: skip
    middle = trace.at + 0.5
    return sorted(chosen, key=lambda o: abs((o.started + o.ended) / 2 - middle))


@dataclass(frozen=True)
class Replay:
    """Suspects sent again one at a time, after the measurements, to find which input makes a trace."""

    base_url: str
    seed: int
    secrets: Secrets
    only: frozenset[str] | None
    skip: frozenset[str]
    logs: tuple[str, ...]
    suspects: tuple[tuple[str, tuple[int, ...]], ...]  # (trace signature, case indexes to try)
    settle_seconds: float = 0.8


FROZE = "the server stopped answering"  # a replayed case after which the health route went silent


async def _replay(replay: Replay) -> dict[str, list[tuple[int, str]]]:
    import aiohttp

    offsets = {log: Path(log).stat().st_size if Path(log).exists() else 0 for log in replay.logs}
    found: dict[str, list[tuple[int, str]]] = {}
    tried: set[int] = set()
    async with aiohttp.ClientSession() as http:
        for signature, indexes in replay.suspects:
            for index in indexes:
                if signature in found:
                    break
                if index in tried:
                    continue
                tried.add(index)
                case = make_case(replay.seed, index, replay.secrets, only=replay.only, skip=replay.skip, attempt=1)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(_run_case(case, http, replay.base_url), CASE_TIMEOUT_SECONDS)
                await asyncio.sleep(replay.settle_seconds)
                if not await _answers(http, replay.base_url):
                    found[FROZE] = [(index, f"{case.channel}/{case.kind}")]
                    return found
                for log in replay.logs:
                    with open(log, "rb") as handle:
                        handle.seek(offsets[log])
                        text = handle.read().decode("utf-8", errors="replace")
                        offsets[log] = handle.tell()
                    for trace in traces_in(text, Path(log).name):
                        found.setdefault(trace.signature, []).append((index, f"{case.channel}/{case.kind}"))
    return found


async def _freezer(replay: Replay, indexes: tuple[int, ...]) -> int | None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        for index in indexes:
            case = make_case(replay.seed, index, replay.secrets, only=replay.only, skip=replay.skip, attempt=1)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(_run_case(case, http, replay.base_url), TIMEOUT_SECONDS)
            if not await _answers(http, replay.base_url):
                return index
    return None


def find_freezer(replay: Replay, indexes: tuple[int, ...]) -> int | None:
    """Send the cases one at a time to a fresh server; the first after which it answers nothing."""
    return asyncio.run(_freezer(replay, indexes))


def replay_suspects(replay: Replay) -> dict[str, list[tuple[int, str]]]:
    """Send the suspects one at a time; for each trace signature, the cases that made it alone."""
    return asyncio.run(_replay(replay))


# --------------------------------------------------------------------------- typed payloads


def injected_intents(settings: Settings, outcomes: list[Outcome], limit: int) -> dict[str, Any]:
    """Conversations where a typed payload (never offered as a button) reached Rasa as an intent.

    Rasa gives an intent it read from payload syntax a confidence of exactly 1; the language
    model never does. Only conversations that a typed payload opened are checked (nothing had
    been offered to them), through Rasa's HTTP API.
    """
    opened = {
        o.opened_by_payload: f"{o.channel}/{o.kind} (case {o.index})"
        for o in sorted(outcomes, key=lambda o: o.index)
        if o.opened_by_payload
    }
    checked, injected = 0, []
    token = rasa_api_token(settings)
    with requests.Session() as session:
        for conversation, label in list(opened.items())[:limit]:
            url = f"http://127.0.0.1:{settings.rasa_port}/conversations/{conversation}/tracker"
            try:
                tracker = session.get(url, params={"token": token}, timeout=TIMEOUT_SECONDS).json()
            except (requests.RequestException, ValueError):
                continue
            checked += 1
            for event in tracker.get("events") or []:
                if event.get("event") != "user":
                    continue
                intent = (event.get("parse_data") or {}).get("intent") or {}
                if intent.get("confidence") == 1.0 and intent.get("name") not in ("greet", "stop"):
                    injected.append(f"{label}: intent {intent.get('name')}")
                    break
    return {"candidates": len(opened), "checked": checked, "injected": injected}


# --------------------------------------------------------------------------- the run


def assistant_settings(folder: Path, standin: BotAPIStandIn, secrets: Secrets) -> Settings:
    """Settings of a throw-away assistant: free loopback ports, databases in ``folder``, fake secrets."""
    names = {item.name for item in fields(Settings)}
    action_port = free_port()
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'bot.db'}",
        "tracker_store_url": f"sqlite:///{folder / 'tracker.db'}",
        "tracker_dialect": "sqlite",
        "rasa_host": "127.0.0.1",
        "rasa_port": free_port(),
        "action_port": action_port,
        "action_endpoint": f"http://127.0.0.1:{action_port}/webhook",
        "telegram_token": TELEGRAM_TOKEN,
        "telegram_webhook_secret": secrets.telegram_secret,
        "telegram_api_url": standin.base_url,
        "secret_key": hashlib.sha256(secrets.telegram_secret.encode()).hexdigest(),
        "widget_allowed_origins": ORIGIN,
        "rest_token": secrets.rest_token,
    }
    return Settings(**{name: value for name, value in values.items() if name in names})


def healthy(base_url: str) -> dict[str, str]:
    """Each channel's health route, as a status or the error."""
    found = {}
    for channel in ("rest", "telegram", "web"):
        try:
            found[channel] = str(requests.get(f"{base_url}/webhooks/{channel}/", timeout=10).status_code)
        except requests.RequestException as error:
            found[channel] = type(error).__name__
    return found


def drain(standin: BotAPIStandIn, *, quiet: float = 3.0, limit: float = 120.0) -> float:
    """Wait until the Telegram work in the background has stopped calling the Bot API; the seconds waited."""
    started = time.monotonic()
    count, since = len(standin.calls), time.monotonic()
    while time.monotonic() - started < limit:
        time.sleep(0.5)
        if len(standin.calls) != count:
            count, since = len(standin.calls), time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return time.monotonic() - started


@dataclass
class Run:
    """Everything a run measured."""

    args: argparse.Namespace
    model: Path
    secrets: Secrets
    rounds: list[tuple[Turns, Turns]] = field(default_factory=list)  # (baseline, under fuzz) of each round
    outcomes: list[Outcome] = field(default_factory=list)
    fuzz_seconds: float = 0.0
    drain_seconds: float = 0.0
    cut_short: bool = False
    health: list[dict[str, str]] = field(default_factory=list)
    traces: list[LoggedTrace] = field(default_factory=list)
    errors: dict[str, Counter[str]] = field(default_factory=dict)
    reproduced: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    replayed: int = 0
    injections: dict[str, Any] = field(default_factory=dict)
    telegram_calls: Counter[str] = field(default_factory=Counter)
    freezes: list[Freeze] = field(default_factory=list)
    frozen_rounds: list[tuple[Turns, Turns]] = field(default_factory=list)  # run again, not in the p95s
    left_out: list[str] = field(default_factory=list)  # kinds that froze the server, not sent after that
    frozen_cases: set[int] = field(default_factory=set)  # sent in a round the server froze in
    starts: int = 0
    costs: list[KindCost] = field(default_factory=list)  # each kind alone (--cost)
    turn_cpu: list[tuple[float, int]] = field(default_factory=list)  # servers' CPU seconds, turns: each baseline
    controls: list[Turns] = field(default_factory=list)  # each round's conversations beside the control (--control)
    control_outcomes: list[Outcome] = field(default_factory=list)  # what the control's messages got back

    @property
    def baseline(self) -> Turns:
        """The turns of every baseline window."""
        return _merged(turns for turns, _ in self.rounds)

    @property
    def under_fuzz(self) -> Turns:
        """The turns of every fuzz window."""
        return _merged(turns for _, turns in self.rounds)

    @property
    def under_control(self) -> Turns:
        """The turns of every control window: the same traffic as the fuzz, with ordinary texts."""
        return _merged(self.controls)


def _merged(windows: Iterable[Turns]) -> Turns:
    merged = Turns()
    for turns in windows:
        merged.add(turns)
    return merged


def failed_inside(outcome: Outcome) -> bool:
    """The answer says the server failed inside: a 5xx, the bubble's "unavailable", an empty REST answer."""
    return any(status_class(r) == "5xx" or r in ("error unavailable", "200 no reply") for r in outcome.results)


def suspects_of(
    traces: list[LoggedTrace], outcomes: list[Outcome], per_signature: int
) -> list[tuple[str, tuple[int, ...]]]:
    """For each kind of trace, inputs to send again alone, likeliest first.

    First the inputs in flight whose answer says the server failed inside; then one or more
    cases of each kind of input by how much more often it was in flight at the records than
    chance would have it (a frequent kind is in flight everywhere; the culprit is over-represented).
    """
    share = Counter(f"{o.channel}/{o.kind}" for o in outcomes)
    total = max(len(outcomes), 1)
    records: dict[str, list[list[Outcome]]] = {}
    for trace in traces:
        records.setdefault(trace.signature, []).append(in_flight(trace, outcomes))
    chosen = []
    for signature, nearby in records.items():
        failed: list[int] = []
        coverage: Counter[str] = Counter()
        expected: dict[str, float] = defaultdict(float)
        nearest: dict[str, list[int]] = {}
        for flying in nearby:
            failed += [o.index for o in flying if failed_inside(o) and o.index not in failed][:2]
            kinds = [f"{o.channel}/{o.kind}" for o in flying]
            coverage.update(set(kinds))
            for kind in share:
                expected[kind] += 1 - (1 - share[kind] / total) ** len(flying)
            for kind, outcome in zip(kinds, flying, strict=True):  # nearest first
                if outcome.index not in nearest.setdefault(kind, []):
                    nearest[kind].append(outcome.index)
        lift = {kind: coverage[kind] / max(expected[kind], 1e-9) for kind in coverage}
        ranked = failed[: per_signature // 2]
        for rank, kind in enumerate(sorted(lift, key=lambda kind: -lift[kind])):  # several cases of the likeliest
            ranked += [index for index in nearest[kind][: max(1, 3 - rank)] if index not in ranked]
        if ranked:
            chosen.append((signature, tuple(ranked[:per_signature])))
    return chosen


@dataclass
class Freeze:
    """The Rasa server stopped answering during a round: the first inputs left without an answer."""

    round: int
    first_unanswered: tuple[Outcome, ...]
    culprit: Outcome | None = None  # the one that froze a fresh server again, alone
    checked: bool = False  # its suspects were sent again


def first_unanswered(outcomes: list[Outcome], count: int = 5) -> tuple[Outcome, ...]:
    """The cases that timed out, earliest started first: the one that froze the server is among the first."""
    timed_out = [o for o in outcomes if any(result.startswith("timeout") for result in o.results)]
    return tuple(sorted(timed_out, key=lambda o: o.started)[:count])


class Fuzzer:
    """One run: the stand-in, the sending process, the servers (started again after a freeze), the rounds."""

    def __init__(self, args: argparse.Namespace, model: Path, folder: Path, pool: ProcessPoolExecutor) -> None:
        self.args = args
        self.model = model
        self.folder = folder
        self.pool = pool
        self.secrets = secrets_for(args.seed, {item.name for item in fields(Settings)})
        self.run = Run(args, model, self.secrets)
        self.headers = {"Authorization": f"Bearer {self.secrets.rest_token}"} if self.secrets.rest_token else {}
        self.only = frozenset(args.only) if args.only else None
        self.skip = frozenset(args.skip or ())
        self.next_index = 0
        self.per_round = -(-args.messages // args.rounds)

    def logs(self) -> list[Path]:
        """The servers' logs, one folder per start."""
        return sorted((self.folder / "logs").glob("*/*.log"))

    def read_logs(self) -> None:
        """The stack traces and ERROR lines written so far."""
        self.run.traces, self.run.errors = [], {}
        for log in self.logs():
            self.run.traces += find_tracebacks(log)
            name = log.name if self.run.starts == 1 else f"{log.parent.name}/{log.name}"
            self.run.errors[name] = error_lines(log)

    def all_rounds(self, standin: BotAPIStandIn) -> None:
        """Start the servers and run the rounds.

        After a freeze the servers are started again on the same databases and the first inputs
        left unanswered are sent alone: the one that freezes the fresh server too is the culprit,
        its kind is left out of the rest of the run, and the frozen round is run again.
        """
        from bot.serve import prepare_database, running_assistant

        while len(self.run.rounds) < self.args.rounds:
            self.run.starts += 1
            settings = assistant_settings(self.folder, standin, self.secrets)  # new ports, the same databases
            prepare_database(settings)
            _log("starting the assistant..." if self.run.starts == 1 else "starting the assistant again...")
            logs = self.folder / "logs" / str(self.run.starts)
            with running_assistant(settings, self.model, log_dir=logs) as webhook:
                base_url = f"http://127.0.0.1:{settings.rasa_port}"
                if self.confirm_freeze(base_url):
                    continue  # frozen again on purpose: start once more
                _log("warming up (conversations not counted)...")
                self.converse_for(webhook, self.args.warmup, "warmup")
                while len(self.run.rounds) < self.args.rounds:
                    if not self.one_round(webhook, base_url, standin):
                        break
                else:
                    self.measure_costs(base_url)
                    self.read_logs()  # what the measured rounds wrote (the replay below writes more)
                    self.run.injections = injected_intents(settings, self.run.outcomes, self.args.injection_checks)
                    self.replay(base_url, logs)
                    return
            if self.run.starts > self.args.restarts:
                _log("the server froze too often: the rounds left are left out")
                break
        self.read_logs()

    def confirm_freeze(self, base_url: str) -> bool:
        """After a freeze, send its suspects alone; True when one froze this server too (it is left out)."""
        freeze = self.run.freezes[-1] if self.run.freezes else None
        if freeze is None or freeze.checked or not freeze.first_unanswered:
            return False
        freeze.checked = True
        _log("sending the first inputs left unanswered again, one at a time...")
        replay = Replay(base_url, self.args.seed, self.secrets, self.only, self.skip, (), ())
        index = self.pool.submit(find_freezer, replay, tuple(o.index for o in freeze.first_unanswered)).result()
        culprit = next((o for o in freeze.first_unanswered if o.index == index), None)
        if culprit is None:
            _log("  none froze the server alone")
            return False
        freeze.culprit = culprit
        self.skip |= {f"{culprit.channel}/{culprit.kind}"}
        self.run.left_out.append(f"{culprit.channel}/{culprit.kind}")
        _log(
            f"  case {culprit.index} ({culprit.channel}/{culprit.kind}) froze it again: left out of the rest of the run"
        )
        return True

    def measure_costs(self, base_url: str) -> None:
        """Each kind alone, a few cases one at a time: the servers' CPU per message (--cost)."""
        if not self.args.cost:
            return
        kinds = tuple(
            kind for kind in all_kinds()
            if (self.only is None or {kind, kind.split("/")[0]} & self.only) and kind not in self.skip
        )  # fmt: skip
        _log(f"what each kind costs: {len(kinds)} kinds, {self.args.cost} cases each, one at a time...")
        probe = CostProbe(base_url, self.args.seed, self.secrets, kinds, self.args.cost, server_pids())
        self.run.costs = self.pool.submit(probe_costs, probe).result()

    def converse_for(self, webhook: str, seconds: float, label: str) -> Turns:
        """Ordinary conversations for ``seconds``."""
        return converse_for(
            webhook, self.headers, seconds, label=label, concurrency=self.args.concurrency, think=tuple(self.args.think)
        )

    def one_round(self, webhook: str, base_url: str, standin: BotAPIStandIn) -> bool:
        """A baseline window, then the fuzz beside the same conversations; False when the server froze."""
        args, run, number = self.args, self.run, len(self.run.rounds) + 1
        _log(f"round {number}/{args.rounds}: baseline, {args.baseline_seconds:.0f} s of conversations...")
        pids, cpu_before = server_pids(), cpu_seconds(server_pids())
        baseline = self.converse_for(webhook, args.baseline_seconds, f"base{number}")
        run.turn_cpu.append((cpu_seconds(pids) - cpu_before, len(baseline.latencies_ms)))
        _log(f"round {number}/{args.rounds}: {self.per_round} hostile messages beside the conversations...")
        chunk = Chunk(
            base_url, args.seed, self.next_index, self.per_round, self.secrets, args.rate, args.in_flight,
            args.max_seconds / args.rounds, self.only, self.skip,
        )  # fmt: skip
        stop = threading.Event()
        future = self.pool.submit(send_chunk, chunk)
        future.add_done_callback(lambda _: stop.set())
        under_fuzz = converse(
            webhook, self.headers, stop, label=f"fuzz{number}", concurrency=args.concurrency, think=tuple(args.think)
        )
        result = future.result()
        (run.frozen_rounds if result.frozen else run.rounds).append((baseline, under_fuzz))
        if result.frozen:
            run.frozen_cases |= {o.index for o in result.outcomes}
        run.outcomes += result.outcomes
        run.fuzz_seconds += result.seconds
        run.cut_short = run.cut_short or result.cut_short
        self.next_index = result.next_index
        sent = sum(o.messages for o in result.outcomes)
        if result.frozen:
            run.freezes.append(Freeze(number, first_unanswered(result.outcomes)))
            first = ", ".join(f"{o.index} ({o.channel}/{o.kind})" for o in run.freezes[-1].first_unanswered)
            _log(f"  the Rasa server froze after {sent} messages; first unanswered: {first}")
            return False
        run.drain_seconds += drain(standin)
        run.health.append(healthy(base_url))
        _log(f"  sent {sent} in {result.seconds:.0f} s; health routes {run.health[-1]}")
        if args.control:
            _log(
                f"round {number}/{args.rounds}: control, the same cases with ordinary texts beside the conversations..."
            )
            control = dataclasses.replace(chunk, attempt=2, tame=True)
            stop = threading.Event()
            future = self.pool.submit(send_chunk, control)
            future.add_done_callback(lambda _: stop.set())
            beside = converse(
                webhook, self.headers, stop, label=f"ctrl{number}", concurrency=args.concurrency,
                think=tuple(args.think),
            )  # fmt: skip
            result = future.result()
            run.controls.append(beside)
            run.control_outcomes += result.outcomes
            run.drain_seconds += drain(standin)
        return True

    def replay(self, base_url: str, logs: Path) -> None:
        """Send the inputs in flight near each kind of stack trace again, one at a time."""
        suspects = suspects_of(self.run.traces, self.run.outcomes, self.args.replays)
        if not suspects:
            return
        _log(f"sending again, one at a time, the inputs in flight near {len(self.run.traces)} stack traces...")
        current = tuple(str(log) for log in sorted(logs.glob("*.log")))
        replay = Replay(base_url, self.args.seed, self.secrets, self.only, self.skip, current, tuple(suspects))
        self.run.reproduced = self.pool.submit(replay_suspects, replay).result()
        self.run.replayed = len({index for _, indexes in suspects for index in indexes})


def fuzz(args: argparse.Namespace, model: Path, folder: Path) -> Run:
    """Start everything, alternate baseline and fuzz windows, read the logs."""
    standin = BotAPIStandIn(TELEGRAM_TOKEN).start()
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pool.submit(time.sleep, 0).result()  # the sending process starts before anything is timed
            fuzzer = Fuzzer(args, model, folder, pool)
            fuzzer.all_rounds(standin)
    finally:
        standin.stop()
    fuzzer.run.telegram_calls = Counter(call.method for call in standin.calls)
    return fuzzer.run


# --------------------------------------------------------------------------- the report


def _results_text(counts: Counter[str], limit: int = 8) -> str:
    shown = [f"{label} ×{count}" for label, count in counts.most_common(limit)]
    if len(counts) > limit:
        shown.append(f"… {len(counts) - limit} more")
    return ", ".join(shown)


def tally(outcomes: list[Outcome]) -> dict[str, dict[str, Counter[str]]]:
    """Result labels per channel and kind."""
    found: dict[str, dict[str, Counter[str]]] = {}
    for outcome in outcomes:
        found.setdefault(outcome.channel, {}).setdefault(outcome.kind, Counter()).update(outcome.results)
    return found


def failures_of(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    """Outcomes with a 5xx, a timeout or a broken connection (the kinds of failure counted)."""
    found: dict[str, list[Outcome]] = {name: [] for name in FAILURES}
    for outcome in outcomes:
        for name in FAILURES:
            if any(status_class(result) == name or result.startswith(name) for result in outcome.results):
                found[name].append(outcome)
    return found


def _verdict(ok: bool, miss: str) -> str:
    return "met" if ok else f"**missed** ({miss})"


def targets(run: Run) -> list[tuple[str, str, str, bool, str]]:
    """(measure, value, target, met, how far off) for each target."""
    fives = sum(1 for o in run.outcomes for r in o.results if status_class(r) == "5xx")
    traces = sum(trace.tracebacks for trace in run.traces)
    base, under = percentile(run.baseline.latencies_ms, 95), percentile(run.under_fuzz.latencies_ms, 95)
    ratio = under / base if base and base == base and under == under else float("nan")
    freezes = len(run.freezes)
    timeouts = sum(r == "timeout" for o in run.outcomes if o.index not in run.frozen_cases for r in o.results)
    p95 = [
        ("turn p95 under fuzz ÷ baseline (alone)", f"{ratio:.2f}× ({under:.0f} ÷ {base:.0f} ms)",
         f"≤ {TARGET_RATIO:.0f}×", ratio <= TARGET_RATIO, f"{ratio - TARGET_RATIO:.2f}× over"),
    ]  # fmt: skip
    if run.controls:  # the worst inputs' own effect: the same traffic with ordinary texts is what "without them" is
        control = percentile(run.under_control.latencies_ms, 95)
        beside = under / control if control and control == control and under == under else float("nan")
        p95.append(
            ("turn p95 under fuzz ÷ under the control (same traffic, ordinary texts)",
             f"{beside:.2f}× ({under:.0f} ÷ {control:.0f} ms)", f"≤ {TARGET_RATIO:.0f}×", beside <= TARGET_RATIO,
             f"{beside - TARGET_RATIO:.2f}× over")
        )  # fmt: skip
    return [
        ("hangs: freezes / inputs unanswered in 20 s (outside frozen rounds)", f"{freezes} / {timeouts}", "0 / 0",
         freezes == timeouts == 0, f"{freezes} freezes, {timeouts} timeouts"),
        ("5xx answers", str(fives), "0", fives == 0, f"{fives}"),
        ("stack traces in the servers' logs", str(traces), "0", traces == 0, f"{traces}"),
        *p95,
    ]  # fmt: skip


def cost_lines(run: Run, shown: int = 15) -> list[str]:
    """The costliest kinds of input, beside an ordinary turn."""
    if not run.costs:
        return []
    cpu, turns = sum(c for c, _ in run.turn_cpu), sum(n for _, n in run.turn_cpu)
    ordinary = f"{1000 * cpu / turns:.0f} ms" if turns else "not measured"
    costliest = sorted(run.costs, key=lambda cost: cost.cpu_ms, reverse=True)
    lines = [
        "", "## What each kind costs the servers", "",
        f"Each of {len(run.costs)} kinds sent alone after the rounds, {run.args.cost} cases one at a time: the Rasa "
        "and action servers' CPU per message (work in the background included), and the slowest case's wall "
        f"time. An ordinary conversation turn costs {ordinary} of CPU (baseline windows). The {shown} costliest:", "",
    ]  # fmt: skip
    lines += table(
        ["input", "cases", "messages", "CPU ms per message", "slowest case ms"],
        [[c.kind, c.cases, c.messages, f"{c.cpu_ms:.0f}", f"{c.slowest_ms:.0f}"] for c in costliest[:shown]],
    )
    return lines


def control_lines(run: Run) -> list[str]:
    """What the control tells: the slowdown the hostile inputs cause beyond their volume."""
    base = percentile(run.baseline.latencies_ms, 95)
    under = percentile(run.under_fuzz.latencies_ms, 95)
    control = percentile(run.under_control.latencies_ms, 95)
    sent = sum(o.messages for o in run.control_outcomes)
    fives = sum(1 for o in run.control_outcomes for r in o.results if status_class(r) == "5xx")
    return [
        f"The control sends the same {sent} messages at the same pace on the same channels, each hostile text "
        "replaced by an ordinary sentence (malformed bodies, bad tokens and frames are sent as they are): it is "
        "the traffic *without the worst inputs*, so p95 under fuzz ÷ p95 under the control is what the hostile "
        f"inputs themselves cost other conversations ({under / control if control else float('nan'):.2f}×). "
        f"The control alone slows them {control / base if base else float('nan'):.2f}× beside the baseline: that "
        "share is volume, which the server's capacity bounds whatever the messages say (see "
        f"docs/security.md). 5xx answers to the control: {fives}.",
    ]


def report(run: Run, took: float) -> list[str]:
    """The report's lines after the context."""
    args = run.args
    outcomes = sorted(run.outcomes, key=lambda o: o.index)
    sent = sum(o.messages for o in outcomes)
    cut_short = ", **cut short by the time limit**" if run.cut_short else ""
    rest_token = "set (most requests carry it)" if run.secrets.rest_token else "not a setting yet (loopback only)"
    lines = [
        f"- Took {took:.0f} s in all; model `{run.model.name}`",
        f"- Seed {args.seed}: {len(outcomes)} cases, **{sent} hostile messages** (requests, WebSocket handshakes and "
        f"frames) in {run.fuzz_seconds:.0f} s of fuzz ({sent / run.fuzz_seconds if run.fuzz_seconds else 0:.0f}/s, "
        f"paced at {args.rate:.0f}/s, at most {args.in_flight} in flight){cut_short}"
        f"; {len(run.rounds)} of {args.rounds} rounds; Telegram's background work drained in {run.drain_seconds:.0f} s"
        + (f"; left out: {', '.join(args.skip)}" if args.skip else "")
        + (f"; only: {', '.join(args.only)}" if args.only else ""),
        f"- REST_TOKEN: {rest_token}; Telegram on a local stand-in of the Bot API; chat bubble origin {ORIGIN}",
        f"- Ordinary conversations: {args.concurrency} at a time over REST, no thinking time, at most 12 messages; "
        f"baseline {args.baseline_seconds:.0f} s per round alone, then as long as the round's fuzz lasts",
        "",
        "## Targets",
        "",
        *table(
            ["measure", "value", "target", ""], [[m, v, t, _verdict(ok, miss)] for m, v, t, ok, miss in targets(run)]
        ),  # fmt: skip
        "",
        "## Answers per channel",
        "",
        "HTTP statuses by class; for the chat bubble, the handshake (`101`, or the refusal's status) and what each "
        "frame got back (`answered`, `error <code>`, `closed <code>` when the server closed the socket, "
        "`no answer` within 5 s).",
        "",
    ]
    by_channel = tally(outcomes)
    failures = failures_of(outcomes)
    rows = []
    for channel in CHANNELS:
        kinds = by_channel.get(channel, {})
        counts: Counter[str] = Counter()
        for results in kinds.values():
            for label, count in results.items():
                counts[status_class(label)] += count
        messages = sum(o.messages for o in outcomes if o.channel == channel)
        rows.append([channel, messages, _results_text(counts, 12),
                     sum(1 for o in failures["5xx"] if o.channel == channel),
                     sum(1 for o in failures["timeout"] if o.channel == channel),
                     sum(1 for o in failures["connection error"] if o.channel == channel)])  # fmt: skip
    lines += table(["channel", "messages", "results by class", "5xx", "timeouts", "connection errors"], rows)
    lines += ["", "## Answers per kind of input", ""]
    rows = []
    for channel in CHANNELS:
        for kind, results in sorted(by_channel.get(channel, {}).items()):
            chosen = [o for o in outcomes if o.channel == channel and o.kind == kind]
            rows.append([f"{channel}/{kind}", len(chosen), sum(o.messages for o in chosen), _results_text(results)])
    lines += table(["input", "cases", "messages", "results"], rows)
    missing = sorted(set(all_kinds()) - {f"{o.channel}/{o.kind}" for o in outcomes})
    if missing and not args.only:
        lines += ["", f"Kinds not drawn this run: {', '.join(missing)}."]
    lines += cost_lines(run)

    base, under = run.baseline, run.under_fuzz
    phases = [("baseline (alone)", base), ("under fuzz", under)]
    if run.controls:
        phases.append(("under the control (same traffic, ordinary texts)", run.under_control))
    lines += ["", "## Ordinary conversations beside the fuzz", ""]
    lines += table(
        ["phase", "conversations", "profiles saved", "turns", "p50 ms", "p95 ms", "max ms", "failed turns"],
        [[name, turns.conversations, turns.completed, len(turns.latencies_ms), f"{median(turns.latencies_ms):.0f}",
          f"{percentile(turns.latencies_ms, 95):.0f}", f"{max(turns.latencies_ms, default=0):.0f}",
          _results_text(turns.failures) or 0]
         for name, turns in phases],
    )  # fmt: skip
    if run.controls:
        lines += ["", "Round by round (p95 ms, baseline → under fuzz → under the control): " + "; ".join(
            f"{percentile(b.latencies_ms, 95):.0f} → {percentile(f.latencies_ms, 95):.0f} → "
            f"{percentile(c.latencies_ms, 95):.0f}" for (b, f), c in zip(run.rounds, run.controls, strict=True)
        ) + "."]  # fmt: skip
        lines += ["", *control_lines(run)]
    else:
        lines += ["", "Round by round (p95 ms, baseline → under fuzz): " + "; ".join(
            f"{percentile(b.latencies_ms, 95):.0f} → {percentile(f.latencies_ms, 95):.0f}" for b, f in run.rounds
        ) + "."]  # fmt: skip
    if run.frozen_rounds:
        lines.append(
            "Rounds in which the server froze were run again and are not in the figures above; their turns under "
            "fuzz: " + "; ".join(
                f"p95 {percentile(f.latencies_ms, 95):.0f} ms, {_results_text(f.failures) or 'no'} failed turns"
                for _, f in run.frozen_rounds
            ) + "."
        )  # fmt: skip

    lines += ["", "## Failures", ""]
    for name in FAILURES:
        chosen = failures[name]
        if not chosen:
            lines.append(f"- {name}: none")
            continue
        chosen_kinds = Counter(f"{o.channel}/{o.kind}" for o in chosen)
        examples = ", ".join(str(o.index) for o in chosen[:10])
        frozen = sum(o.index in run.frozen_cases for o in chosen)
        during = f", {frozen} of them in a round the server froze in" if frozen else ""
        lines.append(f"- {name}: {len(chosen)} cases{during} ({_results_text(chosen_kinds)}); cases {examples}")
    health = "; ".join(", ".join(f"{name} {status}" for name, status in round_.items()) for round_ in run.health)
    lines.append(f"- health routes after each round: {health}")
    for freeze in run.freezes:
        first = ", ".join(f"case {o.index} ({o.channel}/{o.kind})" for o in freeze.first_unanswered)
        if freeze.culprit is not None:
            culprit = freeze.culprit
            found = (f"case {culprit.index} (`{culprit.channel}/{culprit.kind}`) froze a fresh server again, alone; "
                     "that kind was left out of the rest of the run")  # fmt: skip
        else:
            found = "none of them froze a fresh server alone" if freeze.checked else "not sent again"
        lines.append(
            f"- **the Rasa server froze in round {freeze.round}** (no answer, even on its health route; started "
            f"again on the same databases). First inputs left unanswered, earliest sent first: {first}; {found}"
        )
    if not run.freezes:
        lines.append("- freezes (the Rasa server answering nothing, not even its health route): none")
    injections = run.injections
    injected = injections.get("injected") or []
    lines.append(
        f"- typed payloads read as intents: {len(injected)} of {injections.get('checked', 0)} conversations opened by "
        f"one checked ({injections.get('candidates', 0)} candidates)"
        + (": " + "; ".join(injected[:10]) if injected else "")
    )
    calls = run.telegram_calls
    lines.append(f"- Bot API calls the stand-in received: {_results_text(calls) or 'none'}")

    tracebacks = sum(trace.tracebacks for trace in run.traces)
    lines += ["", f"### Stack traces ({tracebacks} in {len(run.traces)} log records)", ""]
    if not run.traces:
        lines.append("None in rasa.log or actions.log.")
    else:
        lines += [
            f"Grouped by the exception each record ends with. The inputs in flight near each record were sent "
            f"again one at a time after the measurements ({run.replayed} cases): *reproduced by* names the cases "
            "that wrote the same exception alone; otherwise the inputs in flight (same channel when the record "
            "names one) are listed.",
            "",
        ]
    groups: dict[str, list[LoggedTrace]] = {}
    for trace in run.traces:
        groups.setdefault(trace.signature, []).append(trace)
    for signature, traces in sorted(groups.items(), key=lambda item: -len(item[1])):
        reproduced = run.reproduced.get(signature, [])
        if reproduced:
            cause = "reproduced by " + ", ".join(f"case {index} ({kind})" for index, kind in reproduced[:5])
        else:
            nearby: Counter[str] = Counter()
            for trace in traces:
                nearby.update(f"{o.channel}/{o.kind}" for o in in_flight(trace, outcomes)[:20])
            cause = f"not reproduced alone; in flight then: {_results_text(nearby, 6) or '?'}"
        lines += [
            f"- **{len(traces)}× `{signature}`**; {cause}",
            "",
            "  ```",
            *(f"  {line}" for line in traces[0].excerpt),
            "  ```",
        ]
    errors: Counter[str] = Counter()
    for log, counts in run.errors.items():
        for text, count in counts.items():
            errors[f"{log}: {text}"] += count
    lines += ["", f"### ERROR lines in the logs ({sum(errors.values())})", ""]
    lines += [f"- {count}× `{text}`" for text, count in errors.most_common(12)] or ["None."]
    lines += [
        "",
        "Reproduce one case: `.venv/bin/python -m scripts.fuzz --seed SEED --show INDEX`; "
        "rerun only some kinds: `--only rest/nested_arrays telegram`.",
    ]
    return lines


INTRODUCTION = """\
Hostile inputs on every channel of the running assistant, by `scripts/fuzz.py` (`make fuzz`): random
and oversized texts, control characters, typed Rasa payloads, malformed and deeply nested JSON, wrong
senders, tokens and content types, broken HTTP on the REST channel; malformed updates, forged buttons,
missing or wrong secrets on the Telegram webhook; bad hellos, forged conversation tokens, oversized,
binary and flooding frames on the chat bubble's WebSocket. Ordinary simulated conversations run alone
(baseline) and during the fuzz, in alternating rounds of one run."""


def show(seed: int, index: int) -> None:
    """Print one case, as the run generated it."""
    secrets = secrets_for(seed, {item.name for item in fields(Settings)})
    case = make_case(seed, index, secrets)
    request = case.request
    print(f"case {case.index}: {case.channel}/{case.kind}, {case.messages} message(s)")
    if isinstance(request, HttpRequest):
        print(f"{request.method} {request.path}")
        for name, value in request.headers:
            print(f"{name}: {value[:200]}")
        body = request.body or b""
        print(f"body ({len(body)} bytes): {body[:2000]!r}")
    elif isinstance(request, RawRequest):
        print(f"raw ({len(request.data)} bytes): {request.data[:2000]!r}")
    else:
        print(f"WebSocket, Origin {request.origin!r}")
        for step in request.steps:
            print(f"  {step[0]}: {repr(step[1:])[:2000]}")


def main() -> None:
    """Fuzz, report, and exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="trained model (default: train config.yml into models/)")
    parser.add_argument("--messages", type=int, default=10_000, help="hostile messages to send (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated inputs (default 0)")
    parser.add_argument("--rate", type=float, default=40.0, help="hostile messages per second (default 40)")
    parser.add_argument("--in-flight", type=int, default=12, help="hostile requests or sessions at once (default 12)")
    parser.add_argument("--rounds", type=int, default=3, help="baseline then fuzz, this many times (default 3)")
    parser.add_argument("--baseline-seconds", type=float, default=20.0, help="baseline window per round (default 20)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of conversations before measuring")
    parser.add_argument("--concurrency", type=int, default=2, help="ordinary conversations at once (default 2)")
    parser.add_argument(
        "--think", type=float, nargs=2, default=[0.0, 0.0], metavar=("MIN", "MAX"),
        help="seconds an ordinary volunteer thinks before each message (default 0 0: none)",
    )  # fmt: skip
    parser.add_argument("--max-seconds", type=float, default=420.0, help="time limit of the fuzz, all rounds (420)")
    parser.add_argument("--only", nargs="+", help="channels or channel/kind to send (default: all)")
    parser.add_argument("--skip", nargs="+", help="channels or channel/kind to leave out (default: none)")
    parser.add_argument("--restarts", type=int, default=4, help="times the servers may be started again after freezes")
    parser.add_argument("--replays", type=int, default=10, help="suspects sent again per kind of stack trace (10)")
    parser.add_argument("--injection-checks", type=int, default=150, help="conversations checked for typed payloads")
    parser.add_argument("--cost", type=int, default=4, help="cases per kind sent alone to time each kind (4; 0: none)")
    parser.add_argument(
        "--control", action=argparse.BooleanOptionalAction, default=True,
        help="after each round's fuzz, send the same cases with ordinary texts (default: on)",
    )  # fmt: skip
    parser.add_argument("--show", type=int, metavar="INDEX", help="print case INDEX of --seed and stop")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md", help="markdown file to write")
    parser.add_argument(
        "--workdir", type=Path, help="databases and logs (default: a temporary folder, kept on failure)"
    )
    args = parser.parse_args()
    if args.show is not None:
        show(args.seed, args.show)
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out
    started = time.perf_counter()
    model = args.model or train_model(ROOT / "models")[0]
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="fuzz-"))
    run = fuzz(args, model, folder)
    lines = report(run, time.perf_counter() - started)
    content = INTRODUCTION + "\n\n" + "\n".join(context_lines(invocation()) + lines)
    write_section(args.report, "fuzz", content, title="Benchmarks")
    missed = [measure for measure, _, _, ok, _ in targets(run) if not ok]
    _log(f"written to {args.report}; " + (f"missed: {', '.join(missed)}" if missed else "every target met"))
    if missed or args.workdir:
        _log(f"logs and databases kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
