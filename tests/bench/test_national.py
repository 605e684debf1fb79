"""The national benchmark's pieces that need no national database."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import dj_database_url

from xiaoqu.bench.national import _columns, _on_search_path, run, server_settings


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
