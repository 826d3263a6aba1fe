"""Tests of bot.nlu.speedups: the patched Rasa functions give Rasa's own answers."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.nlu import speedups


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    speedups.install()
    speedups.install()  # idempotent


def test_event_classes_are_found_by_name_as_rasa_does() -> None:
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    assert Event.from_parameters({"event": "slot", "name": "first_name", "value": "Julie"}) == SlotSet(
        "first_name", "Julie"
    )


def test_action_results_are_still_validated() -> None:
    action = RemoteAction("validate_profile_form", None)
    good = {"events": [{"event": "slot", "name": "first_name", "value": "Julie"}], "responses": [{"text": "Bonjour"}]}
    assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": "no_such_event"}], "responses": []})


def sharing(states: list[dict[str, Any]]) -> list[list[int]]:
    """Which inner dicts of the states are one and the same object, as numbers in order of appearance."""
    seen: dict[int, int] = {}
    return [[seen.setdefault(id(sub_state), len(seen)) for sub_state in state.values()] for state in states]


def test_dialogue_states_are_rasas_own_replayed_once_per_tracker_and_each_caller_gets_a_copy(
    agent: Agent, rule_only_data: dict[str, Any], story_trackers: list[DialogueStateTracker], monkeypatch: Any
) -> None:
    """Every prefix of every training dialogue, with the options RulePolicy and the ML policies use."""
    rasas_own = speedups._original["past_states"]
    replays = []

    def counted(*args: Any) -> Any:
        replays.append(args)
        return rasas_own(*args)

    monkeypatch.setitem(speedups._original, "past_states", counted)
    domain = agent.domain
    compared = shared = 0
    for story in story_trackers:
        tracker = DialogueStateTracker(story.sender_id, domain.slots, is_rule_tracker=story.is_rule_tracker)  # type: ignore[union-attr]
        for event in story.events:
            tracker.update(event)
            for ml_policy in (False, True):
                data = rule_only_data if ml_policy else None
                expected = rasas_own(tracker, domain, False, ml_policy, data)
                before = len(replays)
                first = tracker.past_states(domain, ignore_rule_only_turns=ml_policy, rule_only_data=data)
                assert first == expected
                assert sharing(first) == sharing(expected)
                numbers = [number for state in sharing(first) for number in state]
                shared += len(set(numbers)) < len(numbers)
                for state in first:  # what Rasa's featurizers may do to the states they are given
                    for sub_state in state.values():
                        sub_state.clear()
                first.clear()
                again = tracker.past_states(domain, ignore_rule_only_turns=ml_policy, rule_only_data=data)
                assert again == expected
                assert len(replays) == before + 1  # the second call did not replay the conversation
            compared += 1
    assert compared >= 100  # every event of every training dialogue
    assert shared > 0  # the copies kept states that share their user input, as Rasa's do


def test_a_different_tracker_or_options_are_never_answered_from_memory(agent: Agent) -> None:
    domain = agent.domain
    first = DialogueStateTracker("memory-a", domain.slots)  # type: ignore[union-attr]
    second = DialogueStateTracker("memory-b", domain.slots)  # type: ignore[union-attr]
    for tracker in (first, second):
        tracker.update(ActionExecuted("action_listen"))
    first.update(UserUttered("bonjour", {"name": "greet", "confidence": 1.0}))
    assert first.past_states(domain) != second.past_states(domain)
    assert first.past_states(domain) == speedups._original["past_states"](first, domain)
    first.update(ActionExecuted("utter_greet"))
    assert first.past_states(domain)[-1]["prev_action"] == {"action_name": "utter_greet"}
    only_rules = {"slots": [], "loops": []}
    assert first.past_states(domain, ignore_rule_only_turns=True, rule_only_data=only_rules) == speedups._original[
        "past_states"
    ](first, domain, False, True, only_rules)


def test_calls_to_an_endpoint_reuse_one_connection_until_it_has_been_idle(monkeypatch: Any) -> None:
    """Rasa's EndpointConfig, as RemoteAction calls the action server, against a real HTTP server."""
    monkeypatch.setattr(speedups, "KEEP_ALIVE_SECONDS", 0.3)
    peers: list[int] = []

    async def answer(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername")[1])  # type: ignore[union-attr]
        return web.json_response({"events": [], "responses": [], "body": await request.json()})

    async def scenario() -> list[Any]:
        app = web.Application()
        app.router.add_post("/webhook", answer)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        answers = [await endpoint.request(json={"turn": turn}, method="post") for turn in range(3)]
        await asyncio.sleep(0.6)  # idle longer than the pool keeps a connection
        answers.append(await endpoint.request(json={"turn": 3}, method="post"))
        await runner.cleanup()
        return answers

    answers = asyncio.run(scenario())
    assert [answer["body"]["turn"] for answer in answers] == [0, 1, 2, 3]
    assert len(set(peers[:3])) == 1  # one connection for the three quick calls
    assert peers[3] != peers[0]  # a new one after the idle time


def test_the_prediction_graph_gives_what_dask_gives(agent: Agent, story_trackers: list[DialogueStateTracker]) -> None:
    """The NLU pipeline and the policies of the trained model, run in order and through dask."""
    runner = agent.processor.graph_runner  # type: ignore[union-attr]
    metadata = agent.processor.model_metadata  # type: ignore[union-attr]
    dask_run = speedups._original["graph_run"]
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


def test_both_validators_judge_action_server_answers_alike(story_trackers: list[DialogueStateTracker]) -> None:
    """Every kind of event the training dialogues hold, whole and spoilt in the ways a faulty action server could."""
    python, rust = speedups._action_result_validator(), speedups._quick_action_result_check()
    events = [event.as_dict() for story in story_trackers for event in story.events]
    events += [
        {"event": "slot", "name": "skills", "value": ["cuisine", "accueil"]},
        {"event": "reminder", "intent": "retention_notice", "date_time": "2026-11-23T10:00:00", "name": "r"},
        {"event": "followup", "name": "action_listen"},
        {"event": "bot", "text": "Bonjour", "data": {"buttons": [{"title": "Oui", "payload": "/affirm"}]}},
    ]
    answers = [{"events": [event], "responses": [{"text": "Bonjour"}]} for event in events]
    spoilt = [
        {"events": [{"event": "no_such_event"}], "responses": []},
        {"events": [{"name": "first_name"}], "responses": []},
        {"events": [{"event": "slot", "name": 42, "value": "x"}], "responses": []},
        {"events": [{"event": "user", "text": 3}], "responses": []},
        {"events": [{"event": "slot", "timestamp": "yesterday", "name": "a", "value": 1}], "responses": []},
        {"events": "none", "responses": []},
        {"events": [], "responses": "Bonjour"},
        [],
    ]
    spoilt += [{"events": [{**event, "event": 7}], "responses": []} for event in events[:20]]
    for answer in answers + spoilt:
        assert rust.is_valid(answer) == python.is_valid(answer), answer
    assert sum(python.is_valid(answer) for answer in answers) == len(answers)
    assert not any(python.is_valid(answer) for answer in spoilt)


def test_after_the_first_prediction_the_loaded_model_is_left_out_of_garbage_collection(agent: Agent) -> None:
    asyncio.run(agent.parse_message("bonjour"))
    assert speedups._heap_frozen
    assert gc.get_freeze_count() > 100_000  # TensorFlow, spaCy and the gazetteer: hundreds of thousands


def test_applied_events_are_rasas_own_worked_out_once_per_tracker_and_events(
    agent: Agent, story_trackers: list[DialogueStateTracker], monkeypatch: Any
) -> None:
    """Every prefix of every training dialogue (form executions undo earlier turns in them)."""
    rasas_own = speedups._original["applied_events"]
    calls = []

    def counted(tracker: DialogueStateTracker) -> Any:
        calls.append(tracker)
        return rasas_own(tracker)

    monkeypatch.setitem(speedups._original, "applied_events", counted)
    compared = undone = 0
    for story in story_trackers:
        tracker = DialogueStateTracker(story.sender_id, agent.domain.slots, is_rule_tracker=story.is_rule_tracker)  # type: ignore[union-attr]
        for event in story.events:
            tracker.update(event)
            expected = rasas_own(tracker)
            before = len(calls)
            first = tracker.applied_events()
            assert first == expected and all(mine is theirs for mine, theirs in zip(first, expected, strict=True))
            first.clear()  # the caller's own list
            assert tracker.applied_events() == expected
            assert len(calls) == before + 1  # worked out once for these events
            compared += 1
            undone += len(expected) < len(tracker.events)
    assert compared >= 100 and undone > 0


def test_forms_unique_entity_mappings_are_rasas_own_worked_out_once_per_domain(agent: Agent, monkeypatch: Any) -> None:
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.domain import Domain

    rasas_own = speedups._original["unique_entity_mappings"]
    calls = []
    counted = lambda *args: calls.append(args) or rasas_own(*args)  # noqa: E731
    monkeypatch.setitem(speedups._original, "unique_entity_mappings", counted)
    monkeypatch.setattr(speedups, "_unique_mappings", {})
    domain = agent.domain
    assert domain is not None and domain.form_names
    for name in domain.form_names:
        for _ in range(3):  # Rasa makes a new form action for each slot mapping it checks
            form = FormAction(name, None)
            assert form._create_unique_entity_mappings(domain) == rasas_own(form, domain)
    assert len(calls) == len(domain.form_names)
    other = Domain.from_dict(domain.as_dict())  # a reloaded model's domain is worked out again
    form = FormAction(domain.form_names[0], None)
    assert form._create_unique_entity_mappings(other) == rasas_own(form, other)
    assert len(calls) == len(domain.form_names) + 1


def test_what_rasa_sends_the_action_server_is_the_same_json(
    agent: Agent, story_trackers: list[DialogueStateTracker]
) -> None:
    """Each training dialogue as the action server receives it, written by ujson and by json."""
    import json

    action = RemoteAction("validate_profile_form", EndpointConfig("http://127.0.0.1:9/webhook"))
    for story in story_trackers:
        payload = action._action_call_format(story, agent.domain)  # type: ignore[arg-type]
        assert json.loads(speedups.json_dumps(payload)) == json.loads(json.dumps(payload))
    odd = {"score": float("nan"), "city": "Saint-Étienne/Loire", "sizes": [1e300, -0.0, 2**70]}
    assert json.loads(speedups.json_dumps(odd)).keys() == odd.keys()
    assert speedups.json_dumps(odd) == json.dumps(odd).replace(": ", ":").replace(", ", ",").replace("\\u00c9", "É")
    with pytest.raises(TypeError):  # what json cannot write is still an error
        speedups.json_dumps({"when": object()})


def test_diet_and_ted_predict_what_they_predict_through_tf_function(
    agent: Agent, component: Any, story_trackers: list[DialogueStateTracker], monkeypatch: Any
) -> None:
    """The intents of the held-out NLU examples, and TED's predictions after every training action."""
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.utils.tensorflow.models import RasaModel

    from bot.config import ROOT
    from bot.policies import CachedTEDPolicy

    texts = [example.get("text") for example in load_data(str(ROOT / "tests/nlu/holdout.yml")).intent_examples]
    assert len(texts) >= 50
    ted = component(CachedTEDPolicy)
    domain = agent.domain
    trackers = []
    for story in story_trackers[:40]:
        tracker = DialogueStateTracker(story.sender_id, domain.slots)  # type: ignore[union-attr]
        for event in story.events:
            tracker.update(event)
            if isinstance(event, ActionExecuted):
                trackers.append(tracker.copy())

    def predictions() -> tuple[list[Any], list[Any]]:
        parsed = [asyncio.run(agent.parse_message(text)) for text in texts]
        ted._predictions.clear()  # TED's own memory would answer the second round
        return (
            [(p["intent"], p["intent_ranking"]) for p in parsed],
            [ted.predict_action_probabilities(tracker, domain).probabilities for tracker in trackers],
        )

    calls = []
    direct = speedups._rasa_predict
    monkeypatch.setattr(RasaModel, "_rasa_predict", lambda *args: calls.append(args[0]) or direct(*args))
    ours = predictions()
    assert {c.__name__ for model in calls for c in type(model).__mro__} >= {"DIET", "TED"}
    assert all(speedups._FLAT_CALL in model.__dict__ for model in calls)  # the direct call was taken
    monkeypatch.setattr(RasaModel, "_rasa_predict", speedups._original["rasa_predict"])
    assert predictions() == ours
    assert component(DIETClassifier).model is not None


def test_sparse_features_are_joined_as_scipy_joins_them(monkeypatch: Any) -> None:
    """COO matrices of every shape a message gives (no entry, one token, many), and what falls back."""
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features
    from scipy.sparse import coo_matrix, csr_matrix, random

    rng = np.random.default_rng(7)

    def pair(left: Any, right: Any) -> tuple[Features, Features]:
        return Features(left, "sequence", "text", "a"), Features(right, "sequence", "text", "b")

    cases = [
        pair(random(1, 300, 0.02, "coo", random_state=rng), random(1, 2000, 0.003, "coo", random_state=rng)),
        pair(random(9, 300, 0.02, "coo", random_state=rng), random(9, 2000, 0.003, "coo", random_state=rng)),
        pair(coo_matrix((4, 10)), random(4, 20, 0.3, "coo", random_state=rng)),
        pair(random(3, 5, 0.5, "coo", dtype=np.float32, random_state=rng), coo_matrix((3, 7), dtype=np.float32)),
        pair(csr_matrix(np.eye(3)), random(3, 4, 0.5, "coo", random_state=rng)),  # not COO: scipy's way
        pair(random(2, 5, 0.5, "coo", random_state=rng), random(2, 5, 0.5, "coo", dtype=np.float32, random_state=rng)),
        pair(
            random(9, 18, 0.2, "coo", random_state=rng), random(9, 600, 0.01, "coo", dtype=np.int64, random_state=rng)
        ),
        pair(random(2, 5, 0.5, "coo", dtype=np.int32, random_state=rng), coo_matrix((2, 3), dtype=np.float32)),
    ]
    scipys_way = speedups._original["combine_sparse_features"]
    fallbacks = []
    monkeypatch.setitem(speedups._original, "combine_sparse_features", lambda *a: fallbacks.append(a) or scipys_way(*a))
    for mine, extra in cases:
        theirs = Features(mine.features.copy(), "sequence", "text", "a")
        mine.combine_with_features(extra)
        scipys_way(theirs, extra)
        assert type(mine.features) is type(theirs.features)
        assert (mine.features.shape, mine.features.dtype) == (theirs.features.shape, theirs.features.dtype)
        for name in ("row", "col", "data"):
            ours, scipys = getattr(mine.features, name), getattr(theirs.features, name)
            assert ours.dtype == scipys.dtype and np.array_equal(ours, scipys)
    assert len(fallbacks) == 1  # the CSR matrix
    mismatched, other = pair(coo_matrix((2, 3)), coo_matrix((5, 3)))
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        mismatched.combine_with_features(other)


def test_rules_found_for_every_turn_of_the_training_dialogues_are_rasas(
    agent: Agent, component: Any, story_trackers: list[DialogueStateTracker]
) -> None:
    """The rule keys that apply, and RulePolicy's predictions, after every action of the training dialogues."""
    from rasa.core.policies.rule_policy import RulePolicy

    policy = component(RulePolicy)
    rules = policy.lookup["rules"]
    longest = max(len(RulePolicy._rule_key_to_state(key)) for key in rules)
    domain = agent.domain
    trackers = []
    compared = longer = found = 0
    for story in story_trackers:
        tracker = DialogueStateTracker(story.sender_id, domain.slots)  # type: ignore[union-attr]
        for event in story.events:
            tracker.update(event)
            if not isinstance(event, ActionExecuted):
                continue
            trackers.append(tracker.copy())
            states = policy._prediction_states(tracker, domain)
            keys = policy._get_possible_keys(rules, states)
            assert keys == speedups._original["get_possible_keys"](policy, rules, states)
            compared += 1
            longer += len(states) > longest
            found += bool(keys)
    assert policy._get_possible_keys(rules, []) == set(rules)
    assert compared >= 50 and longer > 0 and found > 0
    ours = [policy.predict_action_probabilities(tracker, domain) for tracker in trackers]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RulePolicy, "_get_possible_keys", speedups._original["get_possible_keys"])
        rasas = [policy.predict_action_probabilities(tracker, domain) for tracker in trackers]
    assert [(p.probabilities, p.is_no_user_prediction) for p in ours] == [
        (p.probabilities, p.is_no_user_prediction) for p in rasas
    ]
    assert sum(max(p.probabilities) == 1.0 for p in ours) >= 20  # rules did apply


def test_a_changed_rule_lookup_is_indexed_again() -> None:
    """RulePolicy's training adds and removes rules: the index follows the keys, not the dict."""
    import json

    from rasa.core.policies.rule_policy import RulePolicy

    policy = RulePolicy.__new__(RulePolicy)

    def rule(action: str) -> str:
        return json.dumps([{"prev_action": {"action_name": action}, "user": {"intent": "greet"}}])

    state = {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}
    lookup = {rule("action_listen"): "utter_greet"}
    assert policy._get_possible_keys(lookup, [state]) == {rule("action_listen")}
    lookup[rule("utter_bonjour")] = "utter_greet"
    del lookup[rule("action_listen")]  # same dict, same size, other keys
    assert policy._get_possible_keys(lookup, [state]) == set()
    state["prev_action"]["action_name"] = "utter_bonjour"
    assert policy._get_possible_keys(lookup, [state]) == {rule("utter_bonjour")}


def test_slots_are_copied_as_copy_copies_them(agent: Agent) -> None:
    import copy

    domain = agent.domain
    assert domain is not None
    kinds = set()
    for slot in domain.slots:
        slot.value = ["cuisine"] if slot.type_name == "list" else slot.initial_value
        copied = copy.copy(slot)
        expected = copy._reconstruct(slot, None, *slot.__reduce_ex__(4))  # type: ignore[attr-defined]
        assert type(copied) is type(slot) and copied is not slot
        assert vars(copied) == vars(expected) and copied.value is slot.value  # shallow, as copy.copy
        copied.value = "autre"
        assert slot.value != "autre"
        kinds.add(type(slot))
        slot.reset()
    assert kinds & speedups._PLAIN_SLOTS == kinds  # every kind of slot of our domain took the direct copy
