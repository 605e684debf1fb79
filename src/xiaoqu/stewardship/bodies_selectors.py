"""Reads for who manages an estate: its bodies, committee, documents, five parties and joint
meetings, and the people and users the staff forms offer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from xiaoqu.accounts.models import RoleAssignment, User
from xiaoqu.core.pii import mask_phone
from xiaoqu.meetings.models import Meeting, MeetingKind
from xiaoqu.organization.models import PartyOrganization
from xiaoqu.registry.models import Estate, Person
from xiaoqu.stewardship.models import (
    BodyMember,
    ManagementBody,
    ManagementDocument,
    Party,
    PartySeat,
)
from xiaoqu.stewardship.services.bodies import COMMITTEE_KINDS, ELECTING_KINDS, PARTY_ROLE


@dataclass
class PartyRow:
    party: str
    label: str
    seats: list[dict[str, Any]] = field(default_factory=list)
    # The users the staff form offers for this party (filled for those who manage).
    candidates: list[User] = field(default_factory=list)


def body_history(estate: Estate) -> QuerySet[ManagementBody]:
    return ManagementBody.objects.filter(estate=estate).select_related(
        "party_organization", "elected_at"
    )


def current_of(history: list[ManagementBody]) -> ManagementBody | None:
    return next((b for b in history if b.ended_on is None), None)


def committee_members(body: ManagementBody | None) -> list[BodyMember]:
    if body is None or body.kind not in COMMITTEE_KINDS:
        return []
    return list(body.members.select_related("person").order_by("pk"))


def documents_of(estate: Estate) -> QuerySet[ManagementDocument]:
    return ManagementDocument.objects.filter(estate=estate).select_related("vote")


def party_rows(estate: Estate) -> list[PartyRow]:
    """The five parties in their order, each with its users (names, phones masked)."""
    rows = {p.value: PartyRow(p.value, str(p.label)) for p in Party}
    seats = PartySeat.objects.filter(estate=estate).select_related("user").order_by("pk")
    for seat in seats:
        rows[seat.party].seats.append(
            {
                "pk": seat.pk,
                "user_id": seat.user_id,
                "name": seat.user.name or "—",
                "phone": mask_phone(seat.user.phone),
            }
        )
    return list(rows.values())


def joint_meetings(estate: Estate) -> QuerySet[Meeting]:
    return Meeting.objects.filter(estate=estate, kind=MeetingKind.JOINT).order_by("-held_on")


# --- what the staff forms offer -------------------------------------------------------------


def _region_ids(estate: Estate) -> list[int]:
    return [int(part) for part in estate.region_path.strip("/").split("/") if part]


def seat_candidates(estate: Estate) -> dict[str, list[User]]:
    """Per party, the active users who may sit for it: a matching role assigned to the
    estate, to a region above it or to a grid of its buildings (for 业委评议 also the users of
    the current committee's members)."""
    covering = (
        Q(estate=estate) | Q(region_id__in=_region_ids(estate)) | Q(grid__buildings__estate=estate)
    )
    found = (
        RoleAssignment.objects.filter(covering, role__in=PARTY_ROLE.values(), user__is_active=True)
        .select_related("user")
        .order_by("user__name", "user_id")
    )
    by_role: dict[str, dict[int, User]] = {}
    for a in found:
        by_role.setdefault(a.role, {})[a.user_id] = a.user
    result = {party: list(by_role.get(role, {}).values()) for party, role in PARTY_ROLE.items()}
    body = ManagementBody.objects.filter(estate=estate, ended_on=None).first()
    if body is not None and body.kind in COMMITTEE_KINDS:
        members = User.objects.filter(
            is_active=True, person__in=body.members.values("person")
        ).order_by("name")
        known = {u.pk for u in result[Party.OWNERS]}
        result[Party.OWNERS] += [u for u in members if u.pk not in known]
    return result


def estate_people(estate: Estate) -> QuerySet[Person]:
    """The people who own or live in the estate (for a committee's members)."""
    return (
        Person.objects.filter(
            Q(ownerships__dwelling__estate=estate) | Q(residencies__dwelling__estate=estate)
        )
        .distinct()
        .order_by("name", "pk")
    )


def electing_meetings(estate: Estate) -> QuerySet[Meeting]:
    return Meeting.objects.filter(estate=estate, kind__in=ELECTING_KINDS).order_by("-held_on")


def party_organizations_for(estate: Estate) -> QuerySet[PartyOrganization]:
    """Party organisations of the estate's community or a region above it (not those of
    another estate)."""
    return (
        PartyOrganization.objects.filter(region_id__in=_region_ids(estate))
        .filter(Q(estate__isnull=True) | Q(estate=estate))
        .order_by("path")
    )
