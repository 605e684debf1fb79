"""Hypothesis strategies for hostile input: what a spreadsheet, a phone or a probe may send."""

from __future__ import annotations

from hypothesis import strategies as st

# Values that broke or nearly broke a parser somewhere: overflow, NaN, full-width digits,
# far dates, separators, control characters, scripts.
NASTY_NUMBERS = [
    "0",
    "-1",
    "-0",
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "１２３",  # full-width digits
    "١٢٣",  # Arabic-Indic digits
    "²",
    "1,000",
    "1_000",
    "0x1F",
    "1e-400",
    "0.000000001",
    "12.345678901234567890",
    " 12 ",
    "+5",
    "--5",
    "5-",
    "",
]
NASTY_DATES = [
    "0001-01-01",
    "0000-00-00",
    "1899-12-31",
    "1989-12-31",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "２０２６-０３-０５",
    "2026/3/5",
    "2026年3月5日",
    "45000",  # an Excel serial day
    "-1",
    "yesterday",
    "",
]
NASTY_TEXTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\u202e反向",
    "\ufeffBOM",
    "<script>alert(1)</script>",
    "'; DROP TABLE x; --",
    "%s%s%(x)s{0}",
    "\u3000全角空格\u3000",
    "𠀀𪚥",  # outside the Basic Multilingual Plane
    "=cmd|' /C calc'!A0",
]


def nasty_text(max_size: int = 200) -> st.SearchStrategy[str]:
    """Text as people and probes send it: any characters (control characters, NUL, surrogate-
    free Unicode), the known trouble-makers, and long runs."""
    return st.one_of(
        st.sampled_from(NASTY_TEXTS + NASTY_NUMBERS + NASTY_DATES),
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=max_size
        ),
        st.integers(1, max_size).map(lambda n: "长" * n),
    )


def numberish() -> st.SearchStrategy[str]:
    """A number as a form field sends it: huge, negative, NaN, full-width, or not one at all."""
    return st.one_of(
        st.sampled_from(NASTY_NUMBERS),
        st.integers().map(str),
        st.integers(-(2**70), 2**70).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(repr),
    )


def dateish() -> st.SearchStrategy[str]:
    """A date as a form field or a spreadsheet cell sends it."""
    return st.one_of(
        st.sampled_from(NASTY_DATES),
        st.dates().map(lambda d: d.isoformat()),
        st.dates().map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
        nasty_text(20),
    )


def maybe_bytes(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Text encoded as a file may arrive: UTF-8 (with or without BOM), GBK, Big5, UTF-16, or raw
    bytes."""
    encodings = st.sampled_from(["utf-8", "utf-8-sig", "gbk", "big5", "utf-16", "latin-1"])
    encoded = st.tuples(text, encodings).map(lambda p: p[0].encode(p[1], "replace"))
    return st.one_of(encoded, st.binary(max_size=200))
