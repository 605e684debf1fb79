"""The benchmark command: its names, its usage errors, its tables, the page benchmark."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from xiaoqu.bench import BENCHMARKS
from xiaoqu.bench.management.commands.bench import format_table

KNOWN = [
    "register",
    "national",
    "pages",
    "needs",
    "needs-record",
    "votes",
    "notify",
    "lifecircle",
    "renovation",
    "stewardship",
    "insights",
    "workbench",
    "backup",
    "replica",
    "load",
]


def test_register_benchmark_is_discovered():
    """The suite names its benchmarks in one place; the register import one is there."""
    assert "register" in BENCHMARKS


def test_bench_list_names_the_register_benchmark(capsys):
    """xiaoqu bench --list prints one benchmark name a line."""
    call_command("bench", "--list")
    assert "register" in capsys.readouterr().out.split()


def test_bench_list_prints_every_known_name_in_order(capsys):
    """`xiaoqu bench --list` prints the benchmark names, one a line, in the suite's order."""
    call_command("bench", "--list")
    assert capsys.readouterr().out.splitlines() == KNOWN


def test_bench_with_an_unknown_name_among_known_ones_exits_2_and_runs_nothing(capsys):
    """`xiaoqu bench register no-such-benchmark` exits 2 naming it, before running anything."""
    with pytest.raises(SystemExit) as caught:
        call_command("bench", "register", "no-such-benchmark")
    out, err = capsys.readouterr()
    assert caught.value.code == 2
    assert "no-such-benchmark" in err
    assert "register" in err  # among the names it offers
    assert out == ""


def test_bench_with_an_unknown_name_exits_2(capsys):
    """An unknown benchmark name is a usage error."""
    with pytest.raises(SystemExit) as caught:
        call_command("bench", "no-such-benchmark")
    assert caught.value.code == 2
    assert "no-such-benchmark" in capsys.readouterr().err


def test_format_table_aligns_columns_from_all_rows():
    """Rows with different keys share one header; numbers are grouped by thousands."""
    text = format_table([{"step": "import", "rows": 3143116}, {"step": "ratio", "ratio": 0.61}])
    lines = text.splitlines()
    assert lines[0].split() == ["step", "rows", "ratio"]
    assert "3,143,116" in lines[2]
    assert "0.61" in lines[3]


def test_page_benchmark_measures_every_case_against_the_login_baseline(tmp_path):
    """On a small generated register the page benchmark answers each case with p50/p95."""
    from xiaoqu.bench.harness import Scratch, run_xiaoqu
    from xiaoqu.bench.pages import measure_pages
    from xiaoqu.registry.generator import generate_register

    generate_register(tmp_path / "reg", estates=5, dwellings=200, seed=3)
    with Scratch(None) as scratch:
        url = scratch.database("pages")
        run_xiaoqu(url, "import", str(tmp_path / "reg"))

        rows = measure_pages(url, requests=3)

    assert rows[0]["case"].startswith("login page")
    assert rows[0]["p95_vs_baseline"] == 1.0
    assert {r["case"] for r in rows} >= {"workbench", "region tree", "estate list, page 1"}
    assert all(r["p95_ms"] >= r["p50_ms"] > 0 for r in rows)
