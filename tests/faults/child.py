"""The child process of the fault tests (tests/faults/test_killed.py): run with
``python -m tests.faults.child STEP`` and ``DATABASE_URL`` set to a scratch database.

``prepare`` builds a small world on a migrated database (an estate of 48 dwellings with an
owner each, an open vote, 40 work orders); ``ballots`` and ``orders`` then write through the
services in a loop until killed, printing ``go`` once they are about to write, so that the
parent kills them in the middle of the work, not while Django starts.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoqu.config.settings")


def _setup() -> None:
    import django

    django.setup()


def prepare() -> None:
    from tests.factories import make_estate, make_open_vote, make_owner, make_user, make_work_order
    from xiaoqu.accounts.models import Role

    estate = make_estate(name="金仓路市政宿舍", buildings=2, entrances=2, floors=6, per_floor=2)
    for i, dwelling in enumerate(estate.dwellings.order_by("pk")):
        make_owner(dwelling, name=f"业主{i}")
    admin = make_user(Role.ADMIN)
    make_open_vote(estate, admin)
    for _ in range(40):
        make_work_order(estate)
    print("prepared", flush=True)


def ballots() -> None:
    """Paper ballots entered one after another (each with its scan), as a clerk would."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import tiny_image
    from xiaoqu.accounts.models import User
    from xiaoqu.decisions import services
    from xiaoqu.decisions.models import Elector, Vote

    vote = Vote.objects.get()
    clerk = User.objects.filter(roles__role="admin").first() or User.objects.first()
    image = tiny_image("JPEG")
    print("go", flush=True)
    for n, elector in enumerate(Elector.objects.filter(vote=vote).order_by("pk")):
        services.ballot_cast(
            vote=vote,
            elector=elector,
            choice=("agree", "disagree", "abstain")[n % 3],
            channel="paper",
            actor=clerk,
            scan=SimpleUploadedFile("ballot.jpg", image, content_type="image/jpeg"),
        )
    print("done", flush=True)


def orders() -> None:
    """Each work order taken through accept → start → resolve, one move after another."""
    from xiaoqu.accounts.models import User
    from xiaoqu.stewardship.models import WorkOrder
    from xiaoqu.stewardship.services import orders as flow

    actor = User.objects.filter(roles__role="admin").first() or User.objects.first()
    print("go", flush=True)
    for order in WorkOrder.objects.order_by("pk"):
        order = flow.order_accept(order=order, actor=actor, note="已受理")
        order = flow.order_start(order=order, actor=actor, note="师傅已出发")
        flow.order_resolve(order=order, actor=actor, note="已修好")
    print("done", flush=True)


def check_ballots() -> None:
    """What a killed ``ballots`` left, as JSON: the vote's count and head against its ballots
    and their audit rows, and whether every ballot's scan is on disk whole."""
    from xiaoqu.core.models import AuditLog
    from xiaoqu.decisions.models import Ballot, Vote

    vote = Vote.objects.get()
    ballots = list(Ballot.objects.filter(vote=vote).order_by("seq"))
    scans_whole = all(
        b.scan and b.scan.storage.exists(b.scan.name) and b.scan.size > 0 for b in ballots
    )
    print(
        json.dumps(
            {
                "cast": vote.ballots_cast,
                "ballots": len(ballots),
                "head_is_last": ballots[-1].hash == vote.chain_head if ballots else True,
                "audited": AuditLog.objects.filter(action="decisions.ballot_cast").count(),
                "scans_whole": scans_whole,
            }
        )
    )


def check_orders() -> None:
    """What a killed ``orders`` left, as JSON: orders whose status is not that of their last
    event, and the moves against their audit rows."""
    from xiaoqu.core.models import AuditLog
    from xiaoqu.stewardship.models import WorkOrder, WorkOrderEvent

    mismatched = 0
    for order in WorkOrder.objects.all():
        last = WorkOrderEvent.objects.filter(order=order).order_by("-at", "-pk").first()
        mismatched += last is None or last.to_status != order.status
    print(
        json.dumps(
            {
                "mismatched": mismatched,
                "moves": WorkOrderEvent.objects.exclude(kind="submitted").count(),
                "audited": AuditLog.objects.filter(action__startswith="stewardship.order_").count(),
                "resolved": WorkOrder.objects.filter(status="resolved").count(),
            }
        )
    )


STEPS = {
    "prepare": prepare,
    "ballots": ballots,
    "orders": orders,
    "check_ballots": check_ballots,
    "check_orders": check_orders,
}

if __name__ == "__main__":
    _setup()
    STEPS[sys.argv[1]]()
