"""The Party organisations, grids and teams of the report the demo follows (README.md names
it), built on the demo register.

* 盐务街街道党工委 → 金仓社区党委 → one 党支部 per estate, each with a 党小组; a grid per
  estate of 金仓社区 with its grid worker, iron triangle and liaison households (联户).
* 兴关路街道党工委 → 兴关社区党委; the street's 11 党员责任区 and a 党员突击队 led by the
  community Party secretary.
* 盘州市 (亦资街道 东湖社区): members marked 党员示范户 and 党员先锋岗.
* The demo grid worker's login (13800000003) is the login of 金仓路市政宿舍's grid worker, so
  the organisation knows who covers its buildings (turnout chasing hands doors to them).

Every write is a get-or-create on a natural key, so loading twice changes nothing. Rows are
seed data, written directly rather than through the services (no audit rows for a seed).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from xiaoqu.accounts.models import User
from xiaoqu.organization.models import (
    Grid,
    GridBuilding,
    GridWorkerAssignment,
    IronTriangle,
    LiaisonHousehold,
    MemberMark,
    PartyMember,
    PartyMemberMark,
    PartyOrganization,
    PartyOrgKind,
    ResponsibilityZone,
    Team,
)
from xiaoqu.registry.models import Building, Dwelling, Estate, Person, Region, Residency

LIAISON_PER_MEMBER = 15
MEMBERS_PER_BRANCH = 5
DEMO_START = dt.date(2024, 3, 1)
DEMO_GRID_WORKER_PHONE = "13800000003"
DEMO_GRID_ESTATE = "520103006001-01"  # 金仓路市政宿舍


def _org(
    kind: str,
    name: str,
    region: Region,
    parent: PartyOrganization | None = None,
    estate: Estate | None = None,
) -> PartyOrganization:
    org, _ = PartyOrganization.objects.get_or_create(
        parent=parent, name=name, defaults={"kind": kind, "region": region, "estate": estate}
    )
    return org


def _residents(estate: Estate, n: int) -> list[Person]:
    """The first ``n`` residents of an estate (by 人员编号) who are not members yet."""
    # The residents' ids first, by themselves: as one DISTINCT join, PostgreSQL with stale
    # statistics chose nested loops (seconds a call).
    ids = set(Residency.objects.filter(dwelling__estate=estate).values_list("person_id", flat=True))
    people = Person.objects.filter(pk__in=ids, party_membership__isnull=True).order_by("ref")
    return list(people[:n])


def _members(org: PartyOrganization, estate: Estate, n: int) -> list[PartyMember]:
    have = list(org.members.select_related("person").order_by("person__ref"))
    if len(have) < n:
        for person in _residents(estate, n - len(have)):
            have.append(
                PartyMember.objects.create(person=person, organization=org, joined_on=DEMO_START)
            )
    return have[:n]


def _mark(member: PartyMember, mark: str) -> None:
    PartyMemberMark.objects.get_or_create(member=member, mark=mark)


def _jincang() -> None:
    street = Region.objects.get(code="520103006")
    community = Region.objects.get(code="520103006001")
    working = _org(PartyOrgKind.WORKING_COMMITTEE, "盐务街街道党工委", street)
    committee = _org(PartyOrgKind.COMMITTEE, "金仓社区党委", community, parent=working)
    estates = list(Estate.objects.filter(community=community).order_by("code"))
    numerals = "一二三四五六七八九"
    for i, estate in enumerate(estates):
        branch = _org(
            PartyOrgKind.BRANCH,
            f"金仓社区第{numerals[i]}党支部",
            community,
            parent=committee,
            estate=estate,
        )
        group = _org(
            PartyOrgKind.GROUP, f"{estate.name}党小组", community, parent=branch, estate=estate
        )
        members = _members(group, estate, MEMBERS_PER_BRANCH)
        if members:
            _estate_grid(estate, community, leader=members[0], liaisons=members[1:])


def _estate_grid(
    estate: Estate, community: Region, *, leader: PartyMember, liaisons: list[PartyMember]
) -> None:
    """The estate's grid over its buildings, with a resident as its worker and an iron
    triangle of the group's leader and liaison members."""
    grid, _ = Grid.objects.get_or_create(
        code=f"{estate.code}-G", defaults={"name": f"{estate.name}网格", "community": community}
    )
    for building in Building.objects.filter(estate=estate).exclude(grid_building__isnull=False):
        GridBuilding.objects.create(grid=grid, building=building)
    if not grid.worker_assignments.filter(ended_on__isnull=True).exists():
        workers = _residents(estate, 1)
        if workers:
            GridWorkerAssignment.objects.create(grid=grid, person=workers[0], started_on=DEMO_START)
    triangle, _ = IronTriangle.objects.get_or_create(grid=grid)
    if triangle.group_leader_id != leader.pk:
        triangle.group_leader = leader
        triangle.save()
    triangle.liaison_members.add(*liaisons)
    _link_households(estate, liaisons)


def _link_households(estate: Estate, liaisons: list[PartyMember]) -> None:
    """Deal the estate's unlinked dwellings, in door order, to members up to their share."""
    free = list(
        Dwelling.objects.filter(estate=estate, liaison__isnull=True)
        .order_by("building__number", "entrance__number", "floor", "number")
        .values_list("pk", flat=True)
    )
    for member in liaisons:
        room = LIAISON_PER_MEMBER - member.liaison_households.count()
        take, free = free[:room], free[room:]
        LiaisonHousehold.objects.bulk_create(
            [LiaisonHousehold(member=member, dwelling_id=pk) for pk in take]
        )


def _xingguan() -> None:
    street = Region.objects.get(code="520102005")
    community = Region.objects.get(code="520102005001")
    working = _org(PartyOrgKind.WORKING_COMMITTEE, "兴关路街道党工委", street)
    committee = _org(PartyOrgKind.COMMITTEE, "兴关社区党委", community, parent=working)
    estates = list(Estate.objects.filter(community=community).order_by("code"))
    members: list[PartyMember] = []
    for estate in estates:
        members += _members_for_estate(committee, estate, 4)
    if not members:
        return
    secretary = members[0]
    buildings = list(
        Building.objects.filter(estate__in=estates).select_related("estate").order_by("pk")
    )
    for n in range(1, 12):
        zone, _ = ResponsibilityZone.objects.get_or_create(
            region=street,
            number=n,
            defaults={"name": f"第{n}党员责任区", "leader": members[(n - 1) % len(members)]},
        )
        # Buildings dealt round the 11 zones; each zone also lists its buildings' estates.
        mine = buildings[n - 1 :: 11]
        zone.buildings.add(*mine)
        zone.estates.add(*{b.estate for b in mine})
    team, _ = Team.objects.get_or_create(
        region=street, name="兴关路街道党员突击队", defaults={"leader": secretary}
    )
    team.members.add(*members)


def _members_for_estate(org: PartyOrganization, estate: Estate, n: int) -> list[PartyMember]:
    residents = set(
        Residency.objects.filter(dwelling__estate=estate).values_list("person_id", flat=True)
    )
    have = list(org.members.filter(person_id__in=residents).order_by("person__ref"))
    for person in _residents(estate, n - len(have)) if len(have) < n else []:
        have.append(
            PartyMember.objects.create(person=person, organization=org, joined_on=DEMO_START)
        )
    return have[:n]


def _panzhou() -> None:
    street = Region.objects.get(code="520281001")
    community = Region.objects.get(code="520281001001")
    working = _org(PartyOrgKind.WORKING_COMMITTEE, "亦资街道党工委", street)
    committee = _org(PartyOrgKind.COMMITTEE, "东湖社区党委", community, parent=working)
    for i, estate in enumerate(Estate.objects.filter(community=community).order_by("code")):
        branch = _org(
            PartyOrgKind.BRANCH,
            f"东湖社区第{'一二三'[i]}党支部",
            community,
            parent=committee,
            estate=estate,
        )
        for j, member in enumerate(_members(branch, estate, 6)):
            if j % 2 == 0:
                _mark(member, MemberMark.MODEL_HOUSEHOLD)
            if j % 3 == 0:
                _mark(member, MemberMark.VANGUARD_POST)


def _link_demo_grid_worker() -> None:
    """Name the demo grid worker's login on the grid of the demo logins' estate."""
    user = User.objects.filter(phone=DEMO_GRID_WORKER_PHONE).first()
    GridWorkerAssignment.objects.filter(
        grid__code=f"{DEMO_GRID_ESTATE}-G", ended_on__isnull=True, user__isnull=True
    ).update(user=user)


def load_demo_organization() -> None:
    """Build the demo's Party organisations, grids, zones and team (idempotent)."""
    with transaction.atomic():
        _jincang()
        _xingguan()
        _panzhou()
        _link_demo_grid_worker()
