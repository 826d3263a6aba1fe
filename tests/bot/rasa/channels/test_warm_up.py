"""bot.rasa.channels.warm_up: after the warm-up, the loaded model is left out of full garbage collections."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from rasa.core.agent import Agent
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.channels.warm_up import is_warm, warm_up


@pytest.fixture()
def unfrozen_afterwards() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_the_warm_up_runs_the_model_then_leaves_it_out_of_collections(agent: Agent, unfrozen_afterwards: None) -> None:
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))
    asyncio.run(warm_up(app))
    assert is_warm(app)
    collected = {id(thing) for thing in gc.get_objects()}  # what a full collection walks
    assert id(agent.processor) not in collected and id(agent.domain) not in collected
    fresh = DialogueStateTracker("made-after-the-warm-up", agent.domain.slots)
    assert id(fresh) in {id(thing) for thing in gc.get_objects()}  # what is made later is still collected
