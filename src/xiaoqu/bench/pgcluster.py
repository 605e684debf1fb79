"""PostgreSQL clusters of one's own, in a folder, on a free port: one a test or a benchmark may
stop, kill and start again without touching the server the suite runs on, and a streaming
replica of it made with ``pg_basebackup`` (docs/deployment.md, "The read replica").

Used by the fault tests (``tests/faults/``) and by ``xiaoqu bench replica``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

# What makes a throw-away cluster quick: nothing waits for the disk. A benchmark that measures
# replication starts its clusters durable instead (``start(durable=True)``).
FAST_OPTIONS = "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"


def bindir() -> Path | None:
    """Where the server's programs are (``pg_config --bindir``), or None."""
    if not shutil.which("pg_config"):
        return None
    found = Path(
        subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
    )
    return found if (found / "initdb").exists() and (found / "pg_ctl").exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """``initdb``, ``pg_ctl start/stop`` on ``folder``; run as the ``postgres`` user when the
    caller runs as root (the server refuses to run as root). ``folder`` is new or empty, and
    its parents can be entered by that user (``tempfile.mkdtemp()`` gives such a folder;
    pytest's ``tmp_path`` does not).

    ``initdb -A trust`` allows every local connection, replication connections from
    127.0.0.1 included, and PostgreSQL's defaults already suit a primary (``wal_level =
    replica``, ten WAL senders) and a hot standby (``hot_standby = on``)."""

    def __init__(self, folder: Path) -> None:
        found = bindir()
        if found is None:
            raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.bin = found
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)

    def _make_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
            os.chmod(self.folder, 0o700)

    def init(self) -> Cluster:
        self._make_folder()
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        return self

    def start(self, *, durable: bool = False, settings: str = "", timeout: int = 60) -> None:
        """Start the server; ``settings`` are more ``-c name=value`` options. ``timeout``: the
        seconds to wait for it to accept connections (after an immediate stop, the recovery
        of a large load can take minutes)."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        if not durable:
            options += " " + FAST_OPTIONS
        if settings:
            options += " " + settings
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-o",
            options,
            "-w",
            "-t",
            str(timeout),
            "start",
            timeout=timeout + 60,
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def stop_command(self, mode: str = "fast") -> list[str]:
        """The command that stops the cluster, for another process to run."""
        command = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]
        return ["runuser", "-u", "postgres", "--", *command] if self.as_postgres else command

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def replica(self, folder: Path, *, timeout: float = 600) -> Cluster:
        """A streaming replica of this running cluster in ``folder`` (not started):
        ``pg_basebackup -R`` copies the data directory over a replication connection and
        writes ``standby.signal`` and ``primary_conninfo``, so that the copy starts as a hot
        standby following this cluster."""
        standby = Cluster(folder)
        standby._make_folder()
        self._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-D",
            str(standby.data),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
            "--no-sync",
            timeout=timeout,
        )
        return standby

    def wait_replayed(
        self, primary: Cluster, database: str = "postgres", timeout: float = 60
    ) -> float:
        """Wait until this standby has replayed everything ``primary`` wrote so far; the
        seconds it took."""
        import psycopg

        started = time.perf_counter()
        with psycopg.connect(primary.url(database), autocommit=True) as conn:
            row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
            assert row is not None
            target = row[0]
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            while True:
                row = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
                ).fetchone()
                if row is not None and row[0]:
                    return time.perf_counter() - started
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the standby did not replay up to {target} in {timeout} s")
                time.sleep(0.005)

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
