"""Scratch databases for tests that run the platform in child processes: a migrated empty
database made once, then copied for each trial (a file copy on SQLite, ``CREATE DATABASE …
TEMPLATE`` on PostgreSQL) — on the same kind of database as the suite's own."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def child_env(url: str, media: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        XIAOQU_MEDIA_ROOT=str(media),
        XIAOQU_DEBUG="1",
        PYTHONPATH=f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}",
        DJANGO_SETTINGS_MODULE="xiaoqu.config.settings",
    )
    return env


def xiaoqu(url: str, media: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xiaoqu.cli", *args],
        env=child_env(url, media),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def child_step(url: str, media: Path, step: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.faults.child", step],
        env=child_env(url, media),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )


def child_json(url: str, media: Path, step: str) -> dict:
    done = child_step(url, media, step)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


class Databases:
    """Copies of template databases, named and dropped by this object."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.postgres = connection.vendor == "postgresql"
        self.prefix = f"xiaoqu_fault_{uuid.uuid4().hex[:8]}"
        self.made: list[str] = []

    def _pg_url(self, name: str) -> str:
        db = settings.DATABASES["default"]
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        user = db.get("USER") or "postgres"
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return f"postgres://{user}{password}@{host}:{port}/{name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self._pg_url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def new(self, name: str, template: str | None = None) -> str:
        """A database ``name`` (a copy of ``template`` when given); its URL."""
        if self.postgres:
            full = f"{self.prefix}_{name}"
            tmpl = f" TEMPLATE {self.prefix}_{template}" if template else ""
            self._admin(f'CREATE DATABASE "{full}"{tmpl}')
            self.made.append(full)
            return self._pg_url(full)
        path = self.folder / f"{name}.sqlite3"
        if template:
            # Through SQLite's backup API: it reads what the write-ahead log still holds.
            source = self.folder / f"{template}.sqlite3"
            with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(path)) as dst:
                src.backup(dst)
        return f"sqlite:///{path}"

    def drop_all(self) -> None:
        for name in reversed(self.made):
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()
