"""The fuzz's generated inputs (scripts/measure/hostile.py) and log reading (scripts/fuzz.py), without servers."""

from __future__ import annotations

import json
import random

import pytest

from scripts.fuzz import traces_in
from scripts.measure.hostile import (
    TEXT_KINDS,
    HttpRequest,
    RawRequest,
    Secrets,
    SocketSession,
    all_kinds,
    cases,
    hostile_text,
    make_case,
)

SECRETS = Secrets(rest_token="rest-token", telegram_secret="telegram-secret", origin="http://localhost:8000")


@pytest.fixture(scope="module")
def drawn() -> list:
    return list(cases(seed=3, messages=6_000, secrets=SECRETS))


def test_the_same_seed_draws_the_same_cases_and_another_seed_others() -> None:
    first = [make_case(7, index, SECRETS) for index in range(300)]
    assert first == [make_case(7, index, SECRETS) for index in range(300)]
    assert first != [make_case(8, index, SECRETS) for index in range(300)]


def test_a_case_is_drawn_alone_as_in_the_run(drawn: list) -> None:
    assert [make_case(3, case.index, SECRETS) for case in drawn[:500:37]] == drawn[:500:37]


def test_every_kind_of_every_channel_is_drawn(drawn: list) -> None:
    assert {f"{case.channel}/{case.kind}" for case in drawn} == set(all_kinds())


def test_cases_stop_once_they_send_the_messages_asked(drawn: list) -> None:
    sent = sum(case.messages for case in drawn)
    assert sent >= 6_000 and sent - drawn[-1].messages < 6_000
    assert [case.index for case in drawn] == list(range(len(drawn)))


@pytest.mark.parametrize("kind", TEXT_KINDS)
def test_each_text_kind_is_seeded(kind: str) -> None:
    texts = [hostile_text(random.Random(f"t:{n}"), kind, mark="fz1") for n in range(20)]
    assert texts == [hostile_text(random.Random(f"t:{n}"), kind, mark="fz1") for n in range(20)]


def test_texts_are_what_their_kind_says() -> None:
    rng = random.Random(1)
    assert all(len(hostile_text(rng, "long", "m")) > 2000 for _ in range(20))
    assert all(len(hostile_text(rng, "megabyte", "m")) >= 100_000 for _ in range(5))
    assert all(hostile_text(rng, "payload", "m").strip().lstrip("\u200b").startswith("/") for _ in range(50))
    assert all(any(0xD800 <= ord(c) <= 0xDFFF for c in hostile_text(rng, "surrogate", "m")) for _ in range(20))


def test_requests_are_well_formed_where_they_must_be(drawn: list) -> None:
    for case in drawn:
        request = case.request
        if isinstance(request, HttpRequest):
            assert request.path.startswith(f"/webhooks/{case.channel}/")
            assert all(isinstance(name, str) and isinstance(value, str) for name, value in request.headers)
        elif isinstance(request, RawRequest):
            assert case.channel == "rest" and request.data
        else:
            assert isinstance(request, SocketSession) and case.channel == "web" and case.messages == 1 + request.frames
    texts = [case for case in drawn if case.channel == "rest" and case.kind == "text:unicode"]
    body = json.loads(texts[0].request.body)
    assert set(body) == {"sender", "message"} and ("Authorization", "Bearer rest-token") in texts[0].request.headers


def test_typed_payloads_that_open_a_conversation_are_marked(drawn: list) -> None:
    opened = [case for case in drawn if case.opened_by_payload]
    assert {case.channel for case in opened} == {"rest", "telegram"}
    assert len({case.opened_by_payload for case in opened}) == len(opened)


def test_stack_traces_are_read_from_log_records() -> None:
    log = "\n".join(
        [
            "2026-12-02 19:01:27 INFO     bot.rasa.channels.rest  - REST request refused (403)",
            "[2026-12-02 19:01:28 +0000] [11390] [ERROR] Exception occurred while handling uri: "
            "'http://127.0.0.1:1/webhooks/rest/webhook'",
            "Traceback (most recent call last):",
            '  File "/x/bot/rasa/channels/rest.py", line 92, in read_message',
            "builtins.RecursionError (message not logged)",
            "2026-12-02 19:01:29 ERROR    bot.rasa.channels.chat_bubble  - the assistant failed",
            "Traceback (most recent call last):",
            '  File "/x/rasa/engine/graph.py", line 496, in __call__',
            "builtins.ValueError (message not logged)",
            "During the handling of the above, another exception occurred:",
            "Traceback (most recent call last):",
            '  File "/x/bot/rasa/channels/chat_bubble.py", line 455, in handle',
            "rasa.engine.exceptions.GraphComponentException (message not logged)",
        ]
    )
    rest, web = traces_in(log, "rasa.log")
    assert (rest.channel, rest.tracebacks, rest.at is not None) == ("rest", 1, True)
    assert rest.signature == "rasa.log: builtins.RecursionError at /x/bot/rasa/channels/rest.py:92 in read_message"
    assert (web.channel, web.tracebacks) == ("web", 2)
    assert web.exception.startswith(
        "rasa.engine.exceptions.GraphComponentException at /x/bot/rasa/channels/chat_bubble.py:455"
    )


def test_a_case_sent_again_carries_a_new_telegram_update_id() -> None:
    only = frozenset({"telegram/text:unicode"})
    first, again = make_case(5, 0, SECRETS, only=only), make_case(5, 0, SECRETS, only=only, attempt=1)
    assert isinstance(first.request, HttpRequest) and isinstance(again.request, HttpRequest)
    sent, resent = json.loads(first.request.body or b""), json.loads(again.request.body or b"")
    assert sent["update_id"] != resent["update_id"] and sent["message"]["text"] == resent["message"]["text"]


def test_the_control_sends_the_same_cases_with_ordinary_texts(drawn: list) -> None:
    from scripts.measure.hostile import ORDINARY_TEXTS

    tamed = list(cases(seed=3, messages=6_000, secrets=SECRETS, attempt=2, tame=True))
    assert [(c.index, c.channel, c.kind, c.messages) for c in tamed] == [
        (c.index, c.channel, c.kind, c.messages) for c in drawn
    ]
    texts = [c for c in tamed if c.channel == "telegram" and c.kind.startswith("text:")]
    bodies = [c.request.body or b"" for c in texts if isinstance(c.request, HttpRequest)]
    assert texts and len(bodies) == len(texts)
    assert all(json.loads(body)["message"]["text"] in ORDINARY_TEXTS for body in bodies)
    malformed = [(c, d) for c, d in zip(tamed, drawn, strict=True) if c.channel == "rest" and c.kind == "json_null"]
    assert malformed and all(c.request == d.request for c, d in malformed)
    # in conversations of its own: a forged button sent again where the control was answered is an offered one
    fuzzed = {c.conversation for c in drawn if c.conversation}
    assert not fuzzed & {c.conversation for c in tamed if c.conversation}


def test_the_target_is_judged_beside_the_control_when_there_is_one() -> None:
    import argparse
    from pathlib import Path

    from scripts.fuzz import Run, Turns, control_lines, targets

    def turns(*latencies: float) -> Turns:
        window = Turns()
        window.latencies_ms += latencies
        return window

    run = Run(argparse.Namespace(), Path("model.tar.gz"), SECRETS)
    run.rounds = [(turns(*[100.0] * 20), turns(*[300.0] * 20))]  # 3x the baseline...
    assert targets(run)[-1][3] is False
    run.controls = [turns(*[250.0] * 20)]  # ...but 1.2x the same traffic with ordinary texts
    alone, beside = targets(run)[-2:]
    assert "baseline" in alone[0] and alone[3] is False  # both are told
    measure, value, _, met, _ = beside
    assert "control" in measure and value.startswith("1.20×") and met
    assert "2.50× beside the baseline" in control_lines(run)[0]


def test_the_inputs_sent_again_first_are_those_over_represented_near_the_traces() -> None:
    from scripts.fuzz import LoggedTrace, Outcome, suspects_of

    def outcome(index: int, kind: str, at: float, *results: str) -> Outcome:
        return Outcome(index, "rest", kind, 1, results or ("200",), at, at + 0.1)

    outcomes = [outcome(n, "text:payload", n * 0.1) for n in range(600)]  # frequent, in flight everywhere
    outcomes += [outcome(1000 + n, "nested_arrays", 10.0 * n + 0.2) for n in range(6)]  # rare, by each trace
    outcomes += [outcome(2000, "sender_web", 30.0, "500")]  # answered 500 right by one trace
    traces = [LoggedTrace("rasa.log", 10.0 * n, (), "RecursionError", 1, "rest") for n in range(1, 6)]
    [(signature, indexes)] = suspects_of(traces, outcomes, per_signature=4)
    assert signature == "rasa.log: RecursionError"
    assert indexes[0] == 2000 and {outcomes[600 + n].index for n in range(6)} & set(indexes[1:3])


def test_the_cost_table_puts_the_costliest_kind_first_beside_an_ordinary_turn() -> None:
    import argparse
    from pathlib import Path

    from scripts.fuzz import KindCost, Run, cost_lines

    run = Run(argparse.Namespace(cost=4), Path("model.tar.gz"), SECRETS)
    run.turn_cpu = [(2.0, 100), (1.0, 50)]  # 20 ms per turn in both windows
    run.costs = [KindCost("rest/json_null", 4, 4, 1.0, 3.0), KindCost("telegram/text:long", 4, 4, 48.0, 90.0)]
    lines = cost_lines(run)
    assert any("ordinary conversation turn costs 20 ms" in line for line in lines)
    rows = [line for line in lines if line.startswith("| ") and "/" in line]
    assert rows[0].startswith("| telegram/text:long |") and rows[1].startswith("| rest/json_null |")


def test_cpu_seconds_reads_this_process_and_ignores_processes_that_are_gone() -> None:
    import os

    from scripts.fuzz import cpu_seconds

    assert cpu_seconds([os.getpid()]) > 0
    assert cpu_seconds([2**22 + 12345]) == 0  # above Linux's pid_max: never a process
