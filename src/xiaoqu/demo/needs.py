"""The demo's door-knocking campaign, opinions, demands and a published demand list.

The Guizhou Daily report the project grew from (README.md) tells how 六盘水市钟山区东风西路社区
sent 70 Party members and cadres knocking on doors (“敲门行动”): 1,600 person-visits and 80
opinions on parking, care for the elderly and repairs, gathered into a 需求清单. The demo
replays that at the scale of the demo register, in 金仓社区 where the demo's grids, Party
groups and logins are (demo/organization.py): its 3 estates and 316 dwellings, visited by the
15 members of the estates' Party groups plus the demo grid worker, Party member and community
worker.

* a campaign over the 3 estates; every dwelling but a few is knocked on, doors nobody
  answered are knocked again a few days later, so there are more person-visits than
  dwellings;
* about 60 opinions heard at the doors, written as residents say them (Guizhou speech), a
  courtyard meeting (坝坝会) with 10 more, 5 hotline calls and one opinion the demo resident
  sent from their phone — all through the services, so they are classified and merged into
  demands; the community worker corrects two categories the model got wrong;
* in 金仓路市政宿舍 (the demo logins' estate) the two demands most households ask for are
  assessed and one of them planned, the gas demand is declined with its reason, the
  community adds a fire-safety demand its safety check found (no household asked for it),
  and the list is published as version 1: its notice says where each demand came from
  (households at the door, the courtyard meeting, the hotline, the community's check).

Deterministic (fixed seed, fixed dates, keys derived from the register's natural keys) and
idempotent: visits and opinions carry derived client keys, so a second load finds them and
writes nothing; statuses and the list are only set when still missing.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from xiaoqu.accounts.models import Role, RoleAssignment, User
from xiaoqu.meetings import services as meeting_services
from xiaoqu.meetings.models import Meeting, MeetingKind
from xiaoqu.needs import services
from xiaoqu.needs.models import (
    Campaign,
    Channel,
    Demand,
    DemandList,
    DemandStatus,
    Opinion,
    Visit,
    VisitOutcome,
)
from xiaoqu.needs.selectors import demand_rows
from xiaoqu.registry.models import Dwelling, Estate, Region

SEED = 20251008
KEYS = uuid.UUID("0b6f4c1e-5d7a-4c59-9a59-6e3f1d0a2b11")
COMMUNITY_CODE = "520103006001"  # 金仓社区
HOME_ESTATE_CODE = "520103006001-01"  # 金仓路市政宿舍: the demo logins' estate
CAMPAIGN_NAME = "金仓社区“敲门行动”"
STARTS_ON = dt.date(2025, 10, 8)
ENDS_ON = dt.date(2025, 12, 31)
KNOCK_DAYS = 30  # first knocks spread over the campaign's first 30 days
NOT_VISITED_SHARE = 0.04  # the campaign is not finished: a few doors are still to knock
# Demo logins (DEMO_LOGINS in demo/__init__.py) who take part.
GRID_WORKER_PHONE = "13800000003"
PARTY_MEMBER_PHONE = "13800000004"
COMMUNITY_STAFF_PHONE = "13800000005"
RESIDENT_PHONE = "13800000001"

# What residents said at their doors, per estate (text, urgent). Several say the same thing
# in other words, so merging gathers them into one demand asked by many households.
DOOR_OPINIONS: dict[str, list[tuple[str, bool]]] = {
    "520103006001-01": [
        ("一下雨屋头就滴水，顶楼遭惨了，盆盆桶桶都接满了", True),
        ("我家住六楼，楼顶防水层老化了，墙上都长霉了", False),
        ("下大雨天花板就渗水，墙皮一块块往下掉", False),
        ("屋顶漏雨好几年了，修了又漏，恼火得很", True),
        ("楼道灯坏了好久了，晚上上楼黑黢黢的", False),
        ("声控灯喊半天都不亮，老人上楼只有摸黑", False),
        ("楼道的灯不亮，晚上下班回来黑麻麻的看不到梯坎", False),
        ("老人家腿脚不好，住五楼爬不动，想加装电梯", False),
        ("六楼爬上爬下太恼火了，盼望装个电梯", False),
        ("我妈八十多了，一个月都下不了一次楼，加梯的事快点搞嘛", False),
        ("停车位太少了，晚上回来根本找不到地方停", False),
        ("外面的车乱停在院子里，消防通道都堵死了", False),
        ("想规划点停车位，画个线，大家按位置停", False),
        ("电瓶车莫得地方充电，好多人从楼上拉线下来充，危险得很", True),
        ("想装几个充电桩，电瓶车充电方便点", False),
        ("飞线充电太吓人了，去年隔壁小区还着过火", False),
        ("想通天然气，现在还在用液化气罐，换气罐恼火", False),
        ("还在烧液化气，扛气罐上六楼，想接天然气管道", False),
        ("下水道经常堵，一楼厨房反水，臭得很", True),
        ("垃圾桶太少了，天天都堆满，臭得很", False),
        ("电线老化了，一用电饭煲就跳闸", True),
        ("单元门坏了关不上，陌生人随便进出", False),
        ("想搞个老年食堂，老人吃饭方便点", False),
        ("小区莫得物业，坏了东西都没人管", False),
        ("楼道里堆满杂物，纸箱子旧家具，过路都难", False),
    ],
    "520103006001-02": [
        ("化粪池满了莫得人管，夏天臭气熏天", True),
        ("院坝头一下雨就积水，出门要踩水塘", False),
        ("下水道堵了好几回了，污水从井盖冒出来", True),
        ("井盖松了，踩上去咣当咣当的，怕娃娃掉下去", False),
        ("水压太小了，早上用水高峰楼上都莫得水", False),
        ("自来水管锈了，放出来的水是黄的", False),
        ("小区路面坑坑洼洼，下雨全是水坑，老人容易摔跤", False),
        ("进院子的路烂了好多年了，车子进出颠得很", False),
        ("楼外头的电线网线像蜘蛛网一样，又乱又危险", False),
        ("楼道灯坏了，晚上上楼黑黢黢的", False),
        ("电瓶车到处乱停，楼道口都堵了", False),
        ("单元门口台阶太高，轮椅推不出去", False),
        ("想在院子里放几把座椅，老年人走累了有地方歇一哈", False),
        ("快递莫得地方放，想装个快递柜", False),
        ("一楼有人私搭乱建，把公共通道都占了", False),
        ("屋头老人一个人在家，中午吃饭莫得人管", False),
        ("灭火器都过期了，消火栓也莫得水", True),
        ("外墙瓷砖松了，怕掉下来砸到人", True),
    ],
    "520103006001-03": [
        ("停车位太少了，下班回来转三圈都停不到", False),
        ("外面的车随便开进来停，业主自己反而莫得位置", False),
        ("加装电梯我们同意，就是不晓得钱咋个出", False),
        ("七楼太高了，买个菜都要歇两回，想加装电梯", False),
        ("院子里路灯不亮，晚上出来散步黑麻麻的", False),
        ("想要个健身的地方，跳广场舞的场地也莫得", False),
        ("娃娃莫得地方耍，想装几个游乐设施", False),
        ("娃娃放学莫得人接，想要个托管的地方", False),
        ("量个血压都要跑好远，想要个卫生服务站", False),
        ("买菜要走二十分钟，想要个便民菜店", False),
        ("想要个居民活动室，开会议事有个地方", False),
        ("窗户漏风，冬天冷得很", False),
        ("垃圾清运不及时，苍蝇蚊子多", False),
        ("想搞垃圾分类，但是莫得分类的桶", False),
        ("有人在楼道里养狗，半夜叫得睡不着", False),
        ("高空抛物的事情要管一管，上回差点砸到人", False),
        ("物业费收了服务跟不上，报修半个月都没人来", False),
        ("想装几个监控摄像头，上个月有人电瓶车被偷了", False),
        ("楼梯扶手松动了，老年人扶起不安全", False),
        ("绿化带都荒了，想种点花草", False),
    ],
}

# The 坝坝会 in 金仓路市政宿舍's courtyard.
MEETING_PLACE = "金仓路市政宿舍院坝"
MEETING_ON = dt.date(2025, 11, 15)
MEETING_ATTENDANCE = 46
MEETING_OPINIONS = [
    "大家都说加装电梯，一楼二楼的住户也要考虑，采光和噪音咋个办",
    "停车的事情要先定规矩，哪个先停哪个后停要公平",
    "化粪池一定要先改，每年夏天都臭",
    "楼顶防水要整体做，不要东补一块西补一块",
    "想在院坝里搞个晾衣服的地方",
    "路灯和楼道灯一起换，换成亮一点的",
    "充电桩装在哪里大家要商量，不要装在窗子底下",
    "垃圾房要挪远点，现在挨到单元门口",
    "老年人多，想搞个助餐点，中午有口热饭吃",
    "改造完了要有人管，不然几年又烂了",
]

# Calls to the community's hotline: (estate code, building, entrance, number, day, text, urgent).
HOTLINE_CALLS = [
    ("520103006001-02", "2", "1", "101", 12, "下水道堵了，污水从一楼地漏冒出来", True),
    ("520103006001-01", "1", "2", "502", 19, "楼上漏水漏到我家来了，天花板都泡软了", True),
    ("520103006001-03", "", "", "", 24, "小区门口的路灯坏了一个星期了", False),
    ("520103006001-03", "", "", "", 33, "有人在绿化带里堆建筑垃圾", False),
    ("520103006001-01", "3", "1", "301", 40, "电表箱冒火花，赶紧来看一哈", True),
]

RESIDENT_OPINION = "我家楼道的声控灯坏了，晚上下班回来黑黢黢的，希望早点修好"
RESIDENT_OPINION_ON = dt.date(2025, 11, 3)

# Opinions the model files under the wrong category, corrected by the community worker (the
# corrections feed the next ``xiaoqu needs train``).
CORRECTIONS = [
    ("飞线充电太吓人了，去年隔壁小区还着过火", "charging"),
    ("改造完了要有人管，不然几年又烂了", "property_management"),
]

DECLINED_CATEGORY = "gas"
DECLINED_REASON = (
    "片区燃气中压管网尚未敷设到金仓路，本次改造无法接入；已报燃气公司纳入明年管网延伸计划，"
    "接通后再组织入户安装。"
)
# What a visitor notes after a chat with nothing to ask.
NOTES = ("", "", "", "住户对改造无意见", "支持改造", "老人独居，已告知社区电话")
LIST_NOTE = "根据“敲门行动”入户走访、坝坝会和热线收集的意见整理，第一版公示。"
# What the community's own safety check found: a demand no household raised.
SAFETY_CHECK_DEMAND = "楼道灭火器过期、应急照明损坏，需整体更换"


def _key(*parts: Any) -> uuid.UUID:
    return uuid.uuid5(KEYS, "/".join(str(p) for p in parts))


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _user(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()


def _member_users(estate: Estate) -> list[User]:
    """A visitor account for each member of the estate's Party group (party_member role).

    Their accounts have no usable password: they stand for the members in the demo data and
    are not demo logins.
    """
    from xiaoqu.organization.models import PartyMember

    members = (
        PartyMember.objects.filter(organization__estate=estate, organization__kind="group")
        .select_related("person")
        .order_by("person__ref")
    )
    users = []
    for member in members:
        person = member.person
        user = User.objects.filter(person=person).first()
        if user is None:
            if not person.phone or User.objects.filter(phone=person.phone).exists():
                continue
            user = User.objects.create(
                phone=person.phone, name=person.name, person=person, password=make_password(None)
            )
            RoleAssignment.objects.create(user=user, role=Role.PARTY_MEMBER, estate=estate)
        elif not user.roles.filter(role=Role.PARTY_MEMBER, estate=estate).exists():
            # Someone else's account (a demo login): leave its roles as they are.
            continue
        users.append(user)
    return users


def _campaign(estates: list[Estate], actor: User) -> Campaign:
    campaign = Campaign.objects.filter(name=CAMPAIGN_NAME).first()
    if campaign is None:
        campaign = services.campaign_create(
            name=CAMPAIGN_NAME, estates=estates, starts_on=STARTS_ON, ends_on=ENDS_ON, actor=actor
        )
    return campaign


def _visitors_for(estate: Estate, staff: User) -> list[User]:
    visitors = _member_users(estate)
    if estate.code == HOME_ESTATE_CODE:
        visitors = [
            u for u in (_user(GRID_WORKER_PHONE), _user(PARTY_MEMBER_PHONE)) if u
        ] + visitors
    return visitors or [staff]


def _knock(campaign: Campaign, estate: Estate, staff: User, rng: random.Random) -> None:
    """Knock on the estate's doors; the estate's opinions go to doors that were answered.

    Visits that brought an opinion go through ``services.visit_record`` (the opinion is
    classified and merged); the others — nobody home, a refusal, a chat with nothing to
    ask — are seed rows written in one insert, as the organisation demo writes its rows.
    """
    visitors = _visitors_for(estate, staff)
    dwellings = list(
        Dwelling.objects.filter(estate=estate)
        .select_related("building", "entrance")
        .order_by("building__number", "entrance__number", "floor", "number")
    )
    texts = list(DOOR_OPINIONS.get(estate.code, []))
    plain: list[Visit] = []
    met_doors: list[tuple[Dwelling, User, dt.datetime, uuid.UUID, int]] = []

    def seed(
        key: uuid.UUID,
        dwelling: Dwelling,
        visitor: User,
        at: dt.datetime,
        outcome: str,
        people: int = 0,
        note: str = "",
    ) -> None:
        plain.append(
            Visit(
                client_key=key,
                campaign=campaign,
                estate=estate,
                dwelling=dwelling,
                visitor=visitor,
                visited_at=at,
                outcome=outcome,
                people_met=people,
                note=note,
            )
        )

    for i, dwelling in enumerate(dwellings):
        if rng.random() < NOT_VISITED_SHARE:
            continue
        # Neighbouring doors are one member's round (a stairwell at a time).
        visitor = visitors[(i // 12) % len(visitors)]
        day = STARTS_ON + dt.timedelta(days=rng.randrange(KNOCK_DAYS))
        at = _at(day, rng.choice((9, 10, 15, 16, 19, 20)), rng.randrange(0, 60, 5))
        natural = (estate.code, dwelling.building.number, dwelling.entrance.number, dwelling.number)
        attempt = 0
        outcome = _outcome(rng)
        while outcome == VisitOutcome.NOT_HOME and attempt < 2:
            seed(_key("visit", *natural, attempt), dwelling, visitor, at, outcome)
            attempt += 1
            at += dt.timedelta(days=rng.randrange(2, 6), hours=rng.choice((0, 1, 2)))
            outcome = _outcome(rng)
        key = _key("visit", *natural, attempt)
        if outcome in (VisitOutcome.NOT_HOME, VisitOutcome.DECLINED):
            seed(key, dwelling, visitor, at, outcome)
        else:
            met_doors.append((dwelling, visitor, at, key, rng.choice((1, 1, 2, 2, 3))))
    step = max(1, len(met_doors) // max(1, len(texts)))
    with_opinion = {j * step: texts[j] for j in range(min(len(texts), len(met_doors)))}
    for j, (dwelling, visitor, at, key, people) in enumerate(met_doors):
        said = with_opinion.get(j)
        if said is None:
            seed(key, dwelling, visitor, at, VisitOutcome.MET, people, rng.choice(NOTES))
            continue
        services.visit_record(
            client_key=key,
            dwelling=dwelling,
            visitor=visitor,
            visited_at=at,
            outcome=VisitOutcome.MET,
            people_met=people,
            opinions=[services.OpinionInput(text=said[0], urgent=said[1])],
            campaign=campaign,
        )
    known = set(
        Visit.objects.filter(client_key__in=[v.client_key for v in plain]).values_list(
            "client_key", flat=True
        )
    )
    Visit.objects.bulk_create([v for v in plain if v.client_key not in known], batch_size=500)


def _outcome(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.74:
        return VisitOutcome.MET
    if roll < 0.97:
        return VisitOutcome.NOT_HOME
    return VisitOutcome.DECLINED


def _meeting(estate: Estate, staff: User) -> None:
    meeting = Meeting.objects.filter(
        estate=estate, kind=MeetingKind.COURTYARD, held_on=MEETING_ON, place=MEETING_PLACE
    ).first()
    if meeting is None:
        meeting = meeting_services.meeting_create(
            estate=estate,
            kind=MeetingKind.COURTYARD,
            held_on=MEETING_ON,
            place=MEETING_PLACE,
            attendance=MEETING_ATTENDANCE,
            actor=staff,
        )
    if meeting.opinions.exists():
        return
    meeting_services.meeting_hear(
        meeting=meeting,
        items=[
            services.OpinionInput(text=t, heard_on=MEETING_ON, client_key=_key("meeting", i))
            for i, t in enumerate(MEETING_OPINIONS)
        ],
        actor=staff,
    )


def _hotline(staff: User) -> None:
    for i, (code, building, entrance, number, day, text, urgent) in enumerate(HOTLINE_CALLS):
        key = _key("hotline", i)
        if Opinion.objects.filter(client_key=key).exists():
            continue
        estate = Estate.objects.get(code=code)
        dwelling = None
        if number:
            dwelling = Dwelling.objects.filter(
                estate=estate,
                building__number=building,
                entrance__number=entrance,
                number=number,
            ).first()
        services.opinions_record(
            estate=estate,
            items=[
                services.OpinionInput(
                    text=text,
                    urgent=urgent,
                    dwelling=dwelling,
                    heard_on=STARTS_ON + dt.timedelta(days=day),
                    client_key=key,
                )
            ],
            channel=Channel.HOTLINE,
            actor=staff,
        )


def _resident_submission(estate: Estate) -> None:
    from xiaoqu.registry.scope import home_dwellings

    resident = _user(RESIDENT_PHONE)
    if resident is None:
        return
    home = home_dwellings(resident).filter(estate=estate).order_by("pk").first()
    services.opinion_submit(
        user=resident,
        estate=estate,
        item=services.OpinionInput(
            text=RESIDENT_OPINION,
            dwelling=home,
            heard_on=RESIDENT_OPINION_ON,
            client_key=_key("resident", RESIDENT_PHONE),
        ),
    )


def _correct(staff: User) -> None:
    for text, category in CORRECTIONS:
        for opinion in Opinion.objects.filter(text=text).exclude(category=category):
            services.opinion_recategorise(opinion=opinion, category=category, actor=staff)


def _decide_and_publish(estate: Estate, staff: User) -> None:
    """Assess the two most asked demands, plan the first, decline gas, publish version 1."""
    if DemandList.objects.filter(estate=estate).exists():
        return
    rows = [r for r in demand_rows(estate=estate).items if r.category != DECLINED_CATEGORY]
    for n, row in enumerate(rows[:2]):
        demand = Demand.objects.get(pk=row.demand_id)
        if demand.status == DemandStatus.COLLECTED:
            demand = services.demand_set_status(
                demand=demand, status=DemandStatus.ASSESSED, actor=staff
            )
        if n == 0 and demand.status == DemandStatus.ASSESSED:
            services.demand_set_status(demand=demand, status=DemandStatus.PLANNED, actor=staff)
    for demand in Demand.objects.filter(
        estate=estate,
        category=DECLINED_CATEGORY,
        status=DemandStatus.COLLECTED,
        merged_into__isnull=True,
    ):
        services.demand_set_status(
            demand=demand, status=DemandStatus.DECLINED, actor=staff, reason=DECLINED_REASON
        )
    services.demand_create(
        estate=estate, category="fire_safety", title=SAFETY_CHECK_DEMAND, actor=staff
    )
    services.demand_list_publish(estate=estate, actor=staff, note=LIST_NOTE)


def load_demo_needs() -> None:
    """Load the demo campaign, visits, opinions, demands and published list (idempotent)."""
    community = Region.objects.filter(code=COMMUNITY_CODE).first()
    staff = _user(COMMUNITY_STAFF_PHONE)
    if community is None or staff is None:
        return
    estates = list(Estate.objects.filter(community=community).order_by("code"))
    if not estates:
        return
    home = next((e for e in estates if e.code == HOME_ESTATE_CODE), estates[0])
    rng = random.Random(SEED)
    with transaction.atomic():
        campaign = _campaign(estates, staff)
        for estate in estates:
            _knock(campaign, estate, staff, rng)
        _meeting(home, staff)
        _hotline(staff)
        _resident_submission(home)
        _correct(staff)
        _decide_and_publish(home, staff)
