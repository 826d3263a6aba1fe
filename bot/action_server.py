"""The action server: rasa-sdk's app, answering only the Rasa server, logging no personal data.

``bot serve`` starts it as ``python -m bot.action_server`` instead of ``rasa run actions``.
It is rasa-sdk's own app (``rasa_sdk.endpoint.create_app``) with three changes:

- every route but ``GET /health`` requires the ``X-Action-Token`` header that the Rasa
  server sends (``endpoints.yml``, the ACTION_TOKEN setting, derived from the signing
  secret when empty): another program or user of the machine that reaches the port cannot
  run ``action_show_my_data`` for someone else's conversation;
- no cross-origin requests (rasa-sdk allows every origin by default);
- a failing action is logged by name and exception type only (and, when the database failed,
  how: "locked", "full", "unreachable"), and answered with a 500 that does not echo the
  request (rasa-sdk sends the whole request back, which Rasa then logs at ERROR: slots,
  messages and domain).

It listens on 127.0.0.1 only (ACTION_PORT).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import time
import traceback

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import Settings, action_token, get_settings
from bot.logs import configure
from bot.store.session import database_failure
from bot.understanding import warm_up

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = frozenset({"/health"})
ACTIONS_PACKAGE = "actions"


def build_app(settings: Settings, *, actions_package: str = ACTIONS_PACKAGE) -> Sanic:
    """rasa-sdk's app with the token check and the quiet error handler."""
    app = create_app(actions_package, cors_origins=[])
    token = action_token(settings).encode()

    @app.on_request
    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "").encode()
        if not hmac.compare_digest(given, token):
            logger.warning("action server call refused: %s token", "wrong" if given else "missing")
            return response.json({"error": "forbidden"}, status=403)
        return None

    async def on_error(request: Request, exception: Exception) -> HTTPResponse:
        frame = traceback.extract_tb(exception.__traceback__)[-1:] if exception.__traceback__ else []
        where = f"{frame[0].filename}:{frame[0].lineno}" if frame else "?"
        action = _action_name(request)
        failure = database_failure(exception)
        if failure is not None:  # the Rasa server tells the volunteer; the operator needs to know which part failed
            logger.error(
                "action %s failed: the database is %s (%s at %s)", action, failure, type(exception).__name__, where
            )
        else:
            logger.error("action %s failed: %s at %s", action, type(exception).__name__, where)
        return response.json({"error": "the action failed", "action_name": action}, status=500)

    app.error_handler.add(Exception, on_error)
    return app


def _action_name(request: Request) -> str:
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - an unreadable body has no action name
        return "?"
    name = body.get("next_action") if isinstance(body, dict) else None
    return name if isinstance(name, str) and name.isidentifier() else "?"


def main(argv: list[str] | None = None) -> None:
    """Run the action server on 127.0.0.1 (``--port``, by default ACTION_PORT) until stopped."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.action_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=settings.action_port, help="port on 127.0.0.1")
    port = parser.parse_args(argv).port
    configure(settings.log_level)
    app = build_app(settings)
    started = time.monotonic()
    warm_up()  # lexicons and the gazetteer (0.2 s from var/cache, 2.5 s to build) before /health, not at a first turn
    logger.info("understanding warmed up in %.1f s", time.monotonic() - started)
    logger.info("action server listening on 127.0.0.1:%d", port)
    # Sanic forks the workers after the warm-up: they share the lexicons' memory and the port
    app.run("127.0.0.1", port, workers=max(1, settings.action_workers), access_log=False, motd=False)


if __name__ == "__main__":
    main()
