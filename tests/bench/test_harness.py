"""The benchmark harness: child processes, their own resources, percentiles, scratch files."""

from __future__ import annotations

import sys

from xiaoqu.bench.harness import Scratch, child_env, measure, percentile, run_in_child


def test_percentile_takes_the_sample_at_the_nearest_rank():
    """p95 of 20 samples is the 19th smallest; the median of an odd count is the middle one."""
    samples = [float(v) for v in range(20, 0, -1)]
    assert percentile(samples, 0.95) == 19.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([5.0], 0.95) == 5.0


def test_a_function_runs_in_a_child_and_returns_its_result():
    """run_in_child calls a module-level function in another process and returns its result."""
    result, usage = run_in_child(
        percentile, env=child_env(), django=False, samples=[3.0, 1.0, 2.0], q=0.5
    )
    assert result == 2.0
    assert usage.seconds > 0
    assert usage.peak_rss_mb > 0


def chatty(word: str) -> str:
    """Writes to standard output before returning and again when its process ends."""
    import atexit

    print("not json")
    atexit.register(print, "written after the result")
    return word


def test_what_a_child_prints_does_not_disturb_its_result():
    """Output of the child, even after the function returned, is not taken for the result."""
    result, _ = run_in_child(chatty, env=child_env(), django=False, word="完成")
    assert result == "完成"


def test_a_child_reports_its_own_peak_memory_not_the_bench_process_size():
    """A small child started from a large bench process reports its own peak RSS."""
    ballast = bytearray(400 * 1024 * 1024)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    _, small = measure([sys.executable, "-c", "pass"], child_env())
    _, large = measure(
        [
            sys.executable,
            "-c",
            "b = bytearray(200 * 1024 * 1024); b[::4096] = b'1' * len(b[::4096])",
        ],
        child_env(),
    )
    del ballast
    assert small.peak_rss_mb < 150
    assert large.peak_rss_mb > 200


def test_scratch_sqlite_databases_live_in_a_folder_removed_afterwards():
    """Without a PostgreSQL server, scratch databases are SQLite files in a temporary folder."""
    with Scratch(None) as scratch:
        url = scratch.database("probe", migrate=False)
        folder = scratch.folder
        assert url == f"sqlite:///{folder / 'probe.sqlite3'}"
    assert scratch.engine == "SQLite"
    assert not folder.exists()


def test_a_database_url_that_is_not_postgresql_keeps_scratch_databases_on_sqlite():
    """`--database sqlite:///...` is no server: the scratch databases stay temporary files."""
    with Scratch("sqlite:///somewhere/else.sqlite3") as scratch:
        url = scratch.database("probe", migrate=False)
        assert url.startswith(f"sqlite:///{scratch.folder}")
    assert not scratch.postgres
