"""The supervisor with tiny stand-in processes: restarts, giving up, stopping without orphans."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import ROOT
from bot.errors import ChildFailedError
from bot.supervise import EXIT_GAVE_UP, Child, RestartPolicy, Supervisor, describe_exit
from tests.conftest import free_port

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
FAST = RestartPolicy(next_delay=0.05, max_delay=0.2, max_deaths=3, window=60, stop_timeout=5, poll_interval=0.02)


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def eventually(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)


def http_server(port: int, folder: Path) -> Child:
    """A child that answers HTTP 200 on / once it has started, like our servers' health routes."""
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)]
    return Child("web server", "le serveur web", command, ready_url=f"http://127.0.0.1:{port}/", ready_timeout=20)


def test_restarts_come_at_once_then_after_growing_delays() -> None:
    policy = RestartPolicy()
    assert [policy.delay(deaths) for deaths in range(1, 9)] == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


@pytest.mark.parametrize(("code", "expected"), [(1, "code 1"), (0, "code 0"), (-9, "signal SIGKILL")])
def test_exit_codes_read_as_people_say_them(code: int, expected: str) -> None:
    assert describe_exit(code) == expected


def test_a_child_that_dies_is_started_again_at_once_and_the_restart_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.supervise")
    with Supervisor(FAST) as supervisor:
        supervisor.start(http_server(free_port(), tmp_path))
        first = supervisor.pid("web server")
        assert first is not None
        os.kill(first, signal.SIGKILL)
        eventually(lambda: "web server is back" in caplog.text)
        second = supervisor.pid("web server")
        assert second not in (None, first) and alive(second)
    assert f"web server exited (signal SIGKILL, pid {first}): starting it again in 0.0 s" in caplog.text
    assert f"web server started again (pid {second})" in caplog.text
    assert not alive(second)


def test_a_child_that_keeps_dying_makes_the_supervisor_give_up_and_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dies_soon = Child(
        "crasher", "le processus fragile", [sys.executable, "-c", "import time; time.sleep(0.2); exit(1)"]
    )
    with Supervisor(FAST) as supervisor:
        supervisor.start(Child("steady", "le processus stable", SLEEPER), dies_soon)
        steady = supervisor.pid("steady")
        assert steady is not None
        started = time.monotonic()
        assert supervisor.wait() == EXIT_GAVE_UP
        assert time.monotonic() - started < 5
        assert supervisor.failed == dies_soon
        assert not alive(steady) and supervisor.pid("crasher") is None
    assert "crasher exited (code 1" in caplog.text and "3 times within 60 s: giving up" in caplog.text


def test_a_child_that_does_not_start_is_a_clear_error_not_a_restart() -> None:
    broken = Child("broken", "le serveur cassé", [sys.executable, "-c", "exit(4)"], ready_url="http://127.0.0.1:1/")
    with Supervisor(FAST) as supervisor, pytest.raises(ChildFailedError, match="le serveur cassé s'est arrêté"):
        supervisor.start(broken)


def test_a_child_that_never_answers_is_a_clear_error() -> None:
    mute = Child("mute", "le serveur muet", SLEEPER, ready_url=f"http://127.0.0.1:{free_port()}/", ready_timeout=0.5)
    with Supervisor(FAST) as supervisor:
        with pytest.raises(ChildFailedError, match="le serveur muet n'a pas répondu en 0 s"):
            supervisor.start(mute)
        pid = supervisor.pid("mute")
    assert pid is not None and not alive(pid)


def test_a_restarted_child_that_never_answers_again_is_killed_and_counted(tmp_path: Path) -> None:
    port, marker = free_port(), tmp_path / "started-once"
    script = (  # serves the first time; once restarted, runs without ever answering
        "import pathlib, subprocess, sys, time\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "if marker.exists(): time.sleep(600)\n"
        "marker.touch()\n"
        f"subprocess.run([sys.executable, '-m', 'http.server', '{port}', '--bind', '127.0.0.1'])\n"
    )
    child = Child("hanging", "le serveur figé", [sys.executable, "-c", script], ready_url=f"http://127.0.0.1:{port}/",
                  ready_timeout=0.5)  # fmt: skip
    with Supervisor(FAST) as supervisor:
        supervisor.start(child)
        os.killpg(supervisor.pid("hanging") or 0, signal.SIGKILL)
        assert supervisor.wait() == EXIT_GAVE_UP  # killed twice more for not answering: three exits


def test_stop_ends_every_child_and_what_it_started_even_when_it_ignores_sigint(tmp_path: Path) -> None:
    pids = tmp_path / "grandchild.pid"
    stubborn = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(str(grandchild.pid))\n"
        "time.sleep(600)\n"
    )
    policy = RestartPolicy(stop_timeout=0.5)
    with Supervisor(policy) as supervisor:
        supervisor.start(Child("stubborn", "le processus têtu", [sys.executable, "-c", stubborn]))
        child = supervisor.pid("stubborn")
        eventually(lambda: pids.exists() and pids.read_text())
        grandchild = int(pids.read_text())
        assert child is not None and alive(child) and alive(grandchild)
    assert not alive(child)
    eventually(lambda: not alive(grandchild), timeout=5)


SERVE_LIKE = """
import sys
from bot.supervise import Child, Supervisor, sigterm_as_interrupt
sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
with sigterm_as_interrupt():
    try:
        with Supervisor() as supervisor:
            supervisor.start(Child("a", "a", sleeper), Child("b", "b", sleeper))
            print(supervisor.pid("a"), supervisor.pid("b"), flush=True)
            code = supervisor.wait()
    except KeyboardInterrupt:  # before wait(), as bot serve does
        code = 0
sys.exit(code)
"""


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_stop_everything_cleanly(stop: signal.Signals) -> None:
    """As `bot serve` waits: SIGTERM from a service manager and Ctrl-C end it with 0 and leave no child."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-c", SERVE_LIKE], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    children = [int(pid) for pid in process.stdout.readline().split()]
    assert len(children) == 2 and all(alive(pid) for pid in children)
    process.send_signal(stop)
    assert process.wait(timeout=20) == 0
    assert not any(alive(pid) for pid in children)
