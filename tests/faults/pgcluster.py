"""A PostgreSQL cluster of the test's own, under its scratch folder, on a free port: one the
test may stop, kill and start again without touching the server the suite runs on, and a
streaming replica of it. The class lives beside the benchmarks, which make such clusters too."""

from __future__ import annotations

import os
import subprocess

from django.db import connection

from xiaoqu.bench.pgcluster import Cluster, bindir, free_port

__all__ = ["Cluster", "bindir", "copy_suite_schema", "free_port"]


def _pg_dump(*options: str) -> str:
    here = connection.settings_dict
    found = bindir()
    assert found is not None
    return subprocess.run(
        [
            str(found / "pg_dump"),
            *options,
            "--no-owner",
            "-h",
            here["HOST"] or "127.0.0.1",
            "-p",
            str(here["PORT"] or 5432),
            "-U",
            here["USER"] or "postgres",
            here["NAME"],
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGPASSWORD": here.get("PASSWORD") or ""},
    ).stdout


def copy_suite_schema(cluster: Cluster, database: str = "xiaoqu") -> None:
    """The suite's test database's tables, empty but for the record of applied migrations (so
    that commands find the database migrated), into a new database of the cluster: seconds,
    where ``xiaoqu migrate`` takes about forty."""
    found = bindir()
    assert found is not None
    psql = [str(found / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"]
    psql += ["-p", str(cluster.port), "-U", "postgres"]
    subprocess.run([*psql, "-c", f"CREATE DATABASE {database}"], check=True, capture_output=True)
    dump = _pg_dump("--schema-only") + _pg_dump("--data-only", "--table=django_migrations")
    subprocess.run([*psql, "-d", database], input=dump, text=True, check=True, capture_output=True)
