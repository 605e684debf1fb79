"""The import reads only the stored rows its file can meet (``registry.importing.scope``):
a province loaded beside others matches, updates and checks exactly as if it were alone."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiaoqu.registry.generator import generate_register
from xiaoqu.registry.importing import ImportFailed, import_register
from xiaoqu.registry.importing.scope import Scope
from xiaoqu.registry.importing.sources import open_register
from xiaoqu.registry.models import Building, Dwelling, Estate, Ownership, Person

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def country(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scope") / "register"
    generate_register(out, preset="national", estates=62, dwellings=2_000, seed=5)
    return out


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])


def copy_of(country: Path, code: str, tmp_path: Path) -> Path:
    folder = tmp_path / code
    folder.mkdir()
    for file in (country / code).iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    return folder


def stored_reads_of_second_province(country: Path, table: str) -> list[str]:
    """The SQL of the importer's reads of ``table``'s stored rows (``SELECT "id", <columns>
    FROM <table>``) while Tianjin is imported beside Beijing."""
    import_register(country / "110000")
    with CaptureQueriesContext(connection) as queries:
        import_register(country / "120000")
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "id"') and f'FROM "{table}"' in q["sql"]
    ]


def test_the_scope_is_the_file_s_estates_and_people(country):
    import_register(country / "110000")
    import_register(country / "120000")
    scope = Scope.for_sources(open_register(country / "120000"))
    by_code = dict(Estate.objects.values_list("code", "pk"))
    tianjin = set(
        Estate.objects.filter(community__code__startswith="12").values_list("pk", flat=True)
    )
    assert set(scope.estate_ids(by_code)) == tianjin
    assert scope.named is not None
    _header, people = read(country / "120000" / "people.csv")
    assert scope.named.refs == {row[0] for row in people}


def test_a_province_beside_another_reads_none_of_its_dwellings(country):
    dwelling_reads = stored_reads_of_second_province(country, "registry_dwelling")
    assert dwelling_reads, "the import reads the stored dwellings of its scope"
    assert all(" WHERE " in sql or " IN (" in sql for sql in dwelling_reads), dwelling_reads


def test_a_re_import_beside_another_province_updates_and_adds_nothing_twice(country, tmp_path):
    import_register(country / "110000")
    import_register(country / "120000")
    counts = (Estate.objects.count(), Dwelling.objects.count(), Person.objects.count())
    folder = copy_of(country, "120000", tmp_path)
    header, rows = read(folder / "dwellings.csv")
    rows[0][header.index("专有面积")] = "99.99"
    write(folder / "dwellings.csv", header, rows)
    report = import_register(folder)
    assert report.updated["dwellings"] == 1 and report.created["dwellings"] == 0
    assert report.created["people"] == 0 and report.created["ownerships"] == 0
    assert (Estate.objects.count(), Dwelling.objects.count(), Person.objects.count()) == counts


def test_an_id_number_held_in_another_province_is_still_refused(country, tmp_path):
    import_register(country / "110000")
    _header, beijing = read(country / "110000" / "people.csv")
    folder = copy_of(country, "120000", tmp_path)
    header, rows = read(folder / "people.csv")
    rows[0][header.index("证件号码")] = beijing[0][header.index("证件号码")]
    write(folder / "people.csv", header, rows)
    with pytest.raises(ImportFailed) as caught:
        import_register(folder)
    assert "已属于系统中的另一人" in str(caught.value.errors[0])
    assert not Estate.objects.filter(community__code__startswith="12").exists()


def test_rows_naming_another_province_s_estate_and_person_find_them(country, tmp_path):
    """A file may add to a stored estate it does not list and name a stored person it does
    not list: both are read in (and nothing is duplicated)."""
    import_register(country / "110000")
    estate = Estate.objects.filter(community__code__startswith="11").order_by("pk").first()
    dwelling = Dwelling.objects.filter(estate=estate).select_related("building", "entrance").first()
    person = Person.objects.exclude(ownerships__dwelling=dwelling).order_by("pk").first()
    folder = tmp_path / "more"
    folder.mkdir()
    b, e = dwelling.building.number, dwelling.entrance.number
    write(
        folder / "buildings.csv",
        ["小区编号", "楼栋号", "层数"],
        [[estate.code, "99", "3"], [estate.code, b, str(dwelling.building.storeys)]],
    )
    write(
        folder / "ownerships.csv",
        ["人员编号", "小区编号", "楼栋号", "单元号", "房号", "份额"],
        [[person.ref, estate.code, b, e, dwelling.number, "0.5"]],
    )
    buildings = Building.objects.filter(estate=estate).count()
    report = import_register(folder)
    assert report.created["buildings"] == 1
    assert Building.objects.filter(estate=estate).count() == buildings + 1
    assert Ownership.objects.filter(person=person, dwelling=dwelling).count() == 1
    # Again: the ownership now stored is matched, not added a second time.
    import_register(folder)
    assert Ownership.objects.filter(person=person, dwelling=dwelling).count() == 1


def test_a_province_beside_another_looks_no_one_up_by_id_number(country):
    """ID numbers new to the file are left to the unique index (a lookup each is a random
    read of a country-sized index); only the file's 人员编号 are looked up."""
    people_reads = stored_reads_of_second_province(country, "registry_person")
    assert people_reads and all('"ref" IN' in sql for sql in people_reads), people_reads


def test_a_taken_id_number_is_reported_beside_the_file_s_other_errors(country, tmp_path):
    """When the import fails for another reason, the ID numbers are still checked: the
    errors reported are all of them."""
    import_register(country / "110000")
    _header, beijing = read(country / "110000" / "people.csv")
    folder = copy_of(country, "120000", tmp_path)
    header, rows = read(folder / "people.csv")
    rows[0][header.index("证件号码")] = beijing[0][header.index("证件号码")]
    rows[1][header.index("手机号")] = "12"
    write(folder / "people.csv", header, rows)
    with pytest.raises(ImportFailed) as caught:
        import_register(folder)
    lines = caught.value.lines()
    assert len(lines) == 2, lines
    assert "第2行 证件号码" in lines[0] and "已属于系统中的另一人" in lines[0]
    assert "第3行 手机号" in lines[1]
    assert not Estate.objects.filter(community__code__startswith="12").exists()
