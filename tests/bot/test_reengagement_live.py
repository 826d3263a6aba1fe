"""Re-engagement end to end: the real Rasa and action servers deliver the reminder and the suggestion
into the conversation, and "stop relances" typed is understood and kept."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import update

from bot.console.transcript import read_transcript
from bot.missions import read_missions
from bot.reengagement import remind_unfinished, suggest_to_inactive
from bot.serve import running_assistant
from bot.store import missions, models
from bot.store.session import session_scope
from tests.bot.console.conftest import add_volunteer, make_settings
from tests.conftest import free_port

# REST cannot be written to first, so the jobs leave it out by default; naming it here lets the test read
# what Rasa puts in the conversation, for Telegram and the bubble alike.
REST = frozenset({"rest"})


def test_the_reminder_and_the_suggestion_reach_the_conversation_and_stop_relances_ends_them(
    trained_model: Path, tmp_path: Path
) -> None:
    action_port = free_port()
    settings = make_settings(
        tmp_path, rasa_host="127.0.0.1", rasa_port=free_port(), action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook",
    )  # fmt: skip
    with session_scope(settings.database_url) as session:
        missions.upsert(session, read_missions(settings.association_path / "missions.yml"))
    lead = add_volunteer(settings.database_url, sender_id="relance-julie", first_name="Julie")

    def say(sender: str, text: str) -> str:
        reply = requests.post(webhook, json={"sender": sender, "message": text}, timeout=60)
        reply.raise_for_status()
        return " ".join(str(m.get("text", "")) for m in reply.json())

    with running_assistant(settings, trained_model, log_dir=tmp_path / "logs") as webhook:
        # Ines consents, starts her profile and leaves; a day later, the one reminder.
        say("relance-ines", "je veux devenir bénévole")
        say("relance-ines", "oui")
        later = datetime.now(timezone.utc) + timedelta(hours=settings.unfinished_profile_hours, minutes=5)
        assert remind_unfinished(settings, now=later, channels=REST) == 1
        assert remind_unfinished(settings, now=later + timedelta(hours=1), channels=REST) == 0
        reminder = read_transcript(settings.tracker_store_url, "relance-ines")[-1]
        assert reminder.text == "Bonjour, votre inscription n'est pas finie : voulez-vous la reprendre ?"
        assert reminder.buttons == ("Reprendre", "Plus tard", "Ne plus me relancer")
        assert "Pas de souci" in say("relance-ines", "/nudge_later")
        assert "prénom" in say("relance-ines", "/want_to_volunteer").lower()  # the form goes on where it was
        assert "je ne vous relancerai plus" in say("relance-ines", "stop relances")

        # Julie has said nothing for months: one suggestion, with its reasons.
        say("relance-julie", "bonjour")
        long_ago = datetime.now(timezone.utc) - timedelta(days=120)
        with session_scope(settings.database_url) as session:
            session.execute(
                update(models.Volunteer)
                .where(models.Volunteer.id == lead)
                .values(last_seen_at=long_ago, created_at=long_ago)
            )
        assert suggest_to_inactive(settings, channels=REST) == 1
        suggestion = read_transcript(settings.tracker_store_url, "relance-julie")[-1]
        assert suggestion.text.startswith("Bonjour Julie, cela fait un moment !")
        assert "Pourquoi vous :" in suggestion.text
        assert suggestion.buttons[-1] == "Ne plus me relancer"
        assert "je ne vous relancerai plus" in say("relance-julie", "arrêtez de me relancer svp")
    with session_scope(settings.database_url) as session:
        julie = session.get(models.Volunteer, lead)
        assert julie is not None and julie.nudges_opt_out_at is not None
        kinds = sorted((n.kind, n.via) for n in session.query(models.Nudge).all())
        emails = session.query(models.OutgoingEmail).filter_by(volunteer_id=lead, kind="nudge").count()
    # Ines said "stop relances" before having a profile: the marker stands for it
    assert kinds == [("inactive", "rest,email"), ("unfinished_profile", "rest"), ("unfinished_profile", "stop")]
    assert emails == 1
