"""bot.rasa.speedups.actions: the patched Rasa code gives Rasa's own answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa.speedups import actions


def test_action_results_are_still_validated() -> None:
    action = RemoteAction("validate_profile_form", None)
    good = {"events": [{"event": "slot", "name": "first_name", "value": "Julie"}], "responses": [{"text": "Bonjour"}]}
    assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": "no_such_event"}], "responses": []})


def test_calls_to_an_endpoint_reuse_one_connection_until_it_has_been_idle(monkeypatch: Any) -> None:
    """Rasa's EndpointConfig, as RemoteAction calls the action server, against a real HTTP server."""
    monkeypatch.setattr(actions, "KEEP_ALIVE_SECONDS", 0.3)
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


def test_both_validators_judge_action_server_answers_alike(story_trackers: list[DialogueStateTracker]) -> None:
    """Every kind of event the training dialogues hold, whole and spoilt in the ways a faulty action server could."""
    python, rust = actions._action_result_validator(), actions._quick_action_result_check()
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


def test_what_rasa_sends_the_action_server_is_the_same_json(
    agent: Agent, story_trackers: list[DialogueStateTracker]
) -> None:
    """Each training dialogue as the action server receives it, written by ujson and by json."""
    import json

    action = RemoteAction("validate_profile_form", EndpointConfig("http://127.0.0.1:9/webhook"))
    for story in story_trackers:
        payload = action._action_call_format(story, agent.domain)
        assert json.loads(actions.json_dumps(payload)) == json.loads(json.dumps(payload))
    odd = {"score": float("nan"), "city": "Saint-Étienne/Loire", "sizes": [1e300, -0.0, 2**70]}
    assert json.loads(actions.json_dumps(odd)).keys() == odd.keys()
    assert actions.json_dumps(odd) == json.dumps(odd).replace(": ", ":").replace(", ", ",").replace("\\u00c9", "É")
    with pytest.raises(TypeError):  # what json cannot write is still an error
        actions.json_dumps({"when": object()})
