"""Plain factory functions for tests (factories over mocks)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from xiaoqu.accounts.models import RoleAssignment, User
from xiaoqu.registry.models import (
    Building,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    Person,
    Region,
    RegionLevel,
)

_seq = itertools.count(1)


def region_chain(
    names: tuple[str, ...] = ("贵州省", "贵阳市", "云岩区", "盐务街街道", "金仓社区"),
    parent: Region | None = None,
) -> list[Region]:
    """A province → community chain; reuses existing nodes with the same names."""
    levels = list(RegionLevel)[(parent.depth + 1) if parent else 0 :]
    chain = []
    for name, level in zip(names, levels, strict=False):
        parent, _ = Region.objects.get_or_create(
            parent=parent, name=name, defaults={"level": level}
        )
        chain.append(parent)
    return chain


def make_estate(
    community: Region | None = None,
    *,
    name: str | None = None,
    year_built: int = 1995,
    buildings: int = 1,
    entrances: int = 1,
    floors: int = 2,
    per_floor: int = 2,
    area: Decimal = Decimal("80.00"),
) -> Estate:
    community = community or region_chain()[-1]
    n = next(_seq)
    estate = Estate.objects.create(
        code=f"E{n:06d}", name=name or f"测试小区{n}", community=community, year_built=year_built
    )
    for b in range(1, buildings + 1):
        building = Building.objects.create(estate=estate, number=str(b), storeys=max(floors, 1))
        for e in range(1, entrances + 1):
            entrance = Entrance.objects.create(building=building, number=str(e))
            for f in range(1, floors + 1):
                for u in range(1, per_floor + 1):
                    Dwelling.objects.create(
                        entrance=entrance, number=f"{f}{u:02d}", floor=f, area=area
                    )
    estate.households = estate.dwellings.count()
    estate.save()
    return estate


def make_person(name: str = "张三", phone: str | None = None) -> Person:
    n = next(_seq)
    return Person.objects.create(name=name, phone=phone or f"138{n:08d}")


def make_owner(dwelling: Dwelling, name: str = "张三") -> Person:
    person = make_person(name)
    Ownership.objects.create(person=person, dwelling=dwelling)
    return person


def make_user(
    role: str | None = None,
    *,
    region: Region | None = None,
    estate: Estate | None = None,
    person: Person | None = None,
    password: str = "pass-1234-word",
) -> User:
    n = next(_seq)
    user = User.objects.create_user(
        phone=f"139{n:08d}", password=password, name=f"用户{n}", person=person
    )
    if role:
        RoleAssignment.objects.create(user=user, role=role, region=region, estate=estate)
    return user
