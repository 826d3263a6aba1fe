"""The model's prediction graph, run without dask; the loaded model left out of garbage collection.

- Every message runs the model's prediction graph (the NLU pipeline, then the policies once per
  action) through dask's scheduler, after pruning the graph schema to the targets and building
  a dask graph again: about a tenth of the CPU of a turn. For a loaded model, the nodes each
  target needs are listed once, in an order where every node comes after what it needs, and
  are called in that order: the same nodes, called with the same inputs, give the same
  results. Training graphs (no model id yet) still run through dask.
- A full collection of Python's garbage collector walked every object of the loaded model,
  stopping the server for 300 to 550 ms (ten times in a minute of the benchmark); those objects
  are exempted from collection (``gc.freeze``) at the first graph run of a loaded model.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from bot.rasa.speedups.patching import replace

logger = logging.getLogger(__name__)

_original: dict[str, Any] = {}
# Attribute of a graph runner: targets -> the nodes to call, in order, each with the names of its inputs.
_PLANS = "_speedups_plans"
_heap_frozen = False


def _plan(runner: Any, targets: tuple[str, ...]) -> list[tuple[str, Any, tuple[str, ...]]]:
    """The nodes the targets need, each after the nodes it needs (a graph schema has no cycle)."""
    plans = runner.__dict__.setdefault(_PLANS, {})
    if targets in plans:
        return plans[targets]  # type: ignore[no-any-return]
    nodes = runner._graph_schema.nodes
    plan: list[tuple[str, Any, tuple[str, ...]]] = []
    placed: set[str] = set()

    def place(name: str) -> None:
        if name in placed or name not in nodes:  # done, or an input placeholder
            return
        placed.add(name)
        needs = tuple(nodes[name].needs.values())
        for need in needs:
            place(need)
        plan.append((name, runner._instantiated_nodes[name], needs))

    for target in targets:
        place(target)
    plans[targets] = plan
    return plan


def _freeze_heap() -> None:
    """Collect the garbage of loading the model, then exempt what is left from later collections.

    The loaded model is close to a million Python objects (TensorFlow, spaCy, the gazetteer), and
    each full collection of the garbage collector walked them all: 300 to 550 ms during which the
    server answered nobody. They live as long as the server; frozen, a full collection only walks
    what was made since. Done once, at the first graph run of a loaded model.
    """
    global _heap_frozen
    _heap_frozen = True
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    logger.info(
        "%d objects of the loaded model exempted from garbage collection (%.0f ms)",
        gc.get_freeze_count(),
        1000 * (time.perf_counter() - started),
    )


def _run_graph(self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
    """DaskGraphRunner.run for a loaded model's prediction graph: its nodes called in order."""
    from rasa.engine.exceptions import GraphRunError

    nodes = self._graph_schema.nodes
    if self._execution_context.model_id is None or any(name in nodes for name in inputs or {}):
        # a training graph, or an input standing for a node: Rasa's own run
        return _original["graph_run"](self, inputs, targets)  # type: ignore[no-any-return]
    if not _heap_frozen:
        _freeze_heap()
    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    plan = _plan(self, run_targets)
    values: dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the input names passed to "
                f"the `run` method are the same as node names in the graph schema."
            )
        values[name] = (name, value)  # what a node receives from an input, as in Rasa's dask graph
    try:
        for name, node, needs in plan:
            values[name] = node(*(values.get(need, need) for need in needs))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(values[target] for target in run_targets)


def install() -> None:
    """Prediction graphs called node by node."""
    from rasa.engine.runner.dask import DaskGraphRunner

    _original["graph_run"] = replace(DaskGraphRunner, "run", _run_graph)


def uninstall() -> None:
    """Objects frozen by the first graph run are collected again."""
    global _heap_frozen
    if _heap_frozen:
        gc.unfreeze()
        _heap_frozen = False
