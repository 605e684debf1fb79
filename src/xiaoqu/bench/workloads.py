"""Synthetic inputs shared by several benchmarks: residents' opinions, an estate's dwellings."""

from __future__ import annotations

import random
from typing import Any

# Openings and endings residents put around what they say, so most texts are distinct.
OPENINGS = (
    "",
    "",
    "",
    "说实话，",
    "我们楼",
    "希望社区管一下，",
    "老早就反映过了，",
    "哎，",
    "讲真的",
)
ENDINGS = ("", "", "", "，搞快点嘛", "，谢谢", "，糟心得很", "！", "，好多年了", "。", "，咋个整嘛")


def synthetic_opinions(n: int, seed: int = 0) -> list[str]:
    """``n`` opinions: the classifier's shipped sentences with varied places, openings, endings."""
    from xiaoqu.needs import classifier as clf

    rng = random.Random(seed)
    base = [e.text for e in clf.shipped_examples()]
    places = ["", "", *(f"{k}栋" for k in range(1, 31)), *(f"{k}单元" for k in range(1, 7))]
    return [
        rng.choice(places) + rng.choice(OPENINGS) + rng.choice(base) + rng.choice(ENDINGS)
        for _ in range(n)
    ]


def estate_with_dwellings(name: str, code: str, dwellings: int) -> Any:
    """A new estate in a fixed community, with ``dwellings`` dwellings in buildings of 100."""
    from xiaoqu.registry.models import Building, Dwelling, Entrance, Estate, Region

    parent = None
    for level, region_name in zip(
        ("province", "city", "district", "street", "community"),
        ("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"),
        strict=True,
    ):
        parent, _ = Region.objects.get_or_create(
            parent=parent, name=region_name, defaults={"level": level}
        )
    assert parent is not None
    estate = Estate.objects.create(code=code, name=name, community=parent, year_built=1995)
    per_building = 100
    for b in range(dwellings // per_building):
        building = Building.objects.create(estate=estate, number=str(b + 1), storeys=6)
        entrance = Entrance.objects.create(building=building, number="1")
        Dwelling.objects.bulk_create(
            Dwelling(
                entrance=entrance,
                building=building,
                estate=estate,
                number=f"{i // 4 + 1}{i % 4 + 1:02d}",
                floor=i // 4 + 1,
                area=80,
            )
            for i in range(per_building)
        )
    estate.households = dwellings
    estate.save()
    return estate
