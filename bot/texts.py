"""The association's editable texts: consent, FAQ answers and display labels (data/association)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.config import get_settings
from bot.errors import InvalidDataError


def load_yaml(name: str, folder: str | None = None) -> dict[str, Any]:
    """One of the association's data files, a YAML dictionary; InvalidDataError (in French) otherwise."""
    path = Path(folder or get_settings().association_dir) / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidDataError(f"impossible de lire {path} : {error}") from error
    if not isinstance(data, dict):
        raise InvalidDataError(f"{path} doit contenir un dictionnaire YAML")
    return data


@dataclass(frozen=True)
class ConsentText:
    """The consent text shown before anything personal is stored, and its version."""

    version: str
    text: str
    accept: str
    decline: str


@cache
def consent_text(folder: str | None = None) -> ConsentText:
    """The current consent text (data/association/consent.yml)."""
    data = load_yaml("consent.yml", folder)
    try:
        return ConsentText(str(data["version"]), data["text"], data["accept"], data["decline"])
    except KeyError as missing:
        raise InvalidDataError(f"consent.yml : il manque {missing}") from None


@cache
def faq_answers(folder: str | None = None) -> dict[str, str]:
    """FAQ answer per intent name (data/association/faq.yml)."""
    data = load_yaml("faq.yml", folder)
    answers = {}
    for topic, entry in (data.get("topics") or {}).items():
        if not isinstance(entry, dict) or "intent" not in entry or "answer" not in entry:
            raise InvalidDataError(
                f"faq.yml : le thème {topic!r} doit avoir une intention (intent) et une réponse (answer)"
            )
        answers[str(entry["intent"])] = str(entry["answer"]).strip()
    return answers


@cache
def labels(folder: str | None = None) -> dict[str, Any]:
    """Display labels (data/association/labels.yml)."""
    return load_yaml("labels.yml", folder)


@cache
def widget_texts(folder: str | None = None) -> dict[str, dict[str, str]]:
    """What the chat bubble shows around the conversation, and its error messages (widget.yml)."""
    data = load_yaml("widget.yml", folder)
    texts = {}
    for part in ("interface", "errors"):
        if not isinstance(data.get(part), dict):
            raise InvalidDataError(f"widget.yml : il manque la partie {part!r}")
        texts[part] = {str(key): str(value) for key, value in data[part].items()}
    return texts
