"""Calendar files (RFC 5545) for a shift someone signed up for, written by hand.

One VCALENDAR with one VEVENT: the mission's title, where (address and town), when (UTC), whom to
ask on the day (the mission's contact). Nothing about the person: the file is what anyone holding
its link gets. Lines end with CRLF and are folded at 75 octets (never inside a UTF-8 character);
text values escape backslashes, commas, semicolons and newlines (RFC 5545, 3.3.11); other control
characters, which TEXT may not hold, and the line breaks of Unicode (U+0085, U+2028, U+2029: some
readers split lines on them) become spaces, so a mission's field cannot start a property of its own.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

PRODUCT = "-//Entraide//Assistant benevolat//FR"
MAX_OCTETS = 75
NOT_TEXT = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped, other line breaks and controls as spaces."""
    value = NOT_TEXT.sub(" ", value)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded into chunks of at most 75 octets, continued with CRLF and one space."""
    chunks: list[str] = []
    current, size, limit = "", 0, MAX_OCTETS
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            chunks.append(current)
            current, size, limit = "", 0, MAX_OCTETS - 1  # continuation lines start with a space
        current += character
        size += width
    chunks.append(current)
    return "\r\n ".join(chunks)


def utc_stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC form: 20261214T080000Z (naive values are taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def calendar_file(
    *,
    uid: str,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    location: str = "",
    description: str = "",
    stamp: datetime,
) -> str:
    """The whole calendar file (PUBLISH, one event), as text with CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(starts_at)}",
        f"DTEND:{utc_stamp(ends_at)}",
        f"SUMMARY:{escape_text(summary)}",
    ]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
