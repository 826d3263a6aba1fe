"""The Rasa server, started without its secrets on the command line.

``bot serve`` runs ``python -m bot.rasa_server run --model … --enable-api …`` instead of
``rasa run … --auth-token TOKEN``: a process's command line is readable by every user of
the machine (``ps``), its environment only by its owner. This entry point reads the API
token from the settings (RASA_API_TOKEN, or derived from the signing secret), adds it to
Rasa's own arguments inside the process, installs the log guard (:mod:`bot.logs`), the
polite answer to failed custom actions (:mod:`bot.action_fallback`) and to a conversation
the tracker store could not read or save (:func:`bot.tracker_store.install`), and hands
over to Rasa's command line.
"""

from __future__ import annotations

import logging
import sys

from bot.action_fallback import install as install_action_fallback
from bot.config import get_settings, rasa_api_token
from bot.logs import install_record_guard


def main() -> None:
    """Run ``rasa`` with these arguments plus the API token."""
    from rasa.__main__ import main as rasa_main

    install_record_guard()
    logging.captureWarnings(True)  # Rasa's warnings can quote a message: through the guard too
    settings = get_settings()
    install_action_fallback(settings.action_timeout)
    from bot.tracker_store import install as pass_on_tracker_store_failures  # imports Rasa: after the log guard

    pass_on_tracker_store_failures()
    arguments = sys.argv[1:]
    if "--enable-api" in arguments:
        arguments += ["--auth-token", rasa_api_token(settings)]
    sys.argv = ["rasa", *arguments]
    rasa_main()


if __name__ == "__main__":
    main()
