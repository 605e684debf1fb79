"""The demo's owner votes, in 金仓路市政宿舍 (the demo logins' estate).

* An open vote on adding an elevator to 1栋1单元 (Art. 278 item 7, decided by that entrance's
  owners), opened three days before the demo is loaded and closing twelve days after: some
  owners' paper ballots are already entered by the community worker, and the demo owner
  (13800000002, who owns 1栋1单元301) can still vote on their phone and check the receipt.
  The community worker has handed the entrance's doors whose owners have not voted yet to
  the demo grid worker (13800000003), who finds them on the visit page (催票).
* A closed estate-wide vote on amending the management covenant (item 2), with its ballots
  and its result published (公示) the day after, so the tally and its explanation can be seen
  (the residents' feed links to it).
* A renovation plan drawn up from the estate's demand list, open for residents' comments:
  the three demands most households ask for, each with quantity, cost and funding, plus a
  gas-riser replacement added as a safety duty; the parking demand is left out with a reason.
  A 居民议事会 held yesterday, during the consultation, discussed it: households signed in
  (one owner by name, a tenant the register does not list yet and a neighbour by name), the
  minutes are published to residents and the plan lists the meeting. At the council's request
  the consultation was extended by three days, with the reason shown on the plan's pages.

Ballots go through the services (hash chain, receipts, audit rows), so ``xiaoqu audit verify``
passes on the demo database. Paper ballots carry a small generated image standing in for the
scanned ballot. Idempotent: a vote already there (same estate and title) is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from xiaoqu.accounts.models import User
from xiaoqu.decisions import services
from xiaoqu.decisions.models import ElectorUnit, Plan, Vote, VoteScope
from xiaoqu.decisions.rules_engine import DEVELOPER
from xiaoqu.meetings import services as meeting_services
from xiaoqu.meetings.models import MeetingKind
from xiaoqu.needs.models import Demand
from xiaoqu.needs.selectors import demand_rows
from xiaoqu.registry.models import Entrance, Estate, Ownership

ESTATE_CODE = "520103006001-01"  # 金仓路市政宿舍
STAFF_PHONE = "13800000005"  # the demo community worker
OWNER_PERSON_PHONE = "13800000002"  # the demo owner: leave their ballot to them
GRID_WORKER_PHONE = "13800000003"  # the demo grid worker: knocks on the non-voters' doors
ELEVATOR_TITLE = "1栋1单元加装电梯"
COVENANT_TITLE = "修改《管理规约》：楼道禁止停放和充电电动车"
PLAN_TITLE = "金仓路市政宿舍2026年老旧小区改造方案"
COUNCIL_PLACE = "金仓社区居委会会议室"
CONSULTATION_EXTENDED = "居民议事会提出不少在外务工的业主周末才回小区，征求意见期延长3天"
COUNCIL_MINUTES = (
    "社区党委书记介绍改造方案征求意见稿：屋面防水及外墙修缮、楼道照明、雨污分流，"
    "以及燃气公司检查发现的锈蚀立管更换。居民逐项提问。2栋住户对停车意见较多，"
    "社区说明院内没有可改建的空地，将协调周边道路夜间停车。几位老人问施工期间怎么出行，"
    "党员志愿者表示愿意帮忙。"
)
COUNCIL_DECISIONS = (
    "一、方案继续征求意见，截止日前居民可在手机上对各项提意见；"
    "二、停车问题由社区另行协调，不列入本次方案；"
    "三、施工期间由党员志愿者协助行动不便的老人出行。"
)
# Unit costs (yuan) by category for the demo plan's items: rough figures of the programme.
PLAN_WORKS = {
    "roof_facade": ("屋面防水及外墙修缮", "m²", 2400, 85),
    "stairwell": ("楼道照明及墙面翻新", "个单元", 12, 9000),
    "drainage": ("雨污分流及化粪池清掏", "m", 360, 420),
    "elevator": ("加装电梯前期设计", "部", 1, 60000),
    "waste": ("垃圾分类亭", "处", 2, 18000),
}


def ballot_scan() -> SimpleUploadedFile:
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


def paper_vote_to_result(
    vote: Vote,
    staff: User,
    *,
    opens: dt.datetime,
    closes: dt.datetime,
    cast_on: dt.datetime,
    seed: int,
    turnout: float,
    agree: float,
) -> Vote:
    """A vote the demo tells as history: opened at ``opens``, paper ballots entered by staff on
    ``cast_on`` for about ``turnout`` of its owners (each agreeing with probability ``agree``,
    the same draws for the same ``seed``), closed and its result published at ``closes``."""
    vote = services.vote_open(vote=vote, actor=staff, now=opens)
    rng = random.Random(seed)
    for elector in vote.electors.order_by("pk"):
        if rng.random() < turnout:
            services.ballot_cast(
                vote=vote,
                elector=elector,
                choice="agree" if rng.random() < agree else "disagree",
                channel="paper",
                actor=staff,
                scan=ballot_scan(),
                now=cast_on,
            )
    services.vote_close(vote=vote, actor=staff, now=closes)
    return services.vote_publish_result(vote=vote, actor=staff, now=closes)


def _paper_ballots(
    vote: Vote,
    staff: User,
    share: float,
    choices: list[str],
    now: dt.datetime,
    rng: random.Random,
    skip_user_person: int | None = None,
) -> None:
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
            scan=ballot_scan(),
            now=now,
        )


def _chase_turnout(vote: Vote, staff: User) -> None:
    """Hand the doors of the owners who have not voted yet to the demo grid worker."""
    worker = User.objects.filter(phone=GRID_WORKER_PHONE).first()
    if worker is None:
        return
    units = (
        ElectorUnit.objects.filter(vote=vote, elector__ballots__isnull=True)
        .exclude(elector__owner_key=DEVELOPER)
        .values_list("pk", flat=True)
    )
    if units:
        services.turnout_assign(vote=vote, unit_ids=list(units), assignee=worker, actor=staff)


def _demo_plan(estate: Estate, staff: User) -> None:
    plan = services.plan_create(estate=estate, title=PLAN_TITLE, actor=staff)
    rows = demand_rows(estate=estate).items
    demands = {d.pk: d for d in Demand.objects.filter(pk__in=[r.demand_id for r in rows])}
    used = 0
    for row in rows:
        demand = demands[row.demand_id]
        works = PLAN_WORKS.get(row.category)
        if works is None or used >= 3 or demand.status == "declined":
            continue
        title, unit, quantity, unit_cost = works
        cost = Decimal(quantity * unit_cost)
        central = (cost * Decimal("0.6")).quantize(Decimal(1))
        owners = (cost * Decimal("0.1")).quantize(Decimal(1))
        services.plan_item_add(
            plan=plan,
            actor=staff,
            title=title,
            quantity=Decimal(quantity),
            unit=unit,
            cost_yuan=cost,
            funding_yuan={"central": central, "owners": owners, "local": cost - central - owners},
            demand=demand,
        )
        used += 1
    services.plan_item_add(
        plan=plan,
        actor=staff,
        title="更换锈蚀燃气立管",
        quantity=Decimal(48),
        unit="户",
        cost_yuan=Decimal(96000),
        funding_yuan={"utilities": Decimal(96000)},
        klass="basic",
        reason="燃气公司入户安全检查发现立管锈蚀，属必须整治的安全隐患",
    )
    for row in rows:
        if row.category == "parking" and row.status != "declined":
            services.plan_exclusion_set(
                plan=plan,
                demand=demands[row.demand_id],
                reason="院内没有可改建的空地，由社区协调周边道路夜间停车",
                actor=staff,
            )
    today = timezone.localdate()
    services.plan_open_consultation(
        plan=plan,
        starts=today - dt.timedelta(days=2),
        ends=today + dt.timedelta(days=12),
        actor=staff,
    )
    _council_on_the_plan(estate, staff, plan, held_on=today - dt.timedelta(days=1))


def _council_on_the_plan(estate: Estate, staff: User, plan: Plan, *, held_on: dt.date) -> None:
    """A 居民议事会 during the consultation discusses the plan; its minutes are published."""
    meeting = meeting_services.meeting_create(
        estate=estate,
        kind=MeetingKind.COUNCIL,
        held_on=held_on,
        place=COUNCIL_PLACE,
        attendance=26,
        actor=staff,
    )
    meeting_services.meeting_record_update(
        meeting=meeting,
        actor=staff,
        convenor="金仓社区居委会",
        agenda="逐项讨论《金仓路市政宿舍2026年老旧小区改造方案》征求意见稿",
        minutes=COUNCIL_MINUTES,
        decisions=COUNCIL_DECISIONS,
        agenda_demand_ids=[item.demand_id for item in plan.items.all() if item.demand_id],
    )
    for dwelling in estate.dwellings.order_by("building__number", "entrance__number", "number")[
        ::9
    ]:
        meeting_services.meeting_sign_in(meeting=meeting, dwelling=dwelling, actor=staff)
    # Signed in by name: an owner of the register, a tenant it does not list yet (with the
    # dwelling and phone they gave) and a neighbour from the next estate (a name only).
    ownership = (
        Ownership.objects.filter(dwelling__estate=estate)
        .exclude(dwelling__in=meeting.attendees.values("dwelling"))
        .select_related("dwelling", "person")
        .order_by("dwelling__building__number", "dwelling__number", "pk")
        .first()
    )
    if ownership is not None:
        meeting_services.meeting_sign_in(
            meeting=meeting, dwelling=ownership.dwelling, person=ownership.person, actor=staff
        )
    rented = estate.dwellings.order_by("-building__number", "-number").first()
    meeting_services.meeting_sign_in_named(
        meeting=meeting, name="何晓梅", dwelling=rented, phone="13985012346", actor=staff
    )
    meeting_services.meeting_sign_in_named(meeting=meeting, name="邻院刘师傅", actor=staff)
    meeting_services.meeting_publish_minutes(meeting=meeting, actor=staff)
    services.plan_meetings_set(plan=plan, meeting_ids=[meeting.pk], actor=staff)
    services.plan_consultation_change(
        plan=plan,
        starts=plan.consultation_starts or held_on,
        ends=(plan.consultation_ends or held_on) + dt.timedelta(days=3),
        reason=CONSULTATION_EXTENDED,
        actor=staff,
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
                _chase_turnout(vote, staff)
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
        covenant = Vote.objects.filter(
            estate=estate, title=COVENANT_TITLE, status="closed", result_published_at=None
        ).first()
        if covenant is not None and covenant.closed_at is not None:
            # Published the day after it closed; its objection period is over by now.
            services.vote_publish_result(
                vote=covenant, actor=staff, now=covenant.closed_at + dt.timedelta(days=1)
            )
        if not Plan.objects.filter(estate=estate, title=PLAN_TITLE).exists():
            _demo_plan(estate, staff)
