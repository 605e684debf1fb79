"""The register's file format as data: its sheets, their columns, and what each column fills.

One specification, read by the importer (which header names which column, how a cell is read,
the model field it fills), the exporter (the headers and how each stored value is written) and
the generator (the headers). A column's limits are the model field's own: the length of a
text is the field's ``max_length``, the words of a choice are the field's choices (with their
Chinese labels), a number's decimal places and digits are the field's, and an empty cell
takes the field's default. docs/register-format.md describes the same format for people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from xiaoqu.registry.importing import values as v
from xiaoqu.registry.models import (
    Building,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    Person,
    Region,
    Residency,
)

Parser = Callable[[str], Any]

# The language of the format's words (choice labels), whatever the language of the page or the
# command that reads or writes a register: a file exported from an English page imports again.
FILE_LANGUAGE = "zh-hans"


def _labels(model_field: models.Field) -> list[tuple[str, str]]:
    """The field's choices as (stored value, label in the file's language)."""
    with translation.override(FILE_LANGUAGE):
        return [(value, str(label)) for value, label in model_field.choices or ()]


def _field(model: type[models.Model], name: str) -> models.Field:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field)
    return found


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _default(model_field: models.Field) -> Any:
    return model_field.default if model_field.has_default() else None


# -- kinds of cell ------------------------------------------------------------------------


class Kind:
    """How a cell is read into the value of a model field, and written back."""

    def parser(self, model_field: models.Field | None) -> Parser:
        """The function reading a non-empty cell; it raises ``values.Bad`` with the message."""
        return _unchanged

    def empty(self, model_field: models.Field | None) -> Any:
        """The value of an empty cell."""
        return _default(model_field) if model_field is not None else None

    def text(self, *stored: Any) -> str:
        """The cell the exporter writes for the value(s) read from the database."""
        return _text(stored[0])


def _unchanged(value: str) -> str:
    return value


class Text(Kind):
    """Free text, at most the field's ``max_length`` characters."""

    def parser(self, model_field: models.Field | None) -> Parser:
        assert model_field is not None and model_field.max_length
        limit = model_field.max_length

        def parse(value: str) -> str:
            return value if len(value) <= limit else v.text(value, limit)

        return parse

    def empty(self, model_field: models.Field | None) -> Any:
        return ""


class Reference(Kind):
    """Part of the natural key of a row of another sheet: looked up, so not checked here."""

    def empty(self, model_field: models.Field | None) -> Any:
        return ""


class PersonReference(Reference):
    """A 人员编号; people entered in the application without one are written as ``#<id>``.

    The exporter reads two values for it: the person's id and their 人员编号.
    """

    def text(self, *stored: Any) -> str:
        pk, ref = stored
        return ref or f"#{pk}"


@dataclass(frozen=True)
class Integer(Kind):
    """A whole number ("6.0" from a spreadsheet too); ``check`` adds the column's own rule."""

    check: Callable[[int], None] | None = None

    def parser(self, model_field: models.Field | None) -> Parser:
        check = self.check
        if check is None:
            return v.integer

        def parse(value: str) -> int:
            try:
                number = int(value)
            except ValueError:
                number = v.integer(value)
            check(number)
            return number

        return parse


@dataclass(frozen=True)
class Number(Kind):
    """A decimal with the field's decimal places and digits, greater than zero."""

    check: Callable[[Any], None] | None = None

    def parser(self, model_field: models.Field | None) -> Parser:
        assert isinstance(model_field, models.DecimalField)
        places, digits = model_field.decimal_places, model_field.max_digits
        assert places is not None and digits is not None
        check = self.check
        if check is None:
            return partial(v.decimal, places=places, max_digits=digits)

        def parse(value: str) -> Any:
            number = v.decimal(value, places, digits)
            check(number)
            return number

        return parse


@dataclass(frozen=True)
class Coordinate(Kind):
    """Degrees within ±``limit``, rounded to the field's decimal places."""

    limit: int = 90

    def parser(self, model_field: models.Field | None) -> Parser:
        assert isinstance(model_field, models.DecimalField)
        limit, places = self.limit, model_field.decimal_places
        assert places is not None

        def parse(value: str) -> Any:
            return v.coordinate(value, limit, places)

        return parse


@dataclass(frozen=True)
class Choice(Kind):
    """One of the field's choices, by its Chinese label or its English value.

    ``spellings`` are further words accepted; ``labels`` replace the field's labels in what
    the exporter writes.
    """

    spellings: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def words(self, model_field: models.Field) -> dict[str, str]:
        """Accepted spellings (Chinese label, English value, lower case) → stored value."""
        out: dict[str, str] = {}
        for value, label in _labels(model_field):
            out[label] = value
            out[value] = value
            out[value.replace("_", " ")] = value
        out.update(self.spellings)
        return out

    def parser(self, model_field: models.Field | None) -> Parser:
        assert model_field is not None
        words = self.words(model_field)

        def parse(value: str) -> str:
            found = words.get(value)
            return found if found is not None else v.word(value, words)

        return parse

    def writer(self, model_field: models.Field) -> dict[str, str]:
        """Stored value → the word the exporter writes."""
        out = dict(_labels(model_field))
        out.update(self.labels)
        return out


class YesNo(Kind):
    def parser(self, model_field: models.Field | None) -> Parser:
        def parse(value: str) -> bool:
            return v.boolean(value, BOOL_WORDS)

        return parse

    def text(self, *stored: Any) -> str:
        return "是" if stored[0] else "否"


class Digits(Kind):
    """A region code: digits only (its length depends on the level, checked with the row)."""

    def parser(self, model_field: models.Field | None) -> Parser:
        return v.digits

    def empty(self, model_field: models.Field | None) -> Any:
        return ""


class Phone(Kind):
    """A mobile number, normalised to its eleven digits (a leading +86 dropped)."""

    def parser(self, model_field: models.Field | None) -> Parser:
        assert model_field is not None and (model_field.max_length or 0) >= v.PHONE_LENGTH
        fast, length, slow = v.PHONE_RE.match, v.PHONE_LENGTH, v.phone

        def parse(value: str) -> str:
            return value if len(value) == length and fast(value) else slow(value)

        return parse

    def empty(self, model_field: models.Field | None) -> Any:
        return ""


class IdNumber(Kind):
    """A 证件号码: checked, then kept only as a keyed hash and its last four characters.

    It fills no field of its own, and the exporter never writes it.
    """

    def parser(self, model_field: models.Field | None) -> Parser:
        return v.id_number

    def text(self, *stored: Any) -> str:
        return ""


@dataclass(frozen=True)
class Day(Kind):
    """A date like 2020-01-31 (also 2020/1/31); ``check`` adds the column's own rule."""

    check: Callable[[Any], None] | None = None

    def parser(self, model_field: models.Field | None) -> Parser:
        check = self.check
        if check is None:
            return v.date

        def parse(value: str) -> Any:
            day = v.date(value)
            check(day)
            return day

        return parse

    def text(self, *stored: Any) -> str:
        return stored[0].isoformat() if stored[0] else ""


# -- columns and sheets -------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    ``header`` is the Chinese header (what the exporter and the generator write), ``name`` the
    English header also accepted, ``aliases`` further accepted headers. ``field`` is the model
    field the column fills, or "" for a column that only names, with the others, a row of
    another sheet (the 小区编号 of a dwelling's owner). ``path`` is what the exporter reads
    for it (lookups from the sheet's model; the field itself when not given).
    """

    header: str
    name: str
    kind: Kind
    field: str = ""
    required: bool = False
    aliases: tuple[str, ...] = ()
    path: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.header, self.name, *self.aliases)

    @property
    def lookups(self) -> tuple[str, ...]:
        return self.path or ((self.field,) if self.field else ())


@dataclass(frozen=True)
class Sheet:
    """One kind of row: an xlsx sheet named ``label`` or a csv file named ``<key>.csv``."""

    key: str
    label: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    extra_names: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.key}.csv"

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    def names(self) -> tuple[str, ...]:
        return (self.label, self.key, *self.extra_names)

    def column(self, name: str) -> Column:
        """The column whose English name is ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def model_field(self, column: Column) -> models.Field | None:
        """The model field ``column`` fills, if any."""
        return _field(self.model, column.field) if column.field else None

    def parser(self, column: Column) -> Parser:
        return column.kind.parser(self.model_field(column))

    def empty(self, column: Column) -> Any:
        return column.kind.empty(self.model_field(column))


# -- the rules a kind cannot say ----------------------------------------------------------


def _storeys(n: int) -> None:
    if not 1 <= n <= MAX_STOREYS:
        raise v.Bad(_("必须在1到200之间"))


def _floor(n: int) -> None:
    if n == 0:
        raise v.Bad(_("不能为0（地下层用负数）"))
    if n < -MAX_BASEMENTS:
        raise v.Bad(_("地下层数不能超过10层"))


def _share(share: Any) -> None:
    if share > 1:
        raise v.Bad(_("份额应在0到1之间"))


MAX_STOREYS = 200
MAX_BASEMENTS = 10
# Code lengths by level (GB/T 2260 for the top three, statistical codes below).
CODE_LENGTHS = {"province": 6, "city": 6, "district": 6, "street": 9, "community": 12}
# The oldest 建成年份 taken for a year at all.
FIRST_YEAR = 1000

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
LEVEL = Choice(
    spellings={
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
    labels={
        "province": "省",
        "city": "市",
        "district": "区县",
        "street": "街道",
        "community": "社区",
    },
)
STRUCTURE = Choice(spellings={"砖混": "brick_concrete", "框架": "frame"})
TEXT = Text()
REFERENCE = Reference()
PERSON = PersonReference()


# A column is Column(header, English name, kind, field=..., required=..., aliases=..., path=...).


def _estate(path: str, field: str = "") -> Column:
    return Column("小区编号", "estate_code", REFERENCE, field, True, ("estate",), (path,))


def _building(path: str, field: str = "") -> Column:
    return Column("楼栋号", "building", REFERENCE, field, True, ("building_number",), (path,))


def _entrance(path: str, field: str = "") -> Column:
    return Column("单元号", "entrance", REFERENCE, field, True, ("entrance_number",), (path,))


_NUMBER_ALIASES = ("dwelling", "dwelling_number", "room")
_PERSON_ALIASES = ("person_ref", "person")


def _link() -> tuple[Column, ...]:
    """The columns naming the person and the dwelling of an ownership or a residency."""
    return (
        Column(
            "人员编号",
            "ref",
            PERSON,
            field="person",
            required=True,
            aliases=_PERSON_ALIASES,
            path=("person_id", "person__ref"),
        ),
        _estate("dwelling__estate__code"),
        _building("dwelling__building__number"),
        _entrance("dwelling__entrance__number"),
        Column(
            "房号",
            "number",
            REFERENCE,
            field="dwelling",
            required=True,
            aliases=_NUMBER_ALIASES,
            path=("dwelling__number",),
        ),
    )


def _not_future(day: Any) -> None:
    if day > dt.date.today():
        raise v.Bad(_("不能晚于今天"))


REGIONS = Sheet(
    "regions",
    "区划",
    Region,
    (
        Column("代码", "code", Digits(), field="code", required=True, aliases=("区划代码",)),
        Column("名称", "name", TEXT, field="name", required=True),
        Column("级别", "level", LEVEL, field="level", required=True),
        Column(
            "上级代码",
            "parent_code",
            Digits(),
            field="parent",
            aliases=("parent",),
            path=("parent__code",),
        ),
    ),
)
ESTATES = Sheet(
    "estates",
    "小区",
    Estate,
    (
        Column("小区编号", "code", TEXT, field="code", required=True, aliases=("estate_code",)),
        Column("小区名称", "name", TEXT, field="name", required=True, aliases=("名称",)),
        Column(
            "社区代码",
            "community_code",
            REFERENCE,
            field="community",
            required=True,
            aliases=("community",),
            path=("community__code",),
        ),
        Column("地址", "address", TEXT, field="address"),
        Column("建成年份", "year_built", Integer(), field="year_built"),
        Column("纬度", "latitude", Coordinate(90), field="latitude", aliases=("lat",)),
        Column("经度", "longitude", Coordinate(180), field="longitude", aliases=("lon", "lng")),
        Column("占地面积", "land_area", Number(), field="land_area"),
        Column("管理模式", "management_mode", Choice(), field="management_mode"),
        Column("改造阶段", "stage", Choice(), field="stage"),
    ),
)
BUILDINGS = Sheet(
    "buildings",
    "楼栋",
    Building,
    (
        _estate("estate__code", "estate"),
        Column(
            "楼栋号", "building", TEXT, field="number", required=True, aliases=("building_number",)
        ),
        Column(
            "层数",
            "storeys",
            Integer(_storeys),
            field="storeys",
            required=True,
            aliases=("floors",),
        ),
        Column("有电梯", "has_elevator", YesNo(), field="has_elevator", aliases=("elevator",)),
        Column("结构", "structure", STRUCTURE, field="structure"),
    ),
)
ENTRANCES = Sheet(
    "entrances",
    "单元",
    Entrance,
    (
        _estate("building__estate__code"),
        _building("building__number", "building"),
        Column(
            "单元号", "entrance", TEXT, field="number", required=True, aliases=("entrance_number",)
        ),
    ),
)
DWELLINGS = Sheet(
    "dwellings",
    "房屋",
    Dwelling,
    (
        _estate("estate__code", "estate"),
        _building("building__number", "building"),
        _entrance("entrance__number", "entrance"),
        Column("房号", "number", TEXT, field="number", required=True, aliases=_NUMBER_ALIASES),
        Column("楼层", "floor", Integer(_floor), field="floor", required=True),
        Column(
            "专有面积", "area", Number(), field="area", required=True, aliases=("专有面积（m²）",)
        ),
        Column("用途", "use", Choice(), field="use"),
        Column("登记状态", "status", Choice(), field="status"),
    ),
)
PEOPLE = Sheet(
    "people",
    "人员",
    Person,
    (
        Column(
            "人员编号",
            "ref",
            PERSON,
            field="ref",
            required=True,
            aliases=_PERSON_ALIASES,
            path=("id", "ref"),
        ),
        Column("姓名", "name", TEXT, field="name", required=True),
        Column("手机号", "phone", Phone(), field="phone", aliases=("手机", "电话")),
        # Kept as a keyed hash and its last four characters (the people step), never written.
        Column("证件号码", "id_number", IdNumber(), aliases=("身份证号", "身份证号码")),
    ),
    extra_names=("persons",),
)
OWNERSHIPS = Sheet(
    "ownerships",
    "产权",
    Ownership,
    (*_link(), Column("份额", "share", Number(_share), field="share")),
)
RESIDENCIES = Sheet(
    "residencies",
    "居住",
    Residency,
    (
        *_link(),
        Column("关系", "relation", Choice(), field="relation", required=True),
        Column("入住日期", "since", Day(_not_future), field="since"),
    ),
)

# In the order the importer reads them: a row may name rows of the sheets before it.
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
ENTITIES: tuple[str, ...] = tuple(s.key for s in SHEETS)
SHEET_LABELS = {s.key: s.label for s in SHEETS}
