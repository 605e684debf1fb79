"""``xiaoqu bench votes``: evaluating and tallying owner votes.

Rows, all in one run:

* ``vote evaluate`` on a document of 100,000 units (each owner holds two units, 1 % unsold)
  and 40,000 ballots: the engine alone (parse the JSON + evaluate) in a child process, and
  the whole ``xiaoqu vote evaluate`` command as a child process (Python start-up included);
  goal ≤ 1 s. Baseline, same run: ``xiaoqu vote evaluate --help``, the command's start-up
  alone.
* The tally of an estate vote of 10,000 units (80 % of the owners have cast) from the
  database (a scratch SQLite database, or one on the PostgreSQL server given with
  ``--database``): median and p95 of 20 runs; goal ≤ 50 ms. Baseline, same run: reading the
  same rows with ``values_list`` alone, interleaved with the tally runs.
* Concurrent casting (only on PostgreSQL): 16 threads cast the ballots of the 2,000 owners of
  another vote, one ``ballot_cast`` each; ballots per second.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import Scratch, child_env, measure, percentile, run_in_child
from xiaoqu.bench.workloads import estate_with_dwellings

EVALUATE_UNITS = 100_000
TALLY_UNITS = 10_000
TALLY_RUNS = 20
CONCURRENT_OWNERS = 2_000
CONCURRENT_THREADS = 16


def evaluate_document(n: int = EVALUATE_UNITS, seed: int = 1) -> dict[str, Any]:
    """A ``vote evaluate`` input of ``n`` units, two per owner, 80 % of the owners voting."""
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


def _evaluate_in_child(path: str) -> float:
    """Runs in the child process: seconds to parse and evaluate the document at ``path``."""
    from xiaoqu.decisions.evaluate_cli import reject_constant
    from xiaoqu.decisions.rules_engine import evaluate_document as engine_evaluate

    text = Path(path).read_text(encoding="utf-8")
    gc.disable()  # as the command does
    try:
        started = time.perf_counter()
        parsed = json.loads(text, parse_float=Decimal, parse_constant=reject_constant)
        engine_evaluate(parsed)
        return time.perf_counter() - started
    finally:
        gc.enable()


def _tally_in_child(concurrent: bool) -> dict[str, Any]:
    """Runs in the child process (Django set up on a migrated database)."""
    import datetime as dt
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections
    from django.utils import timezone

    from xiaoqu.accounts.models import User
    from xiaoqu.decisions import services
    from xiaoqu.decisions.models import Ballot, ElectorUnit
    from xiaoqu.decisions.selectors import tally
    from xiaoqu.registry.models import Dwelling, Ownership, Person

    out: dict[str, Any] = {}
    admin = User.objects.create_superuser(phone="13900000009", password=None, name="管理员")

    def make_vote(name: str, code: str, n: int) -> Any:
        estate = estate_with_dwellings(name, code, n)
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
    for _ in range(TALLY_RUNS):
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
    out["tally_p95_ms"] = percentile(runs, 0.95) * 1000
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
        with ThreadPoolExecutor(max_workers=CONCURRENT_THREADS) as pool:
            list(pool.map(cast, electors))
        spent = time.perf_counter() - started
        out["concurrent_ballots"] = Ballot.objects.filter(vote=vote).count()
        out["concurrent_s"] = spent
    return out


def _bench_evaluate(folder: Path) -> list[Row]:
    document = evaluate_document()
    path = folder / "vote.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    env = child_env()
    engine_s = run_in_child(_evaluate_in_child, env=env, django=False, path=str(path))[0]
    xiaoqu = [sys.executable, "-m", "xiaoqu.cli", "vote", "evaluate"]
    command_s = measure([*xiaoqu, str(path)], env)[1].seconds
    startup_s = measure([*xiaoqu, "--help"], env)[1].seconds
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


def run(options: dict[str, Any]) -> list[Row]:
    with Scratch(options.get("database"), "xiaoqu-bench-votes-") as scratch:
        rows = _bench_evaluate(scratch.folder)
        url = scratch.database("votes")
        r = run_in_child(_tally_in_child, env=scratch.env(url), concurrent=scratch.postgres)[0]
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
                "step": f"concurrent casting, {CONCURRENT_THREADS} threads (PostgreSQL)",
                "ballots": r["concurrent_ballots"],
                "seconds": r["concurrent_s"],
                "per second": round(r["concurrent_ballots"] / r["concurrent_s"]),
            }
        )
    return rows
