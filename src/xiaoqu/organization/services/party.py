"""Party organisations (a tree over regions) and their members with marks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.organization.models import (
    MemberMark,
    PartyMember,
    PartyMemberMark,
    PartyOrganization,
    PartyOrgKind,
)
from xiaoqu.organization.rules import MANAGE_PARTY
from xiaoqu.organization.services.checks import in_region
from xiaoqu.registry.models import Estate, Person, Region

# A kind may stand only below a kind of lower rank (a 党支部 under a 党委, never the reverse).
KIND_RANK = {kind.value: i for i, kind in enumerate(PartyOrgKind)}


# --- Party organisations ---------------------------------------------------------------


def _check_organization(
    *, kind: str, region: Region, estate: Estate | None, parent: PartyOrganization | None
) -> None:
    if kind not in KIND_RANK:
        raise DomainError(_("未知的党组织类型"), code="org_kind_unknown")
    if estate is not None and not in_region(region, estate.region_path):
        raise DomainError(_("小区不在该党组织所在区划内"), code="org_estate_outside_region")
    if parent is not None:
        if KIND_RANK[kind] <= KIND_RANK[parent.kind]:
            raise DomainError(
                _("%(child)s不能设在%(parent)s之下")
                % {"child": PartyOrgKind(kind).label, "parent": parent.get_kind_display()},
                code="org_kind_order",
            )
        if not in_region(parent.region, region.path):
            raise DomainError(_("党组织所在区划须在上级党组织的区划内"), code="org_region_outside")


def _org_snapshot(org: PartyOrganization) -> dict[str, Any]:
    return {
        "kind": org.kind,
        "name": org.name,
        "parent": org.parent_id,
        "region": org.region_id,
        "estate": org.estate_id,
    }


def party_organization_create(
    *,
    kind: str,
    name: str,
    region: Region,
    estate: Estate | None = None,
    parent: PartyOrganization | None = None,
    actor: Actor,
) -> PartyOrganization:
    """A Party organisation at ``region``, which must lie in the actor's scope."""
    MANAGE_PARTY.require(actor, region)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写党组织名称"), code="org_name_required")
    _check_organization(kind=kind, region=region, estate=estate, parent=parent)
    if PartyOrganization.objects.filter(parent=parent, name=name).exists():
        raise DomainError(_("同一上级下已有同名党组织"), code="org_name_taken")
    with transaction.atomic():
        org = PartyOrganization.objects.create(
            kind=kind, name=name, region=region, estate=estate, parent=parent
        )
        audit_record(actor=actor, action="organization.create", obj=org, after=_org_snapshot(org))
    return org


def party_organization_update(
    *,
    organization: PartyOrganization,
    name: str | None = None,
    region: Region | None = None,
    estate: Estate | None = None,
    parent: PartyOrganization | None = None,
    actor: Actor,
) -> PartyOrganization:
    """Rename or move an organisation; it and any new region must lie in the actor's scope."""
    MANAGE_PARTY.require(actor, organization)
    if region is not None:
        MANAGE_PARTY.require(actor, region)
    before = _org_snapshot(organization)
    new_name = (name if name is not None else organization.name).strip()
    if not new_name:
        raise DomainError(_("请填写党组织名称"), code="org_name_required")
    new_region = region or organization.region
    new_parent = parent if parent is not None else organization.parent
    new_estate = estate if estate is not None else organization.estate
    if new_parent is not None and new_parent.path.startswith(organization.path):
        raise DomainError(_("不能把党组织移到其下级党组织之下"), code="org_cycle")
    _check_organization(
        kind=organization.kind, region=new_region, estate=new_estate, parent=new_parent
    )
    with transaction.atomic():
        organization.name = new_name
        organization.region = new_region
        organization.estate = new_estate
        organization.parent = new_parent
        try:
            with transaction.atomic():
                organization.save()
        except IntegrityError:
            raise DomainError(_("同一上级下已有同名党组织"), code="org_name_taken") from None
        audit_record(
            actor=actor,
            action="organization.update",
            obj=organization,
            before=before,
            after=_org_snapshot(organization),
        )
    return organization


# --- Party members ---------------------------------------------------------------------


def _check_marks(marks: Iterable[str]) -> list[str]:
    marks = list(dict.fromkeys(marks))
    unknown = [m for m in marks if m not in MemberMark.values]
    if unknown:
        raise DomainError(
            _("未知的党员标识：%(marks)s") % {"marks": "、".join(unknown)},
            code="member_mark_unknown",
        )
    return marks


def _member_snapshot(member: PartyMember) -> dict[str, Any]:
    return {
        "person": member.person_id,
        "organization": member.organization_id,
        "joined_on": member.joined_on.isoformat() if member.joined_on else None,
        "marks": sorted(member.marks.values_list("mark", flat=True)),
    }


def party_member_create(
    *,
    person: Person,
    organization: PartyOrganization,
    joined_on: dt.date | None = None,
    marks: Iterable[str] = (),
    actor: Actor,
) -> PartyMember:
    """Register ``person`` as a member of an organisation of the actor's scope."""
    MANAGE_PARTY.require(actor, organization)
    mark_list = _check_marks(marks)
    if PartyMember.objects.filter(person=person).exists():
        raise DomainError(_("%(name)s已登记为党员") % {"name": person.name}, code="member_exists")
    with transaction.atomic():
        member = PartyMember.objects.create(
            person=person, organization=organization, joined_on=joined_on
        )
        PartyMemberMark.objects.bulk_create(
            [PartyMemberMark(member=member, mark=m) for m in mark_list]
        )
        audit_record(
            actor=actor, action="party_member.create", obj=member, after=_member_snapshot(member)
        )
    return member


def party_member_update(
    *,
    member: PartyMember,
    organization: PartyOrganization | None = None,
    joined_on: dt.date | None = None,
    marks: Iterable[str] | None = None,
    actor: Actor,
) -> PartyMember:
    """Change a member's organisation, joining date or marks (``marks`` replaces the set);
    the member's organisation, and a new one, must lie in the actor's scope."""
    MANAGE_PARTY.require(actor, member)
    if organization is not None:
        MANAGE_PARTY.require(actor, organization)
    mark_list = _check_marks(marks) if marks is not None else None
    with transaction.atomic():
        before = _member_snapshot(member)
        if organization is not None:
            member.organization = organization
        if joined_on is not None:
            member.joined_on = joined_on
        member.save()
        if mark_list is not None:
            member.marks.exclude(mark__in=mark_list).delete()
            have = set(member.marks.values_list("mark", flat=True))
            PartyMemberMark.objects.bulk_create(
                [PartyMemberMark(member=member, mark=m) for m in mark_list if m not in have]
            )
        audit_record(
            actor=actor,
            action="party_member.update",
            obj=member,
            before=before,
            after=_member_snapshot(member),
        )
    return member
