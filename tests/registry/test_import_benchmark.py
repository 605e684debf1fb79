"""The benchmark command finds the register import benchmark and prints tables."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from xiaoqu.core.management.commands.bench import discover, format_table


def test_register_benchmark_is_discovered():
    """Apps declare benchmarks in benchmarks.py; the register import one is found."""
    assert "register" in discover()


def test_bench_list_names_the_register_benchmark(capsys):
    """xiaoqu bench --list prints one benchmark name a line."""
    call_command("bench", "--list")
    assert "register" in capsys.readouterr().out.split()


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
    from xiaoqu.registry.benchmarks import run_xiaoqu
    from xiaoqu.registry.generator import generate_register
    from xiaoqu.registry.pagebench import bench_pages

    generate_register(tmp_path / "reg", estates=5, dwellings=200, seed=3)
    url = f"sqlite:///{tmp_path / 'pages.sqlite3'}"
    run_xiaoqu(url, "migrate", "--verbosity", "0")
    run_xiaoqu(url, "import", str(tmp_path / "reg"))

    rows = bench_pages(url, requests=3)

    assert rows[0]["case"].startswith("login page")
    assert rows[0]["p95_vs_baseline"] == 1.0
    assert {r["case"] for r in rows} >= {"workbench", "region tree", "estate list, page 1"}
    assert all(r["p95_ms"] >= r["p50_ms"] > 0 for r in rows)
