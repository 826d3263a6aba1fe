"""The Rasa project itself: training data validity, conversation tests, held-out NLU accuracy.

The model is trained once per test run (``trained_model`` in conftest.py) and shared.
Conversation tests (tests/conversations) give intents and entities explicitly: they test
the dialogue. Real French text is tested by the held-out NLU set below, by the
understanding tables (tests/bot/understanding) and end to end over HTTP (tests/test_e2e.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import yaml

from bot.config import ROOT
from bot.rasa.speedups import GROUPS

RASA = str(Path(sys.executable).with_name("rasa"))
MIN_HOLDOUT_ACCURACY = 0.90


# The dialogue and the held-out set are tested through the Rasa server's entry point (bot.rasa.server), with
# the speed patches on, as served, and off: Rasa as shipped stays the reference (bot/rasa/speedups).
def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RASA, *args], cwd=ROOT, capture_output=True, text=True, check=False)


def _run_served(speedups: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``rasa ARGS`` as bot serve runs the Rasa server, with RASA_SPEEDUPS set; checks the patches' log line."""
    env = dict(os.environ, RASA_SPEEDUPS=speedups, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, "-m", "bot.rasa.server", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    said = "speed patches on: actions" if speedups == "1" else "speed patches off"
    assert said in result.stdout + result.stderr, (result.stdout + result.stderr)[-3000:]
    return result


# Responses Rasa's own default actions send (utter_default: action_default_fallback).
RASA_DEFAULT_RESPONSES = {"utter_default"}
UNUSED_RESPONSE = re.compile(r"The utterance '(\w+)' is not used in any story or rule")
# Intents nobody types: the application triggers them through Rasa's HTTP API (trigger_intent)
# from these places, so they have no NLU examples.
TRIGGERED_INTENTS = {"mission_invitation": "bot/console/missions.py", "retention_notice": "bot/privacy.py"}
# Intents only the assistant's buttons send, from these files: new French phrasings are not trained
# before a blind evaluation set covers them (eval/blind), so the buttons alone reach these intents.
BUTTON_INTENTS = {"give_decline_reason": "domain.yml", "explain_decline": "domain.yml", "stop_proposals": "domain.yml"}
BUTTON_INTENTS["mission_details"] = "actions/missions.py"  # "Plus d'infos" under a proposal (issue 18)
# Re-engagement (issue 18, part D): the jobs' two nudges, and "Plus tard" under the reminder.
TRIGGERED_INTENTS.update(unfinished_profile_nudge="bot/reengagement.py", inactive_suggestion="bot/reengagement.py")
BUTTON_INTENTS["nudge_later"] = "domain.yml"
# Reminders, check-ins and attestations (issue 18, part B2): the jobs' triggered messages, and the buttons
# under them (the typed request for an attestation, ask_attestation, has examples).
TRIGGERED_INTENTS.update(
    shift_reminder="bot/reminders.py",
    shift_reminder_followup="bot/reminders.py",
    shift_checkin="bot/reminders.py",
    yearly_summary="bot/reminders.py",
)
BUTTON_INTENTS.update(
    attestation_period="domain.yml",
    checkin_hours="domain.yml",
    checkin_no_show="domain.yml",
    checkin_rating="domain.yml",
    confirm_shift="domain.yml",
    skip_checkin_comment="domain.yml",
)
# Signing up for a shift (issue 18, part B1): the dates' and sign-ups' buttons, and staff cancelling a shift
# (typed sign-ups, cancellations, "mes créneaux", "je garde" and "aucune de ces dates" have examples).
BUTTON_INTENTS.update(
    choose_shift="bot/signups.py",
)  # fmt: skip
TRIGGERED_INTENTS["shift_cancelled"] = "bot/signups.py"
NO_TRAINING_EXAMPLES = re.compile(r"The intent '(\w+)' is listed in the domain file, but is not found in the NLU")


def test_training_data_and_domain_validate_cleanly() -> None:
    """`rasa data validate` passes, and its only remarks are responses it cannot see us use.

    Rasa flags responses that no story or rule names; ours are sent by custom actions or
    by the form (utter_ask_<slot>), so each one flagged must really be used there.
    """
    result = _run(
        "data", "validate", "--data", "data/nlu", "data/rules", "data/stories", "--domain", "domain.yml",
        "--config", "config.yml",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = [line for line in output.splitlines() if "UserWarning" in line]
    unexplained = [line for line in warnings if not _used_outside_stories(line)]
    assert unexplained == []


def _used_outside_stories(warning: str) -> bool:
    triggered = NO_TRAINING_EXAMPLES.search(warning)
    if triggered is not None:
        intent = triggered.group(1)
        if intent in BUTTON_INTENTS:
            return f"/{intent}" in (ROOT / BUTTON_INTENTS[intent]).read_text(encoding="utf-8")  # a button's payload
        source = TRIGGERED_INTENTS.get(intent)
        return source is not None and intent in (ROOT / source).read_text(encoding="utf-8")
    match = UNUSED_RESPONSE.search(warning)
    if match is None:
        return False
    response = match.group(1)
    sources = [*(ROOT / "actions").glob("*.py"), ROOT / "bot" / "rasa" / "action_fallback.py"]
    code = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    form_slots = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["forms"]["profile_form"]
    asked = {f"utter_ask_{slot}" for slot in form_slots["required_slots"]}
    not_understood = {f"utter_not_understood_{slot}" for slot in form_slots["required_slots"]}
    dynamic = 'f"utter_not_understood_{slot}"' in code and response in not_understood
    return f'"{response}"' in code or response in asked or dynamic or response in RASA_DEFAULT_RESPONSES


def test_conversation_stories_all_pass(trained_model: Path, tmp_path: Path) -> None:
    # Once, as served: `rasa test core` calls no action server, the only thing the speed patches change
    # (the end-to-end tests run with them on and off).
    assert GROUPS == ("actions",), "a new speed-patch group may change the dialogue: run this with it off too"
    stories = [s for f in sorted((ROOT / "tests" / "conversations").glob("*.yml")) for s in _stories(f)]
    assert len(stories) >= 25
    result = _run_served(
        "1",
        "test", "core", "--model", str(trained_model), "--stories", "tests/conversations",
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def _stories(path: Path) -> list[dict]:
    return list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stories") or [])


def _examples(path: Path) -> dict[str, str]:
    """Normalised example → intent, for every NLU file under ``path``."""
    found = {}
    files = [path] if path.is_file() else sorted(path.glob("*.yml"))
    for file in files:
        for block in yaml.safe_load(file.read_text(encoding="utf-8")).get("nlu", []):
            for line in block.get("examples", "").splitlines():
                if line.strip().startswith("- "):
                    found[_normalise(line.strip()[2:])] = block["intent"]
    return found


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w@]+", " ", text).split())


def test_holdout_is_never_trained_on() -> None:
    holdout = _examples(ROOT / "tests" / "nlu" / "holdout.yml")
    training = _examples(ROOT / "data" / "nlu")
    assert len(holdout) >= 150
    assert sorted(set(holdout) & set(training)) == []


def test_holdout_intent_accuracy(trained_model: Path, tmp_path: Path) -> None:
    # Once, as served: the speed patches' only group (actions) changes how actions run, not what the
    # NLU pipeline says, so a second run without them (two minutes here) would measure the same thing.
    assert GROUPS == ("actions",), "a new speed-patch group may change understanding: run this with it off too"
    result = _run_served(
        "1",
        "test", "nlu", "--model", str(trained_model), "--nlu", "tests/nlu/holdout.yml", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "intent_report.json").read_text())
    assert report["accuracy"] >= MIN_HOLDOUT_ACCURACY, {
        intent: round(scores["f1-score"], 2)
        for intent, scores in report.items()
        if isinstance(scores, dict) and scores.get("f1-score", 1) < 0.9
    }
