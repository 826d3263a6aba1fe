"""Calendar files written by hand (bot.ics): RFC 5545 lines, escaping, folding at 75 octets, UTC times."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot import ics

STAMP = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


def unfold(text: str) -> list[str]:
    """The content lines of a calendar file (RFC 5545, 3.1): CRLF only, continuation lines joined."""
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    raw = text[:-2].split("\r\n")
    for line in raw:
        assert len(line.encode("utf-8")) <= 75, line
        line.encode("utf-8").decode("utf-8")  # each physical line is valid UTF-8 on its own
    return text[:-2].replace("\r\n ", "").split("\r\n")


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse(text: str) -> dict[str, str]:
    """One VEVENT inside one VCALENDAR, as {name: unescaped value}; checks the nesting."""
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    start, end = lines.index("BEGIN:VEVENT"), lines.index("END:VEVENT")
    assert start < end
    event: dict[str, str] = {}
    for line in lines[start + 1 : end]:
        name, _, value = line.partition(":")
        assert re.fullmatch(r"[A-Z-]+", name), name
        event[name] = unescape(value)
    return event


def test_an_event_parses_back_with_utc_times_and_every_field() -> None:
    starts = datetime(2026, 12, 12, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    text = ics.calendar_file(
        uid="signup-5@benevoles.example.org", starts_at=starts, ends_at=starts + timedelta(hours=3),
        summary="Préparation des colis", location="12 rue du Port, Villeurbanne",
        description="Contact sur place : Karim, 04 00 00 00 00", stamp=STAMP,
    )  # fmt: skip
    assert "VERSION:2.0\r\n" in text and "PRODID:" in text and "METHOD:PUBLISH\r\n" in text
    event = parse(text)
    assert event == {
        "UID": "signup-5@benevoles.example.org",
        "DTSTAMP": "20261204T120000Z",
        "DTSTART": "20261212T080000Z",
        "DTEND": "20261212T110000Z",
        "SUMMARY": "Préparation des colis",
        "LOCATION": "12 rue du Port, Villeurbanne",
        "DESCRIPTION": "Contact sur place : Karim, 04 00 00 00 00",
    }


def test_commas_semicolons_backslashes_and_newlines_are_escaped() -> None:
    assert ics.escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    text = ics.calendar_file(
        uid="u", starts_at=STAMP, ends_at=STAMP + timedelta(hours=1), summary="Tri; vêtements, jouets",
        location="", description="ligne 1\nligne 2 \\ fin", stamp=STAMP,
    )  # fmt: skip
    assert "SUMMARY:Tri\\; vêtements\\, jouets\r\n" in text
    assert "LOCATION" not in text  # an empty value is left out
    assert parse(text)["DESCRIPTION"] == "ligne 1\nligne 2 \\ fin"


def test_long_lines_are_folded_at_75_octets_never_inside_a_character() -> None:
    long = "Événement très « spécial » à l'épicerie solidaire — " * 4
    folded = ics.fold("DESCRIPTION:" + long)
    physical = folded.split("\r\n")
    assert len(physical) > 2
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    assert all(line.startswith(" ") for line in physical[1:])
    assert folded.replace("\r\n ", "") == "DESCRIPTION:" + long
    text = ics.calendar_file(uid="u", starts_at=STAMP, ends_at=STAMP, summary=long, stamp=STAMP)
    assert parse(text)["SUMMARY"] == long


def test_a_short_line_is_left_alone_and_naive_times_are_utc() -> None:
    assert ics.fold("UID:x") == "UID:x"
    assert ics.fold("X" * 75) == "X" * 75
    assert ics.fold("X" * 76) == "X" * 75 + "\r\n X"
    assert ics.utc_stamp(datetime(2026, 3, 29, 1, 30)) == "20260329T013000Z"
