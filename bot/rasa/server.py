"""The Rasa server, started without its secrets on the command line.

``bot serve`` runs ``python -m bot.rasa.server run --model … --enable-api …`` instead of
``rasa run … --auth-token TOKEN``: a process's command line is readable by every user of
the machine (``ps``), its environment only by its owner. This entry point reads the API
token from the settings (RASA_API_TOKEN, or derived from the signing secret), adds it to
Rasa's own arguments inside the process, installs the log guard (:mod:`bot.logs`), the
polite answer to failed custom actions (:mod:`bot.rasa.action_fallback`) and to a conversation
the tracker store could not read or save (:func:`bot.rasa.tracker_store.install`), the speed
patches RASA_SPEEDUPS asks for (:mod:`bot.rasa.speedups`), and hands over to Rasa's command
line (``run``, and ``test`` for the conversation and held-out tests). For ``run``, it first
takes the server's port and answers "loading" there until the model is loaded
(:mod:`bot.rasa.loading`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from bot.config import Settings, get_settings, rasa_api_token
from bot.logs import install_record_guard
from bot.rasa.action_fallback import install as install_action_fallback
from bot.rasa.loading import LoadingPort, hand_over_once_loaded
from bot.texts import widget_texts

DEFAULT_INTERFACE, DEFAULT_PORT = "0.0.0.0", 5005  # rasa run's own defaults


def server_address(arguments: list[str]) -> tuple[str, int]:
    """The interface and port ``rasa run`` will listen on, read from its arguments as Rasa reads them."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-i", "--interface", default=DEFAULT_INTERFACE)
    parser.add_argument("-p", "--port", type=int, default=DEFAULT_PORT)
    known, _ = parser.parse_known_args(arguments)
    return known.interface, known.port


BEHIND_PROXY = "BEHIND_PROXY"


def loading_port(arguments: list[str], settings: Settings) -> LoadingPort | None:
    """For ``rasa run``: the port taken at once, answering "loading" until the model is loaded.

    Not for a replica behind the proxy (``BEHIND_PROXY=1``, bot.cluster): there a refused connection
    is what sends the proxy to another replica at once, and the proxy's own checks say "loading".
    """
    if arguments[:1] != ["run"] or os.environ.get(BEHIND_PROXY) == "1":
        return None
    host, port = server_address(arguments[1:])
    loading = LoadingPort(host, port, apology=widget_texts(settings.association_dir)["errors"]["unavailable"])
    return loading if loading.start() else None


@contextmanager
def said_before_rasa_logs(name: str) -> Iterator[None]:
    """Show the INFO lines of logger ``name`` on stderr, as Rasa shows its own, before Rasa sets up its logging."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(name)s  - %(message)s", "%Y-%m-%d %H:%M:%S"))
    said = logging.getLogger(name)
    level = said.level
    said.addHandler(handler)
    said.setLevel(logging.INFO)
    try:
        yield
    finally:
        said.removeHandler(handler)
        said.setLevel(level)


def main() -> None:
    """Run ``rasa`` with these arguments plus the API token."""
    install_record_guard()
    settings = get_settings()
    loading = loading_port(sys.argv[1:], settings)  # before importing Rasa: that alone takes seconds
    from rasa.__main__ import main as rasa_main

    logging.captureWarnings(True)  # Rasa's warnings can quote a message: through the guard too
    install_action_fallback(settings.action_timeout)
    from bot.rasa.tracker_store import install as pass_on_tracker_store_failures  # imports Rasa: after the log guard

    pass_on_tracker_store_failures()
    from bot.rasa.speedups import install_from_settings  # before Rasa loads a model: every command, not only run

    with said_before_rasa_logs("bot.rasa.speedups"):
        install_from_settings(settings.rasa_speedups)
    if loading is not None:  # imports more of Rasa: after its warnings are captured
        hand_over_once_loaded(loading)
    arguments = sys.argv[1:]
    if "--enable-api" in arguments:
        arguments += ["--auth-token", rasa_api_token(settings)]
    sys.argv = ["rasa", *arguments]
    rasa_main()


if __name__ == "__main__":
    main()
