"""A clock the tests move in the servers they start (never imported outside tests).

When ``TEST_CLOCK_FILE`` is set, every Python process started with this folder on ``PYTHONPATH``
(the Rasa server, the action server, the web app of a live test) reads from that file an offset in
seconds and lives that far in the future, with ``time_machine``; a thread follows the file, so a
test moves the clock of every process at once (``tests.support.clock.Clock``).
"""

from __future__ import annotations

import os

if os.environ.get("TEST_CLOCK_FILE"):
    import threading
    import time

    import time_machine

    _path = os.environ["TEST_CLOCK_FILE"]
    _real_start, _mono_start = time.time(), time.monotonic()  # time.monotonic is not moved by time_machine
    _state: dict[str, object] = {"offset": 0.0, "traveller": None}

    def _read_offset() -> float:
        try:
            with open(_path) as handle:
                return float(handle.read().strip() or 0)
        except (OSError, ValueError):
            return 0.0

    def _apply(offset: float) -> None:
        traveller = _state["traveller"]
        if traveller is not None:
            traveller.stop()  # type: ignore[attr-defined]
            _state["traveller"] = None
        if offset:
            now = _real_start + (time.monotonic() - _mono_start)
            moved = time_machine.travel(now + offset, tick=True)
            moved.start()
            _state["traveller"] = moved
        _state["offset"] = offset

    def _follow() -> None:
        while True:
            offset = _read_offset()
            if offset != _state["offset"]:
                _apply(offset)
            threading.Event().wait(0.05)

    _apply(_read_offset())
    threading.Thread(target=_follow, name="test-clock", daemon=True).start()
