"""The register's file format (docs/register-format.md): sheets, columns and value words.

Shared by the importer and the exporter so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xiaoqu.registry.models import (
    DwellingUse,
    ManagementMode,
    RegionLevel,
    RegisterStatus,
    Relation,
    RenovationStage,
    Structure,
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.label, self.key, *self.aliases)


@dataclass(frozen=True)
class Sheet:
    key: str
    label: str
    columns: tuple[Column, ...]
    extra_names: tuple[str, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.key}.csv"

    def names(self) -> tuple[str, ...]:
        return (self.label, self.key, *self.extra_names)


def _c(key: str, label: str, required: bool = False, *aliases: str) -> Column:
    return Column(key, label, required, aliases)


# The four columns that name a dwelling from another sheet.
_ESTATE = _c("estate_code", "小区编号", True, "estate")
_BUILDING = _c("building", "楼栋号", True, "building_number")
_ENTRANCE = _c("entrance", "单元号", True, "entrance_number")
_NUMBER = _c("number", "房号", True, "dwelling", "dwelling_number", "room")
_PERSON = _c("ref", "人员编号", True, "person_ref", "person")

REGIONS = Sheet(
    "regions",
    "区划",
    (
        _c("code", "代码", True, "区划代码"),
        _c("name", "名称", True),
        _c("level", "级别", True),
        _c("parent_code", "上级代码", False, "parent"),
    ),
)
ESTATES = Sheet(
    "estates",
    "小区",
    (
        _c("code", "小区编号", True, "estate_code"),
        _c("name", "小区名称", True, "名称"),
        _c("community_code", "社区代码", True, "community"),
        _c("address", "地址"),
        _c("year_built", "建成年份"),
        _c("latitude", "纬度", False, "lat"),
        _c("longitude", "经度", False, "lon", "lng"),
        _c("land_area", "占地面积"),
        _c("management_mode", "管理模式"),
        _c("stage", "改造阶段"),
    ),
)
BUILDINGS = Sheet(
    "buildings",
    "楼栋",
    (
        _ESTATE,
        _BUILDING,
        _c("storeys", "层数", True, "floors"),
        _c("has_elevator", "有电梯", False, "elevator"),
        _c("structure", "结构"),
    ),
)
ENTRANCES = Sheet("entrances", "单元", (_ESTATE, _BUILDING, _ENTRANCE))
DWELLINGS = Sheet(
    "dwellings",
    "房屋",
    (
        _ESTATE,
        _BUILDING,
        _ENTRANCE,
        _NUMBER,
        _c("floor", "楼层", True),
        _c("area", "专有面积", True, "专有面积（m²）"),
        _c("use", "用途"),
        _c("status", "登记状态"),
    ),
)
PEOPLE = Sheet(
    "people",
    "人员",
    (
        _PERSON,
        _c("name", "姓名", True),
        _c("phone", "手机号", False, "手机", "电话"),
        _c("id_number", "证件号码", False, "身份证号", "身份证号码"),
    ),
    ("persons",),
)
OWNERSHIPS = Sheet(
    "ownerships",
    "产权",
    (_PERSON, _ESTATE, _BUILDING, _ENTRANCE, _NUMBER, _c("share", "份额")),
)
RESIDENCIES = Sheet(
    "residencies",
    "居住",
    (
        _PERSON,
        _ESTATE,
        _BUILDING,
        _ENTRANCE,
        _NUMBER,
        _c("relation", "关系", True),
        _c("since", "入住日期"),
    ),
)

SHEETS: tuple[Sheet, ...] = (
    REGIONS,
    ESTATES,
    BUILDINGS,
    ENTRANCES,
    DWELLINGS,
    PEOPLE,
    OWNERSHIPS,
    RESIDENCIES,
)


def _words(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Accepted spellings (Chinese label, English value, lower case) → stored value."""
    out: dict[str, str] = {}
    for value, label in choices.choices:
        out[str(label)] = value
        out[value] = value
        out[value.replace("_", " ")] = value
    for word, value in (extra or {}).items():
        out[word] = value
    return out


LEVEL_WORDS = _words(
    RegionLevel,
    {
        "市": "city",
        "州": "city",
        "地区": "city",
        "区县": "district",
        "区": "district",
        "县": "district",
        "县级市": "district",
        "街道": "street",
        "乡镇": "street",
        "乡": "street",
        "镇": "street",
    },
)
MANAGEMENT_WORDS = _words(ManagementMode)
STAGE_WORDS = _words(RenovationStage)
STRUCTURE_WORDS = _words(Structure, {"砖混": "brick_concrete", "框架": "frame"})
USE_WORDS = _words(DwellingUse)
STATUS_WORDS = _words(RegisterStatus)
RELATION_WORDS = _words(Relation)
BOOL_WORDS = {
    "是": True,
    "有": True,
    "1": True,
    "true": True,
    "yes": True,
    "y": True,
    "否": False,
    "无": False,
    "0": False,
    "false": False,
    "no": False,
    "n": False,
}

# What the exporter writes for each stored value (the Chinese words of the format).
LEVEL_LABELS = {
    "province": "省",
    "city": "市",
    "district": "区县",
    "street": "街道",
    "community": "社区",
}


def labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


# Code lengths by level (GB/T 2260 for the top three, statistical codes below).
CODE_LENGTHS = {"province": 6, "city": 6, "district": 6, "street": 9, "community": 12}

SHEET_LABELS = {s.key: s.label for s in SHEETS}
