"""Facility files: a cell longer than a spreadsheet cell is refused with its row (the probe's
140,000 characters), and ids and names are held to the model's fields (an id over 64
characters failed on PostgreSQL; a long name was cut silently). ``xiaoqu lifecircle nearest``
refuses a long cell with exit 2 and its line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xiaoqu.core.errors import DomainError
from xiaoqu.core.spreadsheets import SpreadsheetRefused
from xiaoqu.lifecircle import services
from xiaoqu.lifecircle.models import Facility

GUIXI = Path(__file__).resolve().parents[1] / "data" / "osm" / "guixi-jiangxi.osm"


def _import(text: str):
    return services.facilities_import_file(
        upload=SimpleUploadedFile("设施.csv", text.encode()), actor=None
    )


@pytest.mark.django_db
def test_a_140000_character_cell_is_refused_with_its_row():
    with pytest.raises(SpreadsheetRefused) as caught:
        _import("id,type,lat,lon,name\nf1,school,28.3,117.2," + "校" * 140_000 + "\n")
    assert "设施.csv" in caught.value.message and "第 2 行" in caught.value.message
    assert not Facility.objects.exists()


@pytest.mark.django_db
def test_ids_and_names_longer_than_the_fields_are_row_errors():
    with pytest.raises(DomainError) as caught:
        _import(
            "id,type,lat,lon,name\n"
            + "f" * 65
            + ",school,28.3,117.2,小学\n"
            + "f2,school,28.3,117.2,"
            + "校" * 201
            + "\n"
        )
    message = caught.value.message
    assert "第2行：id 最长 64 个字符" in message and "第3行：name 最长 200 个字符" in message
    assert not Facility.objects.exists()


@pytest.mark.django_db
def test_ids_and_names_at_the_fields_length_are_stored():
    _import("id,type,lat,lon,name\n" + "f" * 64 + ",school,28.3,117.2," + "校" * 200 + "\n")
    facility = Facility.objects.get()
    assert len(facility.source_ref) == 64 and len(facility.name) == 200


def test_the_nearest_command_refuses_a_long_cell_with_exit_2(tmp_path):
    origins = tmp_path / "origins.csv"
    origins.write_text("id,lat,lon\n" + "起" * 140_000 + ",28.3,117.22\n", encoding="utf-8")
    facilities = tmp_path / "facilities.csv"
    facilities.write_text("id,type,lat,lon\ns,school,28.301,117.221\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "xiaoqu.cli",
            "lifecircle",
            "nearest",
            "--osm",
            str(GUIXI),
            "--origins",
            str(origins),
            "--facilities",
            str(facilities),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "XIAOQU_DEBUG": "1"},
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "第 2 行有一格超过 32,767 个字符" in done.stderr
    assert "Traceback" not in done.stderr
