"""The one settings object: every knob of the service, read from the environment.

Nothing else in the project reads ``os.environ``. Each setting carries its help text;
``tests/bot/test_config.py`` checks that every one is documented in ``.env.example``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSOCIATION_DIR = ROOT / "data" / "association"
# The service's own files (SQLite databases, generated secret): readable by its user only.
DATA_DIR = ROOT / "var"


@dataclass(frozen=True)
class Settings:
    """Runtime settings; environment variable names are the upper-cased field names."""

    database_url: str = field(
        default=f"sqlite:///{DATA_DIR / 'benevoles.db'}",
        metadata={
            "help": "SQLAlchemy URL of the application database (SQLite file by default, "
            "postgresql+psycopg2://... in production)."
        },
    )
    min_age: int = field(
        default=16,
        metadata={
            "help": "Minimum age to sign up as a volunteer; 16 and 17 year olds are told about parental authorisation."
        },
    )
    adult_age: int = field(default=18, metadata={"help": "Age from which no parental authorisation is needed."})
    proposals_per_turn: int = field(default=3, metadata={"help": "How many missions are proposed at once."})
    association_dir: str = field(
        default=str(ASSOCIATION_DIR),
        metadata={
            "help": "Folder holding the association's editable data (taxonomy, missions, FAQ, consent text, messages)."
        },
    )
    rasa_port: int = field(
        default=5005, metadata={"help": "Port of the Rasa server (REST channel at /webhooks/rest/webhook)."}
    )
    rasa_host: str = field(default="0.0.0.0", metadata={"help": "Interface the Rasa server listens on."})
    rasa_api_token: str = field(
        default="",
        metadata={
            "help": "Token of Rasa's HTTP API (the console delivers invitations through it); "
            "empty: derived from the signing secret."
        },
    )
    rest_token: str = field(
        default="",
        metadata={
            "help": "Token the REST channel requires (Authorization: Bearer ...); empty: only requests "
            "from this machine that no proxy forwarded are served (development)."
        },
    )
    action_token: str = field(
        default="",
        metadata={
            "help": "Secret the Rasa server sends to the action server with each call (X-Action-Token); "
            "empty: derived from the signing secret."
        },
    )
    action_port: int = field(default=5055, metadata={"help": "Port of the action server, bound to 127.0.0.1 only."})
    proxy_tls_cert: str = field(
        default="",
        metadata={
            "help": "With bot serve --replicas N: a PEM file (certificate chain, then key) with which HAProxy "
            "serves RASA_PORT and WEB_PORT over TLS only (docs/deploy.md); empty: plain HTTP."
        },
    )
    proxy_turns_per_replica: int = field(
        default=4,
        metadata={
            "help": "With bot serve --replicas N: turns (REST and Telegram requests) HAProxy lets each Rasa "
            "process work on at once, the others wait in line at the proxy (docs/deploy.md); 0: no limit."
        },
    )
    proxy_connections_per_address: int = field(
        default=60,
        metadata={
            "help": "With bot serve --replicas N: connections one address may hold at once on RASA_PORT and on "
            "WEB_PORT, the chat bubble's WebSockets included; the next ones are closed (docs/deploy.md). Above "
            "Telegram's 40 webhook connections; 0: no limit (behind another load balancer, limit there)."
        },
    )
    action_workers: int = field(
        default=1,
        metadata={
            "help": "Processes of the action server, sharing its port (Sanic's workers); raise it with "
            "several Rasa processes (bot serve --replicas N, docs/deploy.md)."
        },
    )
    action_endpoint: str = field(
        default="http://127.0.0.1:5055/webhook",
        metadata={"help": "URL the Rasa server calls to run custom actions (unset: follows ACTION_PORT)."},
    )
    action_timeout: int = field(
        default=8,
        metadata={
            "help": "Seconds the Rasa server waits for a custom action; past that, or when the action server "
            "fails, the volunteer is told politely and the conversation is kept (0: Rasa's own 300 s, silence)."
        },
    )
    quick_model_load: int = field(
        default=1,
        metadata={
            "help": "1: DIET and TED load their model by predicting once rather than by one step of training, "
            "about 12 s less at the Rasa server's start, same predictions (bot/rasa/quick_load.py); 0: Rasa's own load."
        },
    )
    rasa_speedups: str = field(
        default="1",
        metadata={
            "help": "Speed patches of the Rasa server (bot/rasa/speedups): 1 on, 0 off (Rasa as shipped), or "
            "groups separated by commas (today only actions); they install only on the Rasa, rasa-sdk and "
            "TensorFlow versions they were checked against."
        },
    )
    tracker_store_url: str = field(
        default=f"sqlite:///{DATA_DIR / 'tracker.db'}",
        metadata={
            "help": "SQLAlchemy URL of Rasa's tracker store (conversation events); "
            "may be the same PostgreSQL server as DATABASE_URL."
        },
    )
    tracker_dialect: str = field(
        default="sqlite", metadata={"help": "SQL dialect of the tracker store URL (sqlite or postgresql)."}
    )
    redis_url: str = field(
        default="",
        metadata={
            "help": "Redis shared by several Rasa processes (redis://host:6379/1): the conversations' locks "
            "(bot/rasa/lock_store.py) and what people said before consenting (bot/rasa/pending.py); "
            "empty: one Rasa process, both kept in its memory. Run that Redis without persistence "
            '(docs/architecture.md, "Several Rasa processes").'
        },
    )
    models_dir: str = field(
        default=str(ROOT / "models"), metadata={"help": "Folder of trained Rasa models (the newest is served)."}
    )
    telegram_token: str = field(
        default="", metadata={"help": "Token of the Telegram bot (from @BotFather); empty: Telegram is off."}
    )
    telegram_webhook_secret: str = field(
        default="",
        metadata={
            "help": "Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token with each webhook call; "
            "empty: derived from the signing secret."
        },
    )
    telegram_api_url: str = field(
        default="https://api.telegram.org/bot",
        metadata={"help": "Base URL of the Telegram Bot API (a local stand-in in tests)."},
    )
    log_level: str = field(default="INFO", metadata={"help": "Log level of the entry points (DEBUG, INFO, WARNING)."})
    web_port: int = field(
        default=8000,
        metadata={"help": "Port of the web app: staff console (/console/), chat bubble script, demo page."},
    )
    web_host: str = field(
        default="127.0.0.1",
        metadata={"help": "Interface the web app listens on (0.0.0.0 to reach it from other machines)."},
    )
    secret_key: str = field(
        default="",
        metadata={
            "help": "Secret that signs console sessions and the chat bubble's conversation ids; "
            "empty: a random key is created once in var/secret_key."
        },
    )
    widget_allowed_origins: str = field(
        default="",
        metadata={
            "help": "Web page origins allowed to open the chat bubble's connection, comma-separated "
            "(https://www.example.org); empty: the demo page's (http://localhost:WEB_PORT, http://127.0.0.1:WEB_PORT)."
        },
    )

    retention_months: int = field(
        default=24,
        metadata={"help": "Months without activity after which `bot privacy purge` erases a volunteer."},
    )
    retention_notice_days: int = field(
        default=30,
        metadata={"help": "Days before that erasure when a notice goes to the volunteer, where the channel allows."},
    )
    public_url: str = field(
        default="http://localhost:8000",
        metadata={
            "help": "Public address of the web app, used in links the assistant sends (privacy notice); "
            "unset: http://localhost:WEB_PORT."
        },
    )

    handback_minutes: int = field(
        default=30,
        metadata={
            "help": "Minutes of silence after which a conversation a staff member took over goes back to the "
            "assistant by itself."
        },
    )
    opening_hours: str = field(
        default="lun-ven 9:00-18:00",
        metadata={
            "help": "When the team answers in person, e.g. 'lun-ven 9:00-18:00; sam 10:00-12:00'; a request to "
            "talk to someone outside these hours is told when the team will answer."
        },
    )
    timezone: str = field(
        default="Europe/Paris", metadata={"help": "Time zone of the opening hours and of the daily digest."}
    )
    smtp_host: str = field(
        default="",
        metadata={"help": "SMTP server that sends staff notifications; empty: e-mails wait in the outbox, unsent."},
    )
    smtp_port: int = field(default=587, metadata={"help": "Port of the SMTP server."})
    smtp_username: str = field(default="", metadata={"help": "SMTP login; empty: no authentication."})
    smtp_password: str = field(default="", metadata={"help": "SMTP password."})
    smtp_tls: str = field(
        default="starttls",
        metadata={"help": "Encryption to the SMTP server: starttls, tls (implicit, port 465) or none (loopback only)."},
    )
    smtp_from: str = field(
        default="Entraide <ne-pas-repondre@localhost>",
        metadata={"help": "Sender address of the notifications."},
    )
    digest_hour: int = field(
        default=8, metadata={"help": "Hour of the day (TIMEZONE) when the daily digest of new leads goes out."}
    )
    urgent_call_size: int = field(
        default=5,
        metadata={"help": "How many volunteers an urgent mission below target invites per day, at most."},
    )
    background_seconds: int = field(
        default=5,
        metadata={
            "help": "How often the web app looks for work to do (e-mails to send, silent takeovers, urgent "
            "calls); 0: never (tests)."
        },
    )

    association_name: str = field(
        default="Entraide Rhône",
        metadata={"help": "The association's name, on attestations and in e-mails to volunteers."},
    )
    association_address: str = field(
        default="1 place de la Mairie, 69001 Lyon",
        metadata={"help": "The association's postal address, on attestations."},
    )
    association_signatory: str = field(
        default="La présidente",
        metadata={"help": "Who signs the attestations: name and role, e.g. 'Claire Martin, présidente'."},
    )
    shift_horizon_weeks: int = field(
        default=4,
        metadata={"help": "How many weeks ahead dated shifts are proposed, offered and unfolded from recurring ones."},
    )
    reminder_hour: int = field(
        default=18,
        metadata={"help": "Hour of the day (TIMEZONE) when the reminder goes out, the day before a shift."},
    )
    reminder_followup_hours: int = field(
        default=3,
        metadata={"help": "Hours without an answer to a reminder after which it is followed up, once."},
    )
    checkin_delay_minutes: int = field(
        default=60,
        metadata={"help": "Minutes after a shift ends when the volunteer is asked how it went."},
    )
    attestation_link_hours: int = field(
        default=72,
        metadata={"help": "Hours an attestation link works; after that a new one must be asked for."},
    )
    cec_hours_total: int = field(
        default=200,
        metadata={
            "help": "Compte d'engagement citoyen: hours of associative volunteering a year (code du travail, "
            "art. D5151-14) that open rights."
        },
    )
    cec_hours_one_association: int = field(
        default=100,
        metadata={"help": "Compte d'engagement citoyen: of those hours, how many within one association."},
    )
    unfinished_profile_hours: int = field(
        default=24,
        metadata={"help": "Hours after consent when an unfinished profile gets its one reminder."},
    )
    inactive_months: int = field(
        default=3,
        metadata={"help": "Months without anything after which a volunteer gets one personalised suggestion."},
    )
    nudges_per_run: int = field(
        default=20,
        metadata={"help": "Re-engagement messages sent at most per run of each job (every 5 minutes)."},
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables, falling back to the defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for item in fields(cls):
            raw = env.get(item.name.upper())
            if raw is None or raw == "":
                continue
            values[item.name] = int(raw) if isinstance(item.default, int) else raw
        # Addresses that follow a port unless set themselves: ACTION_PORT=5155 alone must not leave
        # Rasa calling 5055, where any local program could listen and receive every conversation.
        if "action_endpoint" not in values and "action_port" in values:
            values["action_endpoint"] = f"http://127.0.0.1:{values['action_port']}/webhook"
        if "public_url" not in values and "web_port" in values:
            values["public_url"] = f"http://localhost:{values['web_port']}"
        return cls(**values)  # type: ignore[arg-type]

    def as_env(self) -> dict[str, str]:
        """Every setting as an environment variable, for the processes `bot serve` starts."""
        return {item.name.upper(): str(getattr(self, item.name)) for item in fields(self)}

    @property
    def association_path(self) -> Path:
        """The association data folder as a path."""
        return Path(self.association_dir)


def secret_key(settings: Settings) -> bytes:
    """The signing secret: the SECRET_KEY setting, or a random key kept in var/secret_key."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
                handle.write(secrets.token_hex(32))
        except FileExistsError:
            pass  # another process created it first: use theirs
    return path.read_text().strip().encode()


def derived_secret(settings: Settings, purpose: str) -> str:
    """A secret for one purpose, derived from the signing secret (stable across restarts)."""
    return hmac.new(secret_key(settings), purpose.encode(), hashlib.sha256).hexdigest()


def rasa_api_token(settings: Settings) -> str:
    """The token of Rasa's HTTP API: the setting, or one derived from the signing secret."""
    return settings.rasa_api_token or derived_secret(settings, "rasa-api")


def action_token(settings: Settings) -> str:
    """The secret that lets only the Rasa server call the action server."""
    return settings.action_token or derived_secret(settings, "action-server")


def widget_allowed_origins(settings: Settings) -> list[str]:
    """Origins of the pages allowed to talk to the assistant through the chat bubble."""
    if settings.widget_allowed_origins.strip():
        return [origin.strip().rstrip("/") for origin in settings.widget_allowed_origins.split(",") if origin.strip()]
    return [f"http://localhost:{settings.web_port}", f"http://127.0.0.1:{settings.web_port}"]


def documented_settings() -> dict[str, str]:
    """Environment variable name → help text, for docs and the documentation test."""
    return {item.name.upper(): item.metadata["help"] for item in fields(Settings)}


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings.from_env()
