"""The first volunteer after a start does not pay for the model's first run.

The first message through a freshly loaded model costs most of a second more than the next
ones (TensorFlow traces its functions on first use, spaCy and the featurizers fill their
caches). Once the server has started, :func:`warm_up` runs a few typical messages through the
NLU pipeline and the dialogue policies, in memory (nothing reaches the tracker store, the
action server or a channel), and :func:`is_warm` tells the REST channel's health route, which
answers 503 "loading" until then, so that `bot serve` and a load balancer wait for it.

Then the loaded model is left out of the garbage collector's full collections
(:func:`exempt_loaded_model`): close to a million Python objects (TensorFlow, spaCy, the
gazetteer), which each full collection walked, stopping the server for 300 to 550 ms about ten
times a minute under load. They live as long as the server; frozen, a collection walks only
what was made since.

Registered on the REST channel's blueprint (:class:`bot.rasa.channels.rest.CheckedRestInput`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any

from sanic import Blueprint

logger = logging.getLogger(__name__)

MESSAGES = (
    "bonjour",
    "je voudrais devenir bénévole",
    "oui j'accepte",
    "Je m'appelle Julie, j'ai 34 ans et j'habite à Lyon",
    "est-ce que je suis assuré ?",
)
WAIT_FOR_AGENT = 600.0  # seconds: a model can take minutes to load on a small machine


def is_warm(app: Any) -> bool:
    """True once the warm-up is over (or failed: then traffic is served cold, not refused)."""
    return bool(getattr(app.ctx, "bot_warm", False))


async def warm_up(app: Any) -> None:
    """Run the typical messages through the loaded model, in memory."""
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    started = time.monotonic()
    try:
        deadline = started + WAIT_FOR_AGENT
        while not (getattr(app.ctx, "agent", None) is not None and app.ctx.agent.is_ready()):
            if time.monotonic() > deadline:
                logger.warning("no model loaded after %.0f s: not warmed up", WAIT_FOR_AGENT)
                return
            await asyncio.sleep(0.2)
        agent = app.ctx.agent
        events: list[Any] = [ActionExecuted("action_listen")]
        for text in MESSAGES:
            parsed = await agent.parse_message(text)
            events += [UserUttered(text, parsed["intent"], parsed["entities"], parse_data=parsed)]
            tracker = DialogueStateTracker.from_events("warm-up", events, slots=agent.domain.slots)
            agent.predict_next_with_tracker(tracker)
            events.append(ActionExecuted("action_listen"))
        logger.info("model warmed up in %.1f s", time.monotonic() - started)
        exempt_loaded_model()
    except Exception:  # noqa: BLE001 - a failed warm-up only means a slower first message
        logger.warning("warm-up failed: the first messages will be slower", exc_info=True)
    finally:
        app.ctx.bot_warm = True


def exempt_loaded_model() -> None:
    """Collect the garbage of loading the model, then exempt what is left from later collections."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    logger.info(
        "%d objects of the loaded model exempted from garbage collection (%.0f ms)",
        gc.get_freeze_count(),
        1000 * (time.perf_counter() - started),
    )


def register_warm_up(blueprint: Blueprint) -> None:
    """Warm the model up once the server has started (see the module docstring)."""

    @blueprint.listener("after_server_start")
    async def start_warm_up(app: Any, _: Any) -> None:
        app.ctx.bot_warm = False
        app.ctx.bot_warm_up = asyncio.ensure_future(warm_up(app))
