"""Domain errors: actions turn them into polite messages, the CLI into clean exits."""


class BotError(Exception):
    """Base class of every error the application raises on purpose."""


class NotFoundError(BotError):
    """A volunteer, mission or record that was asked for does not exist."""


class InvalidDataError(BotError):
    """Input data (a file, a field, a message) cannot be used as given."""


class ConsentRequiredError(BotError):
    """Personal data would be stored without the person's consent."""


class AssistantUnavailableError(BotError):
    """The Rasa server could not be reached or refused a request."""


class ConversationRefusedError(AssistantUnavailableError):
    """The assistant answers, but refused the request for this one conversation (the others may go on)."""


class TrainingFailedError(BotError):
    """``rasa train`` failed or left no model."""


class ChildFailedError(BotError):
    """A process that ``bot serve`` runs did not start, or kept exiting."""


class DatabaseUnavailableError(BotError):
    """The database could not be read or written just now; nothing of the unit of work was written.

    ``kind`` says why, in words fit for a log line: "locked", "full", "unreachable" or "failing"
    (``bot.store.session.database_failure``). The message carries no statement and no value.
    """

    def __init__(self, kind: str) -> None:
        super().__init__(f"the database is {kind}")
        self.kind = kind


class AlreadyRunningError(BotError):
    """Work that must run once at a time (the retention purge) is running in another process."""
