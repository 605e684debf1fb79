"""PostgreSQL restarted under traffic: requests fail with a clear page, and the site recovers
by itself once the database is back (docs/operations.md, "Faults").

The site runs under ``xiaoqu serve`` (production settings) on a PostgreSQL cluster of the
test's own, which the test kills (``pg_ctl stop -m immediate``, as a crash or a restart does)
while a thread keeps requesting pages, then starts again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.faults.pgcluster import Cluster, bindir, copy_suite_schema, free_port
from tests.faults.scratch import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PAGE = "/decisions/votes/999999/receipt/"  # reads the database; 404 when it answers
OPEN311 = "/open311/v2/services.json"
API = "/api/v1/regions"  # reads the token from the database; 401 for a wrong one


def _get(base: str, path: str, accept: str = "text/html") -> tuple[int, str, dict]:
    headers = {"Accept": accept, "Authorization": "Bearer not-a-token"}
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, "", {}


def _until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


@pytest.fixture
def cluster():
    if bindir() is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    made = Cluster(Path(tempfile.mkdtemp(prefix="xiaoqu-pg-restart-"))).init()
    made.start()
    yield made
    made.remove()


def test_a_database_restart_answers_503_and_the_site_recovers_by_itself(cluster, tmp_path):
    copy_suite_schema(cluster)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url("xiaoqu"),
        "XIAOQU_DEBUG": "0",
        "XIAOQU_SECRET_KEY": "restart-test-" + "k" * 40,
        "XIAOQU_SSL_REDIRECT": "0",
        "XIAOQU_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xiaoqu.cli",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--no-worker",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    seen: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            seen.append(_get(base, PAGE)[0])
            time.sleep(0.05)

    worker = threading.Thread(target=traffic, daemon=True)
    try:
        assert _until(lambda: _get(base, PAGE)[0] == 404, 120), "the site did not start"
        worker.start()
        time.sleep(1)

        cluster.stop("immediate")
        status, body, headers = _get(base, PAGE)
        assert status == 503, (status, body[:800], seen[-20:])
        assert "数据库暂时连接不上" in body and "您刚才的操作没有保存" in body
        assert headers.get("Retry-After")
        status, body, _headers = _get(base, OPEN311, accept="application/json")
        assert status == 503 and json.loads(body)[0]["code"] == 503
        status, body, _headers = _get(base, API, accept="application/json")
        assert status == 503 and json.loads(body)["code"] == "database_unavailable"

        cluster.start()
        assert _until(lambda: _get(base, PAGE)[0] == 404, 60), "the site did not recover"
        assert _get(base, OPEN311, accept="application/json")[0] == 200
        assert _get(base, API, accept="application/json")[0] == 401
        time.sleep(1)
    finally:
        stop.set()
        if worker.is_alive():
            worker.join(timeout=30)
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    assert server.returncode is not None
    # Before, during and after: the page, the clear 503, never a bare server error.
    assert set(seen) <= {404, 503}, sorted(set(seen))
    assert seen.count(404) and seen.count(503)
