"""What the staff to-do workbench (待办, docs/daily.md) shows besides what the other stages'
demos leave to do (urgent opinions, demands still 已收集, meetings without published minutes,
金仓苑's street light that climbed to the street, 碧波水岸小区's late items):

* 金仓路市政宿舍 (金仓社区): an estate-wide vote on turning the disused boiler room into a
  residents' activity room (Art. 278 item 8, special), opened nine days ago and closing in four:
  about half of the owners' paper ballots are in, so the quorum is not reached yet; the demo
  owner (13800000002) can still vote.
* 金仓苑 (金仓社区): a vote on turning the idle bicycle shed at the east gate into an e-bike
  charging shed (item 8) closed three days ago and its result was published at once; an owner
  objected within the objection period, and nobody has answered yet. A door-access fault
  reported by phone to the hotline two days ago was accepted by the property company and left
  undone: it is past its deadline.
* 电信局家属院 (吉祥社区, the same street; the register has it at the plan stage): its 2026 plan
  was out for comment until three days ago and is not published yet.
* 吉祥小区 (吉祥社区): the walls and roof were planned to be finished six days ago and stand at
  40 %.

金仓社区 has no estate at the plan stage and no works under way (its renovated 盐务街12号院 is
finished), so the last two are in 吉祥社区: the street's staff (13800000006) see every kind,
金仓社区's (13800000005) all but those two.

Everything goes through the services; times are set to the demo's calendar with the services'
own ``now``. Idempotent: a vote, plan or order already there (same title or key) is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from xiaoqu.accounts.models import User
from xiaoqu.decisions import services as decisions
from xiaoqu.decisions.models import Elector, Objection, Plan, Vote
from xiaoqu.demo.decisions import ballot_scan, paper_vote_to_result
from xiaoqu.registry.models import Estate
from xiaoqu.renovation.models import Project
from xiaoqu.renovation.services import progress
from xiaoqu.stewardship.models import OrderChannel, WorkOrder, WorkOrderCategory, WorkOrderEvent
from xiaoqu.stewardship.services import orders

JINCANG_ROAD = "520103006001-01"  # 金仓路市政宿舍
JINCANG_YUAN = "520103006001-03"  # 金仓苑
TELECOM = "520103006002-03"  # 电信局家属院 (吉祥社区)
JIXIANG_PROJECT = "YY-2025-05"  # 吉祥小区老旧小区改造工程
STAFF_PHONE = "13800000005"  # 金仓社区
STREET_PHONE = "13800000006"  # 盐务街街道
OWNER_PHONE = "13800000002"  # the demo owner: leave their ballot to them
ADMIN_PHONE = "13800000011"
REPAIRS_PHONE = "13900009001"  # 金仓苑's property company (demo/stewardship.py)
OBJECTOR_PHONE = "13900009101"  # a 金仓苑 owner who objects (no login of their own)

BOILER_TITLE = "闲置锅炉房改作居民活动室"
SHED_TITLE = "东门闲置车棚改建电动车集中充电棚"
OBJECTION_TEXT = (
    "充电棚离3栋一楼窗户只有两米多，夜里几十辆车一起充电，万一起火烟都往屋里灌。"
    "同意建充电棚，但请挪到东门外侧空地，并装烟感和喷淋后再启用。"
)
TELECOM_PLAN = "电信局家属院2026年老旧小区改造方案"
TELECOM_WORKS = (
    ("雨污分流及化粪池改造", "basic", "m", 420, 380, "排水管网普查列为必改项目"),
    ("屋面防水及外墙修缮", "basic", "m²", 3100, 90, "社区摸排：3栋、5栋顶层渗漏"),
    ("楼道照明及墙面翻新", "improve", "个单元", 10, 8500, "居民议事会提出"),
)
DOOR_KEY = uuid.uuid5(uuid.NAMESPACE_URL, "xiaoqu-demo/todo/door-access")


def _user(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()


def _boiler_room_vote(estate: Estate, staff: User, now: dt.datetime) -> None:
    """Open for nine days, four to go; about half of the owners' paper ballots entered."""
    if Vote.objects.filter(estate=estate, title=BOILER_TITLE).exists():
        return
    opens = now - dt.timedelta(days=9)
    vote = decisions.vote_create(
        estate=estate,
        matter=8,
        title=BOILER_TITLE,
        description=(
            "3栋北侧锅炉房自集中供暖停用后闲置多年，拟由社区出资修缮，改作居民活动室"
            "（老年人日间休息、议事会开会），不收费。"
        ),
        opens_at=opens,
        closes_at=now + dt.timedelta(days=4),
        actor=staff,
    )
    vote = decisions.vote_open(vote=vote, actor=staff, now=opens)
    owner = _user(OWNER_PHONE)
    skip = {owner.person_id} if owner and owner.person_id else set()
    rng = random.Random(8)
    for elector in vote.electors.order_by("pk"):
        if rng.random() >= 0.5 or elector.persons.filter(pk__in=skip).exists():
            continue
        decisions.ballot_cast(
            vote=vote,
            elector=elector,
            choice="agree" if rng.random() < 0.85 else "disagree",
            channel="paper",
            actor=staff,
            scan=ballot_scan(),
            now=opens + dt.timedelta(days=rng.randint(1, 8)),
        )


def _objector(vote: Vote) -> User | None:
    """An owner of the vote's electorate, with an account of their own (no demo password)."""
    user = _user(OBJECTOR_PHONE)
    if user is not None:
        return user
    elector = (
        Elector.objects.filter(vote=vote, persons__isnull=False, ballots__isnull=False)
        .order_by("pk")
        .first()
    )
    person = elector.persons.order_by("pk").first() if elector else None
    if person is None or User.objects.filter(person=person).exists():
        return None
    return User.objects.create_user(
        phone=OBJECTOR_PHONE, password=None, name=person.name, person=person
    )


def _charging_shed_vote(estate: Estate, staff: User, now: dt.datetime) -> None:
    """Closed and published three days ago; one owner's objection, not answered yet."""
    vote = Vote.objects.filter(estate=estate, title=SHED_TITLE).first()
    if vote is None:
        closes = now - dt.timedelta(days=3)
        opens = closes - dt.timedelta(days=14)
        vote = decisions.vote_create(
            estate=estate,
            matter=8,
            title=SHED_TITLE,
            description="东门闲置车棚改建为电动车集中充电棚（40个充电位），按电量收取充电服务费，"
            "收益扣除电费后存入住宅专项维修资金。",
            opens_at=opens,
            closes_at=closes,
            actor=staff,
        )
        vote = paper_vote_to_result(
            vote,
            staff,
            opens=opens,
            closes=closes,
            cast_on=opens + dt.timedelta(days=3),
            seed=88,
            turnout=0.8,
            agree=0.9,
        )
    if Objection.objects.filter(vote=vote).exists():
        return
    objector = _objector(vote)
    if objector is not None and vote.objection_until and now < vote.objection_until:
        decisions.objection_raise(
            vote=vote, user=objector, text=OBJECTION_TEXT, now=now - dt.timedelta(days=1)
        )


def _door_access_order(estate: Estate, staff: User, now: dt.datetime) -> None:
    """A hotline call two days ago, accepted by the property company and left undone."""
    if WorkOrder.objects.filter(client_key=DOOR_KEY).exists():
        return
    repairs = _user(REPAIRS_PHONE)
    created = now - dt.timedelta(days=2, hours=1)
    order = orders.order_record(
        actor=staff,
        estate=estate,
        category=WorkOrderCategory.objects.get(code="door-access"),
        channel=OrderChannel.HOTLINE,
        text="2栋2单元门禁刷卡没反应，老人进不了门，只能等人开门",
        reporter_name="热线来电居民",
        building=estate.buildings.filter(number="2").first(),
        place="2栋2单元",
        client_key=DOOR_KEY,
        now=created,
    )
    if repairs is not None:
        orders.order_accept(order=order, actor=repairs)
        WorkOrderEvent.objects.filter(order=order, kind="accept").update(
            at=created + dt.timedelta(hours=1)
        )


def _telecom_plan(estate: Estate, street: User, today: dt.date) -> None:
    """Out for comment from seventeen to three days ago; not published yet."""
    if Plan.objects.filter(estate=estate, title=TELECOM_PLAN).exists():
        return
    plan = decisions.plan_create(estate=estate, title=TELECOM_PLAN, actor=street)
    for title, klass, unit, quantity, unit_cost, reason in TELECOM_WORKS:
        cost = Decimal(quantity * unit_cost)
        central = (cost * Decimal("0.6")).quantize(Decimal(1))
        decisions.plan_item_add(
            plan=plan,
            actor=street,
            title=title,
            quantity=Decimal(quantity),
            unit=unit,
            cost_yuan=cost,
            funding_yuan={"central": central, "local": cost - central},
            klass=klass,
            reason=reason,
        )
    decisions.plan_open_consultation(
        plan=plan,
        starts=today - dt.timedelta(days=17),
        ends=today - dt.timedelta(days=3),
        actor=street,
    )


def _late_item(admin: User, today: dt.date) -> None:
    """吉祥小区's walls and roof: planned to be finished six days ago."""
    project = Project.objects.filter(code=JIXIANG_PROJECT).first()
    item = project.items.order_by("pk").first() if project else None
    if item is None or item.percent >= 100 or item.planned_start is None:
        return
    finish = today - dt.timedelta(days=6)
    if item.planned_finish != finish and finish >= item.planned_start:
        progress.item_schedule(
            item=item, planned_start=item.planned_start, planned_finish=finish, actor=admin
        )


def load_demo_todo() -> None:
    estates = {
        e.code: e for e in Estate.objects.filter(code__in=[JINCANG_ROAD, JINCANG_YUAN, TELECOM])
    }
    staff, street, admin = _user(STAFF_PHONE), _user(STREET_PHONE), _user(ADMIN_PHONE)
    if len(estates) < 3 or staff is None or street is None or admin is None:
        return
    orders.categories_ensure()
    now = timezone.now().replace(second=0, microsecond=0)
    today = timezone.localdate()
    with transaction.atomic():
        _boiler_room_vote(estates[JINCANG_ROAD], staff, now)
        _charging_shed_vote(estates[JINCANG_YUAN], staff, now)
        _door_access_order(estates[JINCANG_YUAN], staff, now)
        _telecom_plan(estates[TELECOM], street, today)
        _late_item(admin, today)
