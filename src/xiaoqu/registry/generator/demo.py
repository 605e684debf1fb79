"""The demo preset: the register ``xiaoqu demo`` loads (``data/demo/``, from ``data/demo.json``).

Its places are fixed: the preset lists every region and every estate, with each estate's
shape (buildings, storeys, entrances, flats per landing, shops, developer-held units, the
range of flat sizes). Buildings, dwellings and people are drawn from the preset's seed, so
the files are the same on every machine; a test checks that the committed files are what
this preset writes. The people of the demo logins are fixed too: the owner (P000001) lives
in one flat of 金仓路市政宿舍 and rents out another, whose tenant is the resident (P000002).

The demo's people are plainly synthetic: phone numbers in the test series 137-0000-xxxx and
136-0000-xxxx, ID numbers over Guizhou district codes, and never a name printed in the report.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from xiaoqu.registry.generator.output import (
    GenerateSummary,
    check_folder,
    with_check_digit,
    write_file,
)
from xiaoqu.registry.generator.tree import fixed_districts, region_rows

# Dwelling of a row: 小区编号, 楼栋号, 单元号, 房号.
Unit = tuple[str, str, str, str]
# A drawn dwelling: its key, floor, area, use.
_Flat = tuple[str, str, str, str, int, str, str]


class _People:
    """Synthetic people with unique numbers (人员编号), phones and ID numbers."""

    def __init__(self, rng: random.Random, pools: dict[str, Any]) -> None:
        self.rng = rng
        self.pools = pools
        self.reserved = set(pools["reserved_names"])
        self.rows: list[tuple[str, str, str, str]] = []
        self.ids: set[str] = set()
        self.next_ref = 3  # P000001 and P000002 are the demo owner and resident
        self.next_phone = 0

    def name(self, sex: str, surname: str | None = None) -> str:
        rng, pools = self.rng, self.pools
        while True:
            # Weighted towards the surnames common in Guizhou.
            s = surname or (
                rng.choice(pools["common_surnames"])
                if rng.random() < 0.4
                else rng.choice(pools["surnames"])
            )
            chars = pools["male"] if sex == "m" else pools["female"]
            given = rng.choice(chars)
            if rng.random() < 0.75:
                given += rng.choice(chars)
            name = s + given
            if name not in self.reserved and len(set(given)) == len(given):
                return name

    def phone(self) -> str:
        # Blocks 137-0000-xxxx and 136-0000-xxxx: valid in form, plainly a test series.
        n = self.next_phone
        self.next_phone += 1
        return f"1370000{n:04d}" if n < 10000 else f"1360000{n - 10000:04d}"

    def id_number(self, sex: str, birth_year: int) -> str:
        rng = self.rng
        while True:
            place = rng.choice(self.pools["birthplaces"])
            birth = date(birth_year, 1, 1) + timedelta(days=rng.randrange(365))
            seq = rng.randrange(0, 100) * 10 + rng.choice(
                (1, 3, 5, 7, 9) if sex == "m" else (0, 2, 4, 6, 8)
            )
            value = with_check_digit(f"{place}{birth:%Y%m%d}{seq:03d}")
            if value not in self.ids:
                self.ids.add(value)
                return value

    def add(
        self,
        *,
        sex: str,
        birth_year: int,
        phone: bool,
        id_number: bool,
        surname: str | None = None,
        ref: str | None = None,
        name: str | None = None,
        fixed_phone: str | None = None,
    ) -> tuple[str, str]:
        """A new person's (人员编号, name)."""
        if ref is None:
            ref = f"P{self.next_ref:06d}"
            self.next_ref += 1
        name = name or self.name(sex, surname)
        number = fixed_phone or (self.phone() if phone else "")
        ident = self.id_number(sex, birth_year) if id_number else ""
        self.rows.append((ref, name, number, ident))
        return ref, name


@dataclass
class _Register:
    """The rows of every file but regions.csv."""

    estates: list[tuple[Any, ...]] = field(default_factory=list)
    buildings: list[tuple[Any, ...]] = field(default_factory=list)
    entrances: list[tuple[Any, ...]] = field(default_factory=list)
    dwellings: list[tuple[Any, ...]] = field(default_factory=list)
    ownerships: list[tuple[Any, ...]] = field(default_factory=list)
    residencies: list[tuple[Any, ...]] = field(default_factory=list)


def _dec(value: float) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def generate_demo(out: Path, data: dict[str, Any], *, force: bool) -> GenerateSummary:
    """Write the demo register described by ``data`` (``data/demo.json``) into ``out``."""
    check_folder(out, force)
    rng = random.Random(data["seed"])
    people = _People(rng, data["people"])
    register = _Register()
    numbers: dict[str, int] = {}
    for spec in data["estates"]:
        numbers[spec["community"]] = numbers.get(spec["community"], 0) + 1
        code = f"{spec['community']}-{numbers[spec['community']]:02d}"
        owned = _estate(rng, spec, code, register)
        _people_for_estate(rng, people, spec, owned, register)
    _demo_logins(people, register, data["logins"])
    out.mkdir(parents=True, exist_ok=True)
    counts = {
        "regions": _write(out, "regions", region_rows(data, fixed_districts(data))),
        "people": _write(out, "people", sorted(people.rows)),
    }
    for key in ("estates", "buildings", "entrances", "dwellings", "ownerships", "residencies"):
        counts[key] = _write(out, key, getattr(register, key))
    return GenerateSummary(**counts)


def _write(out: Path, key: str, rows: Any) -> int:
    return write_file(out / f"{key}.csv", key, rows, lineterminator="\n")


def _estate(
    rng: random.Random, spec: dict[str, Any], code: str, register: _Register
) -> list[_Flat]:
    """Draw an estate's buildings and dwellings; returns the owned dwellings (已登记)."""
    lat = spec["centre"][0] + rng.uniform(-0.004, 0.004)
    lon = spec["centre"][1] + rng.uniform(-0.004, 0.004)
    if "location" in spec:
        # Pinned beside its street on the demo's road layer (the Guiyang estates, for the
        # life-circle analysis: docs/life-circle.md); drawn above all the same, so that
        # pinning one estate changes no other row.
        lat, lon = spec["location"]
    plan: list[tuple[int, int, int, bool, str]] = []
    for b in range(spec["buildings"]):
        storeys = spec["storeys"][b % len(spec["storeys"])]
        entrances, per_floor = rng.choice(spec["entrances"]), rng.choice(spec["per_floor"])
        lift = b < spec.get("elevators_added", 0)
        plan.append((storeys, entrances, per_floor, lift, spec.get("structure", "砖混结构")))
    if spec.get("tower"):
        plan.append((*spec["tower"], True, "剪力墙结构"))
    land = Decimal(0)
    flats: list[_Flat] = []
    for b, building in enumerate(plan, 1):
        land += _building(rng, spec, (code, str(b)), building, flats, register)
    statuses = _statuses(spec, flats)
    for flat, status in zip(flats, statuses, strict=True):
        register.dwellings.append((*flat, status))
    register.estates.append(
        (
            code,
            spec["name"],
            spec["community"],
            spec["address"],
            spec["year_built"],
            f"{lat:.6f}",
            f"{lon:.6f}",
            _dec(float(land)),
            spec["management_mode"],
            spec["stage"],
        )
    )
    return [flat for flat, s in zip(flats, statuses, strict=True) if s == "已登记"]


def _building(
    rng: random.Random,
    spec: dict[str, Any],
    key: tuple[str, str],
    building: tuple[int, int, int, bool, str],
    flats: list[_Flat],
    register: _Register,
) -> Decimal:
    """One building's row, entrances and flats; returns the land it stands for."""
    storeys, entrances, per_floor, lift, structure = building
    register.buildings.append((*key, storeys, "是" if lift else "否", structure))
    land = Decimal(rng.randrange(650, 1100) * entrances)
    # Each floor plan repeats up the building: the same flat keeps its area.
    layout = [round(rng.uniform(*spec["area"]), 2) for _ in range(entrances * per_floor)]
    shops = spec.get("shops", 0)
    first = (int(key[1]) - 1) * entrances  # the building's place along the street
    for e in range(1, entrances + 1):
        register.entrances.append((*key, str(e)))
        for floor in range(1, storeys + 1):
            for u in range(1, per_floor + 1):
                area = layout[(e - 1) * per_floor + u - 1]
                use = "住宅"
                # Street-side ground-floor flats of the first buildings are shops.
                if floor == 1 and shops and (first + e - 1) * per_floor + u <= shops:
                    use = "商业"
                    area = round(rng.uniform(25, 60), 2)
                flats.append((*key, str(e), f"{floor}{u:02d}", floor, _dec(area), use))
    return land


def _statuses(spec: dict[str, Any], flats: list[_Flat]) -> list[str]:
    """Developer-held units: unsold, then undelivered, from the top of the last buildings."""
    statuses = ["已登记"] * len(flats)
    top_down = sorted(range(len(flats)), key=lambda i: (-int(flats[i][1]), -flats[i][4], i))
    unsold, undelivered = spec.get("unsold", 0), spec.get("undelivered", 0)
    for i in top_down[:unsold]:
        statuses[i] = "未售出"
    for i in top_down[unsold : unsold + undelivered]:
        statuses[i] = "未交付"
    return statuses


def _people_for_estate(
    rng: random.Random,
    people: _People,
    spec: dict[str, Any],
    owned: list[_Flat],
    register: _Register,
) -> None:
    """Owners, co-owners, family members and tenants of an estate's owned dwellings.

    One owner per estate (the fourth) holds a second dwelling, halfway down, rented out.
    """
    second_home_owner: str | None = None
    for index, flat in enumerate(owned):
        unit: Unit = flat[:4]
        is_shop = flat[6] == "商业"
        sex = rng.choice("mf")
        # Older estates: mostly the original work-unit households, now elderly.
        born = rng.randrange(1938, 1962) if spec["year_built"] < 1995 else rng.randrange(1955, 1990)
        if second_home_owner and index == len(owned) // 2 and not is_shop:
            register.ownerships.append((second_home_owner, *unit, ""))
            _tenants(rng, people, unit, register)
            continue
        owner, owner_name = people.add(
            sex=sex, birth_year=born, phone=rng.random() < 0.95, id_number=rng.random() < 0.9
        )
        if index == 3:
            second_home_owner = owner
        co_owners = _owners(rng, people, (owner, owner_name, sex, born), unit, is_shop, register)
        if not is_shop:
            _occupants(rng, people, spec, co_owners, owner_name, unit, register)


def _owners(
    rng: random.Random,
    people: _People,
    owner: tuple[str, str, str, int],
    unit: Unit,
    is_shop: bool,
    register: _Register,
) -> list[str]:
    """The ownership rows of a dwelling; returns the owners who live there."""
    ref, name, sex, born = owner
    roll = rng.random()
    if roll < 0.10 and not is_shop:
        # A married couple holding jointly (共同共有): no shares.
        spouse, _name = people.add(
            sex="f" if sex == "m" else "m",
            birth_year=born + rng.randrange(-3, 4),
            phone=rng.random() < 0.9,
            id_number=rng.random() < 0.9,
        )
        register.ownerships.append((ref, *unit, ""))
        register.ownerships.append((spouse, *unit, ""))
        return [ref, spouse]
    if roll < 0.14:
        # Siblings who inherited the flat, by shares (按份共有).
        sibling, _name = people.add(
            sex=rng.choice("mf"),
            birth_year=born + rng.randrange(-6, 7),
            phone=True,
            id_number=rng.random() < 0.9,
            surname=name[0],
        )
        first = rng.choice(("0.5000", "0.6000", "0.7000"))
        register.ownerships.append((ref, *unit, first))
        register.ownerships.append((sibling, *unit, f"{Decimal(1) - Decimal(first):.4f}"))
        return [ref]
    register.ownerships.append((ref, *unit, ""))
    return [ref]


def _occupants(
    rng: random.Random,
    people: _People,
    spec: dict[str, Any],
    co_owners: list[str],
    owner_name: str,
    unit: Unit,
    register: _Register,
) -> None:
    """Who lives in an owned flat: nobody, tenants, or the owners and their family."""
    occupancy = rng.random()
    if occupancy < 0.07:
        return  # an empty flat
    if occupancy < 0.25:
        _tenants(rng, people, unit, register)
        return
    # Owners moved in from the year the estate was occupied (``occupied_from``), by default
    # the year it was built.
    since = _date_between(rng, spec.get("occupied_from", spec["year_built"]), 2023)
    for person in co_owners:
        register.residencies.append((person, *unit, "业主", since))
    surname = owner_name[0]
    for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
        member, _name = people.add(
            sex=rng.choice("mf"),
            birth_year=rng.randrange(1960, 2005),
            phone=rng.random() < 0.5,
            id_number=False,
            surname=surname if rng.random() < 0.7 else None,
        )
        register.residencies.append((member, *unit, "家庭成员", since))


def _tenants(rng: random.Random, people: _People, unit: Unit, register: _Register) -> None:
    since = _date_between(rng, 2018, 2024)
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        tenant, _name = people.add(
            sex=rng.choice("mf"),
            birth_year=rng.randrange(1975, 2003),
            phone=True,
            id_number=rng.random() < 0.5,
        )
        register.residencies.append((tenant, *unit, "租户", since))


def _date_between(rng: random.Random, first_year: int, last_year: int) -> str:
    start = date(max(first_year, 1980), 1, 1)
    end = date(last_year, 12, 31)
    return (start + timedelta(days=rng.randrange((end - start).days))).isoformat()


def _demo_logins(people: _People, register: _Register, logins: dict[str, Any]) -> None:
    """The people of the demo logins, in place of whoever the draw put in their flats.

    The owner lives in ``home`` (with a spouse) and rents ``rented`` out to the resident.
    People left without any ownership or residency are dropped.
    """
    estate = logins["estate"]
    home: Unit = (estate, *logins["home"])
    rented: Unit = (estate, *logins["rented"])
    taken = {home, rented}
    register.ownerships[:] = [r for r in register.ownerships if tuple(r[1:5]) not in taken]
    register.residencies[:] = [r for r in register.residencies if tuple(r[1:5]) not in taken]
    owner, resident, spouse = logins["owner"], logins["resident"], logins["spouse"]
    for login in (owner, resident):
        people.add(
            ref=login["ref"],
            name=login["name"],
            sex=login["sex"],
            birth_year=login["born"],
            phone=True,
            id_number=True,
            fixed_phone=login["phone"],
        )
    spouse_ref, _name = people.add(
        sex=spouse["sex"],
        birth_year=spouse["born"],
        phone=True,
        id_number=True,
        surname=spouse["surname"],
    )
    register.ownerships.append((owner["ref"], *home, ""))
    register.ownerships.append((spouse_ref, *home, ""))
    register.ownerships.append((owner["ref"], *rented, ""))
    register.residencies.append((owner["ref"], *home, "业主", owner["since"]))
    register.residencies.append((spouse_ref, *home, "业主", owner["since"]))
    register.residencies.append((resident["ref"], *rented, "租户", resident["since"]))
    used = {r[0] for r in register.ownerships} | {r[0] for r in register.residencies}
    people.rows[:] = [r for r in people.rows if r[0] in used]
