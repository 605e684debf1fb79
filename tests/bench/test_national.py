"""The national benchmark's pieces that need no national database."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import dj_database_url
import psycopg
import pytest

from tests.faults.pgcluster import Cluster, bindir, copy_suite_schema
from xiaoqu.bench.harness import Scratch, run_xiaoqu
from xiaoqu.bench.national import (
    _columns,
    _dump,
    _on_search_path,
    _raw_copy,
    _restart,
    run,
    server_settings,
)
from xiaoqu.bench.register import TABLES


def test_index_columns_are_read_from_their_definition_with_a_partial_index_s_condition():
    plain = 'CREATE INDEX a ON public.registry_dwelling USING btree (estate_id, "number")'
    assert _columns(plain) == ('estate_id, "number"', "")
    partial = (
        "CREATE UNIQUE INDEX b ON public.registry_ownership USING btree (person_id, dwelling_id)"
        " WHERE (share IS NOT NULL)"
    )
    assert _columns(partial) == ("person_id, dwelling_id", " WHERE (share IS NOT NULL)")
    coalesced = "CREATE INDEX c ON public.t USING btree (COALESCE(a, (0)::bigint), b)"
    assert _columns(coalesced) == ("COALESCE(a, (0)::bigint), b", "")


def test_the_partitioned_copies_are_reached_through_the_search_path():
    url = _on_search_path("postgres://postgres@127.0.0.1:5432/x", "xiaoqu_partitioned")
    assert parse_qs(urlparse(url).query)["options"] == ["-c search_path=xiaoqu_partitioned,public"]
    options = dj_database_url.parse(url)["OPTIONS"]
    assert options["options"] == "-c search_path=xiaoqu_partitioned,public"


def test_without_postgresql_the_benchmark_says_it_needs_it():
    rows = run({"database": None})
    assert rows == [{"step": "national scale", "note": "PostgreSQL only: give --database"}]


def test_without_the_server_programs_the_benchmark_says_what_it_needs(monkeypatch):
    monkeypatch.setattr("xiaoqu.bench.national.bindir", lambda: None)
    rows = run({"database": "postgres://postgres@127.0.0.1:5432/postgres"})
    assert rows[0]["note"].startswith("needs PostgreSQL's server programs")


def test_the_cluster_gets_the_deployment_guide_s_settings_unless_defaults_are_asked_for(
    monkeypatch,
):
    tuned = server_settings()
    assert "-c shared_buffers=" in tuned and "-c max_wal_size=16GB" in tuned
    monkeypatch.setenv("XIAOQU_BENCH_NATIONAL_PG", "defaults")
    assert server_settings() == ""


@pytest.mark.postgres
@pytest.mark.django_db
def test_after_a_restart_the_baseline_loads_every_row_of_the_dropped_database(
    tmp_path, monkeypatch
):
    """What the benchmark does once the pages are measured, at its smallest: the primary
    stopped at once and started again (to cut its WAL) keeps every committed row; the
    baseline dumps every register table, the imported database is dropped, and COPY loads
    the same rows into the other database."""
    from xiaoqu.registry.generator import generate_register

    if bindir() is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    monkeypatch.setenv("XIAOQU_BENCH_NATIONAL_PG", "defaults")  # no 6 GB of buffers in a test
    primary = Cluster(Path(tempfile.mkdtemp(prefix="xiaoqu-pg-national-"))).init()
    try:
        primary.start(durable=True)
        copy_suite_schema(primary, "imported")
        copy_suite_schema(primary, "raw")
        generate_register(tmp_path / "reg", estates=3, dwellings=60, seed=5, preset="guizhou")
        run_xiaoqu(primary.url("imported"), "import", str(tmp_path / "reg"))
        _restart(primary, "1GB")
        counts = _counts(primary.url("imported"))
        assert counts["registry_dwelling"] == 60 and counts["registry_ownership"] > 0
        with Scratch(primary.url(), "xiaoqu-test-national-") as scratch:
            files, rows = _dump(scratch, primary.url("imported"))
            with psycopg.connect(primary.url(), autocommit=True) as conn:
                conn.execute('DROP DATABASE "imported" WITH (FORCE)')
            seconds = _raw_copy(scratch, files, primary.url("raw"))
            assert not any(path.exists() for _table, path in files)
        assert rows == sum(counts.values()) and seconds > 0
        assert _counts(primary.url("raw")) == counts
    finally:
        primary.remove()


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in TABLES
        }
