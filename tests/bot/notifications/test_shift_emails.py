"""Staff who chose the missions' alerts get an e-mail when someone signs up to a shift, through the SMTP outbox."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.notifications.sending import send_pending
from bot.signups import book
from bot.store import models
from bot.store.session import session_scope
from tests.bot.console.conftest import add_volunteer
from tests.bot.notifications.conftest import ADMIN, SmtpServer, add_staff, mail_settings, pending


def test_a_sign_up_reaches_the_staff_who_chose_the_missions_alerts_by_e_mail(
    database_url: str, smtp_server: SmtpServer
) -> None:
    settings = mail_settings(database_url, smtp_server.port)
    add_staff(database_url)
    add_staff(database_url, email="sans.alertes@entraide.test", role="coordinator", missions=False)
    add_volunteer(database_url, sender_id="signup-mail", first_name="Julie", email="julie.martin@exemple.fr")
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=5)
    with session_scope(database_url) as session:
        session.add(models.Mission(id="M950", title="Distribution de colis", places_total=4))
        session.flush()
        shift = models.Shift(
            mission_id="M950", starts_at=starts, ends_at=starts + timedelta(hours=3), places=4, taken=0
        )
        session.add(shift)
        session.flush()
        shift_id = int(shift.id)
    booking = book(settings, shift_id=shift_id, channel="rest", sender_id="signup-mail")
    assert booking.status == "ok"
    assert [row.kind for row in pending(database_url) if row.staff_id is not None] == ["shift"]  # one staff member
    send_pending(settings)
    received = smtp_server.wait_for(2)  # the volunteer's confirmation and the staff notice
    to_staff = [message for message in received if message["To"] == ADMIN]
    assert len(to_staff) == 1 and str(to_staff[0]["Subject"]).startswith("Inscription : Distribution de colis")
    body = to_staff[0].get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Julie" in text and "/console/missions/M950" in text
    assert "julie.martin" not in text  # a first name at most, never an address
    assert not any(message["To"] == "sans.alertes@entraide.test" for message in received)
