"""Every import path under generated files: the register (``xiaoqu import``), residents'
opinions (the estate's upload) and life-circle facilities (``xiaoqu lifecircle facilities``
and the region's upload).

One cell of a good file is replaced by a hostile value — a huge, negative or NaN number,
full-width digits, a far date, nothing, a very long text, control characters — or the whole
file arrives in another encoding or as stray bytes. The import either stores the file or
refuses it with its own error (a row list, exit code 1 or 2); it never raises anything else,
and a refused file leaves every table as it was.
"""

from __future__ import annotations

import csv
import io
import itertools
from contextlib import redirect_stderr, redirect_stdout

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import make_estate, make_user, region_chain
from tests.fuzz.budget import FUZZ, seeded
from tests.fuzz.strategies import dateish, maybe_bytes, nasty_text, numberish
from tests.registry.fixtures.register import HEADERS, base_register, write_register
from xiaoqu.core.errors import DomainError
from xiaoqu.lifecircle import services as lifecircle
from xiaoqu.needs import services as needs

pytestmark = pytest.mark.django_db

_folders = itertools.count()


def row_counts(*app_labels: str) -> dict[str, int]:
    """Rows of every table of the given apps (of all the project's apps without any): what an
    import or a form could have written."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("xiaoqu.")
        and (not app_labels or model._meta.app_label in app_labels)
    }


def hostile_value() -> st.SearchStrategy[str]:
    return st.one_of(nasty_text(300), numberish(), dateish(), st.just("长" * 40_000))


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding, "replace")


# --- the register -----------------------------------------------------------------------------


@FUZZ
@seeded
@given(data=st.data(), sheet=st.sampled_from(sorted(HEADERS)))
def test_the_register_import_stores_or_refuses_any_cell(tmp_path_factory, data, sheet):
    register = base_register()
    rows = register[sheet]
    row = data.draw(st.integers(0, len(rows) - 1), label="row")
    column = data.draw(st.integers(0, len(HEADERS[sheet]) - 1), label="column")
    rows[row][column] = data.draw(hostile_value(), label="value")
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]), label="encoding")
    folder = tmp_path_factory.mktemp("register")
    try:
        write_register(folder, register, encoding=encoding)
    except UnicodeEncodeError:
        # A value GBK cannot write is no file anyone can send in GBK.
        return
    _import_register(folder)


@FUZZ
@seeded
@given(data=st.data(), sheet=st.sampled_from(sorted(HEADERS)), raw=maybe_bytes(nasty_text(200)))
def test_the_register_import_stores_or_refuses_any_bytes(tmp_path_factory, data, sheet, raw):
    """A sheet whose bytes are anything: another encoding, stray bytes after a good header."""
    folder = write_register(tmp_path_factory.mktemp("register"), base_register())
    header = ",".join(HEADERS[sheet]).encode()
    keep_header = data.draw(st.booleans(), label="keep header")
    (folder / f"{sheet}.csv").write_bytes((header + b"\n" if keep_header else b"") + raw)
    _import_register(folder)


@pytest.mark.parametrize("keep_header", [True, False], ids=["after the header", "alone"])
def test_a_register_sheet_cut_inside_a_character_is_refused(db, tmp_path, keep_header):
    """A file whose last byte begins a character it does not finish once escaped the reader
    as UnicodeDecodeError (a traceback) when it was the header line."""
    folder = write_register(tmp_path, base_register())
    header = ",".join(HEADERS["estates"]).encode()
    (folder / "estates.csv").write_bytes((header + b"\n" if keep_header else b"") + b"\xc2")
    _import_register(folder)


REGISTER_APPS = ("registry", "core")


def _import_register(folder) -> None:
    before = row_counts(*REGISTER_APPS)
    with transaction.atomic():
        out, err = io.StringIO(), io.StringIO()
        try:
            with redirect_stdout(out), redirect_stderr(err):
                call_command("import", str(folder), "--no-progress", stdout=out, stderr=err)
        except SystemExit as refused:
            assert refused.code in (1, 2), err.getvalue()
            assert err.getvalue().strip(), "a refusal says why"
            assert "Traceback" not in err.getvalue()
            assert row_counts(*REGISTER_APPS) == before
        transaction.set_rollback(True)


# --- residents' opinions ----------------------------------------------------------------------

OPINION_HEADER = ["意见", "日期", "楼栋号", "单元号", "房号", "紧急"]
OPINION_ROW = ["楼道灯坏了", "2026-03-05", "1", "1", "101", "是"]


@pytest.fixture(scope="module")
def opinion_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        chain = region_chain()
        estate = make_estate(chain[-1], name="导入小区")
        staff = make_user("community_staff", region=chain[-1], password=None)
        yield {"estate": estate, "staff": staff}
        transaction.set_rollback(True)


@FUZZ
@seeded
@given(
    column=st.integers(0, len(OPINION_HEADER) - 1),
    value=hostile_value(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "big5", "utf-16"]),
)
def test_the_opinion_import_stores_or_refuses_any_cell(opinion_world, column, value, encoding):
    row = list(OPINION_ROW)
    row[column] = value
    content = csv_bytes([OPINION_HEADER, row, OPINION_ROW], encoding)
    _import_opinions(opinion_world, content)


@FUZZ
@seeded
@given(raw=maybe_bytes(nasty_text(300)), keep_header=st.booleans())
def test_the_opinion_import_stores_or_refuses_any_bytes(opinion_world, raw, keep_header):
    header = csv_bytes([OPINION_HEADER]) if keep_header else b""
    _import_opinions(opinion_world, header + raw)


def _import_opinions(world, content: bytes) -> None:
    before = row_counts("needs", "core", "registry")
    with transaction.atomic():
        upload = SimpleUploadedFile("意见.csv", content, content_type="text/csv")
        try:
            stored = needs.opinions_import(
                estate=world["estate"], upload=upload, actor=world["staff"]
            )
        except DomainError as refused:
            assert str(refused.message).strip()
            assert row_counts("needs", "core", "registry") == before
        else:
            assert stored
        transaction.set_rollback(True)


# --- life-circle facilities -------------------------------------------------------------------

FACILITY_HEADER = ["id", "type", "name", "lat", "lon"]
FACILITY_ROW = ["k1", "kindergarten", "城北幼儿园", "28.3273555", "117.2363059"]


@FUZZ
@seeded
@given(
    column=st.integers(0, len(FACILITY_HEADER) - 1),
    value=hostile_value(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "big5"]),
)
def test_the_facility_import_stores_or_refuses_any_cell(column, value, encoding):
    row = list(FACILITY_ROW)
    row[column] = value
    _import_facilities(csv_bytes([FACILITY_HEADER, row], encoding))


@FUZZ
@seeded
@given(raw=maybe_bytes(nasty_text(300)), keep_header=st.booleans())
def test_the_facility_import_stores_or_refuses_any_bytes(raw, keep_header):
    header = csv_bytes([FACILITY_HEADER]) if keep_header else b""
    _import_facilities(header + raw)


def _import_facilities(content: bytes) -> None:
    before = row_counts("lifecircle", "core")
    with transaction.atomic():
        upload = SimpleUploadedFile("设施.csv", content, content_type="text/csv")
        try:
            lifecircle.facilities_import_file(upload=upload, actor=None)
        except DomainError as refused:
            assert str(refused.message).strip()
            assert row_counts("lifecircle", "core") == before
        transaction.set_rollback(True)


def test_the_facilities_command_refuses_a_hostile_file_with_exit_2(tmp_path):
    """The command line path of the same import: a clear message and exit 2, nothing stored."""
    sheet = tmp_path / "facilities.csv"
    sheet.write_bytes(csv_bytes([FACILITY_HEADER, ["k1", "kindergarten", "x", "NaN", "1e309"]]))
    before = row_counts("lifecircle", "core")
    with pytest.raises(CommandError) as refused:
        call_command("lifecircle", "facilities", str(sheet))
    assert refused.value.returncode == 2 and "第2行" in str(refused.value)
    assert row_counts("lifecircle", "core") == before
