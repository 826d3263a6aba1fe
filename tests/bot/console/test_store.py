"""The console's store functions on SQLite and PostgreSQL: lead filters, follow-up, funnel, erasure cascade."""

from __future__ import annotations

from datetime import date, timedelta

from bot.console.funnel import compute
from bot.profile import TimeSlot
from bot.store import leads, models, staff, staffing, volunteers
from bot.store.session import session_scope
from tests.bot.console.conftest import BRON, GRENOBLE, add_volunteer


def test_lead_filters_and_follow_up(database_url: str) -> None:
    julie = add_volunteer(database_url, sender_id="j", first_name="Julie", email="julie_m@exemple.fr")
    marc = add_volunteer(database_url, sender_id="m", first_name="Marc", place=GRENOBLE, skills=("accounting",),
                         availability=(TimeSlot("monday", "evening"),), channel="telegram")  # fmt: skip
    bron = add_volunteer(database_url, sender_id="b", first_name="Bruno", place=BRON, skills=("driving",))
    with session_scope(database_url) as session:

        def ids(**filters: object) -> list[int]:
            return [v.id for v in leads.search(session, filters=leads.LeadFilter(**filters)).rows]  # type: ignore[arg-type]

        assert ids(sort="name") == [bron, julie, marc]
        assert ids(skill="driving") == [bron]
        assert ids(day="monday", period="evening") == [marc]
        assert ids(channel="telegram") == [marc]
        assert ids(search="JULIE_") == [julie]  # "_" is a character, not a LIKE wildcard
        assert ids(search="%") == []
        assert ids(place=BRON, distance_km=8, sort="distance") == [bron, julie]
        assert ids(created_from=date.today() + timedelta(days=2)) == []
        page = leads.search(session, filters=leads.LeadFilter(per_page=2, page=2, sort="name"))
        assert (page.total, page.pages, [v.id for v in page.rows]) == (3, 2, [marc])
        member = staff.add(session, email="c@entraide.test", role="coordinator", password="0123456789")
        leads.assign(session, volunteer_id=marc, staff_id=member.id)
        assert ids(assigned_staff_id=member.id) == [marc]
        leads.change_status(session, volunteer_id=julie, status="contacté")
        leads.add_note(session, volunteer_id=julie, staff_id=member.id, text="Julie rappelle demain")
    with session_scope(database_url) as session:
        funnel = compute(session, "sqlite://", weeks=2)
        assert (funnel.totals["profile"], funnel.totals["contacted"]) == (3, 1)
        assert funnel.by_channel["profile"] == {"rest": 2, "telegram": 1}
    with session_scope(database_url) as session:
        volunteers.forget(session, sender_id="j", channel="rest", actor=f"staff:{member.id}")
    with session_scope(database_url) as session:
        assert session.query(models.LeadNote).count() == 0
        assert session.query(models.LeadFollowUp).filter_by(volunteer_id=julie).count() == 0
        assert session.query(models.LeadFollowUp).filter_by(volunteer_id=marc).one().assigned_staff_id is not None
        assert staffing.needing_volunteers(session) == []
