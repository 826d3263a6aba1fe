"""Move the clock of the test process and of the servers it started, together (see sitecustomize.py here)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import time_machine

FOLDER = Path(__file__).resolve().parent


class Clock:
    """The offset file the servers follow, and the same offset in this process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.write_text("0")
        self.offset = 0.0
        self.traveller: time_machine.travel | None = None

    def environment(self) -> dict[str, str]:
        """What a server process needs in its environment to follow this clock."""
        python_path = os.pathsep.join(p for p in (str(FOLDER), os.environ.get("PYTHONPATH", "")) if p)
        return {"TEST_CLOCK_FILE": str(self.path), "PYTHONPATH": python_path}

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def move_to(self, moment: datetime, settle: float = 0.3) -> None:
        """Every process lives at ``moment`` (then the clock ticks on); returns once the servers followed."""
        if self.traveller is not None:
            self.traveller.stop()
            self.traveller = None
        real = time.time()
        self.offset = moment.timestamp() - real
        self.path.write_text(repr(self.offset))
        self.traveller = time_machine.travel(moment, tick=True)
        self.traveller.start()
        time.sleep(settle)  # the servers' threads read the file every 50 ms

    def reset(self) -> None:
        if self.traveller is not None:
            self.traveller.stop()
            self.traveller = None
        self.offset = 0.0
        self.path.write_text("0")
