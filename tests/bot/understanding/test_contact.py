"""Tests of bot.understanding.contact: email addresses and French phone numbers."""

from __future__ import annotations

import pytest

from bot.understanding.contact import find_email, find_phone, format_phone, looks_like_email_attempt

EMAILS = [
    ("julie.martin@gmail.com", "julie.martin@gmail.com"),
    ("mon mail : Julie.Martin@Gmail.COM", "julie.martin@gmail.com"),
    ("c'est karim_75@hotmail.fr merci", "karim_75@hotmail.fr"),
    ("vous pouvez m'écrire à anne-sophie.durand@laposte.net.", "anne-sophie.durand@laposte.net"),
    ("<jean+benevolat@mail.asso-lyon.org>", "jean+benevolat@mail.asso-lyon.org"),
    ("Mon adresse électronique est marcel.dupuis@orange.fr, cordialement", "marcel.dupuis@orange.fr"),
    ("email:lea@free.fr", "lea@free.fr"),
    ("julie@gmail", None),
    ("julie @ gmail.com", None),
    ("julie@@gmail.com", None),
    ("julie@gmail.c", None),
    ("julie..martin@gmail.com", None),
    (".julie@gmail.com", None),
    ("julie arobase gmail point com", None),
    ("je n'ai pas d'email", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), EMAILS)
def test_find_email(text: str, expected: str | None) -> None:
    assert find_email(text) == expected


ATTEMPTS = [
    ("julie@gmail", True),
    ("julie @ gmail.com", True),
    ("julie arobase gmail point com", True),
    ("julie.gmail.com", True),
    ("c'est sur hotmail", True),
    ("julie.martin@gmail.com", False),
    ("je préfère le téléphone", False),
    ("06 12 34 56 78", False),
    ("non merci", False),
]


@pytest.mark.parametrize(("text", "expected"), ATTEMPTS)
def test_looks_like_email_attempt(text: str, expected: bool) -> None:
    assert looks_like_email_attempt(text) == expected


PHONES = [
    ("06 12 34 56 78", "+33612345678"),
    ("06.12.34.56.78", "+33612345678"),
    ("0612345678", "+33612345678"),
    ("06-12-34-56-78", "+33612345678"),
    ("06/12/34/56/78", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"),
    ("+33612345678", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("+33 06 12 34 56 78", "+33612345678"),
    ("mon numéro c'est le 07 81 22 33 44 merci", "+33781223344"),
    ("fixe : 04 78 12 34 56", "+33478123456"),
    ("01 23 45 67 89", "+33123456789"),
    ("09 70 12 34 56", "+33970123456"),
    ("tel 06 12 34 56 7", None),
    ("06 12 34 56 789", None),
    ("08 00 12 34 56", None),
    ("6 12 34 56 78", None),
    ("j'ai 17 ans et j'habite au 69100", None),
    ("né en 2008", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), PHONES)
def test_find_phone(text: str, expected: str | None) -> None:
    assert find_phone(text) == expected


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+33612345678", "06 12 34 56 78"),
        ("+33478123456", "04 78 12 34 56"),
        ("+442071234567", "+442071234567"),
        ("not a number", "not a number"),
    ],
)
def test_format_phone(e164: str, expected: str) -> None:
    assert format_phone(e164) == expected
