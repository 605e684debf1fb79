"""Benchmarks of owner votes (``xiaoqu bench votes``).

Rows, all in one run:

* ``vote evaluate`` on 100,000 units (each owner holds two units, 1 % unsold) and 40,000
  ballots: the engine alone (parse + evaluate) in this process, and the whole command as a
  child process (Python and Django start-up included); goal ≤ 1 s.
* Tally of an estate vote of 10,000 units from the database (a fresh SQLite database, or the
  PostgreSQL server given with ``--database``): median and p95 of 20 runs; goal ≤ 50 ms.
  Baseline in the same run: reading the same rows with ``values_list`` alone.
* Concurrent casting on PostgreSQL (only with a PostgreSQL ``--database``): 16 threads cast
  the ballots of 2,000 owners; ballots per second.
"""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

EVALUATE_UNITS = 100_000
TALLY_UNITS = 10_000
CONCURRENT_OWNERS = 2_000


def evaluate_document(n: int = EVALUATE_UNITS, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    units = [
        {
            "id": str(i),
            "area": f"{rng.uniform(40, 140):.2f}",
            "owner": f"o{i // 2}",
            "status": "unsold" if i % 100 == 99 else "owned",
        }
        for i in range(n)
    ]
    owners = sorted({u["owner"] for u in units if u["status"] == "owned"})
    ballots = [
        {"owner": o, "choice": rng.choice(["agree", "agree", "disagree", "abstain"])}
        for o in owners[: int(len(owners) * 0.8)]
    ]
    return {"matter": 7, "units": units, "ballots": ballots}


def _bench_evaluate(folder: Path) -> list[dict[str, Any]]:
    from xiaoqu.decisions.evaluate_cli import _reject_constant
    from xiaoqu.decisions.rules_engine import evaluate_document as engine_evaluate

    document = evaluate_document()
    path = folder / "vote.json"
    text = json.dumps(document)
    path.write_text(text, encoding="utf-8")
    gc.disable()  # as the command does
    try:
        started = time.perf_counter()
        parsed = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
        engine_evaluate(parsed)
        engine_s = time.perf_counter() - started
    finally:
        gc.enable()
    env = {**os.environ, "XIAOQU_DEBUG": "1"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "xiaoqu.cli", "vote", "evaluate", str(path)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    command_s = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "xiaoqu.cli", "vote", "evaluate", "--help"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    startup_s = time.perf_counter() - started
    return [
        {
            "step": "vote evaluate: engine (parse JSON + evaluate)",
            "units": EVALUATE_UNITS,
            "ballots": len(document["ballots"]),
            "ms": round(engine_s * 1000, 1),
            "target": "≤ 1 s",
        },
        {
            "step": "xiaoqu vote evaluate (whole command)",
            "units": EVALUATE_UNITS,
            "ms": round(command_s * 1000, 1),
            "target": "≤ 1 s",
        },
        {
            "step": "baseline: xiaoqu vote evaluate --help (start-up only)",
            "ms": round(startup_s * 1000, 1),
        },
    ]


def _child(concurrent: bool) -> None:
    import django

    django.setup()
    import datetime as dt
    from concurrent.futures import ThreadPoolExecutor

    from django.core.management import call_command
    from django.db import connection, connections
    from django.utils import timezone

    from xiaoqu.accounts.models import User
    from xiaoqu.decisions import services
    from xiaoqu.decisions.models import Ballot, ElectorUnit
    from xiaoqu.decisions.selectors import tally
    from xiaoqu.needs.recordbench import _estate
    from xiaoqu.registry.models import Dwelling, Ownership, Person

    call_command("migrate", verbosity=0)
    out: dict[str, Any] = {}
    admin = User.objects.create_superuser(phone="13900000009", password=None, name="管理员")

    def make_vote(name: str, code: str, n: int) -> Any:
        estate = _estate(name, code, n)
        dwellings = list(Dwelling.objects.filter(estate=estate).values_list("pk", flat=True))
        people = Person.objects.bulk_create(
            Person(name=f"业主{i}", phone=f"137{i:08d}", ref=f"{code}-{i}")
            for i in range(len(dwellings))
        )
        if any(p.pk is None for p in people):
            people = list(Person.objects.filter(ref__startswith=f"{code}-").order_by("pk"))
        Ownership.objects.bulk_create(
            Ownership(person=p, dwelling_id=d) for p, d in zip(people, dwellings, strict=True)
        )
        now = timezone.now()
        vote = services.vote_create(
            estate=estate,
            matter=7,
            title="加装电梯",
            opens_at=now - dt.timedelta(minutes=1),
            closes_at=now + dt.timedelta(days=1),
            actor=admin,
        )
        return services.vote_open(vote=vote, actor=admin)

    vote = make_vote("表决小区", "VOTE-1", TALLY_UNITS)
    electors = list(vote.electors.order_by("pk"))
    rng = random.Random(3)
    ballots = []
    prev = vote.chain_head
    for seq, e in enumerate(electors[: int(len(electors) * 0.8)], start=1):
        ballots.append(
            Ballot(
                vote=vote,
                elector=e,
                seq=seq,
                choice=rng.choice(["agree", "agree", "disagree", "abstain"]),
                channel="online",
                cast_at=timezone.now(),
                cast_by=admin,
                nonce=str(seq),
                prev_hash=prev,
                hash=f"{seq:064d}",
                receipt=f"R{seq:012d}",
            )
        )
    Ballot.objects.bulk_create(ballots, batch_size=2_000)
    runs, base = [], []
    for _ in range(20):
        started = time.perf_counter()
        list(
            ElectorUnit.objects.filter(vote=vote).values_list(
                "dwelling_id", "area", "elector__owner_key", "status"
            )
        )
        list(Ballot.objects.filter(vote=vote).values_list("elector__owner_key", "choice"))
        base.append(time.perf_counter() - started)
        started = time.perf_counter()
        tally(vote=vote)
        runs.append(time.perf_counter() - started)
    out["tally_median_ms"] = statistics.median(runs) * 1000
    out["tally_p95_ms"] = sorted(runs)[int(0.95 * len(runs)) - 1] * 1000
    out["read_median_ms"] = statistics.median(base) * 1000
    out["engine"] = connection.vendor

    if concurrent and connection.vendor == "postgresql":
        vote = make_vote("并发小区", "VOTE-2", CONCURRENT_OWNERS)
        electors = list(vote.electors.all())
        users = {
            e.pk: User(phone=f"136{i:08d}", name=f"业主{i}", person=e.persons.first())
            for i, e in enumerate(electors)
        }
        User.objects.bulk_create(users.values())

        def cast(elector: Any) -> None:
            try:
                services.ballot_cast(
                    vote=vote,
                    elector=elector,
                    choice="agree",
                    channel="online",
                    actor=users[elector.pk],
                )
            finally:
                connections.close_all()

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(cast, electors))
        spent = time.perf_counter() - started
        out["concurrent_ballots"] = Ballot.objects.filter(vote=vote).count()
        out["concurrent_s"] = spent
    print(json.dumps(out))


def bench_votes(options: dict[str, Any]) -> list[dict[str, Any]]:
    from xiaoqu.registry.benchmarks import _Server, child_env

    with tempfile.TemporaryDirectory(prefix="xiaoqu-bench-votes-") as tmp:
        folder = Path(tmp)
        rows = _bench_evaluate(folder)
        server = _Server(options.get("database"), folder)
        try:
            url = server.fresh("votes")
            env = child_env(url)
            env["XIAOQU_MEDIA_ROOT"] = str(folder / "media")
            command = [sys.executable, "-m", "xiaoqu.decisions.benchmarks", "--child"]
            done = subprocess.run(
                [*command, "--concurrent"] if server.postgres else command,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
        finally:
            server.drop_all()
    r = json.loads(done.stdout.strip().splitlines()[-1])
    rows += [
        {
            "step": f"baseline: read the rows of a {TALLY_UNITS:,}-unit vote ({r['engine']})",
            "ms": round(r["read_median_ms"], 1),
        },
        {
            "step": f"tally a {TALLY_UNITS:,}-unit vote from the database ({r['engine']})",
            "ms": round(r["tally_median_ms"], 1),
            "p95 ms": round(r["tally_p95_ms"], 1),
            "vs baseline": round(r["tally_median_ms"] / r["read_median_ms"], 2),
            "target": "≤ 50 ms",
        },
    ]
    if "concurrent_s" in r:
        rows.append(
            {
                "step": "concurrent casting, 16 threads (PostgreSQL)",
                "ballots": r["concurrent_ballots"],
                "seconds": r["concurrent_s"],
                "per second": round(r["concurrent_ballots"] / r["concurrent_s"]),
            }
        )
    return rows


BENCHMARKS = {"votes": bench_votes}


if __name__ == "__main__" and "--child" in sys.argv:
    _child("--concurrent" in sys.argv)
