"""A synthetic but realistic register, written in the import format (docs/register-format.md).

``generate_register`` writes a folder of csv files that ``xiaoqu import`` reads: the region
tree (province → city → district → street → community), estates, buildings, entrances,
dwellings, people and ownerships. The shape follows the old estates of a Chinese province:
five- to seven-storey brick walk-ups from 1980–2005 with two flats per landing, employer
dormitories and courtyards next to property-managed estates, some developer-held units,
married couples holding jointly and a few owners with several flats.

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
import json
import math
import multiprocessing
import os
import random
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from xiaoqu.core.pii import ID_CHECK_CHARS, ID_WEIGHTS

DATA_DIR = Path(__file__).resolve().parent / "data"
PRESETS = {"guizhou": "guizhou.json"}
SYNTHETIC = "synthetic.json"

# Caps that keep a typo from filling the disk; the national programme is about 220,000
# estates and 38 million households.
MAX_ESTATES = 1_000_000
MAX_DWELLINGS = 100_000_000
MAX_DWELLINGS_PER_ESTATE = 20_000
# Below this many dwellings starting worker processes costs more than it saves.
PARALLEL_FROM = 50_000

# Fixed so that the files do not change with the day they are generated.
REFERENCE_YEAR = 2025

FILES: dict[str, tuple[str, ...]] = {
    "regions": ("代码", "名称", "级别", "上级代码"),
    "estates": (
        "小区编号",
        "小区名称",
        "社区代码",
        "地址",
        "建成年份",
        "纬度",
        "经度",
        "占地面积",
        "管理模式",
        "改造阶段",
    ),
    "buildings": ("小区编号", "楼栋号", "层数", "有电梯", "结构"),
    "entrances": ("小区编号", "楼栋号", "单元号"),
    "dwellings": ("小区编号", "楼栋号", "单元号", "房号", "楼层", "专有面积", "用途", "登记状态"),
    "people": ("人员编号", "姓名", "手机号", "证件号码"),
    "ownerships": ("人员编号", "小区编号", "楼栋号", "单元号", "房号", "份额"),
}
# Files of the format this generator does not write; removed by --force so that a stale
# one is not imported together with fresh ones.
OTHER_FORMAT_FILES = ("residencies.csv",)


class GenerateError(ValueError):
    """Bad arguments; the message is for people (Chinese)."""


@dataclass(frozen=True)
class GenerateSummary:
    """Rows written per file."""

    regions: int
    estates: int
    buildings: int
    entrances: int
    dwellings: int
    people: int
    ownerships: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


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
_STREET_WORDS = _words(
    "城东 城西 城南 城北 文昌 龙井 新城 河西 河东 凤凰 莲花 龙泉 双龙 青龙 金钟 锦江 东山 "
    "南山 北山 西山 振华 龙江 文星 阳明 金山 银山 玉龙 龙山 虎山 太平 永兴 安宁 清平 兴华"
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

# GB 11643 check digit, with the weighted sum split into parts that can be tabled.


def _digit_sum(digits: str, offset: int) -> int:
    return sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS[offset:], strict=False))


_SEQ_SUM = [_digit_sum(f"{s:03d}", 14) for s in range(1000)]
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


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


# --------------------------------------------------------------------------------------------
# The administrative tree.


@dataclass
class _Community:
    code: str
    name: str
    lat: float
    lon: float
    named: list[dict[str, Any]] = field(default_factory=list)
    estates: int = 0


@dataclass
class _Street:
    code: str
    name: str
    communities: list[_Community] = field(default_factory=list)


@dataclass
class _District:
    code: str
    name: str
    city: str
    lat: float
    lon: float
    weight: float
    roads: list[str]
    spec_streets: list[dict[str, Any]]
    estates: int = 0
    streets: list[_Street] = field(default_factory=list)

    @property
    def is_county(self) -> bool:
        return self.name.endswith("县") or self.name.endswith("特区")


def load_preset(preset: str | None) -> dict[str, Any]:
    """The region data of a preset, or of the small made-up province when ``preset`` is None."""
    filename = SYNTHETIC if preset is None else PRESETS[preset]
    with open(DATA_DIR / filename, encoding="utf-8") as f:
        return json.load(f)


def _districts(data: dict[str, Any]) -> list[_District]:
    out = []
    for city in data["cities"]:
        total = sum(d["weight"] for d in city["districts"])
        for d in city["districts"]:
            out.append(
                _District(
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


def _unique_name(rng: random.Random, words: Sequence[str], suffix: str, used: set[str]) -> str:
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


def _build_tree(district: _District, rng: random.Random) -> None:
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
    needed_streets = []
    for s, _comm in fixed:
        if s not in needed_streets:
            needed_streets.append(s)
    n_streets = min(n_comm, max(len(needed_streets), math.ceil(n_comm / per_street)), 999)

    specs = needed_streets + [s for s in district.spec_streets if s not in needed_streets]
    street_codes = _Codes([s["code"] for s in district.spec_streets if s.get("code")])
    street_names = {s["name"] for s in district.spec_streets}
    streets: list[tuple[_Street, dict[str, Any] | None]] = []
    for i in range(n_streets):
        if i < len(specs):
            spec: dict[str, Any] | None = specs[i]
            name = specs[i]["name"]
        else:
            spec = None
            suffix = "镇" if district.is_county and rng.random() < 0.3 else "街道"
            name = _unique_name(rng, _STREET_WORDS, suffix, street_names)
        if spec and spec.get("code"):
            code = spec["code"]
        else:
            code = street_codes.next(100 if name.endswith("镇") else 1)
        streets.append((_Street(code=district.code + code, name=name), spec))

    spread = 0.006 + 0.0006 * min(district.weight * 400, 30)
    community_names = {c["name"] for s in district.spec_streets for c in s.get("communities", ())}
    code_pools = {
        id(st): _Codes([c["code"] for c in (spec or {}).get("communities", ()) if c.get("code")])
        for st, spec in streets
    }

    def community(street: _Street, name: str, code: str, named: list[Any]) -> None:
        street.communities.append(
            _Community(
                code=street.code + code,
                name=name,
                lat=district.lat + rng.gauss(0, spread),
                lon=district.lon + rng.gauss(0, spread),
                named=named,
            )
        )

    by_spec = {id(spec): st for st, spec in streets if spec is not None}
    for s, c in fixed:
        community(by_spec[id(s)], c["name"], c["code"], list(c.get("estates", ())))
    # Every street gets at least one community, then the rest fall where they may.
    free = n_comm - len(fixed)
    targets = [st for st, _spec in streets if not st.communities]
    while len(targets) < free:
        targets.append(streets[rng.randrange(len(streets))][0])
    for st in targets[:free]:
        name = _unique_name(rng, _COMMUNITY_WORDS, "社区", community_names)
        community(st, name, code_pools[id(st)].next(1), [])
    district.streets = [st for st, _spec in streets]

    comms = [c for st in district.streets for c in st.communities]
    minimums = [max(1, len(c.named)) for c in comms]
    extra = n - sum(minimums)
    if extra < 0:  # fewer estates than named ones: keep what fits
        for c in comms:
            c.named = c.named[:1]
        minimums = [1] * len(comms)
        extra = n - len(comms)
    counts = apportion(extra, [rng.lognormvariate(0, 0.6) for _ in comms])
    for c, m, k in zip(comms, minimums, counts, strict=True):
        c.estates = m + k


# --------------------------------------------------------------------------------------------
# Writing.


def _dates_of(year: int) -> list[tuple[str, int]]:
    """Every date of a year as (YYYYMMDD, its part of the GB 11643 weighted sum)."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    out = []
    for month in range(1, 13):
        days = 29 if month == 2 and leap else _MONTH_DAYS[month]
        for day in range(1, days + 1):
            text = f"{year:04d}{month:02d}{day:02d}"
            out.append((text, _digit_sum(text, 6)))
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
        self.prefix_sum = 0
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
        self.prefix_sum = _digit_sum(code, 0)
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
        text, date_sum = dates[d]
        check = ID_CHECK_CHARS[(self.prefix_sum + date_sum + _SEQ_SUM[seq]) % 11]
        self.rows.append((ref, name, phone, self.prefix + text + _SEQ_TEXT[seq] + check))
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


def _write_district(
    files: dict[str, IO[str]], district: _District, sizes: Sequence[int], seed: int
) -> dict[str, int]:
    """Write one district's estates and everything in them; returns rows written per file.

    A district depends only on the seed, its own part of the tree and its estates' sizes, so
    districts can be written in any order or in parallel with the same result.
    """
    gen = _Generator(files, random.Random(f"xiaoqu:{seed}:{district.code}"))
    gen.people.start_district(district.code)
    used_names: set[str] = set()
    roads = district.roads or _ROADS
    seq = 0
    for street in district.streets:
        for comm in street.communities:
            for i in range(comm.estates):
                named = comm.named[i] if i < len(comm.named) else None
                size = sizes[seq]
                seq += 1
                _estate(gen, district, street, comm, seq, size, named, roads, used_names)
    gen.flush_people()
    return gen.counts


def _open(path: Path, mode: str = "w") -> IO[str]:
    return open(path, mode, encoding="utf-8", newline="", buffering=1 << 20)  # noqa: SIM115


def _district_part(task: tuple[Path, _District, list[int], int]) -> dict[str, int]:
    """Worker: write one district into its own folder of header-less part files."""
    folder, district, sizes, seed = task
    folder.mkdir()
    files = {name: _open(folder / f"{name}.csv") for name in FILES if name != "regions"}
    try:
        return _write_district(files, district, sizes, seed)
    finally:
        for f in files.values():
            f.close()


def _estate(
    gen: _Generator,
    district: _District,
    street: _Street,
    comm: _Community,
    seq: int,
    size: int,
    named: dict[str, Any] | None,
    roads: Sequence[str],
    used_names: set[str],
) -> None:
    rng = gen.rng
    code = f"{district.code}-{seq:04d}"
    year = named.get("year_built") if named else None
    year = year or _estate_year(rng)
    kind = _estate_kind(rng, size, year)
    road = rng.choice(roads)
    number = rng.randint(1, 180)
    if named:
        name = named["name"]
        used_names.add(name)
        kind = "courtyard" if name.endswith("院落") else "estate"
    else:
        name = _estate_name(rng, kind, year, road, number, used_names)
    address = named.get("address") if named else None
    if not address:
        address = f"{road}{number}号"
    if district.is_county or district.name.endswith("市"):
        address = f"{district.name}{street.name}{address}"
    else:
        address = f"{district.city}{district.name}{address}"
    management = (named or {}).get("management_mode") or _pick(rng, _MANAGEMENT[kind])
    stages = _STAGES_ELIGIBLE if year <= 2000 else _STAGES_LATE
    stage = (named or {}).get("stage") or _pick(rng, stages)
    lat = comm.lat + rng.gauss(0, 0.0025)
    lon = comm.lon + rng.gauss(0, 0.0025)

    # Units still held by the developer (or, in old public housing, never sold).
    unsold = undelivered = 0.0
    if year >= 1998 and rng.random() < 0.35:
        unsold, undelivered = rng.uniform(0.02, 0.12), rng.uniform(0.0, 0.04)
    elif year < 1998 and rng.random() < 0.08:
        unsold = rng.uniform(0.02, 0.2)
    shops = kind == "estate" and rng.random() < 0.25
    retrofit = stage in _RETROFIT_STAGES
    lo, hi = (40, 75) if year < 1990 else (50, 100) if year < 2000 else (70, 140)
    hi_storey_ok = year >= 1995 and size >= 60

    buildings: list[tuple[str, ...]] = []
    entrances: list[tuple[str, ...]] = []
    dwellings: list[tuple[Any, ...]] = []
    ownerships: list[tuple[str, ...]] = []
    total_cents = 0
    remaining = size
    b = 0
    while remaining > 0:
        b += 1
        bnum = str(b)
        storeys, n_ent, per_floor, elevator, structure = _layout(rng, year, hi_storey_ok)
        if storeys * n_ent * max(per_floor, 1) >= remaining:
            storeys, counts = _fit(remaining, storeys, n_ent, per_floor)
            if storeys < 8 and elevator:
                elevator, structure = False, "砖混结构"
        else:
            counts = [[per_floor] * storeys for _ in range(n_ent)]
        if not elevator and retrofit and storeys >= 5 and rng.random() < 0.08:
            elevator = True  # an elevator added by the renovation
        buildings.append((code, bnum, str(storeys), "是" if elevator else "否", structure))
        shop_floor = shops and rng.random() < 0.4
        for e, floors in enumerate(counts, start=1):
            enum = str(e)
            entrances.append((code, bnum, enum))
            plan = [rng.randint(lo * 100, hi * 100) for _ in range(max(floors))]
            for f, flats in enumerate(floors, start=1):
                for k in range(1, flats + 1):
                    number_ = f"{f}{k:02d}"
                    use = "住宅"
                    cents = plan[k - 1]
                    if f == 1 and shop_floor:
                        use = "商业" if rng.random() < 0.97 else "办公"
                        cents = rng.randint(4000, 14000)
                    elif f == 1 and rng.random() < 0.004:
                        use = "其他"
                    total_cents += cents
                    r = rng.random()
                    if r < unsold:
                        status = "未售出"
                    elif r < unsold + undelivered:
                        status = "未交付"
                    else:
                        status = "已登记"
                    dwellings.append((code, bnum, enum, number_, f, _cents(cents), use, status))
                    if status == "已登记":
                        _owners(gen, year, (code, bnum, enum, number_), ownerships)
                    remaining -= 1

    far = rng.uniform(1.1, 2.2)
    land = max(1, int(total_cents * 1.3 / far))
    gen.write(
        "estates",
        [
            (
                code,
                name,
                comm.code,
                address,
                year,
                f"{lat:.6f}",
                f"{lon:.6f}",
                _cents(land),
                management,
                stage,
            )
        ],
    )
    gen.flush_people()
    gen.write("buildings", buildings)
    gen.write("entrances", entrances)
    gen.write("dwellings", dwellings)
    gen.write("ownerships", ownerships)


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


def _validate(out: Path, estates: int, dwellings: int, force: bool) -> None:
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
    if out.exists() and not out.is_dir():
        raise GenerateError(_("输出路径 %(path)s 已存在且不是文件夹。") % {"path": out})
    if out.is_dir() and any(out.iterdir()) and not force:
        raise GenerateError(
            _("输出文件夹 %(path)s 不是空的；要覆盖其中的登记文件请加 --force。") % {"path": out}
        )


def generate_register(
    out: Path,
    *,
    estates: int | None = None,
    dwellings: int | None = None,
    seed: int = 1,
    preset: str | None = None,
    force: bool = False,
    workers: int | None = None,
) -> GenerateSummary:
    """Write a synthetic register as csv files into the folder ``out``.

    With ``preset`` ("guizhou") the regions are the preset's real ones and the counts default
    to the preset's (5,601 estates, 901,400 dwellings); without it a small made-up province
    is used and both counts are required. ``force`` lets ``out`` be a non-empty folder (the
    register files in it are replaced). ``workers`` processes write districts in parallel
    (default: one per core for large registers); the files are the same whatever their
    number. Raises ``GenerateError`` for bad arguments.
    """
    if preset is not None and preset not in PRESETS:
        raise GenerateError(
            _("未知的预设 %(preset)s；可用：%(choices)s。")
            % {"preset": preset, "choices": "、".join(sorted(PRESETS))}
        )
    data = load_preset(preset)
    if estates is None:
        estates = data.get("estates")
    if dwellings is None:
        dwellings = data.get("dwellings")
    if estates is None or dwellings is None:
        raise GenerateError(_("请给出 --estates 和 --dwellings，或使用 --preset。"))
    out = Path(out)
    _validate(out, estates, dwellings, force)
    out.mkdir(parents=True, exist_ok=True)
    if force:
        for name in OTHER_FORMAT_FILES:
            (out / name).unlink(missing_ok=True)

    tree_rng = random.Random(f"xiaoqu-regions:{preset or 'synthetic'}:{estates}")
    districts = _districts(data)
    for district, n in zip(
        districts, apportion(estates, [d.weight for d in districts]), strict=True
    ):
        district.estates = n
    for district in districts:
        _build_tree(district, tree_rng)

    rng = random.Random(seed)
    sizes = apportion(dwellings, [rng.lognormvariate(0, 0.75) for _ in range(estates)], 1)
    tasks: list[tuple[_District, list[int]]] = []
    start = 0
    for district in districts:
        if district.estates:
            tasks.append((district, sizes[start : start + district.estates]))
            start += district.estates

    if workers is None:
        # Forking a process that runs other threads can copy a held lock into the child.
        single_threaded = threading.active_count() == 1
        big = dwellings >= PARALLEL_FROM
        workers = min(os.cpu_count() or 1, 4) if big and single_threaded else 1
    if "fork" not in multiprocessing.get_all_start_methods():
        workers = 1

    counts = dict.fromkeys(FILES, 0)
    files = {name: _open(out / f"{name}.csv") for name in FILES}
    try:
        for name, header in FILES.items():
            csv.writer(files[name]).writerow(header)
        regions = list(_region_rows(data, districts))
        csv.writer(files["regions"]).writerows(regions)
        counts["regions"] = len(regions)
        if workers <= 1:
            for district, part in tasks:
                for name, n in _write_district(files, district, part, seed).items():
                    counts[name] += n
            return GenerateSummary(**counts)
    finally:
        for f in files.values():
            f.close()
    _write_parallel(out, tasks, seed, workers, counts)
    return GenerateSummary(**counts)


def _write_parallel(
    out: Path,
    tasks: list[tuple[_District, list[int]]],
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


def _region_rows(data: dict[str, Any], districts: list[_District]) -> Iterator[tuple[str, ...]]:
    province = data["province"]
    yield (province["code"], province["name"], "省", "")
    by_city: dict[str, list[_District]] = {}
    for d in districts:
        by_city.setdefault(d.city, []).append(d)
    for city in data["cities"]:
        yield (city["code"], city["name"], "市", province["code"])
        for d in by_city[city["name"]]:
            yield (d.code, d.name, "区县", city["code"])
            for st in d.streets:
                yield (st.code, st.name, "街道", d.code)
                for c in st.communities:
                    yield (c.code, c.name, "社区", st.code)
