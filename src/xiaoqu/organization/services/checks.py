"""Place checks the organisation's services share: regions, buildings, members."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from xiaoqu.core.errors import DomainError
from xiaoqu.organization.models import PartyMember
from xiaoqu.registry.models import Building, Region


def in_region(region: Region, path: str) -> bool:
    """Whether the region path ``path`` lies in ``region``'s subtree (the region included)."""
    return path.startswith(region.path)


def building_label(building: Building) -> str:
    """A building as people name it in messages: 金仓小区1栋."""
    return f"{building.estate.name}{building.number}栋"


def buildings_with_estates(buildings: Iterable[Building]) -> list[Building]:
    """The buildings read again with their estates in one query, for checks that name them."""
    ids = [b.pk for b in buildings]
    return list(Building.objects.filter(pk__in=ids).select_related("estate"))


def check_member_in_community(member: PartyMember, community: Region) -> None:
    """A member serves a community only if their organisation's region contains it."""
    if not in_region(member.organization.region, community.path):
        raise DomainError(
            _("%(name)s所在党组织不负责该社区") % {"name": member.person.name},
            code="member_outside_region",
        )


def check_members_in_region(members: Iterable[PartyMember], region: Region) -> None:
    """Members serve a responsibility zone or team of ``region`` when their organisation's
    region lies in it (a community's branch for its street's team) or contains it (the
    street's working committee for a community's zone); others are refused, naming them."""
    ids = {m.pk for m in members}
    outside = [
        m.person.name
        for m in PartyMember.objects.filter(pk__in=ids)
        .select_related("person", "organization__region")
        .order_by("pk")
        if not in_region(region, m.organization.region.path)
        and not in_region(m.organization.region, region.path)
    ]
    if outside:
        raise DomainError(
            _("党员所在党组织不属于%(region)s：%(list)s")
            % {"region": region.name, "list": "、".join(outside[:5])},
            code="member_outside_region",
        )
