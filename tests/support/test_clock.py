"""The test clock moves a server process's time as the test process's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.support.clock import Clock


def test_a_child_process_follows_the_clock_file(tmp_path: Path) -> None:
    clock = Clock(tmp_path / "clock")
    script = (
        "import time, datetime\n"
        "for _ in range(40):\n"
        "    print(datetime.datetime.now(datetime.timezone.utc).isoformat(), flush=True)\n"
        "    time.sleep(0.1)\n"
    )
    env = dict(os.environ, **clock.environment())
    child = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        first = datetime.fromisoformat(child.stdout.readline().strip())
        assert abs((first - datetime.now(timezone.utc)).total_seconds()) < 5
        target = datetime(2031, 3, 1, 17, 0, tzinfo=timezone.utc)
        clock.move_to(target)
        assert abs((datetime.now(timezone.utc) - target).total_seconds()) < 2  # this process too
        time.sleep(0.3)
        lines = [datetime.fromisoformat(child.stdout.readline().strip()) for _ in range(3)]
        assert abs((lines[-1] - target).total_seconds()) < 5
        assert lines[-1] - lines[0] < timedelta(seconds=2)  # and it ticks on
    finally:
        clock.reset()
        child.kill()
        child.wait()
