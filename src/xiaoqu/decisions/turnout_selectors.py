"""Reads for turnout chasing (催票): which dwellings' owners have not voted yet, and who knocks.

Only *whether* an owner has voted is read here — never a choice, a receipt or a ballot's
time: the queries join ``Ballot`` for its existence alone. Names and phones are masked on
every list (a list of neighbours who stayed away is for knocking on doors, not for keeping).
See docs/owner-votes.md, "Turnout chasing (催票)".

Every list is a handful of queries whatever the size of the vote: counts are summed by the
database, the rows, the owners' persons and the assignments are one query each.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from xiaoqu.accounts.models import User
from xiaoqu.core.pii import mask_name, mask_phone
from xiaoqu.decisions.models import (
    Ballot,
    Elector,
    ElectorUnit,
    TurnoutAssignment,
    Vote,
    VoteStatus,
)
from xiaoqu.decisions.rules import CHASE_TURNOUT, ENTER_BALLOTS
from xiaoqu.decisions.rules_engine import DEVELOPER, quorum_shortfall
from xiaoqu.decisions.rules_engine import Count as Count_
from xiaoqu.decisions.selectors import Participation, participation
from xiaoqu.needs.rules import RECORD_VISIT
from xiaoqu.organization.selectors import GRID_WORKER, LIAISON, dwelling_carers
from xiaoqu.registry.models import Dwelling, Estate
from xiaoqu.registry.selectors import assistance_of

# Above this many doors in the user's part of a vote, the page lists one building at a time.
LIST_AT_ONCE = 200
# Ids per IN list when reading the doors' owners and assignees (well under SQLite's limit).
ID_CHUNK = 2000


def natural(value: str) -> tuple[Any, ...]:
    """Sort key putting 2栋 before 10栋 (numbers as numbers, the rest as text)."""
    return tuple((0, int(p)) if p.isdecimal() else (1, p) for p in re.split(r"(\d+)", value))


def _m2(value: Any) -> Decimal:
    """A sum of areas as m² with two decimals (SQLite sums decimals as binary floats)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def chasing(vote: Vote, now: dt.datetime | None = None) -> bool:
    """Whether the vote still takes ballots, so that knocking on doors still helps."""
    now = now or timezone.now()
    return vote.status == VoteStatus.OPEN and now < vote.closes_at


def units_in_view(*, vote: Vote, user: User) -> QuerySet[ElectorUnit]:
    """The vote's units the user may chase: a grid worker's are those of the grid."""
    return CHASE_TURNOUT.scoped(user, ElectorUnit.objects.filter(vote=vote))


def _not_voted() -> Q:
    # At most one ballot per elector and vote (a constraint), so the join never doubles a unit.
    return Q(elector__ballots__isnull=True)


# --- counts ----------------------------------------------------------------------------------


@dataclass
class GroupCount:
    """Doors, owners and area of one entrance or building, and how much of it has not voted."""

    label: str
    dwellings: int = 0
    not_voted: int = 0
    owners: int = 0
    owners_not_voted: int = 0
    area_not_voted: Decimal = Decimal("0.00")


@dataclass
class BuildingCount(GroupCount):
    pk: int = 0
    entrances: list[tuple[int, GroupCount]] = field(default_factory=list)


@dataclass
class TurnoutCounts:
    live: Participation
    shortfall: Count_  # what the quorum still lacks, for the whole vote
    buildings: list[BuildingCount]
    not_voted: int  # doors in the user's view whose owner has not voted
    dwellings: int  # doors in the user's view
    whole_vote: bool  # the user's view is the whole vote

    @property
    def owners_not_voted(self) -> int:
        return self.live.not_voted

    @property
    def quorum_met(self) -> bool:
        return self.shortfall.owners == 0 and self.shortfall.area == 0


def turnout_counts(*, vote: Vote, user: User) -> TurnoutCounts | None:
    """The vote's participation with what the quorum still lacks, and per building and
    entrance of the user's view its doors, owners and area not voted yet; None when the
    user's view holds none of the vote's units (a grid worker of another part of the estate).

    Five queries: the two of ``participation``, one summing by entrance and one by building
    (an owner whose units lie in two entrances counts in each entrance, once in the
    building), one counting the whole vote's units.
    """
    units = units_in_view(vote=vote, user=user)
    nv = _not_voted()
    rows = list(
        units.values(
            "dwelling__building_id",
            "dwelling__building__number",
            "dwelling__entrance_id",
            "dwelling__entrance__number",
        ).annotate(
            n=Count("pk"),
            nv=Count("pk", filter=nv),
            owners=Count("elector", distinct=True),
            owners_nv=Count("elector", distinct=True, filter=nv),
            area_nv=Sum("area", filter=nv),
        )
    )
    if not rows:
        return None
    by_building: dict[int, BuildingCount] = {}
    for r in rows:
        b = by_building.setdefault(
            r["dwelling__building_id"],
            BuildingCount(label=r["dwelling__building__number"], pk=r["dwelling__building_id"]),
        )
        e = GroupCount(
            label=r["dwelling__entrance__number"],
            dwellings=r["n"],
            not_voted=r["nv"],
            owners=r["owners"],
            owners_not_voted=r["owners_nv"],
            area_not_voted=_m2(r["area_nv"]),
        )
        b.entrances.append((r["dwelling__entrance_id"], e))
        b.dwellings += e.dwellings
        b.not_voted += e.not_voted
        b.area_not_voted += e.area_not_voted
    # A building's owners are counted once, not once per entrance.
    for row in units.values("dwelling__building_id").annotate(
        owners=Count("elector", distinct=True),
        owners_nv=Count("elector", distinct=True, filter=nv),
    ):
        b = by_building[row["dwelling__building_id"]]
        b.owners, b.owners_not_voted = row["owners"], row["owners_nv"]
    buildings = sorted(by_building.values(), key=lambda b: natural(b.label))
    for b in buildings:
        b.entrances.sort(key=lambda pair: natural(pair[1].label))
    live = participation(vote=vote)
    seen = sum(b.dwellings for b in buildings)
    return TurnoutCounts(
        live=live,
        shortfall=quorum_shortfall(
            Count_(live.total_area, live.total_owners), Count_(live.area, live.owners)
        ),
        buildings=buildings,
        not_voted=sum(b.not_voted for b in buildings),
        dwellings=seen,
        whole_vote=seen == ElectorUnit.objects.filter(vote=vote).count(),
    )


@dataclass
class Candidate:
    """Someone who looks after some of the doors: what the staff's choice lists."""

    user_id: int
    name: str
    kinds: set[str]
    doors: int  # of the doors offered, how many they look after

    @property
    def is_liaison(self) -> bool:
        return LIAISON in self.kinds

    @property
    def is_grid_worker(self) -> bool:
        return GRID_WORKER in self.kinds


# --- the doors -------------------------------------------------------------------------------


@dataclass
class Door:
    """A dwelling whose owner has not voted yet, as the lists show it (masked)."""

    unit_id: int
    dwelling_id: int
    building_id: int
    entrance_id: int
    building: str  # the building's number
    entrance: str  # the entrance's number
    label: str  # 1栋2单元301
    code: str  # 1-2-301, what the paper-ballot page finds
    number: str
    floor: int
    area: Decimal
    owners: list[str]  # 张** 138****0001
    developer: bool
    assignee: str = ""
    assignee_id: int | None = None


@dataclass
class EntranceDoors:
    pk: int
    label: str  # 1栋2单元
    doors: list[Door] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)  # set by pages that assign


@dataclass
class BuildingDoors:
    pk: int
    label: str  # 1栋
    entrances: list[EntranceDoors] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def doors(self) -> list[Door]:
        return [d for e in self.entrances for d in e.doors]


def _owner_lines(elector_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each elector's persons as ``张** 138****0001``, with the help the person needs at the
    door where they consented to it being known (``registry.selectors.assistance_of``): one
    query per 2,000 electors and one for the help."""
    rows: list[tuple[int, int, str, str]] = []
    ids = sorted(set(elector_ids))
    for start in range(0, len(ids), ID_CHUNK):
        through = Elector.persons.through.objects.filter(
            elector_id__in=ids[start : start + ID_CHUNK]
        )
        rows += through.order_by("person__name", "person_id").values_list(
            "elector_id", "person_id", "person__name", "person__phone"
        )
    help_at_door = assistance_of(row[1] for row in rows)
    lines: dict[int, list[str]] = {}
    for elector_id, person_id, name, phone in rows:
        shown = " ".join(p for p in (mask_name(name), mask_phone(phone) if phone else "") if p)
        if person_id in help_at_door:
            shown += f"（{help_at_door[person_id]}）"
        lines.setdefault(elector_id, []).append(shown)
    return lines


def _assignees(unit_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Who each unit is assigned to: (user id, name or masked phone)."""
    assigned: dict[int, tuple[int, str]] = {}
    for start in range(0, len(unit_ids), ID_CHUNK):
        for unit_id, user_id, name, phone in TurnoutAssignment.objects.filter(
            unit_id__in=unit_ids[start : start + ID_CHUNK]
        ).values_list("unit_id", "assignee_id", "assignee__name", "assignee__phone"):
            assigned[unit_id] = (user_id, name or mask_phone(phone))
    return assigned


def _doors(units: QuerySet[ElectorUnit]) -> list[Door]:
    """The not-voted units of ``units`` as doors with their owners and assignee, in door
    order (three queries up to 2,000 doors)."""
    rows = list(
        units.filter(_not_voted()).values_list(
            "pk",
            "dwelling_id",
            "dwelling__building_id",
            "dwelling__entrance_id",
            "dwelling__building__number",
            "dwelling__entrance__number",
            "dwelling__number",
            "dwelling__floor",
            "area",
            "elector_id",
            "elector__owner_key",
        )
    )
    # The owners and assignees of the rows read, by their ids: the same scoped filter as a
    # subquery again made PostgreSQL's planner loop over every elector of the estate.
    owners = _owner_lines(row[9] for row in rows)
    assigned = _assignees([row[0] for row in rows])
    doors = []
    for (
        pk,
        dwelling_id,
        building_id,
        entrance_id,
        b,
        e,
        number,
        floor,
        area,
        elector_id,
        key,
    ) in rows:
        user_id, name = assigned.get(pk, (None, ""))
        doors.append(
            Door(
                unit_id=pk,
                dwelling_id=dwelling_id,
                building_id=building_id,
                entrance_id=entrance_id,
                building=b,
                entrance=e,
                label=f"{b}栋{e}单元{number}",
                code=f"{b}-{e}-{number}",
                number=number,
                floor=floor,
                area=area,
                owners=owners.get(elector_id, []),
                developer=key == DEVELOPER,
                assignee=name,
                assignee_id=user_id,
            )
        )
    doors.sort(key=_door_order)
    return doors


def _door_order(door: Door) -> tuple[Any, ...]:
    return (natural(door.building), natural(door.entrance), door.floor, natural(door.number))


def doors_by_building(
    *, vote: Vote, user: User, building_id: int | None = None
) -> list[BuildingDoors]:
    """The doors still to knock on in the user's view of the vote (one building's when
    ``building_id`` is given), by building and entrance in door order (three queries)."""
    units = units_in_view(vote=vote, user=user)
    if building_id is not None:
        units = units.filter(dwelling__building_id=building_id)
    buildings: dict[int, BuildingDoors] = {}
    entrances: dict[int, EntranceDoors] = {}
    for door in _doors(units):
        building = buildings.setdefault(
            door.building_id, BuildingDoors(door.building_id, f"{door.building}栋")
        )
        entrance = entrances.get(door.entrance_id)
        if entrance is None:
            entrance = entrances[door.entrance_id] = EntranceDoors(
                door.entrance_id, f"{door.building}栋{door.entrance}单元"
            )
            building.entrances.append(entrance)
        entrance.doors.append(door)
    return list(buildings.values())


def not_voted_unit_ids(
    *, vote: Vote, user: User, entrance_id: int | None = None, building_id: int | None = None
) -> list[int]:
    """The units of one entrance or building in the user's view whose owner has not voted."""
    units = units_in_view(vote=vote, user=user).filter(_not_voted())
    if entrance_id is not None:
        units = units.filter(dwelling__entrance_id=entrance_id)
    if building_id is not None:
        units = units.filter(dwelling__building_id=building_id)
    return list(units.order_by("pk").values_list("pk", flat=True))


# --- who may be handed the doors ---------------------------------------------------------------


@dataclass
class Assignable:
    """The choices of the assignment forms: per unit its carers, with the people's kinds."""

    carers: dict[int, list[int]]
    kinds: dict[int, set[str]]
    names: dict[int, str]

    def for_doors(self, doors: Iterable[Door]) -> list[Candidate]:
        counted: dict[int, int] = {}
        for door in doors:
            if door.developer:
                continue
            for user_id in self.carers.get(door.unit_id, []):
                counted[user_id] = counted.get(user_id, 0) + 1
        found = [
            Candidate(pk, self.names.get(pk, ""), self.kinds.get(pk, set()), n)
            for pk, n in counted.items()
        ]
        return sorted(found, key=lambda c: (-c.doors, c.name, c.user_id))


def assignable(doors: Iterable[Door]) -> Assignable:
    """Who looks after each of ``doors`` (five queries: the organisation's four and names)."""
    doors = list(doors)
    carers_by_dwelling = dwelling_carers(
        dwellings=Dwelling.objects.filter(pk__in=[d.dwelling_id for d in doors])
    )
    carers: dict[int, list[int]] = {}
    kinds: dict[int, set[str]] = {}
    for door in doors:
        found = carers_by_dwelling.get(door.dwelling_id, [])
        carers[door.unit_id] = [c.user_id for c in found]
        for c in found:
            kinds.setdefault(c.user_id, set()).add(c.kind)
    # Offered are those who knock on doors somewhere (a liaison member whose login is only a
    # resident's would never see the list); the service checks the scope of each door.
    knockers = User.objects.filter(pk__in=kinds, is_active=True).filter(
        Q(is_superuser=True) | Q(roles__role__in=RECORD_VISIT.roles)
    )
    names = {
        pk: (name or mask_phone(phone))
        for pk, name, phone in knockers.distinct().values_list("pk", "name", "phone")
    }
    carers = {unit: [pk for pk in found if pk in names] for unit, found in carers.items()}
    return Assignable(carers=carers, kinds=kinds, names=names)


# --- the assignee's list on the visit page ---------------------------------------------------


@dataclass
class VoteDoors:
    vote: Vote
    doors: list[Door]
    can_enter: bool  # the user enters paper ballots for this vote


def doors_to_knock(
    *, user: User, estate: Estate, now: dt.datetime | None = None
) -> list[VoteDoors]:
    """The doors handed to the user in the estate's votes that still take ballots, whose
    owner has not voted yet, among the dwellings the user may still visit (four queries and
    one per vote for the paper-ballot link)."""
    now = now or timezone.now()
    if not getattr(user, "is_authenticated", False):
        return []
    visitable = RECORD_VISIT.scoped(user, Dwelling.objects.filter(estate=estate))
    mine = TurnoutAssignment.objects.filter(
        assignee=user,
        vote__estate=estate,
        vote__status=VoteStatus.OPEN,
        vote__closes_at__gt=now,
        unit__dwelling__in=visitable.values("pk"),
    ).filter(~Exists(Ballot.objects.filter(elector=OuterRef("unit__elector_id"))))
    # The handed-out units are read first, by themselves: the rows of the doors joined to
    # this scoped filter as a subquery made PostgreSQL's planner loop over it door by door
    # (minutes for a list of 570 doors).
    by_vote: dict[int, list[int]] = {}
    for vote_id, unit_id in mine.values_list("vote_id", "unit_id"):
        by_vote.setdefault(vote_id, []).append(unit_id)
    if not by_vote:
        return []
    found = []
    for vote in Vote.objects.filter(pk__in=by_vote).order_by("closes_at", "pk"):
        ids = sorted(by_vote[vote.pk])
        doors = [
            door
            for start in range(0, len(ids), ID_CHUNK)
            for door in _doors(ElectorUnit.objects.filter(pk__in=ids[start : start + ID_CHUNK]))
        ]
        if doors:
            doors.sort(key=_door_order)
            found.append(VoteDoors(vote, doors, ENTER_BALLOTS.has(user, vote)))
    return found
