"""The blind set on dated shifts (``eval/blind/dates.yml``), played as conversations against the served assistant.

Usage::

    .venv/bin/python -m scripts.eval_dates --model models/x.tar.gz --label before --report /tmp/evaluation.md

``eval/blind/dates.yml`` was written from the job description by someone who had not read the training
data (``eval/blind/README.md``). The assistant is started once (`scripts.measure.dated`: Rasa and the
action server on free ports, throw-away databases, every process living on the set's "today"), with
the set's one mission and its four shifts. Each item gets its own volunteer (consented profile, fresh
sender id), is brought to the state its list names, then sends its message over the REST webhook; it is
judged by what the database holds afterwards (and, where the database cannot tell, by the answer):

- ``date_choices``: the dates offered as a volunteer reaches them ("voir les missions", "Plus d'infos",
  "S'inscrire à une date"); right when the volunteer is then signed up to the expected date, or to none
  for "none" and "question". Played a second time, reported apart, with the dates offered by "Ça
  m'intéresse" (``/apply``), the other way to them;
- ``cancellations``: signed up (seeded) to the 12th, 19th and 23rd; a "Oui / Non" question about one
  sign-up is answered with its "Oui, annuler" button, then the sign-up cancelled is the outcome; none
  cancelled is "ambiguous" when the assistant asked which one (several cancel buttons), else "not_cancel";
- ``cancel_confirm_replies``: the same sign-ups, "mes créneaux" then "Annuler : samedi 12 décembre"
  tapped; "yes" when that sign-up is cancelled, "no" when none is and the answer says it is kept,
  "unclear" when none is and the answer does not say so (it asks again, or answers something else);
- ``attestation_periods``: hours logged (seeded, the 5th of every month of 2025 and 2026 up to today),
  the attestation asked with its button, the period typed, then a full name when it is asked for; the
  period of the attestation link made is the outcome (an end clipped to today is accepted), none
  for "unclear";
- ``other``: classified by the real Rasa server (``/model/parse``) and right when its intent is none of
  the dated-shift intents.

Failing ids are printed, never texts (the report goes into ``docs/evaluation.md``). It measures and
always exits 0.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
import yaml

from bot.config import ROOT
from bot.missions import ShiftPlan
from scripts.measure.dated import MISSION_ID, DatedWorld, Said, buttons_of, dated_world, payloads
from scripts.measure.report import context_lines, invocation, write_section

SET = ROOT / "eval" / "blind" / "dates.yml"
FORBIDDEN = {"cancel_signup", "ask_attestation", "stop_nudges", "my_shifts", "sign_up", "choose_shift"}
OUTCOME_LISTS = ("date_choices", "cancellations", "cancel_confirm_replies", "attestation_periods")
# The set's header: today, the mission and its shifts, the sign-ups of a cancelling volunteer.
PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 12, 9)
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=PARIS)
MISSION = "Distribution alimentaire"
PLACES = 200  # every item may sign up once: never full
PLANS = (
    ShiftPlan(clock_time(9), clock_time(12), places=PLACES, on=date(2026, 12, 12)),
    ShiftPlan(clock_time(14), clock_time(17), places=PLACES, on=date(2026, 12, 13)),
    ShiftPlan(clock_time(9), clock_time(12), places=PLACES, on=date(2026, 12, 19)),
    ShiftPlan(clock_time(18), clock_time(20), places=PLACES, on=date(2026, 12, 23)),
)
SIGNED_UP = (date(2026, 12, 12), date(2026, 12, 19), date(2026, 12, 23))
TO_CONFIRM = date(2026, 12, 12)
HOURS_DAYS = tuple(
    date(year, month, 5) for year in (2025, 2026) for month in range(1, 13) if date(year, month, 5) < TODAY
)
FULL_NAME = "Camille Martin"
# What the volunteer types to reach a state (plain requests, as in tests/test_shift_cycle_e2e.py); each item checks the
# state was reached (else it is counted wrong and listed as "starting state not reached").
ASK_MISSIONS, ASK_MY_SHIFTS, ASK_ATTESTATION = "voir les missions", "mes créneaux", "je voudrais une attestation"
# Two ways to the dates from the missions proposed: "Plus d'infos" then "S'inscrire à une date" (action_offer_shifts),
# or "Ça m'intéresse" (action_apply, which offers them too). The first is the list's row; the second its own row.
VIA_SIGN_UP, VIA_APPLY = ("sign_up", "mission_details"), ("apply",)


class StateNotReached(RuntimeError):
    """The item's starting state could not be reached: the item is not judged on its message."""


# --------------------------------------------------------------------------- judging (pure)


def one_day(days: Sequence[date]) -> str:
    """``days`` as an outcome: "none", the one ISO date, or "several"."""
    if not days:
        return "none"
    return days[0].isoformat() if len(set(days)) == 1 else "several"


def choice_right(expect: str, booked: Sequence[date]) -> bool:
    """A date choice: signed up to the expected date, or to none for "none" and "question"."""
    outcome = one_day(booked)
    return outcome == "none" if expect in ("none", "question") else outcome == expect


def cancel_ids(said: Sequence[Said]) -> list[int]:
    """The sign-ups that buttons of ``said`` cancel at once (``/cancel_signup{"signup_id"}``)."""
    return [int(e["signup_id"]) for e in payloads(said, "cancel_signup") if "signup_id" in e]


def confirm_target(said: Sequence[Said]) -> int | None:
    """The sign-up a "Oui / Non" question of ``said`` is about (its "Non, je garde" button), if one is asked."""
    kept = [int(e["signup_id"]) for e in payloads(said, "keep_signup") if "signup_id" in e]
    return kept[0] if len(kept) == 1 else None


def cancellation_outcome(cancelled: Sequence[date], said: Sequence[Said]) -> str:
    """What a cancellation message led to: the date cancelled, "ambiguous" (asked which) or "not_cancel"."""
    if cancelled:
        return one_day(cancelled)
    return "ambiguous" if len(set(cancel_ids(said))) >= 2 else "not_cancel"


def confirm_outcome(cancelled: Sequence[date], asked_about: date, *, kept: bool) -> str:
    """A reply to "Voulez-vous annuler ... ?": "yes", "no" (said kept), "unclear", or "other" (another cancelled)."""
    if cancelled:
        return "yes" if list(set(cancelled)) == [asked_about] else "other"
    return "no" if kept else "unclear"


def period_right(expect: Any, covered: Sequence[tuple[date, date]], *, today: date = TODAY) -> bool:
    """An attestation period: one link for the expected period (its end may be clipped to today), none for "unclear"."""
    if expect == "unclear":
        return not covered
    if len(covered) != 1:
        return False
    start, end = date.fromisoformat(str(expect["start"])), date.fromisoformat(str(expect["end"]))
    return covered[0][0] == start and covered[0][1] in {end, min(end, today)}


def response_text(name: str) -> str:
    """The fixed part of a domain response's first text (up to its first placeholder)."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return str(domain["responses"][name][0]["text"]).split("{", 1)[0].strip()


def says(said: Sequence[Said], text: str) -> bool:
    """Whether one of the messages holds ``text``."""
    return any(text in message.text for message in said)


# --------------------------------------------------------------------------- playing (servers)


def _sender(item: dict[str, Any], way: str = "") -> str:
    return f"evaldates-{item['id']}{way}"


def _live_days(world: DatedWorld, sender: str, status: str) -> list[date]:
    return [day for _, day, state in world.signups(sender) if state == status]


def _tap(
    world: DatedWorld,
    sender: str,
    said: Sequence[Said],
    intents: Sequence[str],
    wanted: Callable[[dict[str, Any]], bool],
) -> list[Said]:
    """Tap the first button of ``said`` (by ``intents`` in order) whose entities are ``wanted``: send its payload."""
    for intent in intents:
        for payload, entities in buttons_of(said, intent):
            if wanted(entities):
                return world.say(sender, payload)
    raise StateNotReached(f"no {'/'.join(intents)} button")


def offer_dates(world: DatedWorld, sender: str, buttons: Sequence[str]) -> list[Said]:
    """ "Voir les missions", then the mission's ``buttons`` (intents, by preference) until its dates are offered."""
    said = world.say(sender, ASK_MISSIONS)
    for _ in range(2):
        said = _tap(world, sender, said, buttons, lambda e: e.get("mission_id") == MISSION_ID)
        if len(payloads(said, "choose_shift")) == len(PLANS):
            return said
    raise StateNotReached("the dates were not offered")


def play_choice(world: DatedWorld, item: dict[str, Any], buttons: Sequence[str] = VIA_SIGN_UP) -> tuple[bool, str]:
    """The four dates offered as a volunteer reaches them (``buttons``), then the item's answer; the sign-up made."""
    sender = _sender(item, "" if buttons == VIA_SIGN_UP else "-" + buttons[0])
    world.add_volunteer(sender)
    offer_dates(world, sender, buttons)
    world.say(sender, str(item["text"]))
    booked = _live_days(world, sender, "confirmed")
    return choice_right(str(item["expect"]), booked), one_day(booked)


def _signed_up(world: DatedWorld, sender: str) -> dict[date, int]:
    world.add_volunteer(sender)
    return {day: world.book(sender, day) for day in SIGNED_UP}


def play_cancellation(world: DatedWorld, item: dict[str, Any]) -> tuple[bool, str]:
    """Signed up to three dates, the item's message; a "Oui / Non" asked about one is answered "Oui, annuler"."""
    sender = _sender(item)
    _signed_up(world, sender)
    said = world.say(sender, str(item["text"]))
    target = confirm_target(said)
    if not _live_days(world, sender, "cancelled") and target is not None:
        _tap(world, sender, said, ["cancel_signup"], lambda e: e.get("signup_id") == target)
    outcome = cancellation_outcome(_live_days(world, sender, "cancelled"), said)
    return outcome == str(item["expect"]), outcome


def play_confirm_reply(world: DatedWorld, item: dict[str, Any], kept_text: str) -> tuple[bool, str]:
    """ "Mes créneaux", "Annuler : samedi 12 décembre" tapped, then the item's reply to "Voulez-vous annuler ... ?"."""
    sender = _sender(item)
    ids = _signed_up(world, sender)
    listed = world.say(sender, ASK_MY_SHIFTS)
    asked = _tap(world, sender, listed, ["cancel_signup"], lambda e: e.get("signup_choice") == ids[TO_CONFIRM])
    if confirm_target(asked) != ids[TO_CONFIRM]:
        raise StateNotReached("the cancellation was not asked to be confirmed")
    said = world.say(sender, str(item["text"]))
    outcome = confirm_outcome(_live_days(world, sender, "cancelled"), TO_CONFIRM, kept=says(said, kept_text))
    return outcome == str(item["expect"]), outcome


def play_period(world: DatedWorld, item: dict[str, Any], period_text: str, name_text: str) -> tuple[bool, str]:
    """Hours logged, the attestation asked for, the item's period, a full name when it is asked for."""
    sender = _sender(item)
    volunteer_id = world.add_volunteer(sender)
    world.add_hours(volunteer_id, HOURS_DAYS)
    if not says(world.say(sender, ASK_ATTESTATION), period_text):
        raise StateNotReached("'Pour quelle période ?' was not asked")
    if says(world.say(sender, str(item["text"])), name_text):
        world.say(sender, FULL_NAME)
    covered = world.attestation_periods(volunteer_id)
    outcome = ", ".join(f"{start.isoformat()}..{end.isoformat()}" for start, end in covered) or "none"
    return period_right(item["expect"], covered), outcome


def score_list(
    items: list[dict[str, Any]], play: Callable[[dict[str, Any]], tuple[bool, str]]
) -> tuple[int, list[str], list[str]]:
    """Right count, failing ids and ids whose starting state was not reached (counted as failing too)."""
    hits, misses, unreached = 0, [], []
    for item in items:
        try:
            right, _ = play(item)
        except StateNotReached:
            right = False
            unreached.append(str(item["id"]))
        except (requests.RequestException, ValueError, RuntimeError):
            right = False
            unreached.append(str(item["id"]))
        if right:
            hits += 1
        else:
            misses.append(str(item["id"]))
    return hits, misses, unreached


def score_other(parse_url: str, items: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """Right count and failing ids of the list ``other``, by intent only."""
    hits, misses = 0, []
    with requests.Session() as session:
        for item in items:
            try:
                answer = session.post(parse_url, json={"text": item["text"]}, timeout=30).json()
                intent = str((answer.get("intent") or {}).get("name") or "none")
            except (requests.RequestException, ValueError):
                intent = "error"
            if intent not in FORBIDDEN and intent != "error":
                hits += 1
            else:
                misses.append(str(item["id"]))
    return hits, misses


def outcome_rows(world: DatedWorld, data: dict[str, Any]) -> list[str]:
    """One line per list scored by outcome: right/total, failing ids, ids whose state was not reached."""
    kept_text = response_text("utter_signup_kept")
    period_text = response_text("utter_ask_attestation_period")
    name_text = response_text("utter_ask_attestation_name")
    plays: dict[str, Callable[[dict[str, Any]], tuple[bool, str]]] = {
        "date_choices": lambda item: play_choice(world, item, VIA_SIGN_UP),
        "date_choices via apply": lambda item: play_choice(world, item, VIA_APPLY),
        "cancellations": lambda item: play_cancellation(world, item),
        "cancel_confirm_replies": lambda item: play_confirm_reply(world, item, kept_text),
        "attestation_periods": lambda item: play_period(world, item, period_text, name_text),
    }
    rows = []
    for name in plays:
        items = data.get(name.split(" ", 1)[0]) or []
        hits, misses, unreached = score_list(items, plays[name])
        row = f"- {name}: {hits}/{len(items)} right (outcome); failing ids: {', '.join(misses) or 'none'}"
        if unreached:
            row += f"; starting state not reached: {', '.join(unreached)}"
        rows.append(row)
    return rows


def main() -> None:
    """Start the assistant on a model, play and score every list, write and print the section."""
    from scripts.measure.assistant import evaluated_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--model", type=Path, help="trained model (default: the latest test model, or models/)")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "evaluation.md", help="markdown file to write")
    parser.add_argument("--label", default="", help="the section's name (e.g. 'dates-blind before (main dc020d3)')")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "eval-dates")
    args = parser.parse_args()
    started = time.perf_counter()
    model = evaluated_model(args.model)
    data = yaml.safe_load(SET.read_text(encoding="utf-8"))
    folder = args.workdir / "assistant"
    shutil.rmtree(folder, ignore_errors=True)
    others = data.get("other") or []
    rows: list[str] = []
    try:
        with dated_world(model, folder, today=NOW, plans=PLANS, title=MISSION) as world:
            rows.extend(outcome_rows(world, data))
            hits, misses = score_other(world.assistant.parse_url, others)
        rows.append(f"- other: {hits}/{len(others)} right (by intent only); failing ids: {', '.join(misses) or 'none'}")
    except Exception as error:  # noqa: BLE001 - a measure always exits 0
        rows.append(f"- not scored ({type(error).__name__}: the assistant or its world did not start)")
    label = args.label or "dates-blind"
    lines = [
        f"## {label}",
        "",
        "`eval/blind/dates.yml` (blind set on dated shifts), played and scored by `scripts/eval_dates.py`.",
        "",
        *context_lines(invocation()),
        f"- Model: `{model.name}`; took {time.perf_counter() - started:.0f} s in all",
        "",
        *rows,
    ]
    write_section(args.report, label, "\n".join(lines), title="Evaluation")
    print("\n".join(rows))
    print(f"written to {args.report}")


if __name__ == "__main__":
    main()
