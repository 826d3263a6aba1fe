"""Make the Rasa server faster without changing what it does.

Hot spots of Rasa 3.6, replaced by equivalent code when the server loads our model
(:class:`bot.nlu.profile_extractor.ProfileEntityExtractor` calls :func:`install`):

- every answer of the action server is checked against its JSON schema with
  ``jsonschema.validate``, which first re-checks the (large) schema itself against the
  JSON Schema meta-schema: about 50 ms of CPU per custom action call, more than the rest
  of a turn. We validate with validators compiled once (jsonschema-rs says an answer is
  valid in microseconds; an invalid one goes through jsonschema): same checks, same error.
- reading a conversation back from the tracker store turns each stored event into an
  object, and ``Event.resolve_by_type`` finds its class by walking every subclass of
  ``Event``, for each of the hundreds of events of a conversation. We look the class up
  in a dictionary, rebuilt whenever a name is missing: same answers.
- every prediction of the next action makes each policy (rules, memoization, TED) turn the
  conversation into dialogue states, and RulePolicy does it twice: each time by replaying
  every event of the conversation from the start. The states of the last replay are kept
  for each combination of options, and a call for the same tracker, with the same events
  and options, gets a copy of them: same states, and what the caller changes in its copy
  changes nothing else.
- every message runs the model's prediction graph (the NLU pipeline, then the policies once
  per action) through dask's scheduler, after pruning the graph schema to the targets and
  building a dask graph again: about a tenth of the CPU of a turn. For a loaded model, the
  nodes each target needs are listed once, in an order where every node comes after what
  it needs, and are called in that order: the same nodes, called with the same inputs, give
  the same results. Training graphs (no model id yet) still run through dask.
- a full collection of Python's garbage collector walked every object of the loaded model,
  stopping the server for 300 to 550 ms (ten times in a minute of the benchmark); those objects
  are exempted from collection (``gc.freeze``) at the first graph run of a loaded model.
- Rasa opens a new HTTP client, and a new TCP connection, for every call to the action
  server. The clients now share one pool of connections, kept open for two seconds, under
  the five seconds after which the action server (Sanic) closes an idle one. They write
  the request (the whole conversation, several times a message) with ujson rather than
  ``json``: the same JSON values, a few times faster.
- each replay of the conversation first works out its "applied" events (a form's execution
  undoes the turns since its previous one), walking back the conversation at each form
  execution: kept per tracker and events, as the states are.
- Rasa makes a new form action for every slot mapping it checks, and each one works out the
  form's unique entity mappings from the domain again: kept per form and domain.
- RulePolicy checks every rule against the last turn, for every prediction, and the rules
  left against every turn back to the first: only the rules that can match the last turn's
  previous action are checked, and no turn further back than the longest rule.
- every replay of the conversation makes a tracker, which copies each slot of the domain with
  ``copy.copy``: Rasa's slot classes, plain objects, are copied directly.
- DIET and TED call their traced TensorFlow function through ``tf.function``, whose handling
  of the inputs (finding the traced function, converting and checking ten arrays) cost five
  times the computation: the traced function is called directly, with the arrays converted.
- the sparse features of a message (n-grams, lexical features) are put side by side with
  scipy's general ``hstack``: two COO matrices are joined by shifting the right one's columns.

``make bench`` measures the server with them (our model) and without (Rasa's defaults).
"""

from __future__ import annotations

import atexit
import copy
import gc
import json
import logging
import time
from functools import cache
from typing import Any

import ujson

logger = logging.getLogger(__name__)

_original: dict[str, Any] = {}
_event_classes: dict[str, type] = {}
# (omit_unset_slots, ignore_rule_only_turns) -> (tracker, domain, number of events, last event, rule_only_data, states)
_states_memo: dict[tuple[bool, bool], tuple[Any, Any, int, Any, Any, list[dict[str, Any]]]] = {}
# Attribute of a graph runner: targets -> the nodes to call, in order, each with the names of its inputs.
_PLANS = "_speedups_plans"
# the event loop -> the connection pool its HTTP clients share
_connectors: dict[int, tuple[Any, Any]] = {}
_heap_frozen = False
# form name -> (the domain, the unique entity mappings of the form in it)
_unique_mappings: dict[str, tuple[Any, frozenset[str]]] = {}
# a rule lookup's keys, its longest rule, its rules by last previous action, and the other rules
RuleIndex = tuple[frozenset[str], int, dict[str, frozenset[str]], frozenset[str]]
# id of a rule lookup -> (the lookup, its index)
_rule_indexes: dict[int, tuple[Any, RuleIndex]] = {}
# Rasa's slot classes: plain objects, whose copy is a new object with the same attributes (set at install).
_PLAIN_SLOTS: set[type] = set()
# Attribute of a RasaModel: (its traced prediction function, the spec of each input).
_FLAT_CALL = "_speedups_flat_predict_call"
# Attribute of a tracker: (number of events, last event, the applied events) of the last call.
_APPLIED = "_speedups_applied_events"
# An idle connection to the action server is reused within this many seconds: under Sanic's keep-alive (5 s).
KEEP_ALIVE_SECONDS = 2.0


@cache
def _action_result_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every call
    return validator_class(schema)


@cache
def _quick_action_result_check() -> Any:
    """The same schema compiled by jsonschema-rs (Rust): it only says whether an answer is valid."""
    import jsonschema_rs
    from rasa.core.actions.action import RemoteAction

    return jsonschema_rs.validator_for(RemoteAction.action_response_format_spec())


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with compiled validators (same checks, same error).

    A valid answer is recognised by the Rust validator; any other goes through Python's
    jsonschema, which gives Rasa's own error (or, should the two ever disagree, the last word).
    """
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    if _quick_action_result_check().is_valid(result):
        return True
    try:
        _action_result_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise


def _resolve_event_type(type_name: str, default: type | None = None) -> type | None:
    """Event.resolve_by_type through a dictionary of the known event classes (same answers)."""
    event_class = _event_classes.get(type_name)
    if event_class is None:
        from rasa.shared.core.events import Event
        from rasa.shared.utils.common import all_subclasses

        found: dict[str, type] = {}
        for candidate in all_subclasses(Event):
            found.setdefault(candidate.type_name, candidate)  # the first one wins, as in Rasa
        _event_classes.clear()
        _event_classes.update(found)
        event_class = _event_classes.get(type_name)
        if event_class is None:  # unknown name: Rasa's own answer (None, the default or an error)
            return _original["resolve_by_type"](type_name, default)  # type: ignore[no-any-return]
    return event_class


def _copied(value: Any) -> Any:
    """Values of a state are strings and tuples; anything mutable is copied in depth."""
    return copy.deepcopy(value) if isinstance(value, (list, dict, set)) else value


def copy_states(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of dialogue states in which nothing is shared with the original.

    Rasa's states are dicts of dicts of immutable values; some inner dicts are the same object
    in several states (a rule turn takes the user input of the turn before). The copy keeps
    that sharing, as a deep copy would, so that changing one changes the other as in Rasa.
    """
    copies: dict[int, Any] = {}
    result = []
    for state in states:
        copied = {}
        for name, sub_state in state.items():
            twin = copies.get(id(sub_state))
            if twin is None:
                twin = {key: _copied(value) for key, value in sub_state.items()}
                copies[id(sub_state)] = twin
            copied[name] = twin
        result.append(copied)
    return result


def _events_mark(tracker: Any) -> tuple[int, Any]:
    """The number of a tracker's events and its last one: what its events were worked out from.

    Rasa only ever appends events to a tracker (a restart is an event too), so the same number
    and the same last event mean the same events.
    """
    events = tracker.events
    return len(events), (events[-1] if events else None)


def _past_states(
    self: Any,
    domain: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """DialogueStateTracker.past_states, replayed once per tracker, events and options."""
    count, last = _events_mark(self)
    options = (omit_unset_slots, ignore_rule_only_turns)
    kept = _states_memo.get(options)
    if (
        kept is None
        or kept[0] is not self
        or kept[1] is not domain
        or kept[2] != count
        or kept[3] is not last
        or kept[4] != rule_only_data
    ):
        states = _original["past_states"](self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        kept = (self, domain, count, last, copy.deepcopy(rule_only_data), states)
        _states_memo[options] = kept
    return copy_states(kept[5])


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


def _close_pools() -> None:
    """At exit, close the pools' idle connections (their event loop has stopped: no farewell to send)."""
    for _, connector in _connectors.values():
        try:
            connector._close()
        except Exception:  # noqa: BLE001 - the process is ending; the system closes the sockets anyway
            connector._closed = True
    _connectors.clear()


def _pooled_session(self: Any) -> Any:
    """EndpointConfig.session, with the connections of the running event loop's pool."""
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    pooled = _connectors.get(id(loop))
    if pooled is None or pooled[0] is not loop or pooled[1].closed:
        if not _connectors:
            atexit.register(_close_pools)
        pooled = (loop, aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_SECONDS))
        _connectors[id(loop)] = pooled
    auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=pooled[1],
        connector_owner=False,  # closing a client leaves the pool open
        json_serialize=json_dumps,
    )


def json_dumps(value: Any) -> str:
    """``json.dumps`` of what Rasa sends the action server (the tracker), written by ujson (C).

    The same JSON values, without the spaces; anything ujson does not write as ``json`` would
    (not-a-number, or an object it does not know) is left to ``json``.
    """
    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False, reject_bytes=True)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)


def _unique_entity_mappings(self: Any, domain: Any) -> set[str]:
    """FormAction._create_unique_entity_mappings, worked out once per form and domain.

    Rasa creates a form action for each slot mapping it checks, at each message, and each one
    worked out the form's unique entity mappings again from the domain: the same set each time.
    """
    kept = _unique_mappings.get(self.name())
    if kept is None or kept[0] is not domain:
        kept = (domain, frozenset(_original["unique_entity_mappings"](self, domain)))
        _unique_mappings[self.name()] = kept
    return set(kept[1])


def _rule_index(lookup: dict[str, str]) -> RuleIndex:
    """The rules of a lookup by the previous action of their last state, and their greatest length.

    Kept per lookup, and made again whenever its keys change (RulePolicy's training changes them).
    """
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
    from rasa.shared.nlu.constants import ACTION_NAME

    kept = _rule_indexes.get(id(lookup))
    if kept is not None and kept[0] is lookup and kept[1][0] == lookup.keys():
        return kept[1]
    by_action: dict[str, set[str]] = {}
    anywhere = set()
    longest = 0
    for key in lookup:
        states = RulePolicy._rule_key_to_state(key)
        longest = max(longest, len(states))
        action = (states[-1].get(PREVIOUS_ACTION) or {}).get(ACTION_NAME) if states else None
        if action and action != SHOULD_NOT_BE_SET:
            by_action.setdefault(action, set()).add(key)
        else:
            anywhere.add(key)
    index: RuleIndex = (
        frozenset(lookup),
        longest,
        {name: frozenset(keys) for name, keys in by_action.items()},
        frozenset(anywhere),
    )
    _rule_indexes[id(lookup)] = (lookup, index)
    while len(_rule_indexes) > 8:  # a server has one lookup per loaded model; training makes a few
        del _rule_indexes[next(iter(_rule_indexes))]
    return index


def _get_possible_keys(self: Any, lookup: dict[str, str], states: list[dict[str, Any]]) -> set[str]:
    """RulePolicy._get_possible_keys: the same keys, with fewer rules checked.

    Rasa checks every rule against the last turn of the conversation, then the survivors
    against the turn before, and so on back to the first turn. Here:

    - against the last turn, only the rules whose last state names no previous action, or
      names the conversation's: a rule naming another one fails that check
      (``_does_rule_match_state``), so it is left out without being checked;
    - no turn further back than the longest rule is checked, since a rule applies to any turn
      further back than its own length (``_is_rule_applicable`` says so first thing).
    """
    from rasa.shared.core.constants import PREVIOUS_ACTION
    from rasa.shared.nlu.constants import ACTION_NAME

    keys, longest, by_action, anywhere = _rule_index(lookup)
    if not states or not longest:
        return set(keys)
    last = states[-1]
    action = (last.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
    candidates = anywhere | by_action.get(action, frozenset()) if action else anywhere
    possible_keys = {key for key in candidates if self._is_rule_applicable(key, 0, last)}
    for turn, state in enumerate(reversed(states[:-1]), start=1):
        if turn >= longest or not possible_keys:
            break
        possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, turn, state)}
    return possible_keys


def _copy_slot(self: Any) -> Any:
    """copy.copy of one of Rasa's slot classes: a new object with the same attributes, made directly.

    A tracker copies every slot of the domain when it is made, and a replay of the
    conversation makes one: ``copy.copy`` goes through ``__reduce_ex__`` (60 µs for our
    eighteen slots, 15 µs made directly). A subclass made elsewhere is copied as ``copy`` does.
    """
    cls = type(self)
    if cls not in _PLAIN_SLOTS:
        return copy._reconstruct(self, None, *self.__reduce_ex__(4))  # what copy.copy does
    new = cls.__new__(cls)
    new.__dict__.update(self.__dict__)
    return new


def _flat_predict_call(model: Any) -> tuple[Any, list[Any]] | None:
    """The traced prediction function of a model, and the spec of each of its inputs; None before tracing."""
    kept = model.__dict__.get(_FLAT_CALL)
    if kept is None and model._tf_predict_step is not None:
        import tensorflow as tf

        concrete = model._tf_predict_step.get_concrete_function()  # the one its input signature traced
        kept = (concrete, tf.nest.flatten(concrete.structured_input_signature[0]))
        model.__dict__[_FLAT_CALL] = kept
    return kept  # type: ignore[no-any-return]


def _rasa_predict(self: Any, batch_in: tuple[Any, ...]) -> dict[str, Any]:
    """RasaModel._rasa_predict (DIET, TED), calling the traced function with its inputs as tensors.

    Rasa calls the ``tf.function``, which for each call works out the signature of the ten
    arrays of a batch, finds the function traced for it (there is one: Rasa gives an input
    signature), converts the arrays and checks them against it: 1.6 ms per call, for 0.3 ms of
    computation. The arrays are converted to the signature's types here and the traced function
    is called directly (TensorFlow is pinned by Rasa). The first call, which traces, a model
    run eagerly, and a batch that does not fit the signature go through Rasa's own code.
    """
    import numpy as np
    import tensorflow as tf
    from keras.utils import tf_utils
    from rasa.shared.constants import DIAGNOSTIC_DATA

    call = None if self._run_eagerly or not self.prepared_for_prediction else _flat_predict_call(self)
    if call is None or len(call[1]) != len(batch_in):
        return _original["rasa_predict"](self, batch_in)  # type: ignore[no-any-return]
    concrete, specs = call
    tensors = []
    for value, spec in zip(batch_in, specs, strict=True):
        if not isinstance(value, np.ndarray) or not spec.shape.is_compatible_with(value.shape):
            return _original["rasa_predict"](self, batch_in)  # type: ignore[no-any-return]
        tensors.append(tf.convert_to_tensor(value, dtype=spec.dtype))
    self._training = False
    outputs = tf_utils.sync_to_numpy_or_python_type(concrete._call_flat(tensors, concrete.captured_inputs))
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs  # type: ignore[no-any-return]


def _combine_sparse_features(self: Any, additional_features: Any) -> None:
    """Features._combine_sparse_features: two COO matrices side by side, without scipy's ``hstack``.

    ``hstack`` goes through ``bmat``, which works out block shapes and offsets for any grid of
    blocks: 250 µs for the two small matrices of one message's features, four times a message.
    Two COO matrices side by side are their entries, the right one's columns shifted: the same
    matrix, entries in the same order, types and index types (60 µs; counts, int64, next to
    lexical features, float64, make floats as in scipy). Anything else goes to Rasa's own code.
    """
    import numpy as np
    from scipy.sparse import coo_matrix

    left, right = self.features, additional_features.features
    if not (
        type(left) is coo_matrix
        and type(right) is coo_matrix
        and left.shape[0] == right.shape[0]
        and (left.data.dtype == right.data.dtype or np.result_type(left.data, right.data) == np.float64)
        and all(index.dtype == np.int32 for index in (left.row, left.col, right.row, right.col))
        and left.shape[1] + right.shape[1] < np.iinfo(np.int32).max
    ):
        _original["combine_sparse_features"](self, additional_features)
        return
    self.features = coo_matrix(
        (
            np.concatenate((left.data, right.data)),
            (np.concatenate((left.row, right.row)), np.concatenate((left.col, right.col + np.int32(left.shape[1])))),
        ),
        shape=(left.shape[0], left.shape[1] + right.shape[1]),
    )
    self._cached_fingerprint = None


def _applied_events(self: Any) -> list[Any]:
    """DialogueStateTracker.applied_events, worked out once per tracker and events (same list).

    Each dialogue-state replay asks for it, for the same events, and it walks the conversation
    back at each form execution.
    """
    count, last = _events_mark(self)
    kept = self.__dict__.get(_APPLIED)
    if kept is None or kept[0] != count or kept[1] is not last:
        kept = (count, last, _original["applied_events"](self))
        self.__dict__[_APPLIED] = kept
    return list(kept[2])


def install() -> None:
    """Patch the Rasa server in this process (idempotent)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.actions.forms import FormAction
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core import slots
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.training_data.features import Features
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.tensorflow.models import RasaModel

    if not _original:
        _original["validate_action_result"] = RemoteAction._validate_action_result
        _original["resolve_by_type"] = Event.resolve_by_type
        _original["past_states"] = DialogueStateTracker.past_states
        _original["session"] = EndpointConfig.session
        _original["graph_run"] = DaskGraphRunner.run
        _original["unique_entity_mappings"] = FormAction._create_unique_entity_mappings
        _original["applied_events"] = DialogueStateTracker.applied_events
        _original["rasa_predict"] = RasaModel._rasa_predict
        _original["combine_sparse_features"] = Features._combine_sparse_features
        _original["get_possible_keys"] = RulePolicy._get_possible_keys
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
        Event.resolve_by_type = staticmethod(_resolve_event_type)  # type: ignore[method-assign,assignment]
        DialogueStateTracker.past_states = _past_states  # type: ignore[method-assign]
        EndpointConfig.session = _pooled_session  # type: ignore[method-assign]
        DaskGraphRunner.run = _run_graph  # type: ignore[method-assign]
        FormAction._create_unique_entity_mappings = _unique_entity_mappings  # type: ignore[method-assign]
        DialogueStateTracker.applied_events = _applied_events  # type: ignore[method-assign]
        RasaModel._rasa_predict = _rasa_predict  # type: ignore[method-assign]
        Features._combine_sparse_features = _combine_sparse_features  # type: ignore[method-assign]
        RulePolicy._get_possible_keys = _get_possible_keys  # type: ignore[method-assign]
        plain = (
            slots.FloatSlot,
            slots.BooleanSlot,
            slots.TextSlot,
            slots.ListSlot,
            slots.CategoricalSlot,
            slots.AnySlot,
        )
        for slot_class in plain:
            if "__copy__" in vars(slot_class) or any(
                name in vars(slot_class) for name in ("__slots__", "__getstate__", "__setstate__", "__reduce_ex__")
            ):
                continue  # not a plain object in this Rasa version: copy.copy as before
            _PLAIN_SLOTS.add(slot_class)
            slot_class.__copy__ = _copy_slot  # type: ignore[attr-defined]
        logger.debug(
            "installed the validator, the event class lookup, the states and applied events memories, the graph runs,"
            " the pool with its JSON writer, the forms' unique entity mappings, the rules' lookup, the TF"
            " calls, the sparse features' joining and the slots' copies"
        )
