"""The one harness every benchmark uses: child processes, their resources, scratch databases.

A benchmark measures its work in a child process started with production settings (DEBUG
off, so no query log) on a database of its own. What it reports is then that work alone, not
the state of the ``xiaoqu bench`` process, which may already have run other benchmarks.

The wall time, CPU time and peak RSS of a child are read by a small wrapper process
(``python -m xiaoqu.bench.harness measure``) that starts the child and, when it ends, reads
``getrusage(RUSAGE_CHILDREN)``. The wrapper is needed because Linux reports, as the peak RSS
of a process started from a large one, at least the size of that parent at the start (the
memory it shares before ``exec`` is counted): started straight from ``xiaoqu bench`` after
the register benchmark, a child would report the bench process's gigabyte instead of its own.

Scratch databases are SQLite files in a temporary folder, or, when ``--database`` names a
PostgreSQL server, databases with unique names on that server; either way they are gone when
the benchmark ends.

Benchmarks of the site under load run it as production does: ``served`` starts ``xiaoqu
serve`` (gunicorn) on a free port of 127.0.0.1 and stops it, whatever happens, at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse, urlunparse


@dataclass(frozen=True)
class Usage:
    """Resources of one child process (and of any process it started)."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float


class ChildFailed(RuntimeError):
    """A benchmark's child process ended with an error; the message holds its last output."""


def child_env(url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment of a child: production settings, on the database ``url`` when given."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "xiaoqu.config.settings"
    # Production settings: no query log. The test client's host is allowed.
    env["XIAOQU_DEBUG"] = "0"
    env.setdefault("XIAOQU_SECRET_KEY", "xiaoqu-benchmark-only")
    env["XIAOQU_ALLOWED_HOSTS"] = "testserver"
    # Measured over plain http on the loopback (the test client, a local server): no
    # redirect to https, which production otherwise makes (docs/security.md).
    env["XIAOQU_SSL_REDIRECT"] = "0"
    if url:
        env["DATABASE_URL"] = url
    env.update(extra)
    return env


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0 ≤ q ≤ 1) of ``samples``: the sample at rank round(q·(n − 1))."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_xiaoqu(url: str, *args: str) -> None:
    """Run ``xiaoqu ARGS`` on ``url`` in a child process, unmeasured (a benchmark's set-up)."""
    _check(
        subprocess.run(
            [sys.executable, "-m", "xiaoqu.cli", *args],
            env=child_env(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ),
        ["xiaoqu", *args],
    )


def measure(
    command: Sequence[str], env: Mapping[str, str], *, one_core: bool = False
) -> tuple[str, Usage]:
    """Run ``command`` as a child process; its standard output and its resources.

    With ``one_core`` the child is pinned to the first core and its numerical libraries
    (OpenBLAS, OpenMP, MKL) to one thread, so its figures do not depend on idle cores.
    """
    env = dict(env)
    command = list(command)
    if one_core:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"
        if shutil.which("taskset"):
            command = ["taskset", "-c", "0", *command]
    with tempfile.TemporaryDirectory(prefix="xiaoqu-bench-usage-") as tmp:
        usage_file = Path(tmp) / "usage.json"
        done = subprocess.run(
            [sys.executable, "-m", "xiaoqu.bench.harness", "measure", str(usage_file), *command],
            env=env,
            capture_output=True,
            text=True,
        )
        _check(done, command)
        usage = Usage(**json.loads(usage_file.read_text(encoding="utf-8")))
    return done.stdout, usage


def measure_xiaoqu(env: Mapping[str, str], *args: str) -> Usage:
    """Run ``xiaoqu ARGS`` as a measured child process with the environment ``env``."""
    return measure([sys.executable, "-m", "xiaoqu.cli", *args], env)[1]


def run_in_child(
    function: Callable[..., Any],
    *,
    env: Mapping[str, str],
    django: bool = True,
    one_core: bool = False,
    **kwargs: Any,
) -> tuple[Any, Usage]:
    """Call ``function(**kwargs)`` in a measured child process; its result and resources.

    ``function`` is a module-level function of an importable module; its keyword arguments
    and its result travel as JSON, the result through a file of its own (libraries the child
    loads may write to standard output, pandana's C++ code even after Python has finished).
    With ``django`` Django is set up in the child first.
    """
    with tempfile.TemporaryDirectory(prefix="xiaoqu-bench-result-") as tmp:
        result_file = Path(tmp) / "result.json"
        command = [
            sys.executable,
            "-m",
            "xiaoqu.bench.harness",
            "call",
            f"{function.__module__}:{function.__qualname__}",
            json.dumps(kwargs),
            str(result_file),
        ]
        if django:
            command.append("--django")
        usage = measure(command, env, one_core=one_core)[1]
        return json.loads(result_file.read_text(encoding="utf-8")), usage


class Scratch:
    """A temporary folder, and fresh migrated databases dropped when the block ends.

    ``server`` is the URL given with ``--database``: a PostgreSQL URL puts the databases on
    that server (with unique names, so two runs never meet); anything else, or None, puts
    them in SQLite files in the folder.
    """

    def __init__(self, server: str | None, prefix: str = "xiaoqu-bench-") -> None:
        self.server = server or ""
        self.postgres = urlparse(self.server).scheme.startswith("postgres")
        self.engine = "PostgreSQL" if self.postgres else "SQLite"
        self._tmp = tempfile.TemporaryDirectory(prefix=prefix)
        self.folder = Path(self._tmp.name)
        self._run = secrets.token_hex(4)
        self._created: list[str] = []

    def __enter__(self) -> Scratch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._drop_all()
        finally:
            self._tmp.cleanup()

    def database(self, name: str, *, migrate: bool = True) -> str:
        """The URL of a new, empty database (migrated unless ``migrate`` is false)."""
        if self.postgres:
            import psycopg

            dbname = f"xiaoqu_bench_{name}_{self._run}"
            with psycopg.connect(self._admin_url(), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{dbname}"')
            self._created.append(dbname)
            url = urlunparse(urlparse(self.server)._replace(path=f"/{dbname}"))
        else:
            url = f"sqlite:///{self.folder / (name + '.sqlite3')}"
        if migrate:
            run_xiaoqu(url, "migrate", "--no-input", "--verbosity", "0")
        return url

    def clone(self, url: str, name: str) -> str:
        """A new database holding what the scratch database ``url`` holds (PostgreSQL's
        ``CREATE DATABASE … TEMPLATE``, no migration run again; a file copy on SQLite)."""
        if not self.postgres:
            target = self.folder / (name + ".sqlite3")
            shutil.copyfile(url.removeprefix("sqlite:///"), target)
            return f"sqlite:///{target}"
        import psycopg

        source = urlparse(url).path.lstrip("/")
        dbname = f"xiaoqu_bench_{name}_{self._run}"
        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{source}"')
        self._created.append(dbname)
        return urlunparse(urlparse(self.server)._replace(path=f"/{dbname}"))

    def env(self, url: str) -> dict[str, str]:
        """A child's environment on ``url``, its uploads kept in the scratch folder."""
        return child_env(url, XIAOQU_MEDIA_ROOT=str(self.folder / "media"))

    def connect(self, url: str) -> Any:
        """A plain DB-API connection to one of the scratch databases."""
        if self.postgres:
            import psycopg

            return psycopg.connect(url)
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        # The settings the application's own connections use (config/settings.py) and the
        # importer's page cache, so that only the work differs.
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("PRAGMA cache_size = -524288")
        return conn

    def drop(self, url: str) -> None:
        """Drop one of the scratch databases before the block ends (to free its disk)."""
        if not self.postgres:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            return
        import psycopg

        dbname = urlparse(url).path.lstrip("/")
        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        self._created.remove(dbname)

    def _admin_url(self) -> str:
        return urlunparse(urlparse(self.server)._replace(path="/postgres"))

    def _drop_all(self) -> None:
        if not self._created:
            return
        import psycopg

        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            for dbname in self._created:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        self._created.clear()


@contextlib.contextmanager
def served(
    env: Mapping[str, str],
    *,
    workers: int | None = None,
    background_worker: bool = True,
    log: Path | None = None,
    probe: str = "/open311/v2/services.json",
) -> Iterator[tuple[str, int]]:
    """``xiaoqu serve`` on a free port of 127.0.0.1, stopped at the end: its base URL and pid.

    ``workers`` gunicorn workers (default: the command's own default); without
    ``background_worker`` the command's ``--no-worker``. Its output (gunicorn's access and
    error logs, Django's tracebacks) goes to ``log`` when given. The block starts once
    ``probe`` answers 200.
    """
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "xiaoqu.cli", "serve", "--bind", f"127.0.0.1:{port}"]
    if workers is not None:
        command += ["--workers", str(workers)]
    if not background_worker:
        command.append("--no-worker")
    with contextlib.ExitStack() as stack:
        output: Any = subprocess.DEVNULL
        if log is not None:
            output = stack.enter_context(log.open("ab"))
        server = subprocess.Popen(
            command,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_until_up(f"{base}{probe}", server)
            yield base, server.pid
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 120) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ChildFailed(f"xiaoqu serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise ChildFailed(f"xiaoqu serve did not answer {url} within {seconds:.0f} s")


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by the process ``pid`` and every process under it (psutil
    comes with locust, which every load benchmark needs)."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _check(done: subprocess.CompletedProcess[str], command: Sequence[str]) -> None:
    if done.returncode:
        tail = "\n".join((done.stderr or "").strip().splitlines()[-20:])
        raise ChildFailed(f"{' '.join(command)} exited with {done.returncode}\n{tail}")


def _measure_main(usage_file: str, command: list[str]) -> int:
    """In the wrapper: run the child, then write its resources to ``usage_file``."""
    started = time.perf_counter()
    done = subprocess.run(command)
    wall = time.perf_counter() - started
    if done.returncode:
        return done.returncode
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(usage_file).write_text(
        json.dumps(
            asdict(
                Usage(
                    seconds=wall,
                    cpu_seconds=usage.ru_utime + usage.ru_stime,
                    peak_rss_mb=usage.ru_maxrss / 1024,
                )
            )
        ),
        encoding="utf-8",
    )
    return 0


def _call_main(target: str, kwargs: str, result_file: str, django: bool) -> int:
    """In the child: call ``module:function``, write its result as JSON to ``result_file``."""
    if django:
        import django as django_module

        django_module.setup()
    module, _, name = target.partition(":")
    function = getattr(importlib.import_module(module), name)
    result = function(**json.loads(kwargs))
    Path(result_file).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xiaoqu.bench.harness")
    commands = parser.add_subparsers(dest="mode", required=True)
    wrapper = commands.add_parser("measure", help="run COMMAND, write its resources as JSON")
    wrapper.add_argument("usage_file")
    wrapper.add_argument("command", nargs=argparse.REMAINDER)
    child = commands.add_parser("call", help="call module:function, write its result as JSON")
    child.add_argument("target")
    child.add_argument("kwargs")
    child.add_argument("result_file")
    child.add_argument("--django", action="store_true")
    args = parser.parse_args(argv)
    if args.mode == "measure":
        return _measure_main(args.usage_file, args.command)
    return _call_main(args.target, args.kwargs, args.result_file, args.django)


if __name__ == "__main__":
    sys.exit(main())
