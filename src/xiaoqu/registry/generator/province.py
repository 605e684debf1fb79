"""A drawn register: the estates of a province, written in the import format.

Used by ``xiaoqu generate`` without a preset (a small made-up province) and with
``--preset guizhou``: the region tree (province → city → district → street → community),
estates, buildings, entrances, dwellings, people and ownerships. The shape follows the old
estates of a Chinese province: five- to seven-storey brick walk-ups from 1980–2005 with two
flats per landing, employer dormitories and courtyards next to property-managed estates,
some developer-held units, married couples holding jointly and a few owners with several
flats.

Each district is drawn from its own ``random.Random`` seeded with the seed and the district
code, and streamed to the files as it is drawn: the same arguments give byte-identical
files whether the districts are written one after another or by several processes, and
memory stays small whatever the size. The administrative tree does not depend on the seed
(only on the preset and the number of estates): it stands for the real tree, which a seed
should not move.
"""

from __future__ import annotations

import csv
import datetime
import functools
import math
import multiprocessing
import os
import random
import shutil
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from xiaoqu.registry.generator.output import (
    HEADERS,
    GenerateError,
    GenerateSummary,
    check_folder,
    open_text,
    with_check_digit,
)
from xiaoqu.registry.generator.tree import (
    DATA_DIR,
    Community,
    District,
    apportion,
    build_tree,
    districts,
    region_rows,
)

# Caps that keep a typo from filling the disk; the national programme is about 220,000
# estates and 38 million households.
MAX_ESTATES = 1_000_000
MAX_DWELLINGS = 100_000_000
MAX_DWELLINGS_PER_ESTATE = 20_000
# Below this many dwellings starting worker processes costs more than it saves.
PARALLEL_FROM = 50_000

# The files a drawn register has: all of the format but residencies.csv, which --force
# removes so that a stale one is not imported together with fresh ones.
FILES: dict[str, tuple[str, ...]] = {k: h for k, h in HEADERS.items() if k != "residencies"}
OTHER_FORMAT_FILES = tuple(f"{k}.csv" for k in HEADERS if k not in FILES)


def _words(text: str) -> list[str]:
    return text.split()


# --------------------------------------------------------------------------------------------
# Word pools. Weights are rough frequencies; they only have to look right in a list.

_SURNAMES = (
    "王12 李12 张11 刘8 陈8 杨9 黄5 赵4 吴6 周4 罗6 龙4 徐3 孙3 胡3 朱3 何3 高3 郭3 马3 "
    "林2 田3 谢2 宋2 唐2 韩2 曾2 冯2 邓2 彭2 肖2 袁2 蒋2 蔡2 余2 杜2 叶2 程2 苏2 魏2 "
    "吕1 丁1 任1 沈1 姚1 卢1 姜1 钟1 谭1 陆1 汪1 范1 石2 廖2 贾1 夏1 韦2 付1 方1 邹1 "
    "熊1 秦1 江1 雷1 侯1 陶1 黎1 贺1 顾1 毛1 龚1 邵1 万1 严1 覃1 潘2 令1 文1 欧1 安1"
)
_MALE = (
    "伟 强 磊 军 勇 杰 涛 明 超 华 平 刚 辉 斌 建 国 文 志 海 林 波 鹏 宇 浩 俊 峰 龙 云 洪 兵 "
    "德 成 忠 福 贵 荣 庆 祥 昌 发 永 家 学 光 正 新 小 春 江 红 金 顺 友 亮 飞 东 晓 立 丰 坤"
)
_FEMALE = (
    "芳 娟 敏 静 丽 艳 霞 燕 玲 萍 红 梅 英 兰 琴 秀 慧 婷 雪 莉 琳 颖 蓉 凤 菊 珍 洁 琼 芬 "
    "桂 花 春 月 晓 小 玉 美 金 丹 倩 娜 佳 欢 虹 云 素 淑 翠 莲 仙 群 会 秋 惠 露 庆 兴 荣"
)
_PHONE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 "
    "170 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
)

_ESTATE_WORDS = _words(
    "阳光 金桥 幸福 和平 红旗 新华 建设 东风 文化 桂花 锦绣 龙泉 富源 康乐 团结 光明 朝阳 "
    "育才 振兴 民生 长城 友谊 胜利 北苑 南苑 东苑 西苑 翠微 碧水 青云 白云 紫薇 丹桂 玉兰 "
    "金苑 银杏 梧桐 荷花 望江 滨河 湖滨 花溪 清水 春晖 馨园 和谐 盛世 恒丰 兴隆 安居 宜居 "
    "金都 华联 金鼎 百花 云峰 凤凰 麒麟 龙腾 瑞丰 祥和 鸿福 福康 嘉禾 新城 城南 城北 河畔 "
    "山水 书香 怡园 静园 沁园 荷塘 松柏 长青 绿荫 枫林 樱花 芙蓉 明珠 星光 彩虹 天悦 景苑"
)
_EMPLOYERS = _words(
    "粮食局 供电局 邮电局 电信局 交通局 税务局 财政局 商业局 物资局 建设局 水利局 林业局 "
    "卫生局 教育局 公安局 法院 检察院 人民医院 中医院 妇幼保健院 第一中学 第二中学 实验小学 "
    "师范学校 卫生学校 自来水公司 煤气公司 运输公司 建筑公司 百货公司 食品公司 供销社 "
    "水泥厂 纺织厂 机械厂 化肥厂 卷烟厂 酒厂 电厂 钢厂 铝厂 磷肥厂 汽车修理厂 木材厂 印刷厂 "
    "农机厂 面粉厂 棉纺厂 轴承厂 电机厂 煤矿 地质队 勘探队 工商银行 农业银行 建设银行 人民银行 "
    "武装部 气象局 广播电视局 文化馆 新华书店 电影公司 工务段 车务段 火车站"
)
_DORM_SUFFIXES = ("宿舍", "家属院", "家属区", "生活区", "职工宿舍", "宿舍楼")
_ROADS = _words(
    "人民路 中山路 解放路 建设路 环城路 北门路 南门路 东门路 西门路 新华路 文化路 民族路 "
    "和平路 团结路 胜利路 朝阳路 广场路 河滨路 滨河路 交通路 延安路 工农路 红旗路 光明路 "
    "育才路 学府路 新城路 湖滨路 公园路 府前路 站前路 东风路 青年路 北京路 幸福路 长征路 "
    "健康路 市府路 城南路 城北路 桂花街 正街 新街 老街 大十字 小十字 南大街 北大街 东大街 西大街"
)
_MANAGEMENT = {
    "employer": (("原产权单位管理", 50), ("无人管理", 20), ("社区托管", 20), ("居民自管", 10)),
    "courtyard": (("居民自管", 40), ("社区托管", 30), ("无人管理", 30)),
    "estate": (("物业服务企业", 60), ("社区托管", 15), ("居民自管", 15), ("无人管理", 10)),
}
_STAGES_ELIGIBLE = (
    ("未启动", 10),
    ("摸排调研", 10),
    ("征集需求", 10),
    ("方案协商", 10),
    ("业主表决", 8),
    ("施工中", 20),
    ("已验收", 17),
    ("长效管理", 15),
)
_STAGES_LATE = (("未启动", 60), ("摸排调研", 25), ("征集需求", 15))
_RETROFIT_STAGES = frozenset({"施工中", "已验收", "长效管理"})


def _expand(spec: str) -> list[str]:
    """'王12 李12 …' → a list with each word repeated by its weight, for O(1) weighted draws."""
    out: list[str] = []
    for item in spec.split():
        out.extend([item[0]] * int(item[1:]))
    return out


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    total = sum(w for _, w in weighted)
    r = rng.random() * total
    for value, w in weighted:
        r -= w
        if r < 0:
            return value
    return weighted[-1][0]


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _dates_of(year: int) -> list[str]:
    """Every date of a year as YYYYMMDD."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    out = []
    for month in range(1, 13):
        days = 29 if month == 2 and leap else _MONTH_DAYS[month]
        for day in range(1, days + 1):
            out.append(f"{year:04d}{month:02d}{day:02d}")
    return out


_BIRTH_YEARS = range(1925, 2011)
_DATES = {year: _dates_of(year) for year in _BIRTH_YEARS}
_SEQ_TEXT = [f"{s:03d}" for s in range(1000)]
_PHONE_BASES = [int(p) * 100_000_000 for p in _PHONE_PREFIXES]


def _birth_years(low: int, high: int, mode: int, n: int = 1000) -> list[int]:
    """Quantiles of a triangular distribution, so a birth year is one table look-up."""
    out = []
    c = (mode - low) / (high - low)
    for i in range(n):
        u = (i + 0.5) / n
        if u < c:
            x = low + math.sqrt(u * (high - low) * (mode - low))
        else:
            x = high - math.sqrt((1 - u) * (high - low) * (high - mode))
        out.append(int(x))
    return out


# Owners of flats built before 1990 are mostly the first occupants, now old.
_OWNER_BORN_OLD = _birth_years(1930, 2000, 1952)
_OWNER_BORN_NEW = _birth_years(1935, 2001, 1970)


def _id_key(year: int, day_of_year: int, seq: int) -> int:
    return (year * 400 + day_of_year) * 1000 + seq


@functools.cache
def _reserved_ids() -> dict[str, frozenset[int]]:
    """The demo register's ID numbers by district prefix, never handed out here, so the demo
    and a generated register can be imported into one database (ID numbers are unique)."""
    out: dict[str, set[int]] = {}
    path = DATA_DIR / "demo" / "people.csv"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            value = (row.get("证件号码") or "").strip()
            if len(value) != 18 or not value[:17].isdigit():
                continue
            try:
                born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
            except ValueError:
                continue
            day = born.toordinal() - datetime.date(born.year, 1, 1).toordinal()
            out.setdefault(value[:6], set()).add(_id_key(born.year, day, int(value[14:17])))
    return {prefix: frozenset(keys) for prefix, keys in out.items()}


class _People:
    """People of one district. The ID numbers of a district share its six-digit prefix, so
    the set that keeps them unique is dropped when the next district starts."""

    def __init__(self, rng: random.Random, rows: list[tuple[str, ...]]) -> None:
        # No reference back to the generator: without a cycle, a finished district's
        # people (and the set of their ID numbers) are freed at once.
        self.rng = rng
        self.rows = rows
        self.prefix = ""
        self.used: set[int] = set()
        self.recent: list[str] = []
        self.seq = 0
        self.surnames = _expand(_SURNAMES)
        male, female = _MALE.split(), _FEMALE.split()
        # One draw picks a one- or two-character given name, about 30 : 70.
        self.given = {
            True: [a + b for a in male for b in male] + male * (len(male) * 3 // 7),
            False: [a + b for a in female for b in female] + female * (len(female) * 3 // 7),
        }

    def start_district(self, code: str) -> None:
        self.prefix = code
        self.used = set(_reserved_ids().get(code, ()))
        self.recent = []
        self.seq = 0

    def new(self, *, male: bool, year: int) -> str:
        random_ = self.rng.random
        self.seq += 1
        ref = f"P{self.prefix}{self.seq:06d}"
        surnames = self.surnames
        given = self.given[male]
        name = surnames[int(random_() * len(surnames))] + given[int(random_() * len(given))]
        if random_() < 0.04:
            phone = ""
        else:
            base = _PHONE_BASES[int(random_() * len(_PHONE_BASES))]
            phone = str(base + int(random_() * 100_000_000))
        dates = _DATES[year]
        used = self.used
        while True:
            d = int(random_() * len(dates))
            seq = int(random_() * 500) * 2 + male
            key = _id_key(year, d, seq)
            if key not in used:
                used.add(key)
                break
        id_number = with_check_digit(self.prefix + dates[d] + _SEQ_TEXT[seq])
        self.rows.append((ref, name, phone, id_number))
        return ref


class _Generator:
    """Rows of one district, drawn from the district's own random stream."""

    def __init__(self, files: dict[str, IO[str]], rng: random.Random) -> None:
        self.rng = rng
        self.counts = dict.fromkeys(FILES, 0)
        self.writers = {name: csv.writer(f) for name, f in files.items()}
        self.person_rows: list[tuple[str, ...]] = []
        self.people = _People(rng, self.person_rows)

    def write(self, name: str, rows: list[Any]) -> None:
        self.writers[name].writerows(rows)
        self.counts[name] += len(rows)

    def flush_people(self) -> None:
        if self.person_rows:
            self.write("people", self.person_rows)
            self.person_rows.clear()


def _estate_year(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.04:
        return rng.randint(1970, 1979)
    if r < 0.92:
        return int(rng.triangular(1980, 2006, 1995))
    return rng.randint(2006, 2012)


def _estate_kind(rng: random.Random, size: int, year: int) -> str:
    r = rng.random()
    if size <= 30:
        return "courtyard" if r < 0.45 else "employer"
    if size <= 150:
        if year < 2000 and r < 0.45:
            return "employer"
        return "courtyard" if r < 0.5 and size <= 60 else "estate"
    if year < 1995 and r < 0.25:
        return "employer"
    return "estate"


def _estate_name(
    rng: random.Random, kind: str, year: int, road: str, number: int, used: set[str]
) -> str:
    for _attempt in range(8):
        if kind == "courtyard":
            name = f"{road}{number}号" + ("院落" if rng.random() < 0.6 else "院")
        elif kind == "employer":
            unit = rng.choice(_EMPLOYERS)
            prefix = road if rng.random() < 0.3 else ""
            name = prefix + unit + rng.choice(_DORM_SUFFIXES)
        else:
            r = rng.random()
            word = rng.choice(_ESTATE_WORDS) if rng.random() < 0.8 else road
            if year >= 1995 and r < 0.3:
                suffix = rng.choice(("花园", "家园", "苑", "雅苑", "名居"))
            elif r > 0.85:
                suffix = "新村"
            else:
                suffix = "小区"
            name = word + suffix
        if name not in used:
            used.add(name)
            return name
        number += rng.randint(1, 20)
    for phase in ("二期", "三期", "四期", "五期"):
        if name + phase not in used:
            used.add(name + phase)
            return name + phase
    used.add(name)
    return name


def _layout(rng: random.Random, year: int, allow_tall: bool) -> tuple[int, int, int, bool, str]:
    """(storeys, entrances, flats per landing, elevator, structure) of one building."""
    r = rng.random()
    if allow_tall and r < 0.07:
        storeys = rng.randint(9, 18)
        structure = "剪力墙结构" if year >= 2000 or rng.random() < 0.5 else "框架结构"
        entrances = 1 if rng.random() < 0.6 else 2
        per_floor = 4 if rng.random() < 0.7 else 3
        return storeys, entrances, per_floor, True, structure
    if year < 1985 and r < 0.2:
        storeys = rng.randint(3, 5)
    else:
        storeys = int(_pick(rng, (("5", 25), ("6", 45), ("7", 24), ("4", 4), ("8", 2))))
    s = rng.random()
    if year < 1985 and storeys <= 4 and s < 0.15:
        structure = "砖木结构"
    elif s < 0.86:
        structure = "砖混结构"
    elif s < 0.98:
        structure = "框架结构"
    else:
        structure = "其他"
    entrances = int(_pick(rng, (("1", 15), ("2", 35), ("3", 30), ("4", 20))))
    per_floor = int(_pick(rng, (("2", 85), ("3", 8), ("4", 4), ("1", 3))))
    return storeys, entrances, per_floor, False, structure


def _fit(
    remaining: int, storeys: int, entrances: int, per_floor: int
) -> tuple[int, list[list[int]]]:
    """Shrink the last building of an estate so it holds exactly ``remaining`` flats.

    Returns the storeys and, per entrance, the flats on each floor.
    """
    per_floor = max(per_floor, 2)
    entrances = min(entrances, math.ceil(remaining / (storeys * per_floor)))
    if entrances == 1:
        storeys = min(storeys, math.ceil(remaining / per_floor))
    counts = [[per_floor] * storeys for _ in range(entrances)]
    gap = storeys * entrances * per_floor - remaining
    # Drop flats from the top floors of the last entrances: a top-floor flat joined with its
    # neighbour, or a landing with a single flat, are common in real stock.
    while gap > 0:
        for e in range(entrances - 1, -1, -1):
            for f in range(storeys - 1, -1, -1):
                if gap and counts[e][f] > 1:
                    counts[e][f] -= 1
                    gap -= 1
    return storeys, counts


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


@dataclass(frozen=True)
class _Estate:
    """An estate's own row, drawn before its buildings."""

    code: str
    name: str
    community: str
    address: str
    year: int
    kind: str
    management: str
    stage: str
    lat: float
    lon: float


@dataclass(frozen=True)
class _Stock:
    """How an estate's dwellings are drawn."""

    unsold: float
    undelivered: float
    shops: bool
    retrofit: bool  # renovated: some walk-ups got an elevator
    area: tuple[int, int]  # exclusive area of a flat, m²
    tall: bool  # may have high-rise buildings


@dataclass
class _Rows:
    """The rows of one estate's buildings, entrances, dwellings and ownerships."""

    buildings: list[tuple[Any, ...]] = field(default_factory=list)
    entrances: list[tuple[Any, ...]] = field(default_factory=list)
    dwellings: list[tuple[Any, ...]] = field(default_factory=list)
    ownerships: list[tuple[Any, ...]] = field(default_factory=list)
    cents: int = 0  # the dwellings' total area in hundredths of m²


def _write_district(
    files: dict[str, IO[str]], district: District, sizes: Sequence[int], seed: int
) -> dict[str, int]:
    """Write one district's estates and everything in them; returns rows written per file.

    A district depends only on the seed, its own part of the tree and its estates' sizes, so
    districts can be written in any order or in parallel with the same result.
    """
    gen = _Generator(files, random.Random(f"xiaoqu:{seed}:{district.code}"))
    gen.people.start_district(district.code)
    used_names: set[str] = set()
    seq = 0
    for street in district.streets:
        for comm in street.communities:
            for i in range(comm.estates):
                named = comm.named[i] if i < len(comm.named) else None
                size = sizes[seq]
                seq += 1
                where = (district, street.name, comm)
                estate = _describe(gen.rng, where, seq, size, named, used_names)
                _estate(gen, estate, size)
    gen.flush_people()
    return gen.counts


def _district_part(task: tuple[Path, District, list[int], int]) -> dict[str, int]:
    """Worker: write one district into its own folder of header-less part files."""
    folder, district, sizes, seed = task
    folder.mkdir()
    files = {name: open_text(folder / f"{name}.csv") for name in FILES if name != "regions"}
    try:
        return _write_district(files, district, sizes, seed)
    finally:
        for f in files.values():
            f.close()


def _describe(
    rng: random.Random,
    where: tuple[District, str, Community],
    seq: int,
    size: int,
    named: dict[str, Any] | None,
    used_names: set[str],
) -> _Estate:
    """An estate's row: a preset's named estate keeps what the preset says of it."""
    district, street, comm = where
    given = named or {}
    year = given.get("year_built") or _estate_year(rng)
    kind = _estate_kind(rng, size, year)
    road = rng.choice(district.roads or _ROADS)
    number = rng.randint(1, 180)
    if named:
        name = named["name"]
        used_names.add(name)
        kind = "courtyard" if name.endswith("院落") else "estate"
    else:
        name = _estate_name(rng, kind, year, road, number, used_names)
    address = given.get("address") or f"{road}{number}号"
    if district.is_county or district.name.endswith("市"):
        address = f"{district.name}{street}{address}"
    else:
        address = f"{district.city}{district.name}{address}"
    management = given.get("management_mode") or _pick(rng, _MANAGEMENT[kind])
    stage = given.get("stage") or _pick(rng, _STAGES_ELIGIBLE if year <= 2000 else _STAGES_LATE)
    lat = comm.lat + rng.gauss(0, 0.0025)
    lon = comm.lon + rng.gauss(0, 0.0025)
    code = f"{district.code}-{seq:04d}"
    return _Estate(code, name, comm.code, address, year, kind, management, stage, lat, lon)


def _stock(rng: random.Random, estate: _Estate, size: int) -> _Stock:
    """Units still held by the developer (or, in old public housing, never sold), shops."""
    year = estate.year
    unsold = undelivered = 0.0
    if year >= 1998 and rng.random() < 0.35:
        unsold, undelivered = rng.uniform(0.02, 0.12), rng.uniform(0.0, 0.04)
    elif year < 1998 and rng.random() < 0.08:
        unsold = rng.uniform(0.02, 0.2)
    shops = estate.kind == "estate" and rng.random() < 0.25
    area = (40, 75) if year < 1990 else (50, 100) if year < 2000 else (70, 140)
    retrofit = estate.stage in _RETROFIT_STAGES
    return _Stock(unsold, undelivered, shops, retrofit, area, year >= 1995 and size >= 60)


def _estate(gen: _Generator, estate: _Estate, size: int) -> None:
    """Draw an estate's buildings until they hold ``size`` flats, and write its rows."""
    rng = gen.rng
    stock = _stock(rng, estate, size)
    rows = _Rows()
    remaining = size
    b = 0
    while remaining > 0:
        b += 1
        remaining -= _building(gen, estate, stock, str(b), remaining, rows)
    far = rng.uniform(1.1, 2.2)
    land = max(1, int(rows.cents * 1.3 / far))
    e = estate
    lat, lon = f"{e.lat:.6f}", f"{e.lon:.6f}"
    row = (e.code, e.name, e.community, e.address, e.year, lat, lon, _cents(land))
    gen.write("estates", [(*row, e.management, e.stage)])
    gen.flush_people()
    gen.write("buildings", rows.buildings)
    gen.write("entrances", rows.entrances)
    gen.write("dwellings", rows.dwellings)
    gen.write("ownerships", rows.ownerships)


def _building(
    gen: _Generator, estate: _Estate, stock: _Stock, bnum: str, remaining: int, rows: _Rows
) -> int:
    """Draw one building of at most ``remaining`` flats; returns the flats it holds."""
    rng = gen.rng
    storeys, n_ent, per_floor, elevator, structure = _layout(rng, estate.year, stock.tall)
    if storeys * n_ent * max(per_floor, 1) >= remaining:
        storeys, counts = _fit(remaining, storeys, n_ent, per_floor)
        if storeys < 8 and elevator:
            elevator, structure = False, "砖混结构"
    else:
        counts = [[per_floor] * storeys for _ in range(n_ent)]
    if not elevator and stock.retrofit and storeys >= 5 and rng.random() < 0.08:
        elevator = True  # an elevator added by the renovation
    rows.buildings.append((estate.code, bnum, str(storeys), "是" if elevator else "否", structure))
    shop_floor = stock.shops and rng.random() < 0.4
    for e, floors in enumerate(counts, start=1):
        rows.entrances.append((estate.code, bnum, str(e)))
        _flats(gen, estate, stock, (estate.code, bnum, str(e)), floors, shop_floor, rows)
    return sum(sum(floors) for floors in counts)


def _flats(
    gen: _Generator,
    estate: _Estate,
    stock: _Stock,
    entrance: tuple[str, str, str],
    floors: list[int],
    shop_floor: bool,
    rows: _Rows,
) -> None:
    """The flats of one entrance (flats per floor in ``floors``) and their owners."""
    rng = gen.rng
    lo, hi = stock.area
    # The same plan on every floor: flat k has the same area all the way up.
    plan = [rng.randint(lo * 100, hi * 100) for _ in range(max(floors))]
    unsold, undelivered = stock.unsold, stock.undelivered
    for f, flats in enumerate(floors, start=1):
        for k in range(1, flats + 1):
            number = f"{f}{k:02d}"
            use, cents = _use(rng, f == 1, shop_floor, plan[k - 1])
            rows.cents += cents
            r = rng.random()
            if r < unsold:
                status = "未售出"
            elif r < unsold + undelivered:
                status = "未交付"
            else:
                status = "已登记"
            rows.dwellings.append((*entrance, number, f, _cents(cents), use, status))
            if status == "已登记":
                _owners(gen, estate.year, (*entrance, number), rows.ownerships)


def _use(rng: random.Random, ground: bool, shop_floor: bool, cents: int) -> tuple[str, int]:
    """A flat's use and area: a shop on a ground floor of shops, now and then something else."""
    if ground and shop_floor:
        return "商业" if rng.random() < 0.97 else "办公", rng.randint(4000, 14000)
    if ground and rng.random() < 0.004:
        return "其他", cents
    return "住宅", cents


def _owners(
    gen: _Generator, year_built: int, unit: tuple[str, str, str, str], out: list[tuple[str, ...]]
) -> None:
    random_ = gen.rng.random
    people = gen.people
    recent = people.recent
    male = random_() < 0.55
    table = _OWNER_BORN_OLD if year_built < 1990 else _OWNER_BORN_NEW
    born = table[int(random_() * len(table))]
    if recent and random_() < 0.04:
        # An owner of several flats in the same district.
        owner = recent[int(random_() * len(recent))]
    else:
        owner = people.new(male=male, year=born)
        if len(recent) < 300:
            recent.append(owner)
        else:
            recent[int(random_() * 300)] = owner
    if random_() < 0.22:
        spouse_born = min(max(born + int(random_() * 11) - 5, _BIRTH_YEARS[0]), 2003)
        spouse = people.new(male=not male, year=spouse_born)
        share = "0.5" if random_() < 0.25 else ""
        out.append((owner, *unit, share))
        out.append((spouse, *unit, share))
    else:
        out.append((owner, *unit, ""))


def _write_parallel(
    out: Path,
    tasks: list[tuple[District, list[int]]],
    seed: int,
    workers: int,
    counts: dict[str, int],
) -> None:
    """Districts written by worker processes into part files, appended to the files in order."""
    parts = Path(tempfile.mkdtemp(prefix=".generate-", dir=out))
    targets = {name: open(out / f"{name}.csv", "ab") for name in FILES if name != "regions"}  # noqa: SIM115
    try:
        jobs = [(parts / d.code, d, sizes, seed) for d, sizes in tasks]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for (folder, *_rest), written in zip(jobs, pool.map(_district_part, jobs), strict=True):
                for name, target in targets.items():
                    with open(folder / f"{name}.csv", "rb") as part:
                        shutil.copyfileobj(part, target, 1 << 20)
                    counts[name] += written[name]
                shutil.rmtree(folder)
    finally:
        for target in targets.values():
            target.close()
        shutil.rmtree(parts, ignore_errors=True)


def _check_counts(estates: int, dwellings: int) -> None:
    if estates < 1:
        raise GenerateError(_("小区数量至少为 1。"))
    if dwellings < estates:
        raise GenerateError(_("房屋数量不能少于小区数量（每个小区至少一套房屋）。"))
    if estates > MAX_ESTATES:
        raise GenerateError(_("小区数量不能超过 %(n)s。") % {"n": f"{MAX_ESTATES:,}"})
    if dwellings > MAX_DWELLINGS:
        raise GenerateError(_("房屋数量不能超过 %(n)s。") % {"n": f"{MAX_DWELLINGS:,}"})
    if dwellings > estates * MAX_DWELLINGS_PER_ESTATE:
        raise GenerateError(
            _("平均每个小区的房屋不能超过 %(n)s 套。") % {"n": f"{MAX_DWELLINGS_PER_ESTATE:,}"}
        )


def generate_province(
    out: Path,
    data: dict[str, Any],
    *,
    preset: str | None,
    estates: int | None,
    dwellings: int | None,
    seed: int,
    force: bool,
    workers: int | None,
) -> GenerateSummary:
    """Write a drawn register of the province in ``data`` into the folder ``out``.

    The counts default to the preset's; ``workers`` processes write districts in parallel
    (default: one per core, at most four, for large registers); the files are the same
    whatever their number.
    """
    estates = data.get("estates") if estates is None else estates
    dwellings = data.get("dwellings") if dwellings is None else dwellings
    if estates is None or dwellings is None:
        raise GenerateError(_("请给出 --estates 和 --dwellings，或使用 --preset。"))
    _check_counts(estates, dwellings)
    check_folder(out, force)
    out.mkdir(parents=True, exist_ok=True)
    if force:
        for name in OTHER_FORMAT_FILES:
            (out / name).unlink(missing_ok=True)
    tree = _tree(data, preset, estates)
    tasks = _tasks(tree, estates, dwellings, seed)
    counts = _write(out, data, tree, tasks, seed, _workers(workers, dwellings))
    return GenerateSummary(**counts)


def _tree(data: dict[str, Any], preset: str | None, estates: int) -> list[District]:
    """The districts with their estates, streets and communities (the seed plays no part)."""
    rng = random.Random(f"xiaoqu-regions:{preset or 'synthetic'}:{estates}")
    tree = districts(data)
    for district, n in zip(tree, apportion(estates, [d.weight for d in tree]), strict=True):
        district.estates = n
    for district in tree:
        build_tree(district, rng)
    return tree


def _tasks(
    tree: list[District], estates: int, dwellings: int, seed: int
) -> list[tuple[District, list[int]]]:
    """Each district with the sizes (dwellings) of its estates."""
    rng = random.Random(seed)
    sizes = apportion(dwellings, [rng.lognormvariate(0, 0.75) for _ in range(estates)], 1)
    tasks: list[tuple[District, list[int]]] = []
    start = 0
    for district in tree:
        if district.estates:
            tasks.append((district, sizes[start : start + district.estates]))
            start += district.estates
    return tasks


def _workers(workers: int | None, dwellings: int) -> int:
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if workers is not None:
        return workers
    # Forking a process that runs other threads can copy a held lock into the child.
    single_threaded = threading.active_count() == 1
    big = dwellings >= PARALLEL_FROM
    return min(os.cpu_count() or 1, 4) if big and single_threaded else 1


def _write(
    out: Path,
    data: dict[str, Any],
    tree: list[District],
    tasks: list[tuple[District, list[int]]],
    seed: int,
    workers: int,
) -> dict[str, int]:
    """Write the files: headers and regions, then the districts, here or by worker processes."""
    counts = dict.fromkeys(FILES, 0)
    files = {name: open_text(out / f"{name}.csv") for name in FILES}
    try:
        for name, header in FILES.items():
            csv.writer(files[name]).writerow(header)
        regions = list(region_rows(data, tree))
        csv.writer(files["regions"]).writerows(regions)
        counts["regions"] = len(regions)
        if workers <= 1:
            for district, part in tasks:
                for name, n in _write_district(files, district, part, seed).items():
                    counts[name] += n
            return counts
    finally:
        for f in files.values():
            f.close()
    _write_parallel(out, tasks, seed, workers, counts)
    return counts
