"""A custom action that fails or is too slow never leaves a volunteer facing silence.

Rasa 3.6 waits up to 300 s for the action server; when the call fails (the action server is
down, answers an error, or takes too long) it logs the error, drops the action's events and
goes on: the volunteer gets an empty reply, message after message, and cannot tell why.

:func:`install` wraps Rasa's ``RemoteAction.run`` (the one method that calls the action
server, used for our actions and for the form's validation alike) so that a call

- gives up after ``ACTION_TIMEOUT`` seconds (a setting, 8 by default), and
- on any failure returns the response ``utter_technical_problem`` of the domain ("petit souci
  technique, vos réponses sont gardées…") instead of nothing. The volunteer's message and every
  slot stay in the tracker; the next message resumes the conversation where it was.

One apology per turn: once an action of this turn has failed, the turn's other custom actions
are skipped (a hung action server would otherwise cost ``ACTION_TIMEOUT`` per action). A form's
validation action (``validate_…``) is a special case: when the form then rejects the message
(the slot it asked for is not filled), Rasa drops the events the validation returned, so its
apology is sent to the output channel at once instead (it is then missing from the transcript).
Rejections (``ActionExecutionRejection``, how a form says "this slot was not filled") are
Rasa's normal flow and pass through untouched.

This replaces Rasa code, so it is installed explicitly by the Rasa server's entry point
(:mod:`bot.rasa.server`), only on the Rasa version it was checked against, and never when
``ACTION_TIMEOUT`` is 0. Usage::

    from bot.rasa.action_fallback import install
    install(settings.action_timeout)
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

from bot.logs import pseudonym

logger = logging.getLogger(__name__)

CHECKED_RASA = "3.6.21"
RESPONSE = "utter_technical_problem"
# Said when the domain has no such response (an association's domain without it).
DEFAULT_TEXT = (
    "Petit souci technique de mon côté : vos réponses sont bien gardées. Réessayez dans un instant, s'il vous plaît."
)
_MARK = "_bot_action_fallback"
REMEMBERED_TURNS = 10_000
_failed_turns: OrderedDict[tuple[str, float], None] = OrderedDict()  # (sender id, its last message's time)


def _turn(tracker: Any) -> tuple[str, float]:
    """This turn of this conversation: its id and the time of the volunteer's last message."""
    from rasa.shared.core.events import UserUttered

    last = next((event for event in reversed(tracker.events) if isinstance(event, UserUttered)), None)
    return (tracker.sender_id, last.timestamp if last is not None else 0.0)


def failed_this_turn(tracker: Any) -> bool:
    """True when an action failed (and the volunteer was told) since the volunteer's last message."""
    return _turn(tracker) in _failed_turns


def _remember_failure(tracker: Any) -> None:
    _failed_turns[_turn(tracker)] = None
    while len(_failed_turns) > REMEMBERED_TURNS:
        _failed_turns.popitem(last=False)


async def apology(nlg: Any, tracker: Any, output_channel: Any) -> list[Any]:
    """The events that tell the volunteer, politely, that something failed on our side."""
    from rasa.core.actions.action import create_bot_utterance

    message = None
    try:
        message = await nlg.generate(RESPONSE, tracker, output_channel.name())
    except Exception:  # noqa: BLE001 - the apology must not fail in turn
        logger.warning("response %s could not be generated", RESPONSE, exc_info=True)
    message = dict(message or {"text": DEFAULT_TEXT})
    message["utter_action"] = RESPONSE
    return [create_bot_utterance(message)]


def install(timeout: float) -> bool:
    """Wrap ``RemoteAction.run`` as the module docstring says; True when it is in place."""
    import rasa
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction

    if timeout <= 0:
        logger.info("ACTION_TIMEOUT is 0: custom actions run as Rasa ships them (300 s, silence on failure)")
        return False
    if rasa.__version__ != CHECKED_RASA:
        logger.warning(
            "action fallback not installed: checked against Rasa %s, this is Rasa %s", CHECKED_RASA, rasa.__version__
        )
        return False
    original = RemoteAction.run
    if getattr(original, _MARK, False):
        return True

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Any]:
        if failed_this_turn(tracker):
            logger.info("custom action %s skipped: an action of this turn failed already", self.name())
            return []
        try:
            return await asyncio.wait_for(original(self, output_channel, nlg, tracker, domain), timeout)
        except ActionExecutionRejection:
            raise
        except Exception as error:  # noqa: BLE001 - whatever failed, the volunteer hears about it
            reason = "timed out" if isinstance(error, asyncio.TimeoutError) else f"failed ({type(error).__name__})"
            logger.error(
                "custom action %s %s for %s: the volunteer was told",
                self.name(), reason, pseudonym(tracker.sender_id),
            )  # fmt: skip
            _remember_failure(tracker)
            events = await apology(nlg, tracker, output_channel)
            if not self.name().startswith("validate_"):
                return events
            for event in events:  # the form may drop what its validation returns: say it now
                await output_channel.send_response(tracker.sender_id, event.message())
            return []

    setattr(run, _MARK, True)
    run.__doc__ = original.__doc__
    RemoteAction.run = run
    logger.info("custom actions: %s s at most, a polite answer when one fails", f"{timeout:g}")
    return True
