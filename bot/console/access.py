"""Who sees what of a lead: the one rule the console's pages, its CSV export and the JSON API apply.

Every staff member sees every lead's profile (first name, town, skills, causes, availability,
status, proposals, applications, follow-up): coordinators sort, filter, match and invite on it.
A lead's contact details (e-mail, phone, and the conversation with its id, which usually repeat
them) are for admins, and for the coordinator the lead is assigned to ("Suivi par"). A
coordinator takes an unassigned lead to contact it, one audited action per person; a lead
another coordinator follows is reassigned by an admin. So no filter, export or API call gives
a coordinator the contact details of leads they do not follow.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from sqlalchemy.orm import Session

from bot.store import leads as lead_store
from bot.store import models
from bot.store.leads import LeadFilter


def sees_contact(member: models.StaffMember, *, assigned_staff_id: int | None) -> bool:
    """The rule: admins see every lead's contact details; a coordinator, those of the leads assigned to them."""
    return member.role == "admin" or (assigned_staff_id is not None and assigned_staff_id == member.id)


def search_as(member: models.StaffMember, filters: LeadFilter) -> LeadFilter:
    """``filters`` as ``member`` may run them: a coordinator's search matches only their own leads' e-mails."""
    return replace(filters, email_search_for=None if member.role == "admin" else member.id)


def may_reassign(member: models.StaffMember, *, assigned_staff_id: int | None) -> bool:
    """Admins assign any lead; a coordinator, a lead nobody follows or one they follow themselves."""
    return member.role == "admin" or assigned_staff_id is None or assigned_staff_id == member.id


def assigned_staff_id(session: Session, *, volunteer_id: int) -> int | None:
    """The staff member a lead is assigned to, if any."""
    follow_up = lead_store.existing_follow_up(session, volunteer_id=volunteer_id)
    return follow_up.assigned_staff_id if follow_up is not None else None


def sees_contact_of(session: Session, member: models.StaffMember, *, volunteer_id: int) -> bool:
    """The rule applied to one lead."""
    return sees_contact(member, assigned_staff_id=assigned_staff_id(session, volunteer_id=volunteer_id))


def sees_contact_among(session: Session, member: models.StaffMember, *, volunteer_ids: Collection[int]) -> set[int]:
    """The rule applied to several leads at once: those of ``volunteer_ids`` whose contact details ``member`` sees."""
    if member.role == "admin":
        return set(volunteer_ids)
    assigned = lead_store.assignments(session, volunteer_ids=volunteer_ids)
    return {
        volunteer_id for volunteer_id, staff_id in assigned.items() if sees_contact(member, assigned_staff_id=staff_id)
    }
