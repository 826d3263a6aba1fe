"""The tracker store keeps no personal data without consent, honours erasure and records activity.

Real Rasa trackers and the real SQL tracker store on SQLite and PostgreSQL; the database
rows are read back with plain SQL, as somebody inspecting the database would.
"""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from bot.config import ROOT, get_settings
from bot.profile import ConsentRecord, ProfileSubmission
from bot.rasa.tracker_store import PrivacyTrackerStore
from bot.store import volunteers
from bot.store.session import get_engine, session_scope

SENDER = "conv-julie"
NAME, EMAIL, TOWN = "Julie", "julie.martin@exemple.fr", "Villeurbanne|69100|45.76601|4.8795"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture()
def store(database_url: str, domain: Domain, monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivacyTrackerStore]:
    """The tracker store on its own database (which is also the application database here)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    dialect = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    tracker_store = PrivacyTrackerStore(domain=domain, host=database_url, dialect=dialect)
    yield tracker_store
    tracker_store.engine.dispose()
    get_settings.cache_clear()


def rows(store: PrivacyTrackerStore, sender: str = SENDER) -> str:
    """Every stored event of a conversation, as the raw text in the database."""
    with store.engine.connect() as connection:
        data = connection.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
        return "\n".join(row.data for row in data)


def turn(store: PrivacyTrackerStore, domain: Domain, *events: object, sender: str = SENDER) -> DialogueStateTracker:
    """One turn: retrieve the conversation (or start it), add the turn's events, save."""
    tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker(sender, domain.slots)
    for event in events:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    return tracker


def first_message(store: PrivacyTrackerStore, domain: Domain) -> None:
    """A person says everything at once before being asked for consent."""
    message = f"Je m'appelle {NAME}, j'habite à Villeurbanne, mon mail {EMAIL}, je voudrais devenir bénévole"
    entities = [{"entity": "first_name", "value": NAME, "start": 14, "end": 19}, {"entity": "email", "value": EMAIL}]
    turn(
        store, domain,
        ActionExecuted("action_listen"),
        UserUttered(message, {"name": "want_to_volunteer", "confidence": 0.9}, entities, input_channel="rest"),
        SlotSet("first_name", NAME), SlotSet("email", EMAIL), SlotSet("place", TOWN),
        ActionExecuted("action_ask_consent"),
        BotUttered("Pour vous proposer des missions… Êtes-vous d'accord ?", metadata={"utter_action": None}),
        SlotSet("awaiting", "consent"),
        ActionExecuted("action_listen"),
    )  # fmt: skip


def test_before_consent_nothing_personal_is_written_but_the_conversation_remembers(
    store: PrivacyTrackerStore, domain: Domain
) -> None:
    first_message(store, domain)
    stored = rows(store)
    assert "want_to_volunteer" in stored and "action_ask_consent" in stored  # the dialogue's shape stays
    for personal in (NAME, EMAIL, "Villeurbanne", "bénévole", "Êtes-vous"):
        assert personal not in stored
    # the running server still knows what was said, until the consent answer
    tracker = asyncio.run(store.retrieve(SENDER))
    assert (tracker.get_slot("first_name"), tracker.get_slot("email")) == (NAME, EMAIL)
    assert tracker.latest_message.text.startswith("Je m'appelle Julie")
    # a restarted server (a new store, same database) has no trace of it
    restarted = PrivacyTrackerStore(domain=domain, host=str(store.engine.url.render_as_string(hide_password=False)))
    assert asyncio.run(restarted.retrieve(SENDER)).get_slot("first_name") is None
    restarted.engine.dispose()


def test_without_consent_what_is_said_while_staff_hold_the_conversation_is_kept(
    store: PrivacyTrackerStore, domain: Domain
) -> None:
    first_message(store, domain)
    turn(
        store, domain,
        ConversationPaused(),
        BotUttered("Claire, de l'équipe, a rejoint la conversation", metadata={"staff": "claire@entraide.test"}),
        UserUttered("Je suis au 12 rue des Lilas", {"name": "inform", "confidence": 0.5}, input_channel="web"),
        SlotSet("place", TOWN),
        BotUttered("Claire (équipe) : merci, je note"),
        BotUttered("Claire a rendu la main à l'assistant"),
        ConversationResumed(),
        ActionExecuted("action_listen"),
        UserUttered("et après ?", {"name": "out_of_scope", "confidence": 0.5}, input_channel="web"),
    )  # fmt: skip
    stored = rows(store)
    for kept in ("a rejoint la conversation", "12 rue des Lilas", "merci, je note", "claire@entraide.test", "rendu la"):
        assert kept in stored  # the person asked for someone and was told their words are kept
    for redacted in (NAME, EMAIL, "Villeurbanne", "et après"):
        assert redacted not in stored  # before, after, and the slots meanwhile: as without consent


def test_consent_given_keeps_the_facts_said_before_it_but_not_the_texts(
    store: PrivacyTrackerStore, domain: Domain
) -> None:
    first_message(store, domain)
    turn(
        store, domain,
        UserUttered("oui j'accepte", {"name": "affirm", "confidence": 0.99}, input_channel="rest"),
        ActionExecuted("action_record_consent"), SlotSet("consent", "given"), SlotSet("awaiting", None),
        ActionExecuted("action_listen"),
    )  # fmt: skip
    stored = rows(store)
    assert f'"value": "{NAME}"' in stored and EMAIL in stored  # profile slots restored in the database
    assert "Je m'appelle" not in stored  # the first message's text stays redacted
    assert "oui j'accepte" in stored  # after consent, the conversation is kept as it is
    assert store.pending.get(SENDER) == {}


def test_consent_refused_drops_what_was_said(store: PrivacyTrackerStore, domain: Domain) -> None:
    first_message(store, domain)
    turn(
        store, domain,
        UserUttered("non merci", {"name": "deny", "confidence": 0.99}, input_channel="rest"),
        ActionExecuted("action_decline_consent"), SlotSet("consent", "refused"), SlotSet("first_name", None),
        SlotSet("email", None), SlotSet("place", None), ActionExecuted("action_listen"),
    )  # fmt: skip
    assert store.pending.get(SENDER) == {}
    stored = rows(store)
    assert NAME not in stored and EMAIL not in stored and "non merci" not in stored
    assert asyncio.run(store.retrieve(SENDER)).get_slot("first_name") is None


def test_an_erasure_turn_deletes_the_conversation_and_writes_nothing(
    store: PrivacyTrackerStore, domain: Domain
) -> None:
    first_message(store, domain)
    turn(store, domain, ActionExecuted("action_listen"), UserUttered("bonjour", {"name": "greet"}), sender="other")
    turn(
        store, domain,
        UserUttered("supprimez mes données", {"name": "delete_my_data", "confidence": 0.99}),
        ActionExecuted("action_ask_erasure"), SlotSet("awaiting", "erasure"), ActionExecuted("action_listen"),
    )  # fmt: skip
    turn(
        store, domain,
        UserUttered("oui", {"name": "affirm", "confidence": 0.99}),
        ActionExecuted("action_forget_me"), BotUttered("C'est fait"), AllSlotsReset(), ActionExecuted("action_listen"),
    )  # fmt: skip
    assert rows(store) == ""
    assert asyncio.run(store.retrieve(SENDER)) is None
    assert "bonjour" not in rows(store, "other") and "greet" in rows(store, "other")  # others untouched


def test_a_message_the_person_writes_is_activity_one_the_assistant_sends_is_not(
    store: PrivacyTrackerStore, domain: Domain, database_url: str
) -> None:
    long_ago = datetime(2024, 1, 1, tzinfo=timezone.utc)
    with session_scope(database_url) as session:
        volunteer = volunteers.save_profile(
            session, channel="rest", sender_id=SENDER,
            profile=ProfileSubmission(NAME, "adult", None, (), (), (), email=EMAIL),
            consent=ConsentRecord("2026-11-v2", long_ago, "rest"),
        )  # fmt: skip
        volunteer.last_seen_at = long_ago
    consented = (SlotSet("consent", "given"), SlotSet("profile_status", "saved"))

    turn(store, domain, *consented, UserUttered.create_external("retention_notice", input_channel="rest"))
    with get_engine(database_url).connect() as connection:
        seen = connection.execute(text("SELECT last_seen_at FROM volunteers")).scalar_one()
    assert str(seen).startswith("2024-01-01")

    turn(store, domain, UserUttered("je suis toujours là !", {"name": "affirm"}, input_channel="rest"))
    with get_engine(database_url).connect() as connection:
        seen = connection.execute(text("SELECT last_seen_at FROM volunteers")).scalar_one()
    assert not str(seen).startswith("2024")


def test_a_conversation_is_read_back_as_rasa_reads_it_across_sessions(
    store: PrivacyTrackerStore, domain: Domain
) -> None:
    """The store's compiled queries return the rows, and the count, of Rasa's own event query."""
    from rasa.shared.core.events import SessionStarted

    def hello(at: float) -> list[object]:
        return [
            ActionExecuted("action_listen", timestamp=at),
            UserUttered("bonjour", {"name": "greet", "confidence": 1.0}, timestamp=at + 1),
            ActionExecuted("utter_greet", timestamp=at + 2),
        ]

    turn(store, domain, *hello(1_000.0))  # no session start at all: everything is the latest session
    other = "conv-other"
    turn(store, domain, ActionExecuted("action_session_start", timestamp=500.0), SessionStarted(timestamp=500.5),
         *hello(600.0), sender=other)  # fmt: skip
    turn(store, domain, ActionExecuted("action_session_start", timestamp=2_000.0), SessionStarted(timestamp=2_000.5),
         *hello(2_100.0), sender=other)  # fmt: skip

    for sender in (SENDER, other):
        with store.session_scope() as session:
            for all_sessions in (False, True):
                expected = [(row.id, row.data) for row in store._event_query(session, sender, all_sessions).all()]
                statement = store._statements["all" if all_sessions else "session"]
                assert [tuple(row) for row in session.execute(statement, {"sender_id": sender})] == expected
            expected_count = store._event_query(session, sender, fetch_events_from_all_sessions=False).count()
            assert session.execute(store._statements["count"], {"sender_id": sender}).scalar_one() == expected_count
    assert asyncio.run(store.retrieve(other)).events[0] == SessionStarted(timestamp=2_000.5)
    assert len(asyncio.run(store.retrieve_full_tracker(other)).events) == 10


def test_each_event_is_stored_once_when_a_tracker_is_saved_again_in_the_same_turn(
    store: PrivacyTrackerStore, domain: Domain
) -> None:
    """The first save counts the rows the tracker was read from; a later one asks the database."""
    turn(store, domain, ActionExecuted("action_listen"), UserUttered("bonjour", {"name": "greet", "confidence": 1.0}))
    tracker = asyncio.run(store.retrieve(SENDER))
    assert tracker is not None
    tracker.update(ActionExecuted("utter_greet"))
    asyncio.run(store.save(tracker))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # nothing new
    stored = asyncio.run(store.retrieve_full_tracker(SENDER))
    assert stored is not None and list(stored.events) == list(tracker.events)
    assert [e.action_name for e in stored.events if isinstance(e, ActionExecuted)] == [
        "action_listen", "utter_greet", "action_listen",
    ]  # fmt: skip


def test_with_consent_the_rows_are_those_rasa_writes(
    store: PrivacyTrackerStore, domain: Domain, tmp_path: pathlib.Path
) -> None:
    """Every column of every row, as Rasa's own SQLTrackerStore writes the same conversation."""
    from rasa.core.tracker_store import SQLTrackerStore

    rasa_store = SQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'rasa.db'}", dialect="sqlite")
    consent = (
        UserUttered("oui", {"name": "affirm", "confidence": 0.97}, input_channel="rest"),
        SlotSet("consent", "given"), ActionExecuted("action_ask_first_name"), ActionExecuted("action_listen"),
    )  # fmt: skip
    facts = (
        UserUttered(f"moi c'est {NAME}", {"name": "inform"}, [{"entity": "first_name", "value": NAME}]),
        SlotSet("first_name", NAME), ActionExecuted("action_listen"),
    )  # fmt: skip
    first_message(store, domain)
    turn(store, domain, *consent)
    turn(store, domain, *facts)
    tracker = asyncio.run(store.retrieve(SENDER))
    asyncio.run(rasa_store.save(tracker))

    def columns(engine: object) -> list[tuple[object, ...]]:
        query = "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        with engine.connect() as connection:  # type: ignore[attr-defined]
            return [tuple(row) for row in connection.execute(text(query))]

    ours, rasas = columns(store.engine), columns(rasa_store.engine)
    assert len(ours) == len(rasas) == len(tracker.events)
    # the texts said before consent stay masked; every row written since is Rasa's, column by column
    assert any('"text": null' in str(row[5]) for row in ours[:-7]) and ours[-7:] == rasas[-7:]
    assert [row[:5] for row in ours] == [row[:5] for row in rasas]
    rasa_store.engine.dispose()


def test_the_applications_view_of_the_events_table_is_rasas_own() -> None:
    """bot.store.conversations.events (the console, erasure, retention) describes Rasa's SQLEvent, column by column."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.store.conversations import events

    rasas = SQLTrackerStore.SQLEvent.__table__
    assert events.name == rasas.name
    ours = {column.name: (type(column.type), column.primary_key) for column in events.columns}
    assert ours == {column.name: (type(column.type), column.primary_key) for column in rasas.columns}
