"""``xiaoqu bench notify``: queueing and sending notifications for a large vote.

Workload, in one child process on a scratch database (SQLite, or the PostgreSQL server given
with ``--database``): an estate of 3,000 dwellings, each with one owner with a phone; one owner
in ten has a login, one in ten has bound WeChat, one in twenty has opted out. An estate-wide
vote is opened through ``vote_open`` (which freezes the electorate and queues the 3,000
opening notices). Rows, all in the same run:

* queueing the closing reminders of that vote through ``vote_remind`` (the non-voters: all
  3,000 owners, since nobody has voted) — goal ≤ 2 s;
* ``notify_send`` of one message to the same 3,000 persons, median and p95 of 5 runs with
  new keys;
* baseline: the same 3,000 notifications and 9,000 deliveries written with two plain
  ``bulk_create`` calls of ready-made rows (no recipients looked up, no choices read), median
  of 5 runs, interleaved with the runs above;
* sending every queued SMS and WeChat message through the memory backends with
  ``deliveries_send``, in batches of 500, messages per second; baseline: one plain ``UPDATE``
  marking the same number of rows sent (what recording the outcome must write at least).

Wall time and the child's CPU time are both reported: on a busy machine the wall time of a
step grows with the wait for a core, its CPU time much less.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from xiaoqu.bench import Row
from xiaoqu.bench.harness import Scratch, percentile, run_in_child
from xiaoqu.bench.workloads import estate_with_dwellings

OWNERS = 3_000
RUNS = 5


def _notify_in_child(owners: int, runs: int) -> dict[str, Any]:
    """Runs in the child process (Django set up on a migrated database)."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from xiaoqu.accounts.models import User
    from xiaoqu.decisions import services
    from xiaoqu.decisions.services.reminders import vote_remind
    from xiaoqu.notify.channels import MemorySmsBackend, MemoryWechatBackend
    from xiaoqu.notify.models import (
        Channel,
        Delivery,
        DeliveryStatus,
        Kind,
        Notification,
        Preference,
    )
    from xiaoqu.notify.selectors import Recipient
    from xiaoqu.notify.services import deliveries_send, notify_send
    from xiaoqu.registry.models import Dwelling, Ownership, Person

    out: dict[str, Any] = {"engine": connection.vendor}
    admin = User.objects.create_superuser(phone="13900000009", password=None, name="管理员")
    estate = estate_with_dwellings("通知小区", "NOTIFY-1", owners)
    dwellings = list(Dwelling.objects.filter(estate=estate).values_list("pk", flat=True))
    people = Person.objects.bulk_create(
        Person(name=f"业主{i}", phone=f"137{i:08d}", ref=f"N-{i}") for i in range(len(dwellings))
    )
    if any(p.pk is None for p in people):
        people = list(Person.objects.filter(ref__startswith="N-").order_by("pk"))
    Ownership.objects.bulk_create(
        Ownership(person=p, dwelling_id=d) for p, d in zip(people, dwellings, strict=True)
    )
    User.objects.bulk_create(
        User(phone=f"136{i:08d}", name=p.name, person=p)
        for i, p in enumerate(people)
        if i % 10 == 0
    )
    Preference.objects.bulk_create(
        [
            Preference(person=p, wechat=True, wechat_openid=f"oBench{i}")
            for i, p in enumerate(people)
            if i % 10 == 3
        ]
        + [Preference(person=p, opted_out=True) for i, p in enumerate(people) if i % 20 == 7]
    )
    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        matter=2,
        title="修改管理规约",
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(days=1),
        actor=admin,
    )
    started, cpu = time.perf_counter(), time.process_time()
    vote = services.vote_open(vote=vote, actor=admin)
    out["open_s"] = time.perf_counter() - started
    out["open_cpu_s"] = time.process_time() - cpu

    started, cpu = time.perf_counter(), time.process_time()
    out["reminded"] = vote_remind(vote=vote, now=timezone.now())
    out["remind_s"] = time.perf_counter() - started
    out["remind_cpu_s"] = time.process_time() - cpu

    recipients = [Recipient(person_id=p.pk) for p in people]
    sends, base = [], []
    for run in range(runs):
        started = time.perf_counter()
        notify_send(
            recipients=recipients,
            kind=Kind.OTHER,
            key=f"bench:{run}",
            title="停水通知",
            body="明天上午九点到十二点停水。",
            url="/",
            estate_id=estate.pk,
        )
        sends.append(time.perf_counter() - started)
        started = time.perf_counter()
        stamp = timezone.now()
        rows = Notification.objects.bulk_create(
            Notification(
                person_id=p.pk,
                estate_id=estate.pk,
                kind=Kind.OTHER,
                key=f"baseline:{run}",
                title="停水通知",
                body="明天上午九点到十二点停水。",
                url="/",
                created_at=stamp,
            )
            for p in people
        )
        if any(n.pk is None for n in rows):
            rows = list(Notification.objects.filter(key=f"baseline:{run}"))
        Delivery.objects.bulk_create(
            Delivery(notification=n, channel=c, status=DeliveryStatus.SKIPPED, queued_at=stamp)
            for n in rows
            for c in (Channel.INAPP, Channel.SMS, Channel.WECHAT)
        )
        base.append(time.perf_counter() - started)
    out["send_median_s"] = statistics.median(sends)
    out["send_p95_s"] = percentile(sends, 0.95)
    out["base_median_s"] = statistics.median(base)

    queued = Delivery.objects.filter(status=DeliveryStatus.QUEUED).count()
    backends: dict[str, Any] = {
        Channel.SMS: MemorySmsBackend(),
        Channel.WECHAT: MemoryWechatBackend(),
    }
    started, cpu = time.perf_counter(), time.process_time()
    handled = 0
    while True:
        report = deliveries_send(limit=500, backends=backends)
        handled += report["sent"] + report["delivered"] + report["failed"] + report["skipped"]
        if not report["more"]:
            break
    out["deliver_s"] = time.perf_counter() - started
    out["deliver_cpu_s"] = time.process_time() - cpu
    out["queued"] = queued
    out["handled"] = handled
    out["outbox"] = len(MemorySmsBackend.outbox) + len(MemoryWechatBackend.outbox)
    ids = list(
        Delivery.objects.filter(notification__key__startswith="baseline:")
        .order_by("pk")
        .values_list("pk", flat=True)[:queued]
    )
    started = time.perf_counter()
    Delivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    out["update_s"] = time.perf_counter() - started
    out["update_rows"] = len(ids)
    return out


def run(options: dict[str, Any]) -> list[Row]:
    with Scratch(options.get("database"), "xiaoqu-bench-notify-") as scratch:
        url = scratch.database("notify")
        r, usage = run_in_child(_notify_in_child, env=scratch.env(url), owners=OWNERS, runs=RUNS)
    engine = r["engine"]
    per_second = r["handled"] / r["deliver_s"] if r["deliver_s"] else 0.0
    return [
        {
            "step": f"vote_open: freeze {OWNERS:,} owners, queue their opening notices ({engine})",
            "seconds": round(r["open_s"], 2),
            "CPU s": round(r["open_cpu_s"], 2),
        },
        {
            "step": f"vote_remind: queue reminders to {r['reminded']:,} owners ({engine})",
            "seconds": round(r["remind_s"], 2),
            "CPU s": round(r["remind_cpu_s"], 2),
            "target": "≤ 2 s",
        },
        {
            "step": f"notify_send to {OWNERS:,} persons, median of {RUNS} ({engine})",
            "seconds": round(r["send_median_s"], 2),
            "p95 s": round(r["send_p95_s"], 2),
            "vs baseline": round(r["send_median_s"] / r["base_median_s"], 2),
        },
        {
            "step": f"baseline: bulk_create {OWNERS:,} notifications + {3 * OWNERS:,} deliveries",
            "seconds": round(r["base_median_s"], 2),
        },
        {
            "step": f"deliveries_send through the memory backends ({engine})",
            "messages": r["handled"],
            "seconds": round(r["deliver_s"], 2),
            "CPU s": round(r["deliver_cpu_s"], 2),
            "per second": round(per_second),
            "vs baseline": round(r["deliver_s"] / r["update_s"], 1) if r["update_s"] else None,
        },
        {
            "step": f"baseline: one UPDATE marking {r['update_rows']:,} deliveries sent",
            "seconds": round(r["update_s"], 3),
        },
        {"step": "peak memory of the child", "MB": round(usage.peak_rss_mb)},
    ]
