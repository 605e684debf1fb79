"""Liaison households (联户): the dwellings a Party member keeps in touch with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.organization.models import LiaisonHousehold, PartyMember
from xiaoqu.organization.services.checks import check_member_in_community
from xiaoqu.registry.models import Dwelling, Region

LIAISON_SOFT_LIMIT_DEFAULT = 15
LIAISON_HARD_LIMIT_DEFAULT = 30


def liaison_limits() -> tuple[int, int]:
    """(soft, hard) number of dwellings per liaison member; settings may override."""
    soft = int(getattr(settings, "XIAOQU_LIAISON_SOFT_LIMIT", LIAISON_SOFT_LIMIT_DEFAULT))
    hard = int(getattr(settings, "XIAOQU_LIAISON_HARD_LIMIT", LIAISON_HARD_LIMIT_DEFAULT))
    return soft, hard


@dataclass
class LiaisonResult:
    member: PartyMember
    count: int
    warnings: list[str] = field(default_factory=list)


def liaison_households_set(
    *, member: PartyMember, dwellings: Iterable[Dwelling], actor: Any
) -> LiaisonResult:
    """Replace the set of dwellings a member keeps in touch with.

    The dwellings must lie in one community inside the member's organisation's area and
    have no other liaison member. Above the soft limit a warning is returned; above the
    hard limit nothing is saved.
    """
    soft, hard = liaison_limits()
    ids = list(dict.fromkeys(d.pk for d in dwellings))
    if len(ids) > hard:
        raise DomainError(
            _("一名党员最多联系%(hard)s户，本次为%(n)s户") % {"hard": hard, "n": len(ids)},
            code="liaison_hard_limit",
        )
    rows = list(
        Dwelling.objects.filter(pk__in=ids).select_related("estate", "building", "entrance")
    )
    if len(rows) != len(ids):
        raise DomainError(_("有房屋不存在"), code="liaison_dwelling_missing")
    communities = {d.estate.community_id for d in rows}
    if len(communities) > 1:
        raise DomainError(_("联户房屋须在同一个社区内"), code="liaison_many_communities")
    if rows:
        community = Region.objects.get(pk=communities.pop())
        check_member_in_community(member, community)
    taken = list(
        LiaisonHousehold.objects.filter(dwelling_id__in=ids)
        .exclude(member=member)
        .select_related("member__person", "dwelling__building", "dwelling__entrance")[:5]
    )
    if taken:
        raise DomainError(
            _("房屋已有联户党员：%(list)s")
            % {
                "list": "、".join(f"{lh.dwelling.label}（{lh.member.person.name}）" for lh in taken)
            },
            code="liaison_dwelling_taken",
        )
    warnings = []
    if len(ids) > soft:
        warnings.append(_("联系%(n)s户，超过通常的%(soft)s户") % {"n": len(ids), "soft": soft})
    with transaction.atomic():
        PartyMember.objects.select_for_update().filter(pk=member.pk).first()
        before = sorted(member.liaison_households.values_list("dwelling_id", flat=True))
        member.liaison_households.exclude(dwelling_id__in=ids).delete()
        have = set(member.liaison_households.values_list("dwelling_id", flat=True))
        try:
            with transaction.atomic():
                LiaisonHousehold.objects.bulk_create(
                    [
                        LiaisonHousehold(member=member, dwelling_id=pk)
                        for pk in ids
                        if pk not in have
                    ]
                )
        except IntegrityError:
            raise DomainError(_("房屋已有联户党员"), code="liaison_dwelling_taken") from None
        audit_record(
            actor=actor,
            action="liaison.set",
            obj=member,
            before={"dwellings": before},
            after={"dwellings": sorted(ids)},
        )
    return LiaisonResult(member=member, count=len(ids), warnings=warnings)
