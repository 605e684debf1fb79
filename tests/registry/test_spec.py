"""The register's format as one specification: limits from the models, headers written from it."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import models
from django.utils import translation

from tests.registry.fixtures.register import base_register, write_register
from xiaoqu.registry.exporter import export_register
from xiaoqu.registry.generator import FILES, generate_register
from xiaoqu.registry.importing import import_register
from xiaoqu.registry.importing import values as v
from xiaoqu.registry.importing.spec import (
    SHEETS,
    Choice,
    Column,
    Coordinate,
    Number,
    Reference,
    Sheet,
    Text,
)
from xiaoqu.registry.models import Building, Dwelling

ROOT = Path(__file__).resolve().parents[2]


def _columns(kind: type) -> list[tuple[Sheet, Column, models.Field]]:
    """Every column of that kind with the model field it fills."""
    out = []
    for sheet in SHEETS:
        for column in sheet.columns:
            field = sheet.model_field(column)
            if isinstance(column.kind, kind) and field is not None:
                out.append((sheet, column, field))
    assert out, f"no {kind.__name__} column: nothing was checked"
    return out


def _id(item: tuple[Sheet, Column, models.Field]) -> str:
    return f"{item[0].key}.{item[1].name}"


@pytest.mark.parametrize("item", _columns(Text), ids=_id)
def test_a_text_column_is_as_long_as_its_model_field_allows(item):
    """A text cell may be as long as the field's max_length, and is refused one longer."""
    sheet, column, field = item
    parse = sheet.parser(column)
    assert parse("名" * field.max_length) == "名" * field.max_length
    with pytest.raises(v.Bad, match=f"不能超过{field.max_length}个字符"):
        parse("名" * (field.max_length + 1))


@pytest.mark.parametrize("item", _columns(Choice), ids=_id)
def test_a_choice_column_takes_the_model_fields_choices_by_label_or_value(item):
    """Each of the field's choices is read from its Chinese label and its English value."""
    sheet, column, field = item
    parse = sheet.parser(column)
    for value, label in field.choices:
        assert parse(str(label)) == value
        assert parse(value) == value
        assert parse(value.upper()) == value
    with pytest.raises(v.Bad, match="不是有效的值"):
        parse("不存在的值")


@pytest.mark.parametrize("item", _columns(Choice), ids=_id)
def test_what_a_choice_column_accepts_stays_within_the_model_fields_choices(item):
    """Every extra spelling of a choice stands for one of the field's own values."""
    sheet, column, field = item
    values = {value for value, _label in field.choices}
    assert set(column.kind.words(field).values()) <= values
    assert set(column.kind.writer(field)) == values


@pytest.mark.parametrize("item", _columns(Number), ids=_id)
def test_a_number_column_has_its_model_fields_places_and_digits(item):
    """A decimal takes the field's places (more are refused) and its digits (more too)."""
    sheet, column, field = item
    parse = sheet.parser(column)
    places, whole = field.decimal_places, field.max_digits - field.decimal_places
    smallest = Decimal(1).scaleb(-places)
    assert parse(str(smallest)) == smallest
    with pytest.raises(v.Bad, match=f"最多{places}位小数"):
        parse(str(smallest / 10))
    if whole > 1:
        largest = "9" * whole
        assert parse(largest) == Decimal(largest)
        with pytest.raises(v.Bad, match="数值过大"):
            parse("1" + "0" * whole)


@pytest.mark.parametrize("item", _columns(Coordinate), ids=_id)
def test_a_coordinate_is_rounded_to_its_model_fields_places(item):
    """Degrees are kept with the field's decimal places."""
    sheet, column, field = item
    parsed = sheet.parser(column)("26.12345678")
    assert parsed.as_tuple().exponent == -field.decimal_places


def test_an_empty_optional_cell_takes_the_model_fields_default():
    """Where the model has a default (结构, 有电梯, 用途, 登记状态, …), an empty cell gets it."""
    checked = 0
    for sheet in SHEETS:
        for column in sheet.columns:
            field = sheet.model_field(column)
            if field is not None and field.has_default() and not column.required:
                assert sheet.empty(column) == field.get_default(), f"{sheet.key}.{column.name}"
                checked += 1
    assert checked >= 6


def test_every_column_names_a_field_or_a_lookup_of_its_sheets_model(db):
    """The fields a sheet fills exist, and so does every lookup the exporter reads."""
    for sheet in SHEETS:
        lookups = [lookup for column in sheet.columns for lookup in column.lookups]
        assert list(sheet.model._default_manager.values_list(*lookups)) == []
        for column in sheet.columns:
            if column.field:
                assert sheet.model_field(column) is not None
            else:
                assert isinstance(column.kind, Reference) or not column.lookups


def test_header_names_are_unique_within_a_sheet():
    """No header, English name or alias names two columns of one sheet."""
    for sheet in SHEETS:
        names = [n.lower() for column in sheet.columns for n in column.names()]
        assert len(names) == len(set(names)), sheet.key


def test_the_format_page_lists_every_sheets_columns_in_order():
    """docs/register-format.md's table names each sheet's columns as the specification does."""
    table = (ROOT / "docs" / "register-format.md").read_text(encoding="utf-8")
    for sheet in SHEETS:
        line = next(x for x in table.splitlines() if x.startswith(f"| {sheet.label} |"))
        cells = [c.strip() for c in line.split("|")]
        assert cells[2] == sheet.filename
        documented = [c.strip() for c in cells[3].split(", ")]
        assert len(documented) == len(sheet.columns), sheet.key
        for text, column in zip(documented, sheet.columns, strict=True):
            match = re.fullmatch(r"(\S+?)(?: \((\w+)\))?(\\\*)?", text)
            assert match, text
            assert match.group(1) == column.header
            assert match.group(2) in (None, column.name)
            assert bool(match.group(3)) == column.required, text


def test_the_exporter_writes_the_specifications_headers(db, tmp_path):
    """Every exported csv file starts with its sheet's headers, in the specification's order."""
    export_register(tmp_path)
    for sheet in SHEETS:
        with open(tmp_path / sheet.filename, encoding="utf-8-sig", newline="") as f:
            assert tuple(next(csv.reader(f))) == sheet.headers


def test_the_generator_writes_the_specifications_headers(tmp_path):
    """A generated register's files (demo preset included) have the specification's headers."""
    generate_register(tmp_path / "drawn", estates=2, dwellings=20, seed=1)
    generate_register(tmp_path / "demo", preset="demo")
    headers = {sheet.filename: sheet.headers for sheet in SHEETS}
    for folder in (tmp_path / "drawn", tmp_path / "demo"):
        for path in folder.iterdir():
            with open(path, encoding="utf-8", newline="") as f:
                assert tuple(next(csv.reader(f))) == headers[path.name], path
    assert {s.key: s.headers for s in SHEETS if s.key != "residencies"} == FILES


def test_every_english_header_is_read_like_its_chinese_one(db, tmp_path):
    """A register whose every header is the English name imports like the Chinese one."""
    headers = {s.key: [c.name for c in s.columns] for s in SHEETS}
    report = import_register(write_register(tmp_path, base_register(), headers=headers))
    assert report.created["dwellings"] == 4
    assert Building.objects.get().storeys == 6
    assert Dwelling.objects.get(number="601").use == "commercial"


def test_the_words_of_a_register_do_not_follow_the_page_language(db, tmp_path):
    """Choice words are the format's Chinese labels whatever language is active (an English
    page or a process where one was chosen): such a register imports, and exports again with
    the same words, so that it imports once more."""
    with translation.override("en"):
        report = import_register(write_register(tmp_path / "in", base_register()))
        assert report.created["dwellings"] == 4
        export_register(tmp_path / "out")
    with open(tmp_path / "out" / "dwellings.csv", encoding="utf-8", newline="") as f:
        uses = {row["用途"] for row in csv.DictReader(f)}
    assert uses == {"住宅", "商业"}
    with translation.override("en"):
        again = import_register(tmp_path / "out")
    assert again.total_created == 0
