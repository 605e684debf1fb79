"""A real primary and its streaming replica: reads of pages go to the replica, a resident who
just wrote reads the write back at once, and with the replica stopped the pages still answer
(docs/deployment.md, "The read replica").

The primary is a PostgreSQL cluster of the test's own (``initdb`` under a scratch folder),
given the suite's schema; the replica is made from it with ``pg_basebackup -R`` and started as
a hot standby. The site runs in a child process (``tests/faults/replica_child.py``) with
``XIAOQU_REPLICA_URL`` set, so its settings, middleware and router are the production ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.faults.pgcluster import Cluster, bindir, copy_suite_schema
from tests.faults.scratch import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PIN_SECONDS = 1


@pytest.fixture
def pair():
    """A primary holding the suite's tables (database ``xiaoqu``) and its running replica."""
    if bindir() is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    primary = Cluster(Path(tempfile.mkdtemp(prefix="xiaoqu-pg-primary-"))).init()
    standby = None
    try:
        primary.start()
        copy_suite_schema(primary)
        standby = primary.replica(Path(tempfile.mkdtemp(prefix="xiaoqu-pg-replica-")))
        standby.start()
        yield primary, standby
    finally:
        if standby is not None:
            standby.remove()
        primary.remove()


def test_reads_go_to_the_replica_writers_read_their_writes_and_a_stopped_replica_is_survived(
    pair, tmp_path
):
    primary, standby = pair
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "xiaoqu.config.settings",
        "XIAOQU_DEBUG": "1",
        "DATABASE_URL": primary.url("xiaoqu"),
        "XIAOQU_REPLICA_URL": standby.url("xiaoqu"),
        "XIAOQU_REPLICA_PIN_SECONDS": str(PIN_SECONDS),
        "REPLICA_STOP": json.dumps(standby.stop_command("immediate")),
        "XIAOQU_MEDIA_ROOT": str(tmp_path / "media"),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.replica_child"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["replica_alias"] is True
    assert seen["at_start"] == 2
    # Replay paused, a third message written on the primary: the page does not show it, so it
    # was read from the replica.
    assert seen["replica_behind"] == 2
    # The resident marks everything read; the answer pins this phone to the primary, and the
    # inbox it is sent back to shows the write at once.
    assert seen["post_status"] == 302 and seen["pinned"] is True
    assert seen["own_write_read_back"] == 0
    # Their other phone did not write: it still reads the replica, which is behind.
    assert seen["other_phone_not_pinned"] == 2
    # Once the pin has passed, the writer's phone reads from the replica again.
    assert seen["after_the_pin"] == 2
    assert seen["replica_caught_up"] == 0
    # The replica stopped: pages read from the primary (a fourth message, unread).
    assert seen["replica_stopped"] == 1 and seen["replica_stopped_again"] == 1
    assert seen["login_page"] == 200
