"""Write the demo register (src/xiaoqu/registry/data/demo/*.csv).

The places are those of the newspaper report the product grew from; buildings, dwellings
and people are synthetic. The output is deterministic: running this again writes the same
files, so the committed csv files can be checked against it.

    .venv/bin/python scripts/make_demo_register.py [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from xiaoqu.core.pii import id_check_digit

OUT = Path(__file__).resolve().parent.parent / "src" / "xiaoqu" / "registry" / "data" / "demo"
SEED = 20240401

# Demo logins that are also people in the register (see xiaoqu.registry.demo).
DEMO_OWNER_REF = "P000001"
DEMO_OWNER_PHONE = "13800000002"
DEMO_RESIDENT_REF = "P000002"
DEMO_RESIDENT_PHONE = "13800000001"

# (code, name, level, parent code). Province, city and district codes are GB/T 2260.
# 贵安新区 is a state-level new area outside GB/T 2260: 5299xx is unassigned there and is
# used here as a local code. Street (9-digit) and community (12-digit) codes are plausible,
# not the official statistical codes. See data/demo/README.md.
REGIONS: list[tuple[str, str, str, str]] = [
    ("520000", "贵州省", "省", ""),
    ("520100", "贵阳市", "市", "520000"),
    ("520103", "云岩区", "区县", "520100"),
    ("520103006", "盐务街街道", "街道", "520103"),
    ("520103006001", "金仓社区", "社区", "520103006"),
    ("520103006002", "吉祥社区", "社区", "520103006"),
    ("520102", "南明区", "区县", "520100"),
    ("520102005", "兴关路街道", "街道", "520102"),
    ("520102005001", "兴关社区", "社区", "520102005"),
    ("520102003", "遵义路街道", "街道", "520102"),
    ("520102003001", "四通街社区", "社区", "520102003"),
    ("520600", "铜仁市", "市", "520000"),
    ("520623", "石阡县", "区县", "520600"),
    ("520623001", "泉都街道", "街道", "520623"),
    ("520623001001", "大关社区", "社区", "520623001"),
    ("520200", "六盘水市", "市", "520000"),
    ("520201", "钟山区", "区县", "520200"),
    ("520201002", "红岩街道", "街道", "520201"),
    ("520201002001", "东风西路社区", "社区", "520201002"),
    ("520281", "盘州市", "区县", "520200"),
    ("520281001", "亦资街道", "街道", "520281"),
    ("520281001001", "东湖社区", "社区", "520281001"),
    ("520400", "安顺市", "市", "520000"),
    ("520403", "平坝区", "区县", "520400"),
    ("520403001", "安平街道", "街道", "520403"),
    ("520403001001", "新城社区", "社区", "520403001"),
    ("522300", "黔西南布依族苗族自治州", "市", "520000"),
    ("522323", "普安县", "区县", "522300"),
    ("522323001", "盘水街道", "街道", "522323"),
    ("522323001001", "城南社区", "社区", "522323001"),
    ("520500", "毕节市", "市", "520000"),
    ("520502", "七星关区", "区县", "520500"),
    ("520502001", "市东街道", "街道", "520502"),
    ("520502001001", "麻园社区", "社区", "520502001"),
    ("529900", "贵安新区", "市", "520000"),
    ("529901", "贵安新区直管区", "区县", "529900"),
    ("529901001", "党武街道", "街道", "529901"),
    ("529901001001", "党武社区", "社区", "529901001"),
]


@dataclass
class EstateSpec:
    community: str
    name: str
    address: str
    year: int
    mode: str
    stage: str
    # Approximate centre (WGS-84) of the town or neighbourhood; estates are spread around it.
    lat: float
    lon: float
    buildings: int
    storeys: tuple[int, ...] = (6,)
    entrances: tuple[int, ...] = (2,)
    per_floor: tuple[int, ...] = (2,)
    structure: str = "砖混结构"
    # (storeys, entrances, per_floor) of an extra high-rise building with an elevator.
    tower: tuple[int, int, int] | None = None
    elevators_added: int = 0
    shops: int = 0
    unsold: int = 0
    undelivered: int = 0
    area: tuple[int, int] = (55, 90)
    notes: list[str] = field(default_factory=list)


ESTATES: list[EstateSpec] = [
    # 云岩区盐务街街道: 1980s-1990s estates; parking and added elevators already done.
    EstateSpec(
        "520103006001",
        "金仓路市政宿舍",
        "贵阳市云岩区金仓路21号",
        1986,
        "居民自管",
        "已验收",
        26.5862,
        106.7145,
        4,
        (6,),
        (2,),
        (2,),
        elevators_added=1,
        area=(48, 72),
    ),
    EstateSpec(
        "520103006001",
        "盐务街12号院",
        "贵阳市云岩区盐务街12号",
        1992,
        "居民自管",
        "已验收",
        26.5862,
        106.7145,
        3,
        (6,),
        (3,),
        (2,),
        area=(55, 85),
    ),
    EstateSpec(
        "520103006001",
        "金仓苑",
        "贵阳市云岩区金仓路48号",
        1998,
        "物业服务企业",
        "长效管理",
        26.5862,
        106.7145,
        4,
        (7,),
        (2,),
        (2,),
        shops=4,
        area=(68, 110),
    ),
    EstateSpec(
        "520103006002",
        "吉祥巷粮食局宿舍",
        "贵阳市云岩区吉祥巷9号",
        1984,
        "原产权单位管理",
        "已验收",
        26.5890,
        106.7110,
        3,
        (5,),
        (2,),
        (3,),
        area=(38, 62),
    ),
    EstateSpec(
        "520103006002",
        "吉祥小区",
        "贵阳市云岩区吉祥路33号",
        1995,
        "居民自管",
        "施工中",
        26.5890,
        106.7110,
        5,
        (6, 6, 7),
        (2,),
        (2,),
        area=(58, 92),
    ),
    EstateSpec(
        "520103006002",
        "电信局家属院",
        "贵阳市云岩区吉祥路56号",
        1990,
        "社区托管",
        "方案协商",
        26.5890,
        106.7110,
        2,
        (6,),
        (3,),
        (2,),
        area=(52, 80),
    ),
    # 南明区兴关路街道: 11 Party-member responsibility zones, works under way.
    EstateSpec(
        "520102005001",
        "兴关路机械厂宿舍",
        "贵阳市南明区兴关路102号",
        1983,
        "无人管理",
        "施工中",
        26.5605,
        106.7010,
        4,
        (5,),
        (2,),
        (3,),
        area=(40, 64),
    ),
    EstateSpec(
        "520102005001",
        "沙冲南路小区",
        "贵阳市南明区沙冲南路17号",
        1994,
        "社区托管",
        "施工中",
        26.5605,
        106.7010,
        5,
        (6,),
        (2,),
        (2,),
        shops=6,
        area=(56, 88),
    ),
    EstateSpec(
        "520102005001",
        "兴关路76号院",
        "贵阳市南明区兴关路76号",
        1989,
        "无人管理",
        "施工中",
        26.5605,
        106.7010,
        2,
        (6,),
        (2,),
        (2,),
        area=(48, 75),
    ),
    # 南明区遵义路街道: 四通街8号院落, self-managed (自管会) since April after the manager left.
    EstateSpec(
        "520102003001",
        "四通街8号院落",
        "贵阳市南明区四通街8号",
        1993,
        "居民自管",
        "长效管理",
        26.5693,
        106.7128,
        3,
        (6,),
        (2,),
        (2,),
        area=(55, 88),
    ),
    EstateSpec(
        "520102003001",
        "遵义路商业局宿舍",
        "贵阳市南明区遵义路115号",
        1987,
        "原产权单位管理",
        "征集需求",
        26.5693,
        106.7128,
        2,
        (6,),
        (3,),
        (2,),
        area=(45, 70),
    ),
    EstateSpec(
        "520102003001",
        "四通街住宅小区",
        "贵阳市南明区四通街30号",
        1999,
        "物业服务企业",
        "未启动",
        26.5693,
        106.7128,
        4,
        (7,),
        (2,),
        (2,),
        area=(70, 115),
    ),
    # 石阡县泉都街道大关社区: 碧波水岸小区, built about 2003, renovated.
    EstateSpec(
        "520623001001",
        "碧波水岸小区",
        "石阡县泉都街道大关路88号",
        2003,
        "物业服务企业",
        "已验收",
        27.5130,
        108.2290,
        6,
        (7,),
        (2,),
        (2,),
        structure="框架结构",
        tower=(11, 2, 2),
        shops=8,
        unsold=6,
        undelivered=3,
        area=(78, 132),
    ),
    EstateSpec(
        "520623001001",
        "大关街粮站宿舍",
        "石阡县泉都街道大关街15号",
        1991,
        "原产权单位管理",
        "摸排调研",
        27.5130,
        108.2290,
        2,
        (5,),
        (2,),
        (2,),
        area=(50, 78),
    ),
    EstateSpec(
        "520623001001",
        "泉都花园",
        "石阡县泉都街道温泉路20号",
        2000,
        "物业服务企业",
        "征集需求",
        27.5130,
        108.2290,
        4,
        (6,),
        (2,),
        (2,),
        area=(72, 118),
    ),
    # 钟山区红岩街道东风西路社区: door-knocking (敲门行动), collecting needs.
    EstateSpec(
        "520201002001",
        "水矿东风宿舍",
        "六盘水市钟山区东风西路40号",
        1982,
        "原产权单位管理",
        "征集需求",
        26.5900,
        104.8300,
        6,
        (5,),
        (2,),
        (3,),
        area=(36, 60),
    ),
    EstateSpec(
        "520201002001",
        "东风西路供电局宿舍",
        "六盘水市钟山区东风西路77号",
        1991,
        "社区托管",
        "征集需求",
        26.5900,
        104.8300,
        3,
        (6,),
        (2,),
        (2,),
        area=(52, 82),
    ),
    EstateSpec(
        "520201002001",
        "红岩小区",
        "六盘水市钟山区红岩路9号",
        1997,
        "物业服务企业",
        "征集需求",
        26.5900,
        104.8300,
        4,
        (6,),
        (3,),
        (2,),
        shops=5,
        area=(60, 98),
    ),
    # 平坝区安平街道新城社区: Party members surveying roofs, drains, stair lights.
    EstateSpec(
        "520403001001",
        "新城小区",
        "安顺市平坝区新城路26号",
        1996,
        "社区托管",
        "摸排调研",
        26.4060,
        106.2570,
        5,
        (6,),
        (2,),
        (2,),
        area=(58, 90),
    ),
    EstateSpec(
        "520403001001",
        "平坝粮食局宿舍",
        "安顺市平坝区安平街道建设路5号",
        1988,
        "原产权单位管理",
        "摸排调研",
        26.4060,
        106.2570,
        2,
        (5,),
        (2,),
        (2,),
        area=(45, 68),
    ),
    EstateSpec(
        "520403001001",
        "安平花园",
        "安顺市平坝区新城路88号",
        2006,
        "物业服务企业",
        "未启动",
        26.4060,
        106.2570,
        4,
        (7,),
        (2,),
        (2,),
        structure="框架结构",
        unsold=4,
        area=(80, 128),
    ),
    # 普安县盘水街道: 阳光新城小区 with a 红色物业 Party branch and 五方共治.
    EstateSpec(
        "522323001001",
        "阳光新城小区",
        "普安县盘水街道阳光大道16号",
        2000,
        "物业服务企业",
        "长效管理",
        25.7860,
        104.9530,
        6,
        (7,),
        (2,),
        (2,),
        structure="框架结构",
        shops=6,
        unsold=5,
        area=(75, 125),
    ),
    EstateSpec(
        "522323001001",
        "盘水小区",
        "普安县盘水街道南湖路3号",
        1993,
        "社区托管",
        "业主表决",
        25.7860,
        104.9530,
        3,
        (6,),
        (2,),
        (2,),
        area=(55, 86),
    ),
    # 七星关区: 党小组+网格员+联户 (铁三角), agreeing on the plans.
    EstateSpec(
        "520502001001",
        "毕节地区行署宿舍",
        "毕节市七星关区麻园路12号",
        1989,
        "原产权单位管理",
        "方案协商",
        27.3020,
        105.2850,
        3,
        (6,),
        (2,),
        (2,),
        area=(50, 80),
    ),
    EstateSpec(
        "520502001001",
        "洪山路小区",
        "毕节市七星关区洪山路45号",
        1996,
        "社区托管",
        "方案协商",
        27.3020,
        105.2850,
        4,
        (6,),
        (2,),
        (2,),
        area=(58, 92),
    ),
    EstateSpec(
        "520502001001",
        "麻园新村",
        "毕节市七星关区麻园路70号",
        1993,
        "无人管理",
        "方案协商",
        27.3020,
        105.2850,
        3,
        (5,),
        (3,),
        (2,),
        area=(48, 76),
    ),
    # 盘州市: Party-member model households (党员示范户), owners voting.
    EstateSpec(
        "520281001001",
        "盘江煤电宿舍",
        "盘州市亦资街道东湖路19号",
        1987,
        "原产权单位管理",
        "业主表决",
        25.7060,
        104.4690,
        5,
        (6,),
        (2,),
        (2,),
        area=(45, 72),
    ),
    EstateSpec(
        "520281001001",
        "亦资小区",
        "盘州市亦资街道胜境大道60号",
        1999,
        "物业服务企业",
        "业主表决",
        25.7060,
        104.4690,
        4,
        (6,),
        (2,),
        (2,),
        area=(62, 102),
    ),
    # 贵安新区党武街道: market-town (集镇) micro-renovation.
    EstateSpec(
        "529901001001",
        "党武集镇居民点",
        "贵安新区党武街道下坝路8号",
        1998,
        "社区托管",
        "施工中",
        26.3850,
        106.6290,
        6,
        (4,),
        (1,),
        (2,),
        structure="框架结构",
        shops=6,
        area=(70, 120),
    ),
    EstateSpec(
        "529901001001",
        "思孟路安置小区",
        "贵安新区党武街道思孟路21号",
        2008,
        "物业服务企业",
        "未启动",
        26.3850,
        106.6290,
        4,
        (6,),
        (2,),
        (2,),
        structure="框架结构",
        area=(75, 120),
    ),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹雷侯龙史陶黎贺顾龚万严覃安"
)
# Weighted towards the surnames common in Guizhou (杨, 王, 李, 张, 刘, 陈, 罗, 吴, 龙, 韦).
COMMON = "杨王李张刘陈罗吴龙韦"
MALE = "建国军明伟强勇刚平华文斌涛磊超杰鹏飞辉林波志勇永海峰兵成德光荣新春福贵忠祥"
FEMALE = "秀英芳娟丽敏静霞燕红梅兰玉珍凤琴云莉萍桂芬艳娜婷雪慧玲春霞美丽晓琳"
# Names printed in the report belong to real people; the synthetic register never uses them.
RESERVED_NAMES = {"王树蓉", "廖龙艳", "石弘杨", "钟华彬"}
# Birthplaces for ID numbers: GB/T 2260 district codes in Guizhou.
BIRTHPLACES = (
    "520102",
    "520103",
    "520111",
    "520201",
    "520281",
    "520403",
    "520502",
    "520623",
    "522323",
    "520302",
    "522601",
    "522701",
)


class People:
    """Synthetic people with unique refs, phones and ID numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: list[tuple[str, str, str, str]] = []
        self.ids: set[str] = set()
        self.next_ref = 3  # P000001 and P000002 are the demo owner and resident
        self.next_phone = 0

    def name(self, sex: str, surname: str | None = None) -> str:
        while True:
            s = surname or (
                self.rng.choice(COMMON) if self.rng.random() < 0.4 else self.rng.choice(SURNAMES)
            )
            chars = MALE if sex == "m" else FEMALE
            given = self.rng.choice(chars)
            if self.rng.random() < 0.75:
                given += self.rng.choice(chars)
            name = s + given
            if name not in RESERVED_NAMES and len(set(given)) == len(given):
                return name

    def phone(self) -> str:
        # Blocks 137-0000-xxxx and 136-0000-xxxx: valid in form, plainly a test series.
        n = self.next_phone
        self.next_phone += 1
        return f"1370000{n:04d}" if n < 10000 else f"1360000{n - 10000:04d}"

    def id_number(self, sex: str, birth_year: int) -> str:
        while True:
            place = self.rng.choice(BIRTHPLACES)
            birth = date(birth_year, 1, 1) + timedelta(days=self.rng.randrange(365))
            seq = self.rng.randrange(0, 100) * 10 + self.rng.choice(
                (1, 3, 5, 7, 9) if sex == "m" else (0, 2, 4, 6, 8)
            )
            first17 = f"{place}{birth:%Y%m%d}{seq:03d}"
            value = first17 + id_check_digit(first17)
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
        if ref is None:
            ref = f"P{self.next_ref:06d}"
            self.next_ref += 1
        name = name or self.name(sex, surname)
        number = fixed_phone or (self.phone() if phone else "")
        ident = self.id_number(sex, birth_year) if id_number else ""
        self.rows.append((ref, name, number, ident))
        return ref, name


def dec(value: float) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def generate(out: Path) -> dict[str, int]:
    rng = random.Random(SEED)
    people = People(rng)
    estates_rows, buildings_rows, entrances_rows, dwellings_rows = [], [], [], []
    ownership_rows, residency_rows = [], []
    estate_seq: dict[str, int] = {}
    # Each estate gets one owner holding a second dwelling somewhere in it.
    for spec in ESTATES:
        estate_seq[spec.community] = estate_seq.get(spec.community, 0) + 1
        code = f"{spec.community}-{estate_seq[spec.community]:02d}"
        lat = spec.lat + rng.uniform(-0.004, 0.004)
        lon = spec.lon + rng.uniform(-0.004, 0.004)
        units: list[tuple[str, str, str, str, int, str, str]] = []  # key + floor, area, use
        plan: list[tuple[int, int, int, bool, str]] = []
        for b in range(spec.buildings):
            storeys = spec.storeys[b % len(spec.storeys)]
            plan.append(
                (
                    storeys,
                    rng.choice(spec.entrances),
                    rng.choice(spec.per_floor),
                    b < spec.elevators_added,
                    spec.structure,
                )
            )
        if spec.tower:
            plan.append((*spec.tower, True, "剪力墙结构"))
        land = Decimal(0)
        for b, (storeys, entrances, per_floor, elevator, structure) in enumerate(plan, 1):
            building = str(b)
            buildings_rows.append((code, building, storeys, "是" if elevator else "否", structure))
            land += Decimal(rng.randrange(650, 1100) * entrances)
            # Each floor plan repeats up the building: the same unit keeps its area.
            layout = [round(rng.uniform(*spec.area), 2) for _ in range(entrances * per_floor)]
            for e in range(1, entrances + 1):
                entrances_rows.append((code, building, str(e)))
                for floor in range(1, storeys + 1):
                    for u in range(1, per_floor + 1):
                        area = layout[(e - 1) * per_floor + u - 1]
                        use = "住宅"
                        # Street-side ground-floor units of the first buildings are shops.
                        shop_slots = spec.shops
                        if floor == 1 and shop_slots:
                            index = ((b - 1) * entrances + (e - 1)) * per_floor + u
                            if index <= shop_slots:
                                use = "商业"
                                area = round(rng.uniform(25, 60), 2)
                        units.append(
                            (code, building, str(e), f"{floor}{u:02d}", floor, dec(area), use)
                        )
        # Developer-held units: unsold and undelivered, from the top of the last buildings.
        statuses = ["已登记"] * len(units)
        top_down = sorted(range(len(units)), key=lambda i: (-int(units[i][1]), -units[i][4], i))
        for i in top_down[: spec.unsold]:
            statuses[i] = "未售出"
        for i in top_down[spec.unsold : spec.unsold + spec.undelivered]:
            statuses[i] = "未交付"
        for unit, status in zip(units, statuses, strict=True):
            dwellings_rows.append((*unit[:4], unit[4], unit[5], unit[6], status))
        estates_rows.append(
            (
                code,
                spec.name,
                spec.community,
                spec.address,
                spec.year,
                f"{lat:.6f}",
                f"{lon:.6f}",
                dec(float(land)),
                spec.mode,
                spec.stage,
            )
        )
        owned = [u for u, s in zip(units, statuses, strict=True) if s == "已登记"]
        _people_for_estate(rng, people, spec, owned, ownership_rows, residency_rows)

    _demo_people(people, ownership_rows, residency_rows)

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "regions.csv": (["代码", "名称", "级别", "上级代码"], REGIONS),
        "estates.csv": (
            [
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
            ],
            estates_rows,
        ),
        "buildings.csv": (["小区编号", "楼栋号", "层数", "有电梯", "结构"], buildings_rows),
        "entrances.csv": (["小区编号", "楼栋号", "单元号"], entrances_rows),
        "dwellings.csv": (
            ["小区编号", "楼栋号", "单元号", "房号", "楼层", "专有面积", "用途", "登记状态"],
            dwellings_rows,
        ),
        "people.csv": (["人员编号", "姓名", "手机号", "证件号码"], sorted(people.rows)),
        "ownerships.csv": (
            ["人员编号", "小区编号", "楼栋号", "单元号", "房号", "份额"],
            ownership_rows,
        ),
        "residencies.csv": (
            ["人员编号", "小区编号", "楼栋号", "单元号", "房号", "关系", "入住日期"],
            residency_rows,
        ),
    }
    counts = {}
    for filename, (header, rows) in files.items():
        with (out / filename).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        counts[filename] = len(rows)
    return counts


def _people_for_estate(rng, people, spec, owned, ownership_rows, residency_rows) -> None:
    """Owners, co-owners, family members and tenants for an estate's owned dwellings."""
    first_year = spec.year
    second_home_owner: str | None = None
    for index, unit in enumerate(owned):
        key = unit[:4]
        is_shop = unit[6] == "商业"
        sex = rng.choice("mf")
        # Older estates: mostly the original work-unit households, now elderly.
        born = rng.randrange(1938, 1962) if spec.year < 1995 else rng.randrange(1955, 1990)
        # One owner per estate holds a second dwelling, rented out.
        if second_home_owner and index == len(owned) // 2 and not is_shop:
            owner = second_home_owner
            ownership_rows.append((owner, *key, ""))
            _tenants(rng, people, key, residency_rows)
            continue
        owner, owner_name = people.add(
            sex=sex, birth_year=born, phone=rng.random() < 0.95, id_number=rng.random() < 0.9
        )
        if index == 3:
            second_home_owner = owner
        roll = rng.random()
        if roll < 0.10 and not is_shop:
            # A married couple holding jointly (共同共有): no shares.
            spouse, _ = people.add(
                sex="f" if sex == "m" else "m",
                birth_year=born + rng.randrange(-3, 4),
                phone=rng.random() < 0.9,
                id_number=rng.random() < 0.9,
            )
            ownership_rows.append((owner, *key, ""))
            ownership_rows.append((spouse, *key, ""))
            co_owners = [owner, spouse]
        elif roll < 0.14:
            # Siblings who inherited the flat, by shares (按份共有).
            sibling, _ = people.add(
                sex=rng.choice("mf"),
                birth_year=born + rng.randrange(-6, 7),
                phone=True,
                id_number=rng.random() < 0.9,
                surname=owner_name[0],
            )
            first = rng.choice(("0.5000", "0.6000", "0.7000"))
            ownership_rows.append((owner, *key, first))
            ownership_rows.append((sibling, *key, f"{Decimal(1) - Decimal(first):.4f}"))
            co_owners = [owner]
        else:
            ownership_rows.append((owner, *key, ""))
            co_owners = [owner]
        if is_shop:
            continue
        occupancy = rng.random()
        if occupancy < 0.07:
            continue  # empty flat
        if occupancy < 0.25:
            _tenants(rng, people, key, residency_rows)
            continue
        since = _date_between(rng, first_year, 2023)
        for person in co_owners:
            residency_rows.append((person, *key, "业主", since))
        surname = owner_name[0]
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            member, _ = people.add(
                sex=rng.choice("mf"),
                birth_year=rng.randrange(1960, 2005),
                phone=rng.random() < 0.5,
                id_number=False,
                surname=surname if rng.random() < 0.7 else None,
            )
            residency_rows.append((member, *key, "家庭成员", since))


def _tenants(rng, people, key, residency_rows) -> None:
    since = _date_between(rng, 2018, 2024)
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        tenant, _ = people.add(
            sex=rng.choice("mf"),
            birth_year=rng.randrange(1975, 2003),
            phone=True,
            id_number=rng.random() < 0.5,
        )
        residency_rows.append((tenant, *key, "租户", since))


def _date_between(rng: random.Random, first_year: int, last_year: int) -> str:
    start = date(max(first_year, 1980), 1, 1)
    end = date(last_year, 12, 31)
    return (start + timedelta(days=rng.randrange((end - start).days))).isoformat()


def _demo_people(people, ownership_rows, residency_rows) -> None:
    """The demo owner and resident: both in 金仓路市政宿舍 (金仓社区).

    The owner lives in 1-1-301 (with a spouse) and rents 2-2-502 out; the demo resident is the
    tenant of 2-2-502. Their dwellings are taken from the generated owners.
    """
    estate = "520103006001-01"
    home, rented = (estate, "1", "1", "301"), (estate, "2", "2", "502")
    taken = {home, rented}
    ownership_rows[:] = [r for r in ownership_rows if tuple(r[1:5]) not in taken]
    residency_rows[:] = [r for r in residency_rows if tuple(r[1:5]) not in taken]
    people.add(
        ref=DEMO_OWNER_REF,
        name="周建国",
        sex="m",
        birth_year=1958,
        phone=True,
        id_number=True,
        fixed_phone=DEMO_OWNER_PHONE,
    )
    people.add(
        ref=DEMO_RESIDENT_REF,
        name="罗晓雪",
        sex="f",
        birth_year=1996,
        phone=True,
        id_number=True,
        fixed_phone=DEMO_RESIDENT_PHONE,
    )
    spouse, _ = people.add(sex="f", birth_year=1960, phone=True, id_number=True, surname="陈")
    ownership_rows.append((DEMO_OWNER_REF, *home, ""))
    ownership_rows.append((spouse, *home, ""))
    ownership_rows.append((DEMO_OWNER_REF, *rented, ""))
    residency_rows.append((DEMO_OWNER_REF, *home, "业主", "1992-06-01"))
    residency_rows.append((spouse, *home, "业主", "1992-06-01"))
    residency_rows.append((DEMO_RESIDENT_REF, *rented, "租户", "2022-09-01"))
    # People left without any ownership or residency (their dwelling was taken) are dropped.
    used = {r[0] for r in ownership_rows} | {r[0] for r in residency_rows}
    people.rows[:] = [r for r in people.rows if r[0] in used]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    for filename, n in generate(args.out).items():
        print(f"{filename:18} {n:6d} rows")


if __name__ == "__main__":
    main()
