"""The blind set: volunteers and FAQ wordings written without reading the training data, played over HTTP.

Usage::

    make eval-blind                                                   # writes the `blind` section of docs/evaluation.md
    .venv/bin/python -m scripts.eval_blind --model models/x.tar.gz --report /tmp/evaluation.md

Starts the assistant as ``scripts/eval_volunteers.py`` does, plays each volunteer of
``eval/blind/volunteers.yml`` (consent, one answer per question read from the replies,
mid-profile questions and corrections at a pending question, at most 30 messages),
exports the stored profiles and scores them loosely; then sends each wording of
``eval/blind/faq.yml`` in a fresh conversation and judges whether the answer is on topic.
It measures and always exits 0: the targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from bot.config import ROOT
from scripts.eval_volunteers import http_post
from scripts.measure.report import context_lines, invocation, table, write_section
from scripts.measure.volunteers import Question, QuestionReader

BLIND = ROOT / "eval" / "blind"
MAX_MESSAGES = 30
FIELDS = ("first_name", "town", "postcode", "skills", "availability", "causes", "contact")
# The assistant's slot names for the blind set's fields.
SLOT_FIELD = {"first_name": "first_name", "place": "town", "skills": "skills", "availability": "availability",
              "causes": "causes", "contact": "contact"}  # fmt: skip
# The blind set says nothing of age; a bare adult answer, varied on a retry.
AGE_ANSWERS = ("34 ans", "j'ai 34 ans", "34")
CONSENT = ("oui d'accord", "oui", "j'accepte")
CONFIRM = ("oui c'est correct", "oui", "c'est bon")
WANT = ("je veux devenir bénévole", "je voudrais m'inscrire comme bénévole", "devenir bénévole")

DAYS = {"lundi": "monday", "mardi": "tuesday", "mercredi": "wednesday", "jeudi": "thursday", "vendredi": "friday",
        "samedi": "saturday", "dimanche": "sunday"}  # fmt: skip
PARTS = {"matin": "morning", "apres midi": "afternoon", "soir": "evening"}

# Written for this runner from the blind set's own words, not from the assistant's lexicons:
# the assistant's codes each free word of `expected` may be stored as.
SKILL_CODES: dict[str, set[str]] = {
    "cuisine": {"cooking"}, "informatique": {"computing", "office_software"}, "reseaux": {"computing"},
    "comptabilite": {"accounting"}, "gestion": {"accounting", "administrative_help", "project_management"},
    "conduite": {"driving"}, "permis": {"driving"}, "transport": {"driving", "logistics"},
    "enseignement": {"tutoring", "french_teaching"}, "mathematiques": {"tutoring"}, "soutien scolaire": {"tutoring"},
    "langues": {"translation", "french_teaching"}, "anglais": {"translation", "tutoring", "french_teaching"},
    "traduction": {"translation"}, "arabe": {"translation"}, "espagnol": {"translation"},
    "sante": {"healthcare", "first_aid"}, "soins": {"healthcare", "first_aid"}, "premiers secours": {"first_aid"},
    "sport": {"sports_coaching"}, "voile": {"sports_coaching"}, "montagne": {"sports_coaching"},
    "danse": {"music_arts", "sports_coaching"}, "musique": {"music_arts"},
    "animation": {"childcare_activities", "event_planning", "sports_coaching"},
    "garde d'enfants": {"childcare_activities"},
    "communication": {"communication", "social_media"}, "redaction": {"communication"},
    "graphisme": {"graphic_design"}, "photographie": {"photo_video", "social_media"},
    "bricolage": {"handiwork"}, "menuiserie": {"handiwork"}, "electricite": {"handiwork"}, "plomberie": {"handiwork"},
    "mecanique": {"handiwork"}, "couture": {"handiwork"}, "jardinage": {"gardening"},
    "juridique": {"legal"}, "droit": {"legal"}, "ecoute": {"listening"}, "accompagnement": {"listening"},
    "secretariat": {"administrative_help", "reception", "office_software"},
    "ressources humaines": {"administrative_help", "project_management", "listening"},
    "animaux": set(),
}  # fmt: skip
CAUSE_CODES: dict[str, set[str]] = {
    "precarite": {"solidarity"}, "aide alimentaire": {"solidarity"}, "sans-abri": {"solidarity"},
    "logement": {"solidarity"}, "isolement": {"solidarity"}, "personnes agees": {"solidarity", "health"},
    "insertion": {"solidarity"}, "emploi": {"solidarity"}, "mobilite": {"solidarity"},
    "refugies": {"solidarity", "international"}, "migrants": {"solidarity", "international"},
    "droits des femmes": {"citizenship", "solidarity"}, "acces au droit": {"citizenship", "solidarity"},
    "inclusion numerique": {"solidarity", "education"}, "education": {"education"},
    "enfance": {"education", "solidarity"}, "jeunesse": {"education", "sport"}, "sante": {"health"},
    "handicap": {"health", "solidarity"}, "environnement": {"environment"}, "oceans": {"environment"},
    "reemploi": {"environment"}, "culture": {"culture"}, "patrimoine": {"culture"}, "sport": {"sport"},
    "animaux": {"animals"},
}  # fmt: skip
# The blind set's topic words and the assistant's answers that are on topic: FAQ intents of
# data/association/faq.yml or response names of domain.yml.
TOPIC_ANSWERS: dict[str, set[str]] = {
    "insurance": {"faq_insurance"},
    "expenses": {"faq_expenses"},
    "training": {"faq_training"},
    "commitment": {"faq_time_commitment", "faq_remote"},
    "age": {"faq_minimum_age", "utter_minor_info", "utter_too_young"},
    "background_check": {"faq_background_check"},  # or an answer with its words (BACKGROUND_WORDS)
    "missions": {"faq_association", "utter_missions_browse_intro", "utter_missions_intro", "utter_mission"},
    "stop": {"faq_stop_anytime", "utter_confirm_erasure"},
    "privacy": {
        "faq_personal_data",
        "utter_my_data",
        "utter_no_data",
        "utter_confirm_erasure",
        "utter_no_profile_but_handoffs",
    },  # fmt: skip
    "human": {"faq_contact", "utter_handoff_with_contact", "utter_handoff_without_contact", "utter_iamabot"},
    "other": {"utter_out_of_scope", "utter_ask_rephrase", "utter_faq_unknown", "utter_default"},
}
BACKGROUND_WORDS = ("casier", "judiciaire", "antecedent")
# Where the postcode says more than the town's name: the arrondissement.
ARRONDISSEMENTS = ("paris", "lyon", "marseille")


def plain(text: Any) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[-'’]", " ", bare).split())


def codes(words: Iterable[str], table_: dict[str, set[str]]) -> set[str]:
    """The assistant's codes a list of free words of the blind set stands for."""
    found: set[str] = set()
    keys = {plain(name): codes_ for name, codes_ in table_.items()}
    for word in words:
        found |= keys.get(plain(word), set())
    return found


def overlap_right(stored: Sequence[str], expected: set[str]) -> bool | None:
    """Loose set comparison: something in common, at most one stored code beyond the expected; None if unscorable."""
    if not expected:
        return None
    kept = set(stored)
    return bool(kept & expected) and len(kept - expected) <= 1


def phone_digits(text: str) -> str:
    """A French phone number as its 10 national digits."""
    digits = re.sub(r"\D", "", text)
    return "0" + digits[2:] if digits.startswith("33") and len(digits) == 11 else digits


def field_right(name: str, expected: dict[str, Any], row: dict[str, Any] | None) -> bool | None:
    """Whether a stored profile holds the expected value of ``name`` (None when not scorable)."""
    if name == "postcode" and not expected.get("postcode"):
        return None
    if row is None:
        return False
    want = expected.get(name)
    if name == "first_name":
        got = plain(row.get("first_name") or "")
        return bool(got) and (got == plain(want) or got in plain(want).split())
    if name == "town":
        got, want = plain(row.get("city") or ""), plain(want)
        named = got == want or (want in ARRONDISSEMENTS and got.startswith(want + " "))
        return named and (not row.get("postcode") or field_right("postcode", expected, row) is not False)
    if name == "postcode":
        got, want = str(row.get("postcode") or ""), str(want)
        if plain(expected["town"]) in ARRONDISSEMENTS:
            return got == want
        if not got:
            return None  # a town named without its postcode need not get one
        return got[:3] == want[:3] if want.startswith("97") else got[:2] == want[:2]
    if name == "skills":
        return overlap_right(row.get("skills") or [], codes(want or [], SKILL_CODES))
    if name == "causes":
        return overlap_right(row.get("interests") or [], codes(want or [], CAUSE_CODES))
    if name == "availability":
        got_slots = {(slot["day"], slot["period"]) for slot in row.get("availability") or []}
        return got_slots == {(DAYS[plain(slot["day"])], PARTS[plain(slot["part"])]) for slot in want or []}
    if name == "contact":
        if "@" in str(want):
            return plain(row.get("email") or "") == plain(want)
        return phone_digits(str(row.get("phone") or "")) == phone_digits(str(want))
    raise ValueError(f"unknown field {name!r}")


# --------------------------------------------------------------------------- reading answers


@dataclass(frozen=True)
class AnswerReader:
    """Names what the assistant answered: domain responses, or the FAQ intent whose text it said."""

    questions: QuestionReader
    faq: tuple[tuple[str, str], ...]  # (intent, plain start of the answer)

    @classmethod
    def load(cls) -> AnswerReader:
        """From domain.yml and data/association/faq.yml."""
        from bot.texts import faq_answers

        starts = tuple((intent, plain(text.split("{", 1)[0])[:60]) for intent, text in faq_answers().items())
        return cls(QuestionReader.from_domain(), starts)

    def names(self, replies: Sequence[dict[str, Any]]) -> list[str]:
        """A name for each reply ("?" for text nobody recognises)."""
        found = []
        for reply in replies:
            text = reply.get("text") or ""
            name = self.questions.response_of(text)
            if name is None:
                flat = plain(text)
                name = next((intent for intent, start in self.faq if start and flat.startswith(start)), "?")
            found.append(name)
        return found


def on_topic(topic: str, names: Sequence[str], texts: Sequence[str]) -> bool:
    """Whether the replies answer the blind set's ``topic``."""
    if topic == "background_check":
        return any(word in plain(text) for text in texts for word in BACKGROUND_WORDS)
    return bool(set(names) & TOPIC_ANSWERS[topic])


# --------------------------------------------------------------------------- playing a volunteer


@dataclass
class Played:
    """How one blind volunteer's conversation went."""

    id: str
    sender: str
    saved: bool = False
    messages: int = 0
    most_in_row: int = 0
    most_asked: str = ""  # the slot asked most times in a row
    asks: list[tuple[str, str, bool, list[str]]] = field(default_factory=list)  # text, topic, on topic, answers
    corrections_said: list[str] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class BlindVolunteer:
    """One volunteer's side: answers what is asked with their own phrasings, asks and corrects on the way."""

    volunteer: dict[str, Any]
    answered: list[str] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    asks_left: list[dict[str, str]] = field(default_factory=list)
    corrections_left: list[dict[str, Any]] = field(default_factory=list)
    others: int = 0

    def __post_init__(self) -> None:
        self.asks_left = list(self.volunteer.get("asks") or [])
        self.corrections_left = list(self.volunteer.get("corrections") or [])

    def next_message(self, question: Question) -> tuple[str, str | None]:
        """The next message and what it is: None for an answer, "ask:<topic>" or "correction:<field>"."""
        count = self.attempts.get(question.kind, 0)
        if question.kind == "consent":
            self.attempts["consent"] = count + 1
            return CONSENT[count % len(CONSENT)], None
        if question.kind == "confirm":
            correction = self._due_correction(final=True)
            if correction:
                return correction
            self.attempts["confirm"] = count + 1
            return CONFIRM[count % len(CONFIRM)], None
        if question.kind in ("ask", "retry") and question.slot:
            if question.kind == "ask":
                digression = self._due_ask() or self._due_correction(final=False)
                if digression:
                    return digression
            return self._answer(question.slot), None
        self.others += 1
        return WANT[(self.others - 1) % len(WANT)], None

    def _due_ask(self) -> tuple[str, str] | None:
        asked = len(self.volunteer.get("asks") or []) - len(self.asks_left)
        if self.asks_left and len(self.answered) >= 1 + 2 * asked:
            ask = self.asks_left.pop(0)
            return ask["text"], f"ask:{ask['topic']}"
        return None

    def _due_correction(self, *, final: bool) -> tuple[str, str] | None:
        if self.corrections_left and (final or self.corrections_left[0]["field"] in self.answered):
            correction = self.corrections_left.pop(0)
            return correction["text"], f"correction:{correction['field']}"
        return None

    def _answer(self, slot: str) -> str:
        attempt = self.attempts.get(slot, 0)
        self.attempts[slot] = attempt + 1
        if slot == "age_group":
            return AGE_ANSWERS[attempt % len(AGE_ANSWERS)]
        name = SLOT_FIELD.get(slot, slot)
        if name not in self.answered:
            self.answered.append(name)
        first = next((c["first"] for c in self.volunteer.get("corrections") or [] if c["field"] == name), None)
        if first is not None and attempt == 0:
            return str(first)
        phrasings = list((self.volunteer.get("answers") or {}).get(name) or ["je ne sais pas"])
        return str(phrasings[attempt % len(phrasings)])


Post = Callable[[str, dict[str, str]], list[dict[str, Any]]]


def play(post: Post, webhook: str, sender: str, volunteer: dict[str, Any], answers: AnswerReader) -> Played:
    """Talk to the assistant as ``volunteer`` until the profile is saved or MAX_MESSAGES were sent."""
    played = Played(volunteer["id"], sender)
    side = BlindVolunteer(volunteer)
    message, kind = str(volunteer["opening"]), None
    previous: Question | None = None
    streak = 1
    while played.messages < MAX_MESSAGES:
        try:
            replies = post(webhook, {"sender": sender, "message": message})
        except Exception:  # noqa: BLE001 - a failed turn is part of the measure, the conversation goes on
            replies = []
        played.messages += 1
        texts = [reply.get("text") or "" for reply in replies]
        played.transcript.append((message, "\n".join(texts)))
        question = answers.questions.read(replies)
        if kind and kind.startswith("ask:"):
            topic = kind[len("ask:") :]
            names = answers.names(replies)
            played.asks.append((message, topic, on_topic(topic, names, texts), names))
        elif kind and kind.startswith("correction:"):
            played.corrections_said.append(kind[len("correction:") :])
        if question.kind == "saved":
            played.saved = True
            break
        # The same question again right after it was answered: a digression's re-ask does not count.
        same = previous is not None and question.kind in ("ask", "retry") and question.slot == previous.slot
        if same and kind is None:
            streak += 1
        elif not same:
            streak = 1
        if question.kind in ("ask", "retry") and streak > played.most_in_row:
            played.most_in_row, played.most_asked = streak, str(question.slot)
        previous = question
        message, kind = side.next_message(question)
    return played


# --------------------------------------------------------------------------- scoring


@dataclass
class BlindReport:
    """Scores of the blind volunteers and FAQ wordings."""

    volunteers: list[dict[str, Any]]
    played: list[Played]
    stored: dict[str, dict[str, Any]]
    faq: list[tuple[str, str, bool, list[str]]]  # text, topic, on topic, answers

    def field_scores(self) -> dict[str, tuple[int, int]]:
        """Right and scored, per field."""
        scores = {name: [0, 0] for name in FIELDS}
        for volunteer, played in zip(self.volunteers, self.played, strict=True):
            row = self.stored.get(played.sender)
            for name in FIELDS:
                right = field_right(name, volunteer["expected"], row)
                if right is not None:
                    scores[name][0] += int(right)
                    scores[name][1] += 1
        return {name: (hits, total) for name, (hits, total) in scores.items()}

    def mismatches(self) -> list[str]:
        """One line per stored field that differs from the expected value."""
        lines = []
        for volunteer, played in zip(self.volunteers, self.played, strict=True):
            row = self.stored.get(played.sender)
            if row is None:
                lines.append(f"{played.id}: nothing stored")
                continue
            stored = {"first_name": row.get("first_name"), "town": row.get("city"), "postcode": row.get("postcode"),
                      "skills": row.get("skills"), "availability": [f"{s['day']}:{s['period']}" for s in
                      row.get("availability") or []], "causes": row.get("interests"),
                      "contact": row.get("email") or row.get("phone")}  # fmt: skip
            for name in FIELDS:
                if field_right(name, volunteer["expected"], row) is False:
                    lines.append(
                        f"{played.id}: {name} stored {stored[name]!r}, expected {volunteer['expected'][name]!r}"
                    )
        return lines

    def corrections(self) -> tuple[int, int]:
        """Corrections applied (the stored field holds the corrected value) and corrections planned."""
        applied = total = 0
        for volunteer, played in zip(self.volunteers, self.played, strict=True):
            for correction in volunteer.get("corrections") or []:
                total += 1
                row = self.stored.get(played.sender)
                applied += int(bool(field_right(correction["field"], volunteer["expected"], row)))
        return applied, total

    def markdown(self) -> list[str]:
        """The section's figures, failures and a few transcripts."""
        saved = sum(p.saved for p in self.played)
        scores = self.field_scores()
        hits, total = sum(h for h, _ in scores.values()), sum(t for _, t in scores.values())
        most = max((p.most_in_row for p in self.played), default=0)
        asks = [ask for p in self.played for ask in p.asks]
        asks_right = sum(ask[2] for ask in asks)
        applied, planned = self.corrections()
        faq_right = sum(item[2] for item in self.faq)

        def share(part: int, whole: int) -> str:
            return f"{part}/{whole} ({part / whole:.0%})" if whole else "–"

        lines = [
            *table(
                ["measure", "value", "target"],
                [
                    ["volunteers who reach a saved profile", share(saved, len(self.played)), "≥ 97 %"],
                    ["stored fields right (all fields)", share(hits, total), "≥ 93 %"],
                    ["most times a question was asked in a row", most, "≤ 2"],
                    ["mid-profile questions answered on topic", share(asks_right, len(asks)), "≥ 90 %"],
                    ["corrections applied", share(applied, planned), "all"],
                    ["FAQ wordings answered on topic", share(faq_right, len(self.faq)), "≥ 85 %"],
                ],
            ),
            "",
            *table(
                ["field", "right", "share"],
                [[n, f"{h}/{t}", f"{h / t:.0%}" if t else "–"] for n, (h, t) in scores.items()],
            ),  # fmt: skip
        ]
        repeated = [p for p in self.played if p.most_in_row > 2]
        if repeated:
            lines += ["", "Questions asked more than twice in a row: "]
            lines[-1] += ", ".join(f"{p.id} ({p.most_asked} ×{p.most_in_row})" for p in repeated)
        wrong_faq = [item for item in self.faq if not item[2]]
        if wrong_faq:
            lines += ["", "FAQ wordings answered off topic (wording → expected topic: what was answered):", ""]
            lines += [f"- {text} → {topic}: {', '.join(names) or 'nothing'}" for text, topic, _, names in wrong_faq]
        wrong_asks = [ask for p in self.played for ask in p.asks if not ask[2]]
        if wrong_asks:
            lines += ["", "Mid-profile questions answered off topic:", ""]
            lines += [f"- {text} → {topic}: {', '.join(names) or 'nothing'}" for text, topic, _, names in wrong_asks]
        mismatches = self.mismatches()
        if mismatches:
            lines += ["", "Stored fields that differ from the expected profile:", ""]
            lines += [f"- {line}" for line in mismatches]
        for played in ([p for p in self.played if not p.saved] + repeated)[:3]:
            what = "a repeated question" if played.saved else "an unfinished conversation"
            lines += ["", f"Transcript of {what} ({played.id}):", "", "```"]
            for said, answered in played.transcript:
                lines += [f"> {said}", *("  " + line for line in answered.splitlines()[:2])]
            lines += ["```"]
        return lines


def load_blind(folder: Path = BLIND) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The blind volunteers and FAQ wordings."""
    volunteers = yaml.safe_load((folder / "volunteers.yml").read_text(encoding="utf-8"))["volunteers"]
    faq = yaml.safe_load((folder / "faq.yml").read_text(encoding="utf-8"))["faq"]
    return volunteers, faq


def evaluate_blind(webhook: str, export: Callable[[], list[dict]], *, parallel: int = 2) -> BlindReport:
    """Play every blind volunteer and FAQ wording against a running assistant."""
    volunteers, faq = load_blind()
    answers = AnswerReader.load()
    run = f"{int(time.time())}"

    def talk(volunteer: dict[str, Any]) -> Played:
        with requests.Session() as session:
            return play(http_post(session), webhook, f"blind-{run}-{volunteer['id']}", volunteer, answers)

    def ask(job: tuple[int, dict[str, str]]) -> tuple[str, str, bool, list[str]]:
        number, item = job
        with requests.Session() as session:
            try:
                replies = http_post(session)(webhook, {"sender": f"blind-{run}-faq-{number}", "message": item["text"]})
            except Exception:  # noqa: BLE001 - counted as off topic
                replies = []
        names = answers.names(replies)
        texts = [reply.get("text") or "" for reply in replies]
        return item["text"], item["topic"], on_topic(item["topic"], names, texts), names

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        played = list(pool.map(talk, volunteers))
        asked = list(pool.map(ask, enumerate(faq)))
    return BlindReport(volunteers, played, {row["sender_id"]: row for row in export()}, asked)


INTRODUCTION = """\
Volunteers and FAQ wordings of `eval/blind/` were written from the job description by
someone who had not read the training data, the understanding code or the personas, so
these figures say how the assistant does on people it was not tuned for. Produced by
`scripts/eval_blind.py` (`make eval-blind`). Fields are compared loosely (case, accents,
skills and causes by overlap through the runner's own synonym map). Never tune the
assistant on these phrasings: fix the class of failure, and keep the set blind.

How blind it still is: the misses listed in this section are read by whoever fixes them.
On 2026-12-04 the entries of b03, b11, b18, b20, b25, b29, b31, b35 and b41, and the
FAQ wordings missed that day, were read to find why they failed; the fixes were made for
the class (town corrections without "à", a cause answer overwriting skills, food
distribution, social-work jobs, keywords of FAQ topics), with phrasings of our own, but
those cases no longer measure blind. A fresh set written by someone blind is the next
honest measure (see `eval/blind/README.md`)."""


def main() -> None:
    """Start the assistant on the latest test model, play the blind set, write and print the section."""
    from scripts.measure.assistant import evaluated_model, started_assistant

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, help="trained model (default: the latest of tests/.artifacts/models, or models)"
    )
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "evaluation.md", help="markdown file to write")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "eval-blind", help="databases and server logs")
    args = parser.parse_args()
    started = time.perf_counter()
    model = evaluated_model(args.model)
    folder = args.workdir / "assistant"
    shutil.rmtree(folder, ignore_errors=True)
    print(f"starting the assistant with {model.name}...", flush=True)
    with started_assistant(model, folder) as assistant:
        print("playing the blind set...", flush=True)
        report = evaluate_blind(assistant.webhook, assistant.export)
    lines = [
        "## Blind set",
        "",
        INTRODUCTION,
        "",
        *context_lines(invocation()),
        f"- Model: `{model.name}`; took {time.perf_counter() - started:.0f} s in all",
        "",
        *report.markdown(),
    ]
    write_section(args.report, "blind", "\n".join(lines), title="Evaluation")
    print("\n".join(report.markdown()[:20]))
    print(f"written to {args.report}")


if __name__ == "__main__":
    main()
