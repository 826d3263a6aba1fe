"""The trained model of the test run, loaded once in this process, and the dialogues it was trained on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot.config import ROOT
from bot.training import TRAINING_DATA


@pytest.fixture(scope="session")
def agent(trained_model: Path) -> Agent:
    """The model as the Rasa server loads it; the speed patches are installed only for tests/bot/rasa/speedups."""
    return Agent.load(str(trained_model))


@pytest.fixture(scope="session")
def component(agent: Agent) -> Callable[[type], Any]:
    """The loaded instance of one graph component of the model, by class."""

    def find(kind: type) -> Any:
        nodes = agent.processor.graph_runner._instantiated_nodes.values()
        return next(node._component for node in nodes if isinstance(node._component, kind))

    return find


@pytest.fixture(scope="session")
def rule_only_data(component: Callable[[type], Any]) -> dict[str, Any]:
    """The slots and loops that only rules use, as the trained RulePolicy gives them to the other policies."""
    return component(RulePolicy)._get_rule_only_data()


@pytest.fixture(scope="session")
def story_trackers(agent: Agent) -> list[DialogueStateTracker]:
    """The dialogues of the training stories and rules (rules hold markers that only RulePolicy reads)."""
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "domain.yml"), training_data_paths=[str(ROOT / path) for path in TRAINING_DATA]
    )
    generator = TrainingDataGenerator(importer.get_stories(), agent.domain, augmentation_factor=0)
    return list(generator.generate_story_trackers())
