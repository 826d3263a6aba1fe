"""Simulated volunteers: personas that answer whatever the assistant asks, over its REST channel.

Usage::

    personas = load_personas()
    recognise = QuestionReader.from_domain()
    conversation = Conversation(personas[0], recognise, seed=1)
    result = run_conversation(session, webhook, sender, conversation)   # a ConversationResult

The assistant's question is read from its replies: each reply is matched against the
responses of ``domain.yml`` (``utter_ask_<slot>``, ``utter_not_understood_<slot>``,
``utter_summary``...), so rewording a response does not break the simulation; the
consent question is the one with "/affirm" and "/deny" buttons that no response matches.
The persona answers from its facts (``scripts/personas.yml``), with varied phrasings and
sometimes more facts than were asked, like real people.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import ROOT

PERSONAS_PATH = Path(__file__).resolve().parents[1] / "personas.yml"
FIELDS = ("first_name", "age_group", "place", "skills", "availability", "causes", "contact")
# Conversations longer than this count as not completed.
MAX_MESSAGES = 20


@dataclass(frozen=True)
class Persona:
    """A simulated volunteer: what they know about themselves and how they say it."""

    id: str
    facts: dict[str, Any]
    expected: dict[str, Any]
    stated: dict[str, list[str]]  # phrasings that say what they are, usable in any message
    bare: dict[str, list[str]]  # phrasings that only answer the question just asked
    templates: dict[str, Any]
    facts_per_message: int
    opening: str
    opening_tells: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()  # questions asked in the middle of the profile

    @property
    def all_at_once(self) -> bool:
        """Says everything in the first message."""
        return set(self.opening_tells) >= set(FIELDS)


def load_personas(path: Path = PERSONAS_PATH) -> list[Persona]:
    """Read the personas and the shared phrasings."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    templates = raw["templates"]
    personas = []
    for item in raw["personas"]:
        facts = dict(item["facts"])
        values = {**facts, "first_name_lower": str(facts["first_name"]).lower()}

        def filled(phrasings: Sequence[str], values: dict[str, Any] = values) -> list[str]:
            return [phrasing.format(**values) for phrasing in phrasings]

        says, own_bare = item.get("says", {}), item.get("bare", {})
        stated = {name: filled(says.get(name) or templates["stated"].get(name, [])) for name in FIELDS}
        bare = {name: filled(own_bare.get(name) or templates["bare"].get(name, [])) for name in FIELDS}
        count = item.get("facts_per_message", 1)
        personas.append(
            Persona(
                id=item["id"], facts=facts, expected=item["expected"], stated=stated, bare=bare, templates=templates,
                facts_per_message=len(FIELDS) if count == "all" else int(count), opening=item["opening"],
                opening_tells=tuple(item.get("opening_tells", ())), asks=tuple(item.get("asks", ())),
            )
        )  # fmt: skip
    return personas


# --------------------------------------------------------------------------- reading the assistant


@dataclass(frozen=True)
class Question:
    """What the assistant is waiting for: ``kind`` is ask, retry, consent, confirm, saved or other."""

    kind: str
    slot: str | None = None


def _pattern(template: str) -> re.Pattern[str]:
    """A response template as a regular expression: placeholders match anything."""
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".*?".join(re.escape(part) for part in parts), re.DOTALL)


@dataclass(frozen=True)
class QuestionReader:
    """Tells which question the assistant's replies ask, from the responses of domain.yml."""

    responses: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def from_domain(cls, path: Path = ROOT / "domain.yml") -> QuestionReader:
        """Read every response text of the domain."""
        domain = yaml.safe_load(path.read_text(encoding="utf-8"))
        responses = []
        for name, variants in domain.get("responses", {}).items():
            for variant in variants:
                if variant.get("text"):
                    responses.append((name, _pattern(variant["text"])))
        return cls(tuple(responses))

    def response_of(self, text: str) -> str | None:
        """The name of the domain response a reply text comes from, if any."""
        for name, pattern in self.responses:
            if pattern.fullmatch(text):
                return name
        return None

    def read(self, replies: Sequence[dict[str, Any]]) -> Question:
        """The question the latest replies ask (the last one that asks something)."""
        question = Question("other")
        for reply in replies:
            name = self.response_of(reply.get("text") or "")
            payloads = {button.get("payload") for button in reply.get("buttons") or []}
            if name is None and {"/affirm", "/deny"} <= payloads:
                question = Question("consent")
            elif name is None:
                continue
            elif name.startswith("utter_ask_") and name[len("utter_ask_") :] in FIELDS:
                question = Question("ask", name[len("utter_ask_") :])
            elif name.startswith("utter_not_understood_"):
                question = Question("retry", name[len("utter_not_understood_") :])
            elif name in ("utter_invalid_email", "utter_invalid_phone"):
                question = Question("retry", "contact")
            elif name == "utter_summary":
                question = Question("confirm")
            elif name == "utter_profile_saved":
                return Question("saved")
        return question


# --------------------------------------------------------------------------- answering


@dataclass
class Conversation:
    """One persona's side of a conversation: decides each next message from the assistant's question."""

    persona: Persona
    reader: QuestionReader
    seed: int = 0
    told: set[str] = field(default_factory=set)
    attempts: dict[str, int] = field(default_factory=dict)
    questions_left: list[str] = field(default_factory=list)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.persona.id}:{self.seed}")
        self.questions_left = list(self.persona.asks)

    def first_message(self) -> str:
        """The persona's opening message."""
        self.told |= set(self.persona.opening_tells)
        return self.persona.opening

    def next_message(self, question: Question) -> str:
        """What the persona says to ``question``."""
        templates = self.persona.templates
        if question.kind == "consent":
            return self.rng.choice(templates["consent"])
        if question.kind == "confirm":
            return self.rng.choice(templates["confirm"])
        if question.kind in ("ask", "retry") and question.slot:
            if question.kind == "ask" and self.questions_left and self.rng.random() < 0.5:
                return self.questions_left.pop(0)  # a question in the middle of the profile
            return self._answer(question.slot, retry=question.kind == "retry")
        return self.rng.choice(templates["want_to_volunteer"])

    def _answer(self, slot: str, *, retry: bool) -> str:
        attempt = self.attempts.get(slot, 0)
        self.attempts[slot] = attempt + 1
        persona = self.persona
        # First the phrasing the persona likes, then others when it was not understood.
        phrasings = persona.bare[slot] + persona.stated[slot] if retry else persona.stated[slot] + persona.bare[slot]
        if not retry:
            phrasings = [self.rng.choice(phrasings)]
        parts = [phrasings[attempt % len(phrasings)] if retry else phrasings[0]]
        self.told.add(slot)
        extra = [name for name in FIELDS if name not in self.told][: persona.facts_per_message - 1]
        for name in extra:
            if persona.stated[name]:
                parts.append(self.rng.choice(persona.stated[name]))
                self.told.add(name)
        return self._join(parts)

    def _join(self, parts: list[str]) -> str:
        message = parts[0]
        for part in parts[1:]:
            message += self.rng.choice(self.persona.templates["joiners"]) + part
        return message


# --------------------------------------------------------------------------- talking over HTTP


@dataclass
class ConversationResult:
    """How one simulated conversation went."""

    persona: str
    sender: str
    completed: bool
    messages: int  # user messages sent, up to the saved profile when completed
    latencies_ms: list[float]
    errors: int = 0
    transcript: list[tuple[str, str]] = field(default_factory=list)  # (user message, assistant's replies)


Post = Callable[[str, dict[str, str]], list[dict[str, Any]]]


def run_conversation(
    post: Post, webhook: str, sender: str, conversation: Conversation, *, max_messages: int = MAX_MESSAGES
) -> ConversationResult:
    """Talk to the assistant until the profile is saved or ``max_messages`` were sent."""
    result = ConversationResult(conversation.persona.id, sender, False, 0, [])
    message = conversation.first_message()
    while result.messages < max_messages:
        started = time.perf_counter()
        try:
            replies = post(webhook, {"sender": sender, "message": message})
        except Exception:  # noqa: BLE001 - any failure of a turn is counted, the conversation goes on
            replies = []
            result.errors += 1
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.messages += 1
        result.transcript.append((message, "\n".join(reply.get("text") or "" for reply in replies)))
        question = conversation.reader.read(replies)
        if question.kind == "saved":
            result.completed = True
            break
        message = conversation.next_message(question)
    return result
