"""The demo's owner votes, in 金仓路市政宿舍 (the demo logins' estate).

* An open vote on adding an elevator to 1栋1单元 (Art. 278 item 7, decided by that entrance's
  owners), opened three days before the demo is loaded and closing twelve days after: some
  owners' paper ballots are already entered by the community worker, and the demo owner
  (13800000002, who owns 1栋1单元301) can still vote on their phone and check the receipt.
* A closed estate-wide vote on amending the management covenant (item 2), with its ballots
  and its result, so the tally and its explanation can be seen.

Ballots go through the services (hash chain, receipts, audit rows), so ``xiaoqu audit verify``
passes on the demo database. Paper ballots carry a small generated image standing in for the
scanned ballot. Idempotent: a vote already there (same estate and title) is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from xiaoqu.accounts.models import User
from xiaoqu.decisions import services
from xiaoqu.decisions.models import Vote, VoteScope
from xiaoqu.registry.models import Entrance, Estate

ESTATE_CODE = "520103006001-01"  # 金仓路市政宿舍
STAFF_PHONE = "13800000005"  # the demo community worker
OWNER_PERSON_PHONE = "13800000002"  # the demo owner: leave their ballot to them
ELEVATOR_TITLE = "1栋1单元加装电梯"
COVENANT_TITLE = "修改《管理规约》：楼道禁止停放和充电电动车"


def _scan() -> SimpleUploadedFile:
    """A tiny grey PNG standing in for a photographed paper ballot."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xc8" * 8 for _ in range(8))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return SimpleUploadedFile("选票扫描件.png", png, content_type="image/png")


def _paper_ballots(vote, staff, share: float, choices, now, rng, skip_user_person=None) -> None:
    electors = list(vote.electors.order_by("pk"))
    rng.shuffle(electors)
    for elector in electors[: int(len(electors) * share)]:
        if skip_user_person and elector.persons.filter(pk=skip_user_person).exists():
            continue
        services.ballot_cast(
            vote=vote,
            elector=elector,
            choice=rng.choice(choices),
            channel="paper",
            actor=staff,
            scan=_scan(),
            now=now,
        )


def load_demo_decisions() -> None:
    estate = Estate.objects.filter(code=ESTATE_CODE).first()
    staff = User.objects.filter(phone=STAFF_PHONE).first()
    if estate is None or staff is None:
        return
    owner = User.objects.filter(phone=OWNER_PERSON_PHONE).first()
    rng = random.Random(278)
    now = timezone.now().replace(second=0, microsecond=0)
    with transaction.atomic():
        if not Vote.objects.filter(estate=estate, title=ELEVATOR_TITLE).exists():
            entrance = Entrance.objects.filter(
                building__estate=estate, building__number="1", number="1"
            ).first()
            if entrance is not None:
                opens = now - dt.timedelta(days=3)
                vote = services.vote_create(
                    estate=estate,
                    matter=7,
                    title=ELEVATOR_TITLE,
                    description=(
                        "拟在1栋1单元北侧加装一部电梯，停靠各层半层平台。"
                        "费用由财政补助、住房公积金提取和本单元业主按楼层分摊。"
                        "方案已在单元门口公示，详见社区居委会。"
                    ),
                    opens_at=opens,
                    closes_at=now + dt.timedelta(days=12),
                    scope=VoteScope.ENTRANCE,
                    entrance=entrance,
                    actor=staff,
                )
                vote = services.vote_open(vote=vote, actor=staff, now=opens)
                _paper_ballots(
                    vote,
                    staff,
                    0.6,
                    ["agree", "agree", "agree", "disagree"],
                    now - dt.timedelta(days=1),
                    rng,
                    skip_user_person=owner.person_id if owner else None,
                )
        if not Vote.objects.filter(estate=estate, title=COVENANT_TITLE).exists():
            opens = now - dt.timedelta(days=40)
            vote = services.vote_create(
                estate=estate,
                matter=2,
                title=COVENANT_TITLE,
                opens_at=opens,
                closes_at=opens + dt.timedelta(days=20),
                actor=staff,
            )
            vote = services.vote_open(vote=vote, actor=staff, now=opens)
            _paper_ballots(
                vote,
                staff,
                0.75,
                ["agree", "agree", "disagree", "abstain"],
                opens + dt.timedelta(days=5),
                rng,
            )
            services.vote_close(vote=vote, actor=staff, now=opens + dt.timedelta(days=20))
