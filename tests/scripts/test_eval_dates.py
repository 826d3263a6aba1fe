"""Tests of the dated-shifts scorer's pure functions (no servers): outcomes read from the database and the answer."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from scripts.eval_dates import (
    HOURS_DAYS,
    OUTCOME_LISTS,
    SET,
    TODAY,
    cancel_ids,
    cancellation_outcome,
    choice_right,
    confirm_outcome,
    confirm_target,
    one_day,
    period_right,
    response_text,
    says,
)
from scripts.measure.dated import Said, payloads, said_of

D12, D13, D19 = date(2026, 12, 12), date(2026, 12, 13), date(2026, 12, 19)
CONFIRM = [
    Said(
        "Voulez-vous annuler votre inscription ?",
        [("Oui, annuler", '/cancel_signup{"signup_id": 7}'), ("Non, je garde", '/keep_signup{"signup_id": 7}')],
    )
]
WHICH = [
    Said(
        "Quelle inscription voulez-vous annuler ?",
        [
            ("Annuler : samedi 12 décembre", '/cancel_signup{"signup_id": 7}'),
            ("Annuler : samedi 19 décembre", '/cancel_signup{"signup_id": 8}'),
            ("Aucune, je garde tout", "/keep_signup"),
        ],
    )
]


def test_the_rest_answer_becomes_messages_and_payloads_are_read() -> None:
    said = said_of([{"recipient_id": "x", "text": "Laquelle ?", "buttons": [{"title": "a", "payload": "/x{}"}]}, {}])
    assert said == [Said("Laquelle ?", [("a", "/x{}")]), Said("", [])]
    offered = [Said("", [("s", '/choose_shift{"shift_id": 3}'), ("n", "/no_shift_fits"), ("bad", "/choose_shift{")])]
    assert payloads(offered, "choose_shift") == [{"shift_id": 3}]
    assert payloads(offered, "no_shift_fits") == [{}]


@pytest.mark.parametrize(
    ("expect", "booked", "right"),
    [
        ("2026-12-12", [D12], True),
        ("2026-12-12", [D13], False),
        ("2026-12-12", [], False),
        ("2026-12-12", [D12, D13], False),
        ("none", [], True),
        ("question", [], True),
        ("question", [D19], False),
    ],
)
def test_a_date_choice_is_the_sign_up_made(expect: str, booked: list[date], right: bool) -> None:
    assert choice_right(expect, booked) is right


def test_one_day() -> None:
    assert [one_day([]), one_day([D12]), one_day([D12, D12]), one_day([D12, D19])] == [
        "none", "2026-12-12", "2026-12-12", "several",
    ]  # fmt: skip


def test_the_confirmation_and_the_which_question_are_told_apart_by_their_buttons() -> None:
    assert confirm_target(CONFIRM) == 7 and cancel_ids(CONFIRM) == [7]
    assert confirm_target(WHICH) is None and cancel_ids(WHICH) == [7, 8]
    assert confirm_target([Said("Vos prochains créneaux", [("Annuler", '/cancel_signup{"signup_choice": 7}')])]) is None


@pytest.mark.parametrize(
    ("cancelled", "said", "outcome"),
    [
        ([D19], CONFIRM, "2026-12-19"),  # asked, then "Oui, annuler" tapped
        ([], WHICH, "ambiguous"),
        ([], [Said("Vos prochains créneaux", [("Annuler", '/cancel_signup{"signup_choice": 7}')])], "not_cancel"),
        ([], [Said("Pour une question pratique ...", [])], "not_cancel"),
        ([D12, D19], [], "several"),
    ],
)
def test_a_cancellation_is_the_sign_up_cancelled_or_the_question_asked(
    cancelled: list[date], said: list[Said], outcome: str
) -> None:
    assert cancellation_outcome(cancelled, said) == outcome


def test_a_reply_to_the_confirmation() -> None:
    assert confirm_outcome([D12], D12, kept=False) == "yes"
    assert confirm_outcome([D19], D12, kept=False) == "other"
    assert confirm_outcome([], D12, kept=True) == "no"
    assert confirm_outcome([], D12, kept=False) == "unclear"


@pytest.mark.parametrize(
    ("expect", "covered", "right"),
    [
        ({"start": "2026-01-01", "end": "2026-12-31"}, [(date(2026, 1, 1), date(2026, 12, 31))], True),
        ({"start": "2026-01-01", "end": "2026-12-31"}, [(date(2026, 1, 1), TODAY)], True),  # clipped to today
        ({"start": "2026-01-01", "end": "2026-12-31"}, [(date(2026, 1, 1), date(2026, 12, 1))], False),
        ({"start": "2025-01-01", "end": "2025-12-31"}, [(date(2025, 1, 1), date(2025, 12, 31))], True),
        ({"start": "2026-11-01", "end": "2026-11-30"}, [(date(2026, 1, 1), TODAY)], False),
        ({"start": "2026-11-01", "end": "2026-11-30"}, [], False),
        ("unclear", [], True),
        ("unclear", [(date(2000, 1, 1), TODAY)], False),
    ],
)
def test_an_attestation_period_is_the_link_made(expect: Any, covered: list[tuple[date, date]], right: bool) -> None:
    assert period_right(expect, covered) is right


def test_the_answers_recognised_are_the_domain_responses() -> None:
    assert "Pour quelle période ?" in response_text("utter_ask_attestation_period")  # then how to type one
    assert response_text("utter_confirm_cancel_signup") == "Voulez-vous annuler votre inscription à «"
    assert says([Said("x", []), Said("D'accord, je garde votre inscription. À bientôt !", [])], "je garde")


def test_the_set_and_the_seeded_state_agree_with_its_header() -> None:
    text = SET.read_text(encoding="utf-8")
    assert "mercredi 2026-12-09" in text
    assert TODAY.isoformat() == "2026-12-09"
    assert all(day < TODAY for day in HOURS_DAYS) and {d.year for d in HOURS_DAYS} == {2025, 2026}
    assert OUTCOME_LISTS == ("date_choices", "cancellations", "cancel_confirm_replies", "attestation_periods")
