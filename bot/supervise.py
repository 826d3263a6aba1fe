"""Keep the assistant's processes running: restart one that dies, give up on one that keeps dying.

Usage (``bot serve``, ``running_assistant`` and ``running_web`` in :mod:`bot.serve`)::

    with Supervisor() as supervisor:
        supervisor.start(
            Child("action server", "le serveur d'actions", [...], ready_url="http://127.0.0.1:5055/health"),
            Child("Rasa server", "le serveur Rasa", [...], ready_url="http://127.0.0.1:5005/webhooks/rest/"),
        )                          # starts them together, returns once each answers
        code = supervisor.wait()   # until Ctrl-C (0) or until it gives up on a child (EXIT_GAVE_UP)

A child that does not start (it exits, or its ``ready_url`` does not answer in time) raises
:class:`~bot.errors.ChildFailedError` at once: a port in use or a broken model is not cured by
trying again. Once started, a thread watches every child: one that exits, whatever its exit
code, is started again, at once the first time and then after growing delays
(:class:`RestartPolicy`), and one that does not answer again within its ``ready_timeout`` is
killed and counted as an exit. Each exit, restart and recovery is logged with the child's name,
its pid and exit code, nothing else. When a child has exited ``max_deaths`` times within
``window`` seconds, the supervisor gives up: it stops every child and :meth:`Supervisor.wait`
returns :data:`EXIT_GAVE_UP`, so that ``bot serve`` exits non-zero and a service manager
(systemd's ``Restart=on-failure``, docs/operations.md) takes over.

Children run in their own session: a Ctrl-C in the terminal reaches the supervisor alone,
which stops them all (SIGINT, then SIGKILL to the child's process group after
``stop_timeout``), rather than racing them to restart the ones the Ctrl-C just stopped.
"""

from __future__ import annotations

import http.client
import logging
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from bot.errors import ChildFailedError

logger = logging.getLogger(__name__)

EXIT_GAVE_UP = 3  # bot serve's exit code when a child kept dying (2 is the CLI's "bad input")
PROBE_TIMEOUT = 1.0  # seconds: a readiness probe on the loopback either answers at once or not at all
# Readiness probes go straight to the loopback, never through an HTTP_PROXY of the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Child:
    """A process to keep running, and how to tell that it serves."""

    name: str  # in log lines: "action server"
    label: str  # in French, for the person at the terminal: "le serveur d'actions"
    command: Sequence[str]
    ready_url: str | None = None  # answers 200 once the child serves; None: ready once started
    any_status_is_ready: bool = False  # any HTTP answer will do (a health page that says 503 about others)
    ready_timeout: float = 120.0
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    log_file: Path | None = None  # output appended there; None: this process's own terminal


@dataclass(frozen=True)
class RestartPolicy:
    """When to start a dead child again, and when to stop trying."""

    first_delay: float = 0.0  # the first restart: at once, the volunteers are waiting
    next_delay: float = 1.0  # then 1 s, 2 s, 4 s… up to max_delay
    factor: float = 2.0
    max_delay: float = 30.0
    max_deaths: int = 5  # exits within `window` seconds after which the supervisor gives up
    window: float = 300.0
    stop_timeout: float = 15.0  # seconds a child has to stop after SIGINT before SIGKILL
    poll_interval: float = 0.1

    def delay(self, deaths: int) -> float:
        """Seconds to wait before starting again a child that exited ``deaths`` times within the window."""
        if deaths <= 1:
            return self.first_delay
        return min(self.next_delay * self.factor ** (deaths - 2), self.max_delay)


@dataclass
class _Watched:
    """A child and what the supervisor knows about it."""

    child: Child
    process: subprocess.Popen[bytes] | None
    started_at: float
    watched: bool = False  # False while start() waits for it: a failed start raises, it is not restarted
    ready: bool = False
    exited_at: float | None = None  # the exit this restart recovers from
    restart_at: float = 0.0
    deaths: deque[float] = field(default_factory=deque)


class Supervisor:
    """Start children, restart those that die, stop them all (a context manager)."""

    def __init__(self, policy: RestartPolicy | None = None) -> None:
        self.policy = policy or RestartPolicy()
        self.gave_up = threading.Event()
        self.failed: Child | None = None  # the child it gave up on
        self._children: dict[str, _Watched] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------------------- starting

    def start(self, *children: Child) -> None:
        """Start ``children`` together and return once each one serves; raise ChildFailedError if one does not."""
        started: list[_Watched] = []
        with self._lock:
            if self._stopping.is_set():
                raise ChildFailedError("le superviseur est arrêté")
            for child in children:
                if child.name in self._children:
                    raise ValueError(f"{child.name} is started already")
                watched = _Watched(child, None, time.monotonic())
                self._children[child.name] = watched  # before the spawn: stop() finds it whatever happens
                watched.process = _spawn(child)
                logger.info("%s started (pid %d)", child.name, watched.process.pid)
                started.append(watched)
        for watched in started:
            self._wait_until_ready(watched)
            with self._lock:
                watched.ready = watched.watched = True
        self._watch_in_background()

    def _wait_until_ready(self, watched: _Watched) -> None:
        child, process = watched.child, watched.process
        assert process is not None
        deadline = watched.started_at + child.ready_timeout
        while True:
            code = process.poll()
            if code is not None:
                raise ChildFailedError(f"{child.label} s'est arrêté pendant son démarrage ({describe_exit(code)})")
            if _is_ready(child):
                return
            if time.monotonic() > deadline:
                raise ChildFailedError(f"{child.label} n'a pas répondu en {child.ready_timeout:.0f} s")
            time.sleep(0.2)

    def _watch_in_background(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
                self._thread.start()

    # ----------------------------------------------------------------------------- watching

    def _watch(self) -> None:
        while not self._stopping.wait(self.policy.poll_interval):
            with self._lock:
                if self._stopping.is_set():
                    return
                for watched in list(self._children.values()):
                    if watched.watched and not self._tend(watched):
                        self._give_up(watched.child)
                        return

    def _tend(self, watched: _Watched) -> bool:
        """Look after one child once; False when it exited too often and the supervisor must give up."""
        child, now = watched.child, time.monotonic()
        if watched.process is not None:
            code = watched.process.poll()
            if code is None:
                if not watched.ready:
                    self._check_recovery(watched, now)
                return True
            pid = watched.process.pid
            watched.process, watched.ready = None, False
            watched.exited_at = watched.exited_at or now
            watched.deaths.append(now)
            while now - watched.deaths[0] > self.policy.window:
                watched.deaths.popleft()
            deaths = len(watched.deaths)
            if deaths >= self.policy.max_deaths:
                logger.error(
                    "%s exited (%s, pid %d), %d times within %.0f s: giving up",
                    child.name, describe_exit(code), pid, deaths, self.policy.window,
                )  # fmt: skip
                return False
            delay = self.policy.delay(deaths)
            watched.restart_at = now + delay
            logger.warning(
                "%s exited (%s, pid %d): starting it again in %.1f s (exit %d within %.0f s; gives up at %d)",
                child.name, describe_exit(code), pid, delay, deaths, self.policy.window, self.policy.max_deaths,
            )  # fmt: skip
        if watched.process is None and now >= watched.restart_at:
            try:
                watched.process = _spawn(child)
            except OSError as error:  # the executable vanished, too many processes: counted as an exit
                logger.error("%s could not be started again: %s", child.name, type(error).__name__)
                watched.deaths.append(now)
                watched.restart_at = now + self.policy.delay(len(watched.deaths))
                return len(watched.deaths) < self.policy.max_deaths
            watched.started_at = now
            logger.info("%s started again (pid %d)", child.name, watched.process.pid)
        return True

    def _check_recovery(self, watched: _Watched, now: float) -> None:
        """Note when a restarted child serves again; kill it if it does not within its ready_timeout."""
        child = watched.child
        assert watched.process is not None
        if _is_ready(child):
            watched.ready = True
            logger.info(
                "%s is back (pid %d), %.1f s after it exited",
                child.name, watched.process.pid, now - (watched.exited_at or now),
            )  # fmt: skip
            watched.exited_at = None
        elif now - watched.started_at > child.ready_timeout:
            logger.warning("%s did not answer %.0f s after a restart: killing it", child.name, child.ready_timeout)
            _kill_group(watched.process)

    def _give_up(self, child: Child) -> None:
        self.failed = child
        self._stopping.set()
        self._stop_children()
        self.gave_up.set()

    # ----------------------------------------------------------------------------- stopping

    def wait(self) -> int:
        """Block until Ctrl-C (0; see :func:`sigterm_as_interrupt` for SIGTERM) or until giving up (EXIT_GAVE_UP)."""
        try:
            while not self.gave_up.wait(0.5):
                pass
        except KeyboardInterrupt:
            return 0
        return EXIT_GAVE_UP

    def stop(self) -> None:
        """Stop watching, then stop every child (idempotent)."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._lock:
            self._stop_children()

    def _stop_children(self) -> None:
        running = [w.process for w in reversed(self._children.values()) if w.process and w.process.poll() is None]
        for process in running:
            with suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)  # Sanic and uvicorn stop cleanly on SIGINT
        deadline = time.monotonic() + self.policy.stop_timeout
        try:
            for process in running:
                try:
                    process.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _kill_group(process)
                    process.wait()
        except KeyboardInterrupt:  # a second Ctrl-C while they stop: at once, and still no orphan
            for process in running:
                _kill_group(process)
                process.wait()
            raise

    # ----------------------------------------------------------------------------- looking in

    def pid(self, name: str) -> int | None:
        """The pid of the running child called ``name`` (None while it is being restarted)."""
        with self._lock:
            watched = self._children.get(name)
            return watched.process.pid if watched and watched.process and watched.process.poll() is None else None


def _spawn(child: Child) -> subprocess.Popen[bytes]:
    output = None
    if child.log_file is not None:
        child.log_file.parent.mkdir(parents=True, exist_ok=True)
        output = open(child.log_file, "ab")  # noqa: SIM115 - the child holds it; a restart appends
    try:
        return subprocess.Popen(
            list(child.command), cwd=child.cwd, env=dict(child.env) if child.env is not None else None,
            stdout=output, stderr=subprocess.STDOUT if output else None, start_new_session=True,
        )  # fmt: skip
    finally:
        if output is not None:
            output.close()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the child and whatever it started (its own process group, as start_new_session made it)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _is_ready(child: Child) -> bool:
    if child.ready_url is None:
        return True
    status = http_status(child.ready_url)
    return status is not None and (status == 200 or child.any_status_is_ready)


def http_status(url: str, timeout: float = PROBE_TIMEOUT) -> int | None:
    """The HTTP status ``url`` answers with, or None when nothing answers in ``timeout`` seconds."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, http.client.HTTPException):  # refused, reset, timed out, not HTTP
        return None


def describe_exit(code: int) -> str:
    """An exit code as a person reads it: "code 1", "signal SIGKILL"."""
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (systemd's stop, ``kill``) stops the main thread as Ctrl-C does."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
