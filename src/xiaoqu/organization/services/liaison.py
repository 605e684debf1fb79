"""Liaison households (联户): the dwellings a Party member keeps in touch with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.organization.models import LiaisonHousehold, PartyMember
from xiaoqu.organization.rules import MANAGE_LIAISON
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
    *, member: PartyMember, dwellings: Iterable[Dwelling], actor: Actor
) -> LiaisonResult:
    """Replace the set of dwellings a member keeps in touch with.

    The actor must manage the member's liaison households and every dwelling the change
    links or unlinks. The dwellings must lie in one community inside the member's
    organisation's area and have no other liaison member. Above the soft limit a warning
    is returned; above the hard limit nothing is saved.
    """
    soft, hard = liaison_limits()
    ids = list(dict.fromkeys(d.pk for d in dwellings))
    if len(ids) > hard:
        raise DomainError(
            _("一名党员最多联系%(hard)s户，本次为%(n)s户") % {"hard": hard, "n": len(ids)},
            code="liaison_hard_limit",
        )
    MANAGE_LIAISON.require(actor, member)
    with transaction.atomic():
        PartyMember.objects.select_for_update().filter(pk=member.pk).first()
        before = set(member.liaison_households.values_list("dwelling_id", flat=True))
        _require_dwellings_in_scope(actor, before.symmetric_difference(ids))
        _check_one_community(member, ids)
        _check_not_taken(member, ids)
        _replace_links(member, ids, have=before)
        audit_record(
            actor=actor,
            action="liaison.set",
            obj=member,
            before={"dwellings": sorted(before)},
            after={"dwellings": sorted(ids)},
        )
    warnings = []
    if len(ids) > soft:
        warnings.append(_("联系%(n)s户，超过通常的%(soft)s户") % {"n": len(ids), "soft": soft})
    return LiaisonResult(member=member, count=len(ids), warnings=warnings)


def _require_dwellings_in_scope(actor: Actor, ids: set[int]) -> None:
    """Every dwelling in ``ids`` lies in the actor's scope. A missing dwelling counts as out
    of scope, so the answer does not tell which ids exist."""
    if not ids:
        return
    reachable = MANAGE_LIAISON.scoped(actor, Dwelling.objects.filter(pk__in=ids))
    if set(reachable.values_list("pk", flat=True)) != ids:
        raise DomainError(_("这不在您的工作范围内。"), code="out_of_scope")


def _check_one_community(member: PartyMember, ids: list[int]) -> None:
    communities = set(
        Dwelling.objects.filter(pk__in=ids).values_list("estate__community_id", flat=True)
    )
    if len(communities) > 1:
        raise DomainError(_("联户房屋须在同一个社区内"), code="liaison_many_communities")
    if communities:
        check_member_in_community(member, Region.objects.get(pk=communities.pop()))


def _check_not_taken(member: PartyMember, ids: list[int]) -> None:
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


def _replace_links(member: PartyMember, ids: list[int], *, have: set[int]) -> None:
    member.liaison_households.exclude(dwelling_id__in=ids).delete()
    try:
        with transaction.atomic():
            LiaisonHousehold.objects.bulk_create(
                [LiaisonHousehold(member=member, dwelling_id=pk) for pk in ids if pk not in have]
            )
    except IntegrityError:
        # Another request linked one of these dwellings to its member after the check.
        raise DomainError(_("房屋已有联户党员"), code="liaison_dwelling_taken") from None
