"""A process killed in the middle of its work leaves nothing half-written.

Each trial runs the work in a child process on a scratch copy of a database (the suite's kind:
SQLite or PostgreSQL), kills it with SIGKILL at a random moment while it writes, and then
checks what the next process finds: an import is there whole or not at all; every ballot is
in the vote's count, chain head and audit log, with its scan; every work order's status is
that of its last event, each move audited. docs/operations.md ("Faults").
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.scratch import ROOT, Databases, child_env, child_json, child_step, xiaoqu

pytestmark = pytest.mark.django_db

TRIALS = 3


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, django_db_blocker):
    folder = tmp_path_factory.mktemp("faults")
    with django_db_blocker.unblock():
        dbs = Databases(folder)
        try:
            url = dbs.new("empty")
            done = xiaoqu(url, folder / "media", "migrate", "--noinput")
            assert done.returncode == 0, done.stderr
            world = dbs.new("world", template="empty")
            done = child_step(world, folder / "media-world", "prepare")
            assert done.returncode == 0, done.stderr
            yield dbs
        finally:
            dbs.drop_all()


def _started(args: list[str], url: str, media: Path) -> subprocess.Popen:
    """``args`` running on ``url``, past its ``go`` (commands that say nothing: just started)."""
    process = subprocess.Popen(
        args,
        env=child_env(url, media),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    if args[2] == "tests.faults.child":
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "go"
    return process


def _kill_while_writing(args: list[str], url: str, media: Path, after: float) -> bool:
    """Run ``args`` on ``url``; SIGKILL it ``after`` seconds after it says ``go`` (or after
    it starts, for commands that say nothing). Whether it was killed before it finished."""
    process = _started(args, url, media)
    time.sleep(after)
    finished = process.poll() is not None
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    return not finished


def _timed(args: list[str], url: str, media: Path) -> float:
    """How long the work takes uninterrupted, from its ``go`` (for commands that say
    nothing, from its start), so that kills fall inside it."""
    process = _started(args, url, media)
    start = time.monotonic()
    _out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return time.monotonic() - start


def test_a_killed_import_leaves_the_register_whole_or_empty(scratch, tmp_path):
    register = tmp_path / "register"
    done = xiaoqu(
        scratch.new("gen", template="empty"),
        tmp_path,
        "generate",
        "--estates",
        "30",
        "--dwellings",
        "6000",
        "--seed",
        "3",
        "--out",
        str(register),
    )
    assert done.returncode == 0, done.stderr
    command = [sys.executable, "-m", "xiaoqu.cli", "import", str(register)]
    full_url = scratch.new("full", template="empty")
    seconds = _timed(command, full_url, tmp_path)
    full = json.loads(xiaoqu(full_url, tmp_path, "stats", "--json").stdout)
    empty = json.loads(
        xiaoqu(scratch.new("none", template="empty"), tmp_path, "stats", "--json").stdout
    )
    assert full["dwellings"] > 0 and empty["dwellings"] == 0
    rng = random.Random(14)
    killed = 0
    for n in range(TRIALS):
        url = scratch.new(f"import{n}", template="empty")
        killed += _kill_while_writing(command, url, tmp_path, rng.uniform(0.3, seconds))
        found = json.loads(xiaoqu(url, tmp_path, "stats", "--json").stdout)
        assert found in (empty, full), found
    assert killed, "no trial was killed before the import finished"


def test_killed_ballots_leave_every_ballot_counted_chained_and_audited(scratch, tmp_path):
    command = [sys.executable, "-m", "tests.faults.child", "ballots"]
    seconds = _timed(command, scratch.new("ballots_full", template="world"), tmp_path / "m0")
    rng = random.Random(15)
    killed = 0
    for n in range(TRIALS):
        url, media = scratch.new(f"ballots{n}", template="world"), tmp_path / f"m{n + 1}"
        killed += _kill_while_writing(command, url, media, rng.uniform(0, seconds))
        found = child_json(url, media, "check_ballots")
        assert found["cast"] == found["ballots"] == found["audited"], found
        assert found["head_is_last"] and found["scans_whole"], found
        verify = xiaoqu(url, media, "audit", "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
    assert killed, "no trial was killed before the ballots were all cast"


def test_killed_work_order_moves_leave_each_order_at_its_last_event(scratch, tmp_path):
    command = [sys.executable, "-m", "tests.faults.child", "orders"]
    seconds = _timed(command, scratch.new("orders_full", template="world"), tmp_path)
    rng = random.Random(16)
    killed = 0
    for n in range(TRIALS):
        url = scratch.new(f"orders{n}", template="world")
        killed += _kill_while_writing(command, url, tmp_path, rng.uniform(0, seconds))
        found = child_json(url, tmp_path, "check_orders")
        assert found["mismatched"] == 0, found
        assert found["moves"] == found["audited"], found
    assert killed, "no trial was killed before the moves were all made"
