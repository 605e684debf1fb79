"""The csv findings of the 2026-12-01 security probe: a 140,000-character cell (csv's own
"field larger than field limit") and a Big5 file read as GBK nonsense. Every reader refuses
both with a message naming the file and the row or the encoding, never a traceback. The files
are made here: Chinese text encoded in Big5, EUC-KR and Shift-JIS."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xiaoqu.core import csvtext
from xiaoqu.core.spreadsheets import (
    EncodingRefused,
    SpreadsheetRefused,
    command_limits,
    csv_rows,
    detect_encoding,
    upload_limits,
    upload_rows,
)

LONG = "长" * 140_000
TRADITIONAL = (
    "意見,日期\n樓道燈壞了，請盡快修理。,2026-03-02\n電梯經常故障，老人上下樓很困難。,2026-03-03\n"
)
SIMPLIFIED = (
    "意见,日期\n楼道灯坏了，请尽快修理。,2026-03-02\n电梯经常故障，老人上下楼很困难。,2026-03-03\n"
)


def _refusal(data: bytes, name: str = "x.csv") -> SpreadsheetRefused:
    with pytest.raises(SpreadsheetRefused) as caught:
        list(csv_rows(data, name=name, limits=upload_limits()))
    return caught.value


@pytest.mark.parametrize("quoted", [False, True])
def test_a_140000_character_cell_is_refused_with_its_row(quoted):
    cell = f'"{LONG}"' if quoted else LONG
    error = _refusal(f"意见,日期\n短,2026-03-01\n{cell},2026-03-02\n".encode(), "long.csv")
    assert error.code == "cell_too_long"
    assert "long.csv" in error.message and "第 3 行" in error.message
    assert "32,767" in error.message


def test_the_csv_module_never_decides_the_cell_bound(settings):
    """A bound set above the csv module's own (131,072) is the one that holds."""
    settings.XIAOQU_SHEET_MAX_CELL_CHARS = 200_000
    rows = list(csv_rows(f"a\n{LONG}\n".encode(), name="x.csv", limits=command_limits()))
    assert rows[1] == [LONG]


def test_big5_is_refused_as_big5():
    """Big5 decodes as GBK into nonsense (樓道燈 → 樓笵縊): it is refused, not imported."""
    data = TRADITIONAL.encode("big5")
    assert data.decode("gb18030")  # what used to be imported
    error = _refusal(data, "繁体.csv")
    assert isinstance(error, EncodingRefused) and error.guess == "Big5"
    assert "繁体.csv" in error.message and "Big5" in error.message and "UTF-8" in error.message


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (
            "이름,주소\n김철수,서울특별시 강남구 테헤란로 아파트 3동 101호\n안녕하세요 관리비가 너무 비쌉니다\n",
            "euc-kr",
        ),
        (
            "名前,住所\n山田太郎,東京都新宿区西新宿二丁目\nこんにちは、よろしくお願いします\n",
            "shift_jis",
        ),
    ],
)
def test_other_encodings_that_decode_as_gbk_are_refused(text, encoding):
    data = text.encode(encoding)
    data.decode("gb18030")  # they too would have been imported as nonsense
    error = _refusal(data)
    assert isinstance(error, EncodingRefused) and error.guess


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_mainland_text_is_still_read(encoding):
    rows = list(csv_rows(SIMPLIFIED.encode(encoding), name="x.csv", limits=upload_limits()))
    assert rows[1][0] == "楼道灯坏了，请尽快修理。"


def test_names_with_rare_characters_in_gbk_are_read():
    """Names outside GB2312 (喆, 堃, 昇, 犇, 垚) are real mainland text."""
    text = "人员编号,姓名\n1,王喆\n2,李堃\n3,刘昇\n4,陈犇\n5,吴垚\n6,张伟\n"
    assert detect_encoding(io.BytesIO(text.encode("gbk"))) == "gb18030"
    assert detect_encoding(io.BytesIO("ref,name\n1,喆\n".encode("gbk"))) == "gb18030"


def test_big5_after_a_megabyte_of_ascii_is_refused():
    """The check reads the first text holding non-ASCII bytes, wherever it starts."""
    data = b"code,name\n" + b"1,abc\n" * 200_000 + "2,樓道燈壞了\n".encode("big5")
    with pytest.raises(EncodingRefused) as caught:
        detect_encoding(io.BytesIO(data))
    assert caught.value.guess == "Big5"


def test_an_uploaded_big5_file_is_refused():
    upload = SimpleUploadedFile("意见.csv", TRADITIONAL.encode("big5"))
    with pytest.raises(EncodingRefused) as caught:
        list(upload_rows(upload))
    assert "Big5" in caught.value.message


# --- the commands' csv (no Django) -----------------------------------------------------------


def test_plain_csv_records_refuse_a_long_cell_with_its_line():
    with pytest.raises(csvtext.CsvRecordRefused) as caught:
        list(csvtext.records(io.StringIO(f"id,name\n\n1,a\n2,{LONG}\n")))
    assert caught.value.too_long and caught.value.line == 4
    with pytest.raises(csvtext.CsvRecordRefused) as caught:
        list(csvtext.records(io.StringIO("id,name\n1," + "x" * 40_000 + "\n")))
    assert caught.value.too_long and caught.value.line == 2


def test_plain_csv_records_give_the_line_each_record_starts_on():
    found = list(csvtext.records(io.StringIO('id,name\n\n1,"two\nlines"\n2,b\n')))
    assert found == [(1, ["id", "name"]), (3, ["1", "two\nlines"]), (5, ["2", "b"])]
