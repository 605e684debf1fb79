"""The administrative tree of a generated register: province → city → district → street →
community, from a preset's data (``data/<preset>.json``).

A preset names its province, cities and districts, and some streets and communities with
their codes (and estates in them). A drawn register (``province``) adds streets and
communities to hold its estates; the demo (``demo``) takes its places exactly as listed.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from xiaoqu.registry.generator.output import GenerateError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# Preset name → its data file; without a preset, a small made-up province.
PRESETS = {"guizhou": "guizhou.json", "national": "national.json", "demo": "demo.json"}
SYNTHETIC = "synthetic.json"


def _words(text: str) -> list[str]:
    return text.split()


_STREET_WORDS = _words(
    "城东 城西 城南 城北 文昌 龙井 新城 河西 河东 凤凰 莲花 龙泉 双龙 青龙 金钟 锦江 东山 "
    "南山 北山 西山 振华 龙江 文星 阳明 金山 银山 玉龙 龙山 虎山 太平 永兴 安宁 清平 兴华"
)
_COMMUNITY_WORDS = _words(
    "东风 团结 和平 新华 建设 人民 文化 朝阳 红旗 解放 幸福 光明 河滨 北门 南门 西门 东门 "
    "中山 新村 桂花 金桥 龙泉 阳光 康乐 育才 友谊 胜利 民主 长征 振兴 新民 向阳 前进 红星 "
    "花园 滨江 湖滨 青年 工农 新城 老城 南街 北街 东街 西街 中街 正街 新街 府前 广场 站前 "
    "火车站 汽车站 体育场 公园 水井 龙井 凤凰 莲花 荷花 梅花 桃源 杏林 松林 竹园 柳湾 "
    "清泉 碧水 青山 白云 紫云 翠屏 金钟 玉屏 锦江 双龙 青龙 黄龙 飞龙 回龙 龙洞 龙泉寺 "
    "观音 天星 太平 永安 长安 安居 乐业 兴隆 富民 丰收 万福 百花 映山红 杜鹃 兰花 石桥 "
    "木桥 新桥 大桥 河西 河东 城东 城西 城南 城北 滨河 沿河 环城 市场 菜园 果园 茶园 "
    "马鞍山 狮子山 虎山 鹿冲 龙坪 平桥 小河 大坝 三角 五里 七里 十里 四方 八角 九龙"
)


@dataclass
class Community:
    code: str
    name: str
    lat: float = 0.0
    lon: float = 0.0
    named: list[dict[str, Any]] = field(default_factory=list)  # the preset's estates here
    estates: int = 0


@dataclass
class Street:
    code: str
    name: str
    communities: list[Community] = field(default_factory=list)


@dataclass
class District:
    code: str
    name: str
    city: str
    lat: float = 0.0
    lon: float = 0.0
    weight: float = 0.0  # its share of the province's estates
    roads: list[str] = field(default_factory=list)
    spec_streets: list[dict[str, Any]] = field(default_factory=list)
    estates: int = 0
    streets: list[Street] = field(default_factory=list)

    @property
    def is_county(self) -> bool:
        return self.name.endswith("县") or self.name.endswith("特区")


def load_preset(preset: str | None) -> dict[str, Any]:
    """The data of a preset, or of the small made-up province when ``preset`` is None."""
    filename = SYNTHETIC if preset is None else PRESETS[preset]
    with open(DATA_DIR / filename, encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def districts(data: dict[str, Any]) -> list[District]:
    """The preset's districts, each with its share of the estates (city share × weight)."""
    out = []
    for city in data["cities"]:
        total = sum(d["weight"] for d in city["districts"])
        for d in city["districts"]:
            out.append(
                District(
                    code=d["code"],
                    name=d["name"],
                    city=city["name"],
                    lat=d["lat"],
                    lon=d["lon"],
                    weight=city["share"] * d["weight"] / total,
                    roads=list(d.get("roads", ())),
                    spec_streets=list(d.get("streets", ())),
                )
            )
    return out


def fixed_districts(data: dict[str, Any]) -> list[District]:
    """The preset's districts with exactly the streets and communities it lists."""
    out = []
    for city in data["cities"]:
        for d in city["districts"]:
            district = District(code=d["code"], name=d["name"], city=city["name"])
            for s in d["streets"]:
                street = Street(code=district.code + s["code"], name=s["name"])
                street.communities = [
                    Community(code=street.code + c["code"], name=c["name"])
                    for c in s["communities"]
                ]
                district.streets.append(street)
            out.append(district)
    return out


def region_rows(data: dict[str, Any], tree: list[District]) -> Iterator[tuple[str, ...]]:
    """The rows of regions.csv, parents before children, in the preset's order."""
    province = data["province"]
    yield (province["code"], province["name"], "省", "")
    by_city: dict[str, list[District]] = {}
    for d in tree:
        by_city.setdefault(d.city, []).append(d)
    for city in data["cities"]:
        yield (city["code"], city["name"], "市", province["code"])
        for d in by_city[city["name"]]:
            yield (d.code, d.name, "区县", city["code"])
            for st in d.streets:
                yield (st.code, st.name, "街道", d.code)
                for c in st.communities:
                    yield (c.code, c.name, "社区", st.code)


def apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder), each at
    least ``minimum``; the parts always sum to ``total`` exactly."""
    n = len(weights)
    rest = total - minimum * n
    if rest < 0:
        raise ValueError("total is below the minimum")
    weight_sum = sum(weights)
    quotas = [w * rest / weight_sum if weight_sum else rest / n for w in weights]
    parts = [int(q) for q in quotas]
    left = rest - sum(parts)
    by_remainder = sorted(range(n), key=lambda i: (parts[i] - quotas[i], i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return [p + minimum for p in parts]


# -- drawing the streets and communities of a district -------------------------------------


class _Codes:
    """Three-digit child codes under one parent, skipping the ones the data fixes."""

    def __init__(self, taken: Sequence[str]) -> None:
        self.taken = set(taken)

    def next(self, start: int) -> str:
        for i in [*range(start, 1000), *range(1, start)]:
            code = f"{i:03d}"
            if code not in self.taken:
                self.taken.add(code)
                return code
        raise GenerateError(_("一个上级区划下的下级区划超过 999 个，请减少小区数量。"))


def unique_name(rng: random.Random, words: Sequence[str], suffix: str, used: set[str]) -> str:
    """A name drawn from ``words`` + ``suffix`` not in ``used`` (then added to it)."""
    for _attempt in range(12):
        name = rng.choice(words) + suffix
        if name not in used:
            used.add(name)
            return name
    for word in words:
        if word + suffix not in used:
            used.add(word + suffix)
            return word + suffix
    n = 2
    while True:
        name = f"{rng.choice(words)}第{n}{suffix}"
        if name not in used:
            used.add(name)
            return name
        n += 1


# A street and the preset's entry for it (None for a drawn one).
_Planned = list[tuple[Street, dict[str, Any] | None]]


def build_tree(district: District, rng: random.Random) -> None:
    """Streets and communities for a district's share of estates, named estates first."""
    n = district.estates
    if n == 0:
        return
    fixed = [
        (s, c)
        for s in district.spec_streets
        for c in s.get("communities", ())
        if s.get("code") and c.get("code")
    ]
    n_comm = max(1, round(n / rng.uniform(2.8, 4.2)), min(len(fixed), n))
    fixed = fixed[:n_comm]
    per_street = rng.uniform(4.5, 7.5) if not district.is_county else rng.uniform(3.0, 5.0)
    streets = _streets(district, rng, fixed, n_comm, per_street)
    _communities(district, rng, streets, fixed, n_comm)
    district.streets = [st for st, _spec in streets]
    _share_estates(district, rng)


def _streets(
    district: District,
    rng: random.Random,
    fixed: list[tuple[dict[str, Any], dict[str, Any]]],
    n_comm: int,
    per_street: float,
) -> _Planned:
    """The district's streets: those its named communities need, the preset's, then drawn."""
    needed: list[dict[str, Any]] = []
    for s, _comm in fixed:
        if s not in needed:
            needed.append(s)
    n_streets = min(n_comm, max(len(needed), math.ceil(n_comm / per_street)), 999)
    specs = needed + [s for s in district.spec_streets if s not in needed]
    codes = _Codes([s["code"] for s in district.spec_streets if s.get("code")])
    names = {s["name"] for s in district.spec_streets}
    streets: _Planned = []
    for i in range(n_streets):
        spec: dict[str, Any] | None = specs[i] if i < len(specs) else None
        if spec is not None:
            name = spec["name"]
        else:
            suffix = "镇" if district.is_county and rng.random() < 0.3 else "街道"
            name = unique_name(rng, _STREET_WORDS, suffix, names)
        if spec and spec.get("code"):
            code = spec["code"]
        else:
            code = codes.next(100 if name.endswith("镇") else 1)
        streets.append((Street(code=district.code + code, name=name), spec))
    return streets


def _communities(
    district: District,
    rng: random.Random,
    streets: _Planned,
    fixed: list[tuple[dict[str, Any], dict[str, Any]]],
    n_comm: int,
) -> None:
    """The named communities on their streets, then drawn ones: every street gets one."""
    spread = 0.006 + 0.0006 * min(district.weight * 400, 30)
    names = {c["name"] for s in district.spec_streets for c in s.get("communities", ())}
    pools = {
        id(st): _Codes([c["code"] for c in (spec or {}).get("communities", ()) if c.get("code")])
        for st, spec in streets
    }

    def add(street: Street, name: str, code: str, named: list[Any]) -> None:
        lat = district.lat + rng.gauss(0, spread)
        lon = district.lon + rng.gauss(0, spread)
        street.communities.append(Community(street.code + code, name, lat, lon, named))

    by_spec = {id(spec): st for st, spec in streets if spec is not None}
    for s, c in fixed:
        add(by_spec[id(s)], c["name"], c["code"], list(c.get("estates", ())))
    free = n_comm - len(fixed)
    targets = [st for st, _spec in streets if not st.communities]
    while len(targets) < free:
        targets.append(streets[rng.randrange(len(streets))][0])
    for st in targets[:free]:
        name = unique_name(rng, _COMMUNITY_WORDS, "社区", names)
        add(st, name, pools[id(st)].next(1), [])


def _share_estates(district: District, rng: random.Random) -> None:
    """Each community's number of estates: at least its named ones, the rest drawn."""
    comms = [c for st in district.streets for c in st.communities]
    minimums = [max(1, len(c.named)) for c in comms]
    extra = district.estates - sum(minimums)
    if extra < 0:  # fewer estates than named ones: keep what fits
        for c in comms:
            c.named = c.named[:1]
        minimums = [1] * len(comms)
        extra = district.estates - len(comms)
    counts = apportion(extra, [rng.lognormvariate(0, 0.6) for _ in comms])
    for c, m, k in zip(comms, minimums, counts, strict=True):
        c.estates = m + k
