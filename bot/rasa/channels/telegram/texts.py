"""What the Telegram channel says by itself, read from ``data/association/telegram.yml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.config import get_settings
from bot.errors import InvalidDataError

FILE_NAME = "telegram.yml"
REQUIRED = (
    "commands", "help", "help_buttons", "unknown_command", "not_text", "edited", "location_not_found",
    "private_only", "expired_button", "unavailable", "too_long",
)  # fmt: skip


@dataclass(frozen=True)
class TelegramTexts:
    """The channel's own messages (everything else comes from domain.yml)."""

    commands: dict[str, str]
    help: str
    help_buttons: tuple[dict[str, str], ...]
    unknown_command: str
    not_text: dict[str, str]
    edited: str
    location_not_found: str
    private_only: str
    expired_button: str
    unavailable: str
    too_long: str

    def for_kind(self, kind: str) -> str:
        """The answer to a message that is not text (a photo, a voice note...)."""
        return self.not_text.get(kind) or self.not_text["default"]


@cache
def load_texts(folder: str | None = None) -> TelegramTexts:
    """Read and check telegram.yml from the association folder."""
    path = Path(folder or get_settings().association_dir) / FILE_NAME
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidDataError(f"impossible de lire {path} : {error}") from error
    if not isinstance(data, dict):
        raise InvalidDataError(f"{path} doit contenir un dictionnaire YAML")
    missing = [key for key in REQUIRED if not data.get(key)]
    if missing:
        raise InvalidDataError(f"{FILE_NAME} : il manque {', '.join(missing)}")
    if not isinstance(data["not_text"], dict) or not data["not_text"].get("default"):
        raise InvalidDataError(f"{FILE_NAME} : not_text doit avoir une réponse « default »")
    buttons = data["help_buttons"]
    if not isinstance(buttons, list) or not all(
        isinstance(b, dict) and b.get("title") and b.get("payload") for b in buttons
    ):
        raise InvalidDataError(f"{FILE_NAME} : chaque bouton de help_buttons a un titre (title) et un payload")
    return TelegramTexts(
        commands={str(k): str(v) for k, v in data["commands"].items()},
        help=str(data["help"]).strip(),
        help_buttons=tuple({"title": str(b["title"]), "payload": str(b["payload"])} for b in buttons),
        unknown_command=str(data["unknown_command"]).strip(),
        not_text={str(k): str(v).strip() for k, v in data["not_text"].items()},
        edited=str(data["edited"]).strip(),
        location_not_found=str(data["location_not_found"]).strip(),
        private_only=str(data["private_only"]).strip(),
        expired_button=str(data["expired_button"]).strip(),
        unavailable=str(data["unavailable"]).strip(),
        too_long=str(data["too_long"]).strip(),
    )
