"""xiaoqu backup / xiaoqu restore (docs/operations.md): one file, any database, same keys.

The source is the test database (SQLite or PostgreSQL, as the suite runs); targets are scratch
databases: SQLite files, or databases named ``helper_backup_*`` on the PostgreSQL server,
made from a migrated template and dropped afterwards. The round trip through the other kind of
database needs a PostgreSQL server: ``DATABASE_URL`` (a PostgreSQL run) or
``XIAOQU_TEST_POSTGRES_URL`` (a SQLite run); without one it is skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import dj_database_url
import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.db.utils import load_backend
from django.test import override_settings
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_user, tiny_image
from xiaoqu.core import backup as bk
from xiaoqu.core.models import AuditLog
from xiaoqu.registry.models import Person
from xiaoqu.web.management.commands.restore import SEEDED

pytestmark = pytest.mark.django_db(transaction=True)

JPEG = tiny_image("JPEG")
ROOT = Path(__file__).resolve().parents[2]
XIAOQU = str(Path(sys.executable).with_name("xiaoqu"))


# --- scratch databases -------------------------------------------------------------------------


def _postgres_server() -> str | None:
    for url in (os.environ.get("DATABASE_URL", ""), os.environ.get("XIAOQU_TEST_POSTGRES_URL", "")):
        if urlparse(url).scheme.startswith("postgres"):
            return url
    return None


def _pg_admin(server: str):
    import psycopg

    return psycopg.connect(urlunparse(urlparse(server)._replace(path="/postgres")), autocommit=True)


class Scratch:
    """Scratch databases of one test session: clones of a migrated template of the test
    database's kind, and blank databases of either kind."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.run = secrets.token_hex(3)
        self.server = _postgres_server()
        self.created: list[str] = []
        self.aliases: list[str] = []
        self.configs: dict[str, dict] = {}
        self.vendor = connections["default"].vendor
        self.template = self._template()

    def _template(self) -> str:
        """A copy of the (migrated, empty) test database."""
        default = connections["default"]
        if self.vendor == "sqlite":
            path = self.folder / "template.sqlite3"
            default.ensure_connection()
            dest = sqlite3.connect(path)
            default.connection.backup(dest)
            dest.close()
            return str(path)
        name = f"helper_backup_tpl_{self.run}"
        source = default.settings_dict["NAME"]
        connections.close_all()
        with _pg_admin(self.server) as admin:
            # A template may have no other session. Earlier tests of this process can leave
            # idle ones behind (the threads of a live server, of a concurrency test), which
            # nothing will use again: they are ended first.
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [source],
            )
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        self.created.append(name)
        return name

    def url(self, kind: str, name: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{self.folder / (name + '.sqlite3')}"
        return urlunparse(urlparse(self.server)._replace(path=f"/{name}"))

    def clone(self, name: str) -> str:
        """A migrated, empty database of the test database's kind; its URL."""
        name = f"helper_backup_{name}_{self.run}"
        if self.vendor == "sqlite":
            shutil.copy(self.template, self.folder / f"{name}.sqlite3")
        else:
            with _pg_admin(self.server) as admin:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            self.created.append(name)
        return self.url(self.vendor, name)

    def blank(self, kind: str, name: str) -> str:
        """A database of ``kind`` with no tables at all."""
        name = f"helper_backup_{name}_{self.run}"
        if kind == "postgresql":
            with _pg_admin(self.server) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            self.created.append(name)
            return self.url("postgresql", name)
        return self.url("sqlite", name)

    def alias(self, url: str) -> str:
        """A connection alias on ``url`` with the settings the application uses, open in this
        thread (``connect`` opens it in another). It is not in the settings, so the test case
        lets it connect."""
        alias = f"backup_{len(self.aliases)}"
        config = dj_database_url.parse(url)
        if config["ENGINE"].endswith("sqlite3"):
            config["OPTIONS"] = {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON;",
            }
        both = {"default": connections.settings["default"], alias: config}
        self.configs[alias] = connections.configure_settings(both)[alias]
        self.aliases.append(alias)
        self.connect(alias)
        return alias

    def connect(self, alias: str) -> None:
        config = self.configs[alias]
        connections[alias] = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias)

    def close(self) -> None:
        for alias in self.aliases:
            if hasattr(connections._connections, alias):
                connections[alias].close()
                delattr(connections._connections, alias)
        if self.created:
            with _pg_admin(self.server) as admin:
                for name in self.created:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scratch(tmp_path):
    if connections["default"].vendor == "postgresql" and not _postgres_server():
        pytest.skip("needs PostgreSQL: the test database's server URL")
    made = Scratch(tmp_path)
    try:
        yield made
    finally:
        made.close()


def _env(url: str, media: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        XIAOQU_DEBUG="1",
        XIAOQU_MEDIA_ROOT=str(media),
        DJANGO_SETTINGS_MODULE="xiaoqu.config.settings",
    )
    return env


def _xiaoqu(url: str, media: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [XIAOQU, *args], env=_env(url, media), capture_output=True, text=True, cwd=ROOT
    )


# --- what a database holds ------------------------------------------------------------------


def _world() -> dict:
    """A small world on the test database: an estate with owners, an open vote with paper
    ballots (each with its scanned file), decimals, times and JSON in audit rows."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xiaoqu.decisions import services

    estate = make_estate(name="备份小区", floors=3, per_floor=2, area=Decimal("76.35"))
    for i, dwelling in enumerate(estate.dwellings.order_by("pk")):
        make_owner(dwelling, f"业主{i}")
    staff = make_user("community_staff", region=estate.community)
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        matter=2,
        title="修改管理规约",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=6),
        actor=staff,
    )
    vote = services.vote_open(vote=vote, actor=staff, now=now - dt.timedelta(days=1))
    for i, elector in enumerate(vote.electors.order_by("pk")[:4]):
        services.ballot_cast(
            vote=vote,
            elector=elector,
            choice=("agree", "disagree", "abstain", "agree")[i],
            channel="paper",
            actor=staff,
            scan=SimpleUploadedFile(f"b{i}.jpg", JPEG + bytes([i]), content_type="image/jpeg"),
        )
    return {"estate": estate, "vote": vote, "staff": staff}


def _tables(manifest: dict) -> dict[str, tuple[int, str]]:
    return {t["model"]: (t["rows"], t["sha256"]) for t in manifest["tables"]}


def _holding(alias: str) -> dict[str, int]:
    """Rows per table of ``alias``, leaving out what ``migrate`` itself writes."""
    connection = connections[alias]
    allowed = bk._tables_of([*bk.MIGRATE_FILLS, *bk.EXCLUDED, *SEEDED]) | {"django_migrations"}
    counts = {}
    with connection.cursor() as cursor:
        for t in connection.introspection.get_table_list(cursor):
            if t.type == "t" and t.name not in allowed and not t.name.startswith("sqlite_"):
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(t.name)}")
                n = cursor.fetchone()[0]
                if n:
                    counts[t.name] = n
    return counts


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


# --- the round trip -----------------------------------------------------------------------------


def test_round_trip_through_the_other_database_keeps_every_row_key_and_file(
    scratch, tmp_path, settings
):
    """A backup restored into the other kind of database (blank: the restore migrates it),
    backed up there and restored into this kind again holds the same rows with the same
    primary keys in every table, the same files byte for byte, and its ballot chains verify."""
    if not scratch.server:
        pytest.skip("needs PostgreSQL: set DATABASE_URL or XIAOQU_TEST_POSTGRES_URL")
    back = scratch.clone("back")  # before the world: an empty copy of the test database
    world = _world()
    first = tmp_path / "first.zip"
    call_command("backup", str(first))
    m1 = _manifest(first)
    assert _tables(m1)["decisions.ballot"][0] == 4
    assert len(m1["media"]) == 4 and not m1["warnings"]
    assert "sessions.session" not in _tables(m1)
    assert "accounts.user_groups" in _tables(m1)  # many-to-many tables too

    other = "postgresql" if scratch.vendor == "sqlite" else "sqlite"
    there_url = scratch.blank(other, "there")
    there = scratch.alias(there_url)
    media_there = tmp_path / "media-there"
    restored = _xiaoqu(there_url, media_there, "restore", str(first))
    assert restored.returncode == 0, restored.stderr
    assert "选票链核验通过" in restored.stdout and "4 张选票" in restored.stdout
    second = tmp_path / "second.zip"
    with override_settings(MEDIA_ROOT=str(media_there)):
        bk.backup(second, using=there)

    home = scratch.alias(back)
    media_back = tmp_path / "media-back"
    with override_settings(MEDIA_ROOT=str(media_back)):
        bk.restore(second, using=home, seeded=SEEDED)
        third = tmp_path / "third.zip"
        bk.backup(third, using=home)
    m2, m3 = _manifest(second), _manifest(third)
    assert m2["vendor"] == other and m3["vendor"] == scratch.vendor
    assert _tables(m2) == _tables(m1)
    assert _tables(m3) == _tables(m1)
    for f in m1["media"]:
        original = Path(settings.MEDIA_ROOT) / f["name"]
        assert _sha(media_there / f["name"]) == _sha(original)
        assert _sha(media_back / f["name"]) == _sha(original)
    checked = _xiaoqu(back, media_back, "audit", "verify")
    assert checked.returncode == 0, checked.stderr
    vote = world["vote"]
    from xiaoqu.decisions.models import Vote

    head = Vote.objects.get(pk=vote.pk).chain_head
    assert Vote.objects.using(home).get(pk=vote.pk).chain_head == head


# --- refusals: nothing written ------------------------------------------------------------


@pytest.fixture
def small_backup(tmp_path) -> Path:
    _world()
    path = tmp_path / "small.zip"
    bk.backup(path)
    return path


def test_restore_refuses_a_database_that_holds_data(scratch, small_backup, tmp_path):
    """A target with one row of its own is refused with exit 2 and left as it was."""
    url = scratch.clone("busy")
    alias = scratch.alias(url)
    Person.objects.using(alias).create(name="已有的人")
    before = _holding(alias)
    connections[alias].close()
    done = _xiaoqu(url, tmp_path / "m", "restore", str(small_backup))
    assert done.returncode == 2
    assert "已有数据" in done.stderr
    assert _holding(alias) == before


def _flip(path: Path, offset: int) -> Path:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    broken = path.with_name("flipped.zip")
    broken.write_bytes(bytes(data))
    return broken


def _ballot_member_offset(path: Path) -> int:
    """An offset in the middle of the ballots table's stored data."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("decisions.ballot.jsonl"))
    with open(path, "rb") as f:
        f.seek(info.header_offset + 26)
        name_len = int.from_bytes(f.read(2), "little")
        extra_len = int.from_bytes(f.read(2), "little")
    return info.header_offset + 30 + name_len + extra_len + info.compress_size // 2


@pytest.mark.parametrize("damage", ["truncated", "flipped byte", "flipped manifest byte"])
def test_a_truncated_or_corrupt_file_restores_nothing(scratch, small_backup, tmp_path, damage):
    """A file cut short, or with one byte changed in a table or in the manifest, is refused
    with exit 2 and a clear message, before anything is written (the target stays unmigrated
    and empty)."""
    data = small_backup.read_bytes()
    if damage == "truncated":
        broken = tmp_path / "cut.zip"
        broken.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "flipped byte":
        broken = _flip(small_backup, _ballot_member_offset(small_backup))
    else:
        with zipfile.ZipFile(small_backup) as archive:
            info = archive.getinfo("manifest.json")
        broken = _flip(small_backup, info.header_offset + 30 + len("manifest.json") + 10)
    url = scratch.blank("sqlite", "broken")
    done = _xiaoqu(url, tmp_path / "m", "restore", str(broken))
    assert done.returncode == 2, done.stderr
    assert "备份文件不完整或已损坏" in done.stderr
    alias = scratch.alias(url)
    with connections[alias].cursor() as cursor:
        assert connections[alias].introspection.table_names(cursor) == []
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").rglob("*.jpg"))


def test_a_backup_from_a_newer_program_is_refused(scratch, small_backup, tmp_path):
    """A backup naming a migration this program does not know: exit 2, nothing written."""
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(small_backup) as source, zipfile.ZipFile(newer, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["migrations"]["decisions"].append("9999_from_the_future")
                data = json.dumps(manifest).encode()
            out.writestr(info, data)
    alias = scratch.alias(scratch.clone("newer"))
    with pytest.raises(bk.BackupError) as err:
        bk.restore(newer, using=alias, seeded=SEEDED)
    assert err.value.code == "newer_schema"
    assert _holding(alias) == {}


def test_a_missing_file_is_a_warning_not_a_failure(tmp_path, settings):
    """A row naming an uploaded file that is gone: the backup is made, with a warning."""
    _world()
    from xiaoqu.decisions.models import Ballot

    Path(settings.MEDIA_ROOT, Ballot.objects.order_by("pk").first().scan.name).unlink()
    result = bk.backup(tmp_path / "b.zip")
    assert result.files == 3
    assert len(result.warnings) == 1 and "不存在" in result.warnings[0]


# --- a snapshot while the platform writes -------------------------------------------------------


def test_a_backup_taken_while_another_connection_writes_is_one_snapshot(scratch, tmp_path):
    """A writer commits pairs (a person and an audit row, in two tables) in a loop while the
    backup runs: the backup never holds half a pair."""
    alias = scratch.alias(scratch.clone("live"))
    AuditLog.objects.using(alias).bulk_create(
        AuditLog(action="filler", object_type="x", object_id=str(i), after={"i": i})
        for i in range(30000)
    )
    stop = threading.Event()
    written = []

    def write_pairs():
        scratch.connect(alias)
        try:
            i = 0
            while not stop.is_set():
                with transaction.atomic(using=alias):
                    Person.objects.using(alias).create(name=f"pair-{i}")
                    AuditLog.objects.using(alias).create(
                        action="pair", object_type="registry.person", object_id=f"pair-{i}"
                    )
                written.append(i)
                i += 1
                time.sleep(0.002)
        finally:
            connections[alias].close()

    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        while len(written) < 5:
            time.sleep(0.01)
        bk.backup(tmp_path / "live.zip", using=alias)
        during = len(written)
    finally:
        stop.set()
        writer.join()
    with zipfile.ZipFile(tmp_path / "live.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        members = {t["model"]: t for t in manifest["tables"]}

        def values(model: str, column: str) -> set[str]:
            t = members[model]
            i = t["columns"].index(column)
            with archive.open(t["member"]) as f:
                return {
                    v for v in (json.loads(line)[i] for line in f) if str(v).startswith("pair-")
                }

        people = values("registry.person", "name")
        audited = values("core.auditlog", "object_id")
    assert people == audited
    assert 5 <= len(people) <= during
    assert len(written) > len(people) or during == len(written)


# --- a restore killed at any point ------------------------------------------------------------


def test_a_restore_killed_at_any_point_leaves_the_database_empty_or_complete(scratch, tmp_path):
    """`xiaoqu restore` in a child process killed (SIGKILL) at random points while it writes:
    the target holds either nothing or the whole backup, never part of it."""
    source = scratch.alias(scratch.clone("killsource"))
    AuditLog.objects.using(source).bulk_create(
        AuditLog(action="bulk", object_type="x", object_id=str(i), after={"i": [i, "十"]})
        for i in range(60000)
    )
    Person.objects.using(source).bulk_create(Person(name=f"人{i}") for i in range(5000))
    path = tmp_path / "kill.zip"
    bk.backup(path, using=source)
    expected = {t["table"]: t["rows"] for t in _manifest(path)["tables"] if t["rows"]}
    expected = {t: n for t, n in expected.items() if t in ("core_auditlog", "registry_person")}
    media = tmp_path / "media"

    def start(url: str) -> tuple[subprocess.Popen[str], float]:
        child = subprocess.Popen(
            [XIAOQU, "restore", str(path), "-v", "2"],
            env=_env(url, media),
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )
        for line in child.stderr:  # the file is checked: the writing begins
            if line.startswith("verified"):
                return child, time.monotonic()
        raise AssertionError("the restore ended before it began writing")

    # One whole run: how long the writing takes.
    url = scratch.clone("killfull")
    child, began = start(url)
    child.stderr.read()
    assert child.wait() == 0
    span = time.monotonic() - began
    full = scratch.alias(url)
    assert {t: n for t, n in _holding(full).items() if t in expected} == expected

    rng = random.Random(14)
    outcomes = []
    url = scratch.clone("kill0")
    for attempt in range(5):
        child, began = start(url)
        time.sleep(rng.uniform(0, span))
        child.send_signal(signal.SIGKILL)
        child.wait()
        alias = scratch.alias(url)
        held = _holding(alias)
        connections[alias].close()
        if held:
            assert {t: n for t, n in held.items() if t in expected} == expected, held
            outcomes.append("complete")
            url = scratch.clone(f"kill{attempt + 1}")
        else:
            outcomes.append("empty")
    assert "empty" in outcomes, outcomes
