"""``xiaoqu import`` and the probe's files: a 140,000-character cell (csv's "field larger than
field limit", a traceback) is a file beyond the bounds (exit 2, one line naming the file and
the row); a Big5 file is refused as Big5 (exit 1, reported like a row error). Nothing is
written."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.registry.fixtures.register import base_register, write_register
from xiaoqu.registry.models import Estate, Region

pytestmark = pytest.mark.django_db


def test_a_140000_character_cell_exits_2_naming_the_row(tmp_path, capsys):
    data = base_register()
    data["estates"][0][1] = "长" * 140_000
    folder = write_register(tmp_path / "reg", data)
    with pytest.raises(SystemExit) as caught:
        call_command("import", str(folder), "--no-progress")
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert "estates.csv" in err and "第 2 行" in err and "32,767" in err
    assert "Traceback" not in err
    assert not Estate.objects.exists() and not Region.objects.exists()


def test_a_name_longer_than_its_field_is_a_row_error(tmp_path, capsys):
    data = base_register()
    data["estates"][0][1] = "长" * 101
    folder = write_register(tmp_path / "reg", data)
    with pytest.raises(SystemExit) as caught:
        call_command("import", str(folder), "--no-progress")
    assert caught.value.code == 1
    assert "小区 第2行" in capsys.readouterr().err
    assert not Estate.objects.exists()


def test_a_big5_file_is_refused_as_big5(tmp_path, capsys):
    """Traditional names in Big5 decode as GBK into other characters: refused, nothing
    imported (the English headers are accepted, so the file is otherwise a good one)."""
    folder = tmp_path / "reg"
    folder.mkdir()
    (folder / "regions.csv").write_bytes(
        "code,name,level,parent_code\n52,貴州省,省,\n5201,貴陽市,市,52\n".encode("big5")
    )
    with pytest.raises(SystemExit) as caught:
        call_command("import", str(folder), "--no-progress")
    err = capsys.readouterr().err
    assert caught.value.code == 1
    assert "regions.csv" in err and "Big5" in err
    assert not Region.objects.exists()
