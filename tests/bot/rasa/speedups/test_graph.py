"""bot.rasa.speedups.graph: the patched Rasa code gives Rasa's own answers."""

from __future__ import annotations

import asyncio
import gc

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.speedups import graph


def test_the_prediction_graph_gives_what_dask_gives(agent: Agent, story_trackers: list[DialogueStateTracker]) -> None:
    """The NLU pipeline and the policies of the trained model, run in order and through dask."""
    runner = agent.processor.graph_runner  # type: ignore[union-attr]
    metadata = agent.processor.model_metadata  # type: ignore[union-attr]
    dask_run = graph._original["graph_run"]
    texts = ["bonjour", "je m'appelle Julie, j'habite à Bron et je sais cuisiner", "oui", "supprimez mes données"]
    for text in texts:
        ours = runner.run(inputs={"__message__": [UserMessage(text)]}, targets=[metadata.nlu_target])
        dasks = dask_run(runner, inputs={"__message__": [UserMessage(text)]}, targets=[metadata.nlu_target])
        (mine,), (theirs,) = ours[metadata.nlu_target], dasks[metadata.nlu_target]
        for key in ("intent", "intent_ranking", "entities", "text"):
            assert mine.get(key) == theirs.get(key)
    compared = 0
    for story in story_trackers:
        tracker = DialogueStateTracker(story.sender_id, agent.domain.slots)  # type: ignore[union-attr]
        for event in story.events:
            tracker.update(event)
            if isinstance(event, ActionExecuted):
                ours = runner.run(inputs={"__tracker__": tracker}, targets=[metadata.core_target])
                dasks = dask_run(runner, inputs={"__tracker__": tracker}, targets=[metadata.core_target])
                mine, theirs = ours[metadata.core_target], dasks[metadata.core_target]
                assert (mine.probabilities, mine.policy_name) == (theirs.probabilities, theirs.policy_name)
                compared += 1
    assert compared >= 50  # every action of every training dialogue


def test_after_the_first_prediction_the_loaded_model_is_left_out_of_garbage_collection(agent: Agent) -> None:
    asyncio.run(agent.parse_message("bonjour"))
    collected = {id(thing) for thing in gc.get_objects()}  # what a full collection walks
    assert id(agent.processor) not in collected and id(agent.domain) not in collected
    fresh = DialogueStateTracker("made-after-the-load", agent.domain.slots)  # type: ignore[union-attr]
    assert id(fresh) in {id(thing) for thing in gc.get_objects()}  # what is made later is still collected
