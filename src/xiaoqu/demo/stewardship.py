"""The demo's management stage (stage 5, 如何管), in the report's places:

* 四通街8号院落 (南明区遵义路街道四通街社区): abandoned by its property company, it elected a
  residents' self-management committee (自管会) at a 居民议事会 in April, with the Party
  branch's guidance; the committee's members, its charter, the 24-hour duty roster with
  handover notes, two gates with their readers and a week of access events, last month's
  evaluation (by the community: a committee does not score itself), and the maintenance fund
  with an emergency use (a leaking roof) approved by the housing bureau.
* 阳光新城小区 (普安县盘水街道城南社区): a "红色物业" — a property company with its own Party
  branch — and the five parties (住建监管、街道统筹、社区落实、业委评议、物业执行) seated, with
  their joint meeting (联席会议); last month evaluated by the owners' committee.
* 盘水小区 next door, looked after by the community (社区托管), so the street's ranking has two
  estates.
* 金仓苑 (云岩区盐务街街道金仓社区): a property company under contract, and the maintenance
  fund used by the owners' vote (Civil Code Art. 278 item 5).
* Work orders in every state: new, accepted, dispatched, in progress, resolved, confirmed and
  rated, reopened, rejected with a reason, merged into a duplicate; one climbed to the street
  by the escalation sweep, one posted by the city's 12345 hotline through Open311; and last
  month's everyday repairs for the monthly reports.

Business steps go through the services; the dates are then set to the demo's calendar, as the
works demo does. Idempotent: an estate that already has a managing body is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from xiaoqu.accounts.models import Role, User
from xiaoqu.accounts.services import role_assign
from xiaoqu.decisions import services as decisions
from xiaoqu.decisions.models import Vote
from xiaoqu.demo.decisions import paper_vote_to_result
from xiaoqu.meetings import services as meetings
from xiaoqu.meetings.models import Meeting, MeetingKind
from xiaoqu.organization.models import PartyOrganization, PartyOrgKind
from xiaoqu.registry.models import Dwelling, Estate, Person, Region, Residency
from xiaoqu.stewardship.models import (
    AccessMethod,
    AccessPointKind,
    BodyKind,
    CredentialKind,
    DocumentKind,
    DutyHandover,
    FundWithdrawal,
    Notice,
    OrderChannel,
    Party,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderEvent,
)
from xiaoqu.stewardship.services import access, bodies, duty, evaluation, fund, open311, orders

SITONG = "520102003001-01"  # 四通街8号院落
YANGGUANG = "522323001001-01"  # 阳光新城小区
JINCANG_YUAN = "520103006001-03"  # 金仓苑
PANSHUI = "522323001001-02"  # 盘水小区

ADMIN_PHONE = "13800000011"
HOUSING_PHONE = "13800000007"  # 贵阳市
JINCANG_STAFF = "13800000005"  # 金仓社区
YANWU_STREET = "13800000006"  # 盐务街街道
YANGGUANG_MANAGER = "13800000008"  # the 红色物业's staff at 阳光新城小区
SITONG_COMMITTEE = "13800000009"  # the 自管会's member with a login
SITONG_STAFF = "13800000013"  # 四通街社区
PANSHUI_STREET = "13800000014"  # 盘水街道
CHENGNAN_STAFF = "13800000015"  # 城南社区
PUAN_HOUSING = "13800000016"  # 普安县住建局
SITONG_RESIDENT = "13800000017"  # a resident of 四通街8号院落
YANGGUANG_OWNERS = "13800000018"  # 阳光新城小区's owners' committee
JINCANG_YUAN_REPAIRS = "13900009001"  # the property company's repairman at 金仓苑 (no login)

COMMITTEE_ELECTED = dt.date(2026, 4, 18)
COMMITTEE_MEMBERS = (
    ("刘建华", "主任"),
    ("王秀英", "副主任"),
    ("张德明", "委员"),
    ("李桂兰", "委员"),
)


def _user(phone: str) -> User:
    return User.objects.get(phone=phone)


def _aware(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _residents(estate: Estate, n: int, skip: int = 0) -> list[Person]:
    # The residents' ids first, by themselves: as one DISTINCT join, PostgreSQL with stale
    # statistics chose nested loops (seconds a call; it is called for every work order).
    ids = set(Residency.objects.filter(dwelling__estate=estate).values_list("person_id", flat=True))
    return list(Person.objects.filter(pk__in=ids).order_by("ref")[skip : skip + n])


# --- 四通街8号院落: the 自管会 -----------------------------------------------------------------


def _minuted_meeting(
    estate: Estate,
    staff: User,
    *,
    kind: str,
    held_on: dt.date,
    place: str,
    attendance: int,
    convenor: str,
    agenda: str,
    minutes: str,
    decisions: str,
) -> Meeting:
    """A meeting held, its record written and its minutes published."""
    meeting = meetings.meeting_create(
        estate=estate, kind=kind, held_on=held_on, place=place, attendance=attendance, actor=staff
    )
    meetings.meeting_record_update(
        meeting=meeting,
        actor=staff,
        convenor=convenor,
        agenda=agenda,
        minutes=minutes,
        decisions=decisions,
    )
    return meetings.meeting_publish_minutes(meeting=meeting, actor=staff)


def _seat(estate: Estate, staff: User, *seats: tuple[str, str]) -> None:
    """Seat the users of these phones for their parties of the estate."""
    for party, phone in seats:
        bodies.seat_add(estate=estate, party=party, user=_user(phone), actor=staff)


def _sitong(estate: Estate, today: dt.date) -> None:
    staff = _user(SITONG_STAFF)
    meeting = _minuted_meeting(
        estate,
        staff,
        kind=MeetingKind.COUNCIL,
        held_on=COMMITTEE_ELECTED,
        place="四通街8号院落院坝",
        attendance=86,
        convenor="四通街社区党支部",
        agenda="一、原物业公司撤场后小区怎么管；二、选举居民自管会；三、通过自管会章程",
        minutes=(
            "原物业公司撤场后小区无人管理，垃圾无人清运，楼道灯坏了没人修。社区党支部组织党员"
            "志愿者逐户宣传，居民同意成立自管会。到会86人，举手表决选出自管会成员4名，"
            "通过自管会章程；自管会安装智能门禁，配备24小时值班人员。"
        ),
        decisions="选举刘建华为自管会主任，王秀英为副主任，张德明、李桂兰为委员；通过章程。",
    )
    Meeting.objects.filter(pk=meeting.pk).update(minutes_published_at=_aware(COMMITTEE_ELECTED, 20))
    chair = _committee_people(estate)
    bodies.body_start(
        estate=estate,
        kind=BodyKind.SELF_COMMITTEE,
        name="四通街8号院落居民自管会",
        started_on=COMMITTEE_ELECTED + dt.timedelta(days=2),
        actor=staff,
        contact_name=chair[0].name,
        contact_phone="0851-85816608",
        elected_at=meeting,
        term_end=COMMITTEE_ELECTED + dt.timedelta(days=3 * 365),
    )
    for person, (_name, role) in zip(chair, COMMITTEE_MEMBERS, strict=True):
        bodies.member_add(estate=estate, person=person, role=role, actor=staff)
    bodies.document_add(
        estate=estate,
        kind=DocumentKind.CHARTER,
        title="四通街8号院落居民自管会章程",
        text=(
            "第一条 自管会在社区党组织指导下，组织居民自我管理、自我服务。\n"
            "第二条 自管会负责门禁、24小时值班、环境卫生和公共设施的日常维护，"
            "收支每季度在院内公示。\n"
            "第三条 自管会每届三年，由居民议事会选举产生。"
        ),
        effective_on=COMMITTEE_ELECTED + dt.timedelta(days=2),
        actor=staff,
    )
    committee_user = _user(SITONG_COMMITTEE)
    if committee_user.person_id is None:
        committee_user.person = chair[0]
        committee_user.save(update_fields=["person"])
    _seat(
        estate,
        staff,
        (Party.COMMUNITY, SITONG_STAFF),
        (Party.OWNERS, SITONG_COMMITTEE),
        (Party.HOUSING, HOUSING_PHONE),
    )


def _committee_people(estate: Estate) -> list[Person]:
    """The committee's members: residents of the estate under the demo's names."""
    people = _residents(estate, len(COMMITTEE_MEMBERS), skip=10)
    for person, (name, _role) in zip(people, COMMITTEE_MEMBERS, strict=True):
        if person.name != name:
            person.name = name
            person.save(update_fields=["name"])
    return people


# --- 四通街8号院落: the 24-hour duty and the gates -----------------------------------------------

DUTY_PHONE = "0851-85816608"
HANDOVERS = (
    "夜间巡查两次，正常。2栋楼道灯已报修。",
    "快递车进院一次，已登记。3栋王婆婆家水管滴水，已通知自管会。",
    "大门门禁读卡器下雨后反应慢，已报修（门禁故障工单）。",
    "外来人员一名找亲戚，电话核实后放行。",
    "垃圾清运车按时到，院坝已清扫。",
)


def _duty(estate: Estate, today: dt.date) -> None:
    """The gate is kept around the clock in three shifts, by the committee's members and two
    resident volunteers, from a week back to tomorrow; each shift that ended left a note."""
    committee = _user(SITONG_COMMITTEE)
    people = _committee_people(estate) + _residents(estate, 2, skip=30)
    now = timezone.now()
    n = 0
    for day in range(-7, 2):
        on = today + dt.timedelta(days=day)
        for start in (0, 8, 16):
            starts = _aware(on, 0) + dt.timedelta(hours=start)
            shift = duty.shift_add(
                estate=estate,
                person=people[n % len(people)],
                post="门岗",
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=8),
                actor=committee,
                phone=DUTY_PHONE,
            )
            if shift.ends_at <= now:
                duty.handover_write(
                    shift=shift, note=HANDOVERS[n % len(HANDOVERS)], actor=committee
                )
                DutyHandover.objects.filter(shift=shift).update(at=shift.ends_at)
            n += 1


def _access(estate: Estate, today: dt.date) -> None:
    """The smart gate: the main gate (around the clock) and the side gate (06:00–22:00), a
    reader each, cards for a dozen households and QR codes for two, and a week of passes —
    cards, QR, faces matched on the reader (only the match arrives), an unknown face turned
    away, a card used at both gates within a minute, a late pass at the closed side gate."""
    committee = _user(SITONG_COMMITTEE)
    main = access.point_add(
        estate=estate, name="小区大门", kind=AccessPointKind.GATE, actor=committee
    )
    side = access.point_add(
        estate=estate,
        name="侧门",
        kind=AccessPointKind.GATE,
        actor=committee,
        opens_at=dt.time(6),
        closes_at=dt.time(22),
    )
    readers = {
        point.pk: access.device_add(point=point, name=f"{point.name}读卡器", actor=committee)[0]
        for point in (main, side)
    }
    holders = []
    for i, dwelling in enumerate(Dwelling.objects.filter(estate=estate).order_by("pk")[:14]):
        person = (
            Person.objects.filter(residencies__dwelling=dwelling).order_by("ref").first()
            or Person.objects.filter(ownerships__dwelling=dwelling).order_by("ref").first()
        )
        if person is None:
            continue
        kind = CredentialKind.QR if i % 7 == 6 else CredentialKind.CARD
        value = f"QR-SITONG-{i:04d}" if kind == CredentialKind.QR else f"04A1{i:04d}C7"
        access.credential_issue(
            estate=estate,
            person=person,
            dwelling=dwelling,
            kind=kind,
            actor=committee,
            value=value,
            now=_aware(COMMITTEE_ELECTED + dt.timedelta(days=10)),
        )
        holders.append((kind, value, person))
    rng = random.Random(8)
    now = timezone.now()
    by_device: dict[int, list[access.EventIn]] = {pk: [] for pk in readers}
    for day in range(-7, 1):
        on = today + dt.timedelta(days=day)
        for k in range(18):
            kind, value, person = holders[rng.randrange(len(holders))]
            at = _aware(on, 6) + dt.timedelta(minutes=rng.randrange(15 * 60))
            if at > now:
                continue
            point = main if k % 3 else side
            face = k % 5 == 0
            by_device[point.pk].append(
                access.EventIn(
                    key=f"{on:%Y%m%d}-{k:02d}",
                    at=at,
                    method=AccessMethod.FACE if face else kind,
                    granted=True,
                    credential="" if face else value,
                    person_id=person.pk if face else None,
                )
            )
    yesterday = today - dt.timedelta(days=1)
    kind, value, _person = holders[0]
    twice = _aware(yesterday, 19, 42)
    by_device[main.pk].append(access.EventIn("twice-a", twice, kind, True, credential=value))
    by_device[side.pk].append(
        access.EventIn("twice-b", twice + dt.timedelta(seconds=35), kind, True, credential=value)
    )
    by_device[side.pk].append(
        access.EventIn("late", _aware(yesterday, 23, 15), kind, True, credential=value)
    )
    by_device[main.pk].append(
        access.EventIn("stranger", _aware(yesterday, 2, 10), AccessMethod.FACE, False)
    )
    for pk, events in by_device.items():
        access.events_ingest(device=readers[pk], events=events)


# --- 阳光新城小区: 红色物业 and the five parties ---------------------------------------------------


def _yangguang(estate: Estate, today: dt.date) -> None:
    staff = _user(CHENGNAN_STAFF)
    community = estate.community
    street = community.parent
    working, _ = PartyOrganization.objects.get_or_create(
        name="盘水街道党工委", region=street, defaults={"kind": PartyOrgKind.WORKING_COMMITTEE}
    )
    committee, _ = PartyOrganization.objects.get_or_create(
        name="城南社区党委",
        region=community,
        defaults={"kind": PartyOrgKind.COMMITTEE, "parent": working},
    )
    branch, _ = PartyOrganization.objects.get_or_create(
        name="普安县阳光物业服务有限公司党支部",
        region=community,
        defaults={"kind": PartyOrgKind.BRANCH, "parent": committee},
    )
    bodies.body_start(
        estate=estate,
        kind=BodyKind.RED_PROPERTY,
        name="普安县阳光物业服务有限公司（红色物业）",
        started_on=dt.date(2025, 1, 1),
        actor=staff,
        contact_name="物业服务中心",
        contact_phone="0859-7236618",
        contract_start=dt.date(2025, 1, 1),
        contract_end=dt.date(2027, 12, 31),
        fee_per_m2=Decimal("0.60"),
        party_organization=branch,
    )
    _seat(
        estate,
        staff,
        (Party.HOUSING, PUAN_HOUSING),
        (Party.STREET, PANSHUI_STREET),
        (Party.COMMUNITY, CHENGNAN_STAFF),
        (Party.OWNERS, YANGGUANG_OWNERS),
        (Party.MANAGER, YANGGUANG_MANAGER),
    )
    held = today - dt.timedelta(days=20)
    _minuted_meeting(
        estate,
        staff,
        kind=MeetingKind.JOINT,
        held_on=held,
        place="城南社区党群服务中心",
        attendance=9,
        convenor="城南社区党委",
        agenda="一、上月工单办理情况；二、冬季管网防冻；三、业委会评议意见的整改",
        minutes=(
            "普安县住建局、盘水街道、城南社区、业主代表和红色物业党支部参加。物业通报上月"
            "工单办理情况，业主代表反映夜间路灯和垃圾清运问题。"
        ),
        decisions=(
            "一、物业在12月15日前完成楼道水管保温；二、路灯由物业报修、街道协调供电部门；"
            "三、每月第一周召开联席会议，评议结果在小区公示栏公布。"
        ),
    )


def _panshui(estate: Estate, today: dt.date) -> None:
    """盘水小区, next door, is looked after by the community (社区托管) while its owners vote on
    the renovation: a second estate in 盘水街道's ranking, scored on its work orders alone."""
    staff = _user(CHENGNAN_STAFF)
    bodies.body_start(
        estate=estate,
        kind=BodyKind.COMMUNITY,
        name="城南社区居委会（托管）",
        started_on=dt.date(2023, 3, 1),
        actor=staff,
        contact_name="城南社区居委会",
        contact_phone="0859-7232105",
    )


# --- 金仓苑: a property company and a voted use of the fund ----------------------------------


def _jincang_yuan(estate: Estate, today: dt.date) -> None:
    staff = _user(JINCANG_STAFF)
    bodies.body_start(
        estate=estate,
        kind=BodyKind.PROPERTY_COMPANY,
        name="贵阳金仓物业管理有限公司",
        started_on=dt.date(2024, 7, 1),
        actor=staff,
        contact_name="金仓苑物业服务中心",
        contact_phone="0851-86825530",
        contract_start=dt.date(2024, 7, 1),
        contract_end=dt.date(2027, 6, 30),
        fee_per_m2=Decimal("0.80"),
    )
    repairs = User.objects.filter(phone=JINCANG_YUAN_REPAIRS).first()
    if repairs is None:
        repairs = User.objects.create_user(
            phone=JINCANG_YUAN_REPAIRS, password=None, name="金仓苑物业 维修员杨师傅"
        )
        role_assign(user=repairs, role=Role.PROPERTY_MANAGER, estate=estate)
    _seat(
        estate,
        staff,
        (Party.HOUSING, HOUSING_PHONE),
        (Party.STREET, YANWU_STREET),
        (Party.COMMUNITY, JINCANG_STAFF),
        (Party.MANAGER, JINCANG_YUAN_REPAIRS),
    )


# --- the maintenance fund ---------------------------------------------------------------------


def _fund_deposits(estate: Estate, staff: User, on: dt.date, rate: str) -> None:
    fund.deposits_record(
        estate=estate, rate_yuan_per_m2=rate, on=on, actor=staff, note="首期交存（按专有面积）"
    )
    for year in range(on.year, 2026):
        fund.interest_record(
            estate=estate, on=dt.date(year, 12, 21), actor=staff, rate_percent="1.35"
        )


def _fund_sitong(estate: Estate, today: dt.date) -> None:
    """Deposits in 2024, interest; an emergency use for the leaking roof of 2栋 this autumn:
    applied for by the 自管会, approved by the street, published afterwards."""
    staff = _user(SITONG_STAFF)
    _fund_deposits(estate, staff, dt.date(2024, 3, 15), "50")
    withdrawal = fund.withdrawal_emergency_apply(
        estate=estate,
        title="2栋屋面漏水应急抢修",
        amount="6800.00",
        reason="屋面漏水",
        actor=_user(SITONG_COMMITTEE),
    )
    roof = Dwelling.objects.filter(estate=estate, building__number="2").order_by("pk")
    approved = today - dt.timedelta(days=30)
    fund.withdrawal_emergency_approve(
        withdrawal=withdrawal, dwellings=list(roof), on=approved, actor=_user(HOUSING_PHONE)
    )
    fund.withdrawal_publish(withdrawal=withdrawal, actor=staff)
    FundWithdrawal.objects.filter(pk=withdrawal.pk).update(
        approved_at=_aware(approved, 9), published_at=_aware(approved + dt.timedelta(days=5), 9)
    )


def _fund_jincang_yuan(estate: Estate, today: dt.date) -> None:
    """Deposits and interest; the owners voted (Art. 278 item 5) to pay for new water pumps
    from the fund, and the use was recorded against the dwellings of the buildings served."""
    staff = _user(JINCANG_STAFF)
    _fund_deposits(estate, staff, dt.date(2024, 9, 1), "60")
    opens = _aware(today - dt.timedelta(days=70))
    closes = opens + dt.timedelta(days=21)
    vote = decisions.vote_create(
        estate=estate,
        matter=5,
        title="使用住宅专项维修资金更换二次供水水泵",
        description="1栋、2栋二次供水水泵老化，拟使用维修资金 38,600 元更换，按受益房屋专有面积分摊。",
        opens_at=opens,
        closes_at=closes,
        actor=staff,
    )
    vote = paper_vote_to_result(
        vote,
        staff,
        opens=opens,
        closes=closes,
        cast_on=opens + dt.timedelta(days=4),
        seed=5,
        turnout=0.85,
        agree=0.9,
    )
    served = Dwelling.objects.filter(estate=estate, building__number__in=["1", "2"])
    paid = (vote.objection_until or closes).date() + dt.timedelta(days=3)
    fund.withdrawal_by_vote(
        estate=estate,
        title="更换1栋、2栋二次供水水泵",
        amount="38600.00",
        dwellings=list(served.order_by("pk")),
        vote=Vote.objects.get(pk=vote.pk),
        on=min(paid, today),
        actor=_user(YANWU_STREET),
    )
    FundWithdrawal.objects.filter(vote=vote).update(
        approved_at=_aware(min(paid, today), 9), published_at=_aware(min(paid, today), 9)
    )


# --- work orders ------------------------------------------------------------------------------

# estate, category, the report, where, channel, the moves made (see _play), days ago reported
ORDERS: tuple[tuple[str, str, str, str, str, str, int], ...] = (
    (
        SITONG,
        "stair-light",
        "1栋2单元三楼楼道灯不亮，晚上上楼看不见",
        "1栋2单元",
        "resident",
        "adsrcR",
        20,
    ),
    (SITONG, "drain", "2栋门口下水道堵了，污水漫到路上", "2栋门口", "resident", "adsr", 3),
    (SITONG, "door-access", "大门门禁刷卡没反应", "小区大门", "hotline", "ads", 1),
    (SITONG, "garbage", "垃圾桶满了两天没人清运", "3栋旁垃圾点", "resident", "a", 0),
    (SITONG, "greenery", "院坝的树枝压到电线了", "院坝", "visit", "", 0),
    (SITONG, "stair-light", "3栋1单元楼道灯坏了", "3栋1单元", "resident", "adsro", 6),
    (SITONG, "other", "想在院坝里跳广场舞，能不能装个音响", "院坝", "resident", "x", 9),
    (YANGGUANG, "street-light", "小区东门路灯不亮", "东门", "hotline", "adsrc", 12),
    (YANGGUANG, "elevator-trapped", "5栋电梯困人，里面有老人", "5栋1单元", "hotline", "adsrc", 15),
    (YANGGUANG, "drain", "7栋化粪池满溢", "7栋北侧", "resident", "ad", 2),
    (YANGGUANG, "garbage", "东门垃圾没清运", "东门", "visit", "a", 1),
    (YANGGUANG, "garbage", "东门垃圾堆了好几天", "东门", "hotline", "m", 1),
    (YANGGUANG, "flooding", "3栋地下室水管爆裂", "3栋地下室", "hotline", "adsrc", 25),
    (YANGGUANG, "greenery", "绿化带杂草太多", "中心花园", "visit", "", 0),
    (JINCANG_YUAN, "street-light", "2栋背后路灯坏了一个月了", "2栋背后", "hotline", "", 9),
    (JINCANG_YUAN, "stair-light", "1栋1单元楼道灯闪", "1栋1单元", "visit", "adsrc", 18),
    (JINCANG_YUAN, "drain", "厨房下水返味，整栋楼都有", "3栋", "hotline", "ads", 1),
    (JINCANG_YUAN, "other", "楼下商铺油烟扰民", "沿街商铺", "hotline", "x", 4),
    (JINCANG_YUAN, "garbage", "垃圾分类亭的门坏了", "垃圾分类亭", "visit", "adsrc", 7),
)
ESCALATED = 14  # the order of ORDERS that climbs to the street

# Last month's everyday orders, done and confirmed (the monthly report's figures).
MONTH_TEXTS = (
    ("stair-light", "楼道灯不亮"),
    ("drain", "下水道堵塞"),
    ("garbage", "垃圾没清运"),
    ("door-access", "单元门禁坏了"),
    ("greenery", "树枝挡住窗户"),
)

RECORDERS = {
    SITONG: SITONG_STAFF,
    YANGGUANG: CHENGNAN_STAFF,
    JINCANG_YUAN: JINCANG_STAFF,
    PANSHUI: CHENGNAN_STAFF,
}

REJECT_REASONS = {
    "other": "不属于物业维修范围：公共场所活动请向社区居委会申请，商铺油烟请拨打12345反映。",
}


def _reporter(estate: Estate, i: int) -> User:
    """A resident of the estate who reports from the phone (a login without a password)."""
    if estate.code == SITONG:
        return _user(SITONG_RESIDENT)
    person = _residents(estate, 1, skip=20 + i)[0]
    phone = f"1390000{i:04d}"
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = User.objects.create_user(phone=phone, password=None, name=person.name, person=person)
    return user


def _handlers(estate: Estate) -> tuple[User, User]:
    """Who accepts for the managing body and who does the work."""
    if estate.code == SITONG:
        return _user(SITONG_COMMITTEE), _user(SITONG_COMMITTEE)
    if estate.code == YANGGUANG:
        return _user(YANGGUANG_MANAGER), _user(YANGGUANG_MANAGER)
    if estate.code == PANSHUI:  # the community looks after it itself
        return _user(CHENGNAN_STAFF), _user(CHENGNAN_STAFF)
    return _user(JINCANG_YUAN_REPAIRS), _user(JINCANG_YUAN_REPAIRS)


def _orders(estates: dict[str, Estate], now: dt.datetime) -> None:
    categories = {c.code: c for c in WorkOrderCategory.objects.all()}
    last: dict[tuple[str, str], WorkOrder] = {}
    for i, (code, category, text, place, channel, moves, days) in enumerate(ORDERS):
        estate = estates[code]
        created = now - dt.timedelta(days=days, hours=2 + i % 5)
        building = estate.buildings.filter(number=place[0]).first() if place[0].isdigit() else None
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"xiaoqu-demo/order/{i}")
        if channel == "resident":
            reporter = _reporter(estate, i)
            order, _ = orders.order_report(
                reporter=reporter,
                estate=estate,
                category=categories[category],
                text=text,
                building=building,
                place=place,
                contact_ok=True,
                client_key=key,
                now=created,
            )
        else:
            recorder = _user(RECORDERS[code])
            order = orders.order_record(
                actor=recorder,
                estate=estate,
                category=categories[category],
                channel=OrderChannel.HOTLINE if channel == "hotline" else OrderChannel.VISIT,
                text=text,
                reporter_name="" if channel == "visit" else "热线来电居民",
                reporter_phone="",
                building=building,
                place=place,
                client_key=key,
                now=created,
            )
        _play(order, moves, last.get((code, category)))
        _date(order, created, dt.timedelta(hours=20 if i % 7 == 3 else 2))
        last.setdefault((code, category), order)
    _last_month(estates, categories)


def _last_month(estates: dict[str, Estate], categories: dict[str, WorkOrderCategory]) -> None:
    """Ten orders each last month in 四通街8号院落, 阳光新城小区 and 盘水小区, resolved and confirmed
    (one in five late, one reopened first), rated by their reporters."""
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    for i in range(30):
        code = (SITONG, YANGGUANG, PANSHUI)[i % 3]
        estate = estates[code]
        category, text = MONTH_TEXTS[i % len(MONTH_TEXTS)]
        building = estate.buildings.order_by("number")[i % estate.buildings.count()]
        created = _aware(last_month + dt.timedelta(days=i % 27), 8 + i % 10, 7 * i % 60)
        order, _ = orders.order_report(
            reporter=_reporter(estate, 40 + i),
            estate=estate,
            category=categories[category],
            text=f"{building.number}栋{text}",
            building=building,
            contact_ok=i % 3 == 0,
            client_key=uuid.uuid5(uuid.NAMESPACE_URL, f"xiaoqu-demo/month/{i}"),
            now=created,
        )
        _play(order, "adsrodsrc" if i % 8 == 5 else "adsrc", None)
        order.refresh_from_db()
        orders.order_rate(order=order, actor=_confirmer(order), rating=3 + i % 3)
        _date(order, created, dt.timedelta(hours=9 if i % 5 == 4 else 1))


def _play(order: WorkOrder, moves: str, same: WorkOrder | None) -> None:
    """Make the moves, one letter each: a accept, d dispatch, s start, r resolve, c confirm,
    R rate, o reopen, x reject, m merge into ``same``."""
    accepter, worker = _handlers(order.estate)
    steps: dict[str, Callable[[WorkOrder], WorkOrder]] = {
        "a": lambda o: orders.order_accept(order=o, actor=accepter),
        "d": lambda o: orders.order_dispatch(order=o, actor=accepter, assignee=worker),
        "s": lambda o: orders.order_start(order=o, actor=worker),
        "r": lambda o: orders.order_resolve(order=o, actor=worker, note="已修好"),
        "c": lambda o: orders.order_confirm(order=o, actor=_confirmer(o)),
        "R": lambda o: orders.order_rate(
            order=o, actor=_confirmer(o), rating=5, comment="修得快，谢谢自管会"
        ),
        "o": lambda o: orders.order_reopen(
            order=o, actor=_confirmer(o), reason="换了灯泡第二天又不亮了，可能是线路问题"
        ),
        "x": lambda o: orders.order_reject(
            order=o, actor=accepter, reason=REJECT_REASONS[o.category.code]
        ),
        "m": lambda o: orders.order_merge(order=o, target=same, actor=accepter) if same else o,
    }
    for move in moves:
        order.refresh_from_db()
        order = steps[move](order)


def _confirmer(order: WorkOrder) -> User:
    """The reporter confirms; for a hotline call the community confirms by calling back."""
    if order.reporter_id is not None:
        return User.objects.get(pk=order.reporter_id)
    return _handlers(order.estate)[0]


def _date(order: WorkOrder, created: dt.datetime, pace: dt.timedelta) -> None:
    """Put the order's events (the services wrote them now) one ``pace`` apart from when it
    was reported (never later than now), so the history reads as it happened."""
    now = timezone.now()
    events = list(WorkOrderEvent.objects.filter(order=order).order_by("pk"))
    for n, event in enumerate(events):
        event.at = min(created + pace * n, now)
    WorkOrderEvent.objects.bulk_update(events, ["at"])
    at = {event.kind: event.at for event in events}
    order.refresh_from_db()
    changes: dict[str, object] = {"created_at": created}
    if order.resolved_at is not None:
        changes["resolved_at"] = at.get("resolve", created)
    if order.closed_at is not None:
        changes["closed_at"] = max(at.values(), default=created)
    WorkOrder.objects.filter(pk=order.pk).update(**changes)
    Notice.objects.filter(order=order).update(at=created)


def _open311(estate: Estate, now: dt.datetime) -> None:
    """贵阳市's 12345 hotline holds an Open311 key for the city and passed on a caller's
    report of a leaking water main at 四通街8号院落 (posted by address_id, as its system does);
    the 自管会 accepted it."""
    key, _raw = open311.open311_key_create(
        name="贵阳市12345政务服务便民热线", region=Region.objects.get(code="520100")
    )
    created = now - dt.timedelta(days=2, hours=3)
    order = orders.order_post_open311(
        key=key,
        estate=estate,
        category=WorkOrderCategory.objects.get(code="flooding"),
        text="市民来电：四通街8号院落1栋旁自来水管漏水，水流到街上。（12345工单转办）",
        place="1栋旁",
        reporter_name="12345来电市民",
        now=created,
    )
    order = orders.order_accept(order=order, actor=_user(SITONG_COMMITTEE))
    orders.order_dispatch(
        order=order, actor=_user(SITONG_COMMITTEE), assignee=_user(SITONG_COMMITTEE)
    )
    _date(order, created, dt.timedelta(minutes=40))


def _escalated_to_street(estate: Estate, now: dt.datetime) -> None:
    """金仓苑's broken street light: reported nine days ago and not acted on, it climbed to the
    community and then to the street (two sweeps, as the hourly task would have run)."""
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"xiaoqu-demo/order/{ESCALATED}")
    order = WorkOrder.objects.get(client_key=key)
    orders.escalation_sweep(now=order.due_at + dt.timedelta(minutes=5))
    # The second sweep an hour ago, so the street's own deadline still runs; orders of the
    # last days left undone at their managing body climb to the community with it.
    orders.escalation_sweep(now=now - dt.timedelta(hours=1))


# --- the owners' evaluation of last month (业委评议) --------------------------------------------

# estate, who evaluates, points per criterion, comment
EVALUATIONS = (
    (
        YANGGUANG,
        YANGGUANG_OWNERS,
        {
            "cleaning": 17,
            "facilities": 16,
            "safety": 18,
            "response": 13,
            "manner": 9,
            "disclosure": 12,
        },
        "东门路灯和垃圾清运反映后处理及时；冬季管网防冻要提前做，物业费收支请按季度公示。",
    ),
    (
        SITONG,
        SITONG_STAFF,
        {
            "cleaning": 18,
            "facilities": 15,
            "safety": 19,
            "response": 14,
            "manner": 10,
            "disclosure": 14,
        },
        "自管会门岗24小时有人值守，居民满意；楼道灯线路老化需要统一检修。",
    ),
)


def _evaluations(estates: dict[str, Estate], today: dt.date) -> None:
    """Last month scored by the evaluating party (the owners' committee of 阳光新城小区; for the
    self-managed 四通街8号院落, the community) and the reports published; 金仓苑's report is
    computed and waits for its evaluation."""
    evaluation.criteria_ensure()
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    for code, phone, scores, comment in EVALUATIONS:
        evaluation.evaluation_submit(
            estate=estates[code],
            month=month,
            scores=scores,
            comment=comment,
            actor=_user(phone),
            now=_aware(today.replace(day=1), 15),
        )
    for code, phone in (
        (YANGGUANG, CHENGNAN_STAFF),
        (SITONG, SITONG_STAFF),
        (PANSHUI, CHENGNAN_STAFF),
    ):
        report = evaluation.report_compute(estate=estates[code], month=month)
        evaluation.report_publish(report=report, actor=_user(phone))
    evaluation.report_compute(estate=estates[JINCANG_YUAN], month=month)


def load_demo_stewardship() -> None:
    """Stage 5 of the demo (idempotent: done once, when 四通街8号院落 has no managing body)."""
    codes = [SITONG, YANGGUANG, JINCANG_YUAN, PANSHUI]
    estates = {e.code: e for e in Estate.objects.filter(code__in=codes)}
    if len(estates) < len(codes) or bodies.current_body(estates[SITONG]) is not None:
        return
    today = timezone.localdate()
    now = timezone.now().replace(second=0, microsecond=0)
    orders.categories_ensure()
    with transaction.atomic():
        _sitong(estates[SITONG], today)
        _yangguang(estates[YANGGUANG], today)
        _jincang_yuan(estates[JINCANG_YUAN], today)
        _panshui(estates[PANSHUI], today)
        _duty(estates[SITONG], today)
        _access(estates[SITONG], today)
        _fund_sitong(estates[SITONG], today)
        _fund_jincang_yuan(estates[JINCANG_YUAN], today)
        _orders(estates, now)
        _escalated_to_street(estates[JINCANG_YUAN], now)
        _open311(estates[SITONG], now)
        _evaluations(estates, today)
