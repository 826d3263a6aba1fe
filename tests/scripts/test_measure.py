"""Tests of the measurement scripts' own logic (no servers): reading questions, answering, reporting.

The scripts run for real in tests/scripts/test_smoke.py, at tiny sizes; no timing is
asserted anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ROOT
from scripts import bench_matching
from scripts.eval_volunteers import VolunteerReport, normalised
from scripts.measure.report import percentile, write_section
from scripts.measure.volunteers import (
    FIELDS,
    Conversation,
    Question,
    QuestionReader,
    load_personas,
    run_conversation,
)

RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def text_of(response: str, **values: object) -> dict[str, Any]:
    """A reply as the REST channel sends it, from a domain response."""
    variant = RESPONSES[response][0]
    return {"recipient_id": "x", "text": variant["text"].format(**values), "buttons": variant.get("buttons", [])}


CONSENT = {"text": "Pour vous proposer des missions... Êtes-vous d'accord ?", "buttons": [
    {"title": "J'accepte", "payload": "/affirm"}, {"title": "Non merci", "payload": "/deny"}]}  # fmt: skip


@pytest.fixture(scope="module")
def reader() -> QuestionReader:
    return QuestionReader.from_domain()


@pytest.mark.parametrize("slot", FIELDS)
def test_each_question_of_the_form_is_recognised(reader: QuestionReader, slot: str) -> None:
    assert reader.read([text_of(f"utter_ask_{slot}")]) == Question("ask", slot)
    assert reader.read([text_of(f"utter_not_understood_{slot}"), text_of(f"utter_ask_{slot}")]) in (
        Question("ask", slot),
        Question("retry", slot),
    )


def test_consent_summary_and_saved_profile_are_recognised(reader: QuestionReader) -> None:
    assert reader.read([CONSENT]) == Question("consent")
    values = dict.fromkeys(["first_name", "place", "skills", "availability", "causes", "contact"], "x")
    assert reader.read([text_of("utter_summary", **values)]) == Question("confirm")
    saved = [text_of("utter_profile_saved", first_name="Julie"), text_of("utter_missions_intro")]
    assert reader.read(saved) == Question("saved")
    assert reader.read([text_of("utter_minor_info", adult_age=18), text_of("utter_ask_place")]) == Question(
        "ask", "place"
    )
    assert reader.read([text_of("utter_invalid_email")]) == Question("retry", "contact")
    assert reader.read([{"text": "Bonjour"}]) == Question("other")


def test_every_persona_can_answer_every_question() -> None:
    for persona in load_personas():
        assert persona.expected["first_name"] == persona.facts["first_name"], persona.id
        for slot in FIELDS:
            assert persona.stated[slot] or persona.bare[slot], (persona.id, slot)


def test_a_persona_answers_the_question_asked_and_sometimes_more(reader: QuestionReader) -> None:
    thomas = next(p for p in load_personas() if p.id == "thomas-informaticien")  # three facts per message
    conversation = Conversation(thomas, reader, seed=1)
    assert "Thomas" in conversation.first_message()
    assert conversation.next_message(Question("consent")) in thomas.templates["consent"]
    answer = conversation.next_message(Question("ask", "age_group"))
    assert "41" in answer and ("Vénissieux" in answer or "venissieux" in answer)
    assert conversation.told >= {"first_name", "age_group", "place", "skills"}
    # not understood: another phrasing, not the same words again
    first = conversation.next_message(Question("retry", "availability"))
    second = conversation.next_message(Question("retry", "availability"))
    assert first != second


class FakeAssistant:
    """Asks for consent, then each missing field in order, then the summary; saves on "oui"."""

    def __init__(self) -> None:
        self.missing = list(FIELDS)
        self.stage = "start"

    def post(self, url: str, body: dict[str, str]) -> list[dict[str, Any]]:
        if self.stage == "start":
            self.stage = "consent"
            return [CONSENT]
        if self.stage == "confirm":
            return [text_of("utter_profile_saved", first_name="X")]
        if self.stage == "consent":
            self.stage = "form"
        elif self.missing:
            self.missing.pop(0)
        if not self.missing:
            self.stage = "confirm"
            values = dict.fromkeys(["first_name", "place", "skills", "availability", "causes", "contact"], "x")
            return [text_of("utter_summary", **values)]
        return [text_of(f"utter_ask_{self.missing[0]}")]


def test_a_conversation_runs_until_the_profile_is_saved(reader: QuestionReader) -> None:
    persona = next(p for p in load_personas() if p.id == "karim-pas-a-pas")
    result = run_conversation(FakeAssistant().post, "http://fake", "s1", Conversation(persona, reader))
    assert result.completed and result.errors == 0
    assert result.messages == 1 + 1 + len(FIELDS) + 1  # opening, consent, one field each, confirmation
    assert len(result.latencies_ms) == result.messages


def test_a_conversation_that_never_ends_stops_at_the_limit(reader: QuestionReader) -> None:
    persona = load_personas()[0]
    result = run_conversation(lambda url, body: [{"text": "?"}], "http://fake", "s2", Conversation(persona, reader),
                              max_messages=5)  # fmt: skip
    assert (result.completed, result.messages) == (False, 5)


def test_stored_fields_are_compared_with_what_the_persona_said() -> None:
    persona = next(p for p in load_personas() if p.id == "lea-etudiante-fautes")
    assert normalised("first_name", "Lea") == normalised("first_name", "Léa")
    assert normalised("availability", [{"day": "wednesday", "period": "afternoon"}]) == normalised(
        "availability", ["wednesday:afternoon"]
    )
    from scripts.measure.volunteers import ConversationResult

    report = VolunteerReport([ConversationResult(persona.id, "s", True, 6, [])], {persona.id: persona})
    stored = {**persona.expected, "availability": [{"day": "wednesday", "period": "afternoon"}], "postcode": None}
    report.check({"s": stored})
    assert report.field_hits["city"] == 1 and report.field_hits.get("postcode", 0) == 0
    assert report.mismatches == ["s: postcode stored None, said '69007'"]
    assert report.accuracy == 7 / 8


def test_percentiles() -> None:
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([10, 20], 95) == pytest.approx(19.5)
    assert percentile([7], 95) == 7


def test_a_report_section_is_replaced_and_other_sections_are_kept(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    write_section(report, "bench", "first run", title="Benchmarks")
    report.write_text(report.read_text() + "\n## Console\n\nwritten by hand\n")
    write_section(report, "bench", "second run", title="Benchmarks")
    text = report.read_text()
    assert text.startswith("# Benchmarks\n")
    assert "second run" in text and "first run" not in text
    assert "## Console\n\nwritten by hand" in text


def test_matching_benchmark_runs_at_tiny_size() -> None:
    timings = bench_matching.run(missions=50, volunteers=5)
    assert (timings.missions, timings.volunteers, len(timings.wall_ms), len(timings.cpu_ms)) == (50, 5, 5, 5)
    assert timings.index_ms is not None


@pytest.mark.parametrize("label", ["ours", "Rasa defaults", "nos réglages (PostgreSQL)"])
def test_bench_senders_are_sender_ids_the_rest_channel_accepts(label: str) -> None:
    from bot.rasa.channels.rest import MAX_SENDER_CHARS, SENDER_CHARACTERS
    from scripts.bench_conversations import bench_sender

    sender = bench_sender(label, 50, 0, 999)
    assert set(sender) <= SENDER_CHARACTERS and len(sender) <= MAX_SENDER_CHARS
