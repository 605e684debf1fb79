"""Export writes the import format: round trips into an empty database and onto itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import make_estate, make_owner
from tests.registry.fixtures.register import base_register, write_register
from xiaoqu.registry.exporter import export_register
from xiaoqu.registry.importing import import_register
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

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, list]:
    """The register by natural keys, without database ids or timestamps."""
    return {
        "regions": sorted(
            Region.objects.values_list("code", "name", "level", "parent__code", "depth")
        ),
        "estates": sorted(
            Estate.objects.values_list(
                "code",
                "name",
                "community__code",
                "address",
                "year_built",
                "latitude",
                "longitude",
                "land_area",
                "households",
                "management_mode",
                "stage",
            )
        ),
        "buildings": sorted(
            Building.objects.values_list(
                "estate__code", "number", "storeys", "has_elevator", "structure"
            )
        ),
        "entrances": sorted(
            Entrance.objects.values_list("building__estate__code", "building__number", "number")
        ),
        "dwellings": sorted(
            Dwelling.objects.values_list(
                "estate__code",
                "building__number",
                "entrance__number",
                "number",
                "floor",
                "area",
                "use",
                "status",
            )
        ),
        "people": sorted(Person.objects.values_list("ref", "name", "phone")),
        "ownerships": sorted(
            Ownership.objects.values_list("person__ref", "dwelling__number", "share")
        ),
        "residencies": sorted(
            Residency.objects.values_list("person__ref", "dwelling__number", "relation", "since")
        ),
    }


def _wipe() -> None:
    for model in (Residency, Ownership, Person, Dwelling, Entrance, Building, Estate):
        model.objects.all().delete()
    while Region.objects.exists():
        Region.objects.filter(children__isnull=True).delete()


@pytest.mark.parametrize("target", ["folder", "register.xlsx"])
def test_export_then_import_into_an_empty_database_round_trips(tmp_path, target):
    """What is exported imports back into an empty database as the same register."""
    import_register(write_register(tmp_path / "in", base_register()))
    before = _snapshot()
    out = tmp_path / target
    export_register(out)
    _wipe()
    assert Dwelling.objects.count() == 0
    import_register(out)
    assert _snapshot() == before


def test_export_then_reimport_into_the_same_database_changes_nothing(tmp_path):
    """Re-importing an export onto the database it came from creates and updates nothing."""
    import_register(write_register(tmp_path / "in", base_register()))
    export_register(tmp_path / "out")
    report = import_register(tmp_path / "out")
    assert report.total_created == 0
    assert report.total_updated == 0


def test_reimporting_an_export_keeps_the_stored_id_hashes(tmp_path):
    """The export leaves 证件号码 empty; importing it back keeps the hashes already stored."""
    import_register(write_register(tmp_path / "in", base_register()))
    hashes = dict(Person.objects.values_list("ref", "id_hash"))
    export_register(tmp_path / "out")
    import_register(tmp_path / "out")
    assert dict(Person.objects.values_list("ref", "id_hash")) == hashes


def test_csv_export_is_utf8_with_bom_and_never_contains_id_numbers(tmp_path):
    """Excel opens the csv files (BOM) and the people file has an empty 证件号码 column."""
    import_register(write_register(tmp_path / "in", base_register()))
    export_register(tmp_path / "out")
    raw = (tmp_path / "out" / "people.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "人员编号,姓名,手机号,证件号码"
    assert all(line.endswith(",") for line in text.splitlines()[1:])


def test_people_entered_without_a_number_survive_export_and_reimport(tmp_path):
    """People created in the app (no 人员编号) are exported as #id and matched back."""
    import_register(write_register(tmp_path / "in", base_register()))
    estate = make_estate(Region.objects.get(code="520103006001"))
    make_owner(estate.dwellings.first(), name="王五")
    export_register(tmp_path / "out")
    people = Person.objects.count()
    report = import_register(tmp_path / "out")
    assert report.total_created == 0
    assert Person.objects.count() == people


def test_export_command_writes_the_folder(tmp_path, capsys):
    """xiaoqu export PATH writes every sheet's csv and says how many rows."""
    import_register(write_register(tmp_path / "in", base_register()))
    call_command("export", str(tmp_path / "out"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{k}.csv" for k in base_register()
    )
    assert "房屋：4" in capsys.readouterr().out


FORMULA_NAMES = ["=1+1", "@SUM(A1)", "+86 小区", "-1+1", "'=已加引号"]


def _import_formula_names(folder: Path) -> None:
    """The base register plus one estate per name that a spreadsheet would run as a formula."""
    data = base_register()
    template = data["estates"][0]
    codes = [f"520103006001-{i:02d}" for i in range(2, 2 + len(FORMULA_NAMES))]
    for code in codes:
        data["estates"].append([code, "待改名", *template[2:]])
    import_register(write_register(folder, data))
    # Named in the database, as a person may type them in the app.
    for code, name in zip(codes, FORMULA_NAMES, strict=True):
        Estate.objects.filter(code=code).update(name=name)


@pytest.mark.parametrize("target", ["folder", "register.xlsx"])
def test_names_that_look_like_formulas_round_trip_unchanged(tmp_path, target):
    """Estates named =1+1, @SUM(A1) or +86 小区 export and import back with the same names."""
    _import_formula_names(tmp_path / "in")
    before = _snapshot()
    out = tmp_path / target
    export_register(out)
    _wipe()
    import_register(out)
    assert _snapshot() == before
    assert set(FORMULA_NAMES) <= set(Estate.objects.values_list("name", flat=True))


def test_csv_export_neutralises_cells_a_spreadsheet_would_run(tmp_path):
    """In the csv, such names begin with an apostrophe; ordinary ones are written as they are."""
    _import_formula_names(tmp_path / "in")
    export_register(tmp_path / "out")
    text = (tmp_path / "out" / "estates.csv").read_text(encoding="utf-8-sig")
    cells = {line.split(",")[1] for line in text.splitlines()[1:]}
    assert {"'=1+1", "'@SUM(A1)", "'+86 小区", "'-1+1", "''=已加引号", "金仓路市政宿舍"} <= cells


def test_xlsx_export_writes_names_as_text_not_formulas(tmp_path):
    """xiaoqu export to .xlsx stores =1+1 as a text cell."""
    from openpyxl import load_workbook

    _import_formula_names(tmp_path / "in")
    export_register(tmp_path / "register.xlsx")
    sheet = load_workbook(tmp_path / "register.xlsx")["小区"]
    names = {row[1].value: row[1].data_type for row in sheet.iter_rows(min_row=2)}
    assert names["=1+1"] == "s" and names["@SUM(A1)"] == "s"
