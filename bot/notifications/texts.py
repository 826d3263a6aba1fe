"""What the e-mails to staff say, read from ``data/association/notifications.yml``."""

from __future__ import annotations

from functools import cache

from bot.errors import InvalidDataError
from bot.texts import load_yaml

FILE_NAME = "notifications.yml"
KINDS = ("handoff", "digest", "missions", "shift", "shift_signup")


@cache
def templates(folder: str) -> dict[str, dict[str, str]]:
    """Each kind of e-mail's texts (subject, body and the pieces the body is made of)."""
    data = load_yaml(FILE_NAME, folder)
    found = {}
    for kind in KINDS:
        texts = data.get(kind)
        if not isinstance(texts, dict) or "subject" not in texts or "body" not in texts:
            raise InvalidDataError(f"{FILE_NAME} : il manque le sujet (subject) ou le texte (body) de {kind!r}")
        found[kind] = {str(key): str(value) for key, value in texts.items()}
    return found


def one_line(text: str) -> str:
    """A text on one line: no line break can end up in an e-mail's header."""
    return " ".join(text.split())


def compose(folder: str, kind: str, **values: object) -> tuple[str, str]:
    """An e-mail's subject (on one line) and body, with ``values`` filled in."""
    texts = templates(folder)[kind]
    try:
        return one_line(texts["subject"].format(**values)), texts["body"].format(**values).strip() + "\n"
    except (KeyError, IndexError, ValueError) as error:
        raise InvalidDataError(f"{FILE_NAME} : {kind!r} utilise une valeur inconnue ({error})") from None


def piece(folder: str, kind: str, name: str, **values: object) -> str:
    """One of the pieces an e-mail's body is made of (a line of the digest, for example)."""
    try:
        return templates(folder)[kind][name].format(**values)
    except (KeyError, IndexError, ValueError) as error:
        raise InvalidDataError(f"{FILE_NAME} : {kind}.{name} manque ou utilise une valeur inconnue ({error})") from None
