"""The demo's works (stage 4), in the report's places, with dates that agree with the rest of
the demo:

* 盐务街12号院 (金仓社区), finished in 2025 before the door-knocking campaign of October: a
  坝坝会 in February, its demand list, the plan built from it with an elevator for the
  entrance whose owners voted for it (published, objection period over), the project through
  every stage to 完成 with its joint acceptance and the residents' survey. Loaded before the
  needs demo, so the campaign's later opinions find the estate's demands already there.
* The 2025 batch (2025年度中央补助支持计划) at the province, with that estate and the estates
  the register shows 施工中.
* 碧波水岸小区 (石阡县泉都街道大关社区): the report's items (stone sidewalks, asphalt roads,
  sorted-waste points, parking spaces, the sewer that overflowed in the rainy season), from
  the residents' demands, in progress with a temporary Party group, a resident supervisor,
  photos, a site diary, hidden works and a complaint answered and closed.
* 兴关社区's three estates in one project, led by the 兴关路街道党员突击队 with its 11 党员责任区.
* 党武集镇居民点 (贵安新区党武街道): the project department's Party branch, site manager 钟华彬,
  and members as "临时交警" at 下坝路 and 思孟路 on market days.
* 吉祥小区: works under way.

Business steps go through the services (the stage gates, the copies from the plans, the vote
behind the elevator); the dates are then set to the demo's calendar, since a seed's history
happened before it was loaded. Idempotent: a project whose code exists is left alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from xiaoqu.accounts.models import User
from xiaoqu.decisions import services as decisions
from xiaoqu.decisions.models import Plan, Vote, VoteScope
from xiaoqu.demo.decisions import paper_vote_to_result
from xiaoqu.meetings import services as meetings
from xiaoqu.meetings.models import MeetingKind
from xiaoqu.needs import services as needs
from xiaoqu.needs.models import Demand, DemandStatus
from xiaoqu.needs.selectors import demand_rows
from xiaoqu.organization.models import (
    Grid,
    GridBuilding,
    GridWorkerAssignment,
    IronTriangle,
    PartyMember,
    PartyOrganization,
    PartyOrgKind,
    ResponsibilityZone,
    Team,
)
from xiaoqu.registry.models import Entrance, Estate, Person, Region, Residency
from xiaoqu.renovation.models import (
    Batch,
    Company,
    CompanyKind,
    DutyType,
    ProgressUpdate,
    Project,
    ProjectEvent,
    ProjectStage,
    Survey,
    SurveyResponse,
)
from xiaoqu.renovation.services import acceptance as acceptance_services
from xiaoqu.renovation.services import complaints as complaint_services
from xiaoqu.renovation.services import money as money_services
from xiaoqu.renovation.services import party as party_services
from xiaoqu.renovation.services import progress as progress_services
from xiaoqu.renovation.services import projects as project_services
from xiaoqu.renovation.services import surveys as survey_services

ADMIN_PHONE = "13800000011"
STAFF_PHONE = "13800000005"  # 金仓社区's community worker
CONTRACTOR_PHONE = "13800000010"
SUPERVISOR_PHONE = "13800000012"
PROVINCE_CODE = "520000"
BATCH_NAME = "2025年度中央补助支持计划"

FINISHED_CODE = "520103006001-02"  # 盐务街12号院
BIBO_CODE = "520623001001-01"  # 碧波水岸小区
XINGGUAN_COMMUNITY = "520102005001"
DANGWU_CODE = "529901001001-01"  # 党武集镇居民点
JIXIANG_CODE = "520103006002-02"  # 吉祥小区

COMPANIES = {
    "builder": "贵州建工集团第三工程有限公司",
    "builder_shiqian": "石阡县城乡建设工程有限公司",
    "builder_guian": "贵安新区城市建设有限公司",
    "supervisor": "贵州建科工程监理有限公司",
    "supervisor_tongren": "铜仁市建设工程监理有限公司",
    "designer": "贵阳市建筑设计院有限公司",
}


@dataclass(frozen=True)
class Work:
    """A plan item: title, class, quantity, unit, cost (yuan), funding by plan source, and
    the demand category it answers (or the reason it is done without one)."""

    title: str
    klass: str
    quantity: int
    unit: str
    cost: int
    funding: dict[str, int]
    category: str = ""
    reason: str = ""


def _split(cost: int, central: float, owners: float = 0.0, utilities: float = 0.0) -> dict:
    c, o, u = round(cost * central), round(cost * owners), round(cost * utilities)
    return {"central": c, "owners": o, "utilities": u, "local": cost - c - o - u}


# --- 盐务街12号院, finished in 2025 ----------------------------------------------------------

VOTE_OPENS = dt.datetime(2025, 3, 25, 9, 0)
VOTE_CLOSES = dt.datetime(2025, 4, 10, 18, 0)
FINISHED = {
    "meeting_on": dt.date(2025, 2, 22),
    "list_on": dt.date(2025, 3, 1),
    "plan_on": dt.date(2025, 3, 20),
    "created": dt.date(2025, 4, 1),
    "approved": dt.date(2025, 4, 15),
    "tendering": dt.date(2025, 4, 20),
    "works": dt.date(2025, 5, 6),
    "acceptance": dt.date(2025, 9, 20),
    "completed": dt.date(2025, 9, 30),
}
FINISHED_OPINIONS = [
    "化粪池满了莫得人管，一到夏天就臭",
    "下水道一下雨就堵，污水从井盖往外冒",
    "院坝路面烂了，下雨到处是水凼凼",
    "进院子的路坑坑洼洼的，老人走路怕摔",
    "楼太高了爬不动，想加装电梯",
    "2栋老人多，加个电梯大家都愿意出点钱",
    "楼外面电线乱拉，像蜘蛛网一样",
    "想有个地方开会议事，现在都是站在院坝里说",
    "晚上院子里黑，路灯太少了",
]
FINISHED_WORKS = [
    Work("化粪池及雨污管网改造", "basic", 420, "m", 356000, _split(356000, 0.6), "drainage"),
    Work("院内道路及院坝硬化", "basic", 1800, "m²", 270000, _split(270000, 0.6), "roads"),
    Work(
        "强弱电线缆规整入管",
        "basic",
        3,
        "栋",
        150000,
        _split(150000, 0.4, utilities=0.6),
        "telecom",
    ),
    Work(
        "{entrance}加装电梯",
        "enhance",
        1,
        "部",
        680000,
        _split(680000, 0.3, owners=0.5),
        "elevator",
    ),
    Work(
        "居民议事厅",
        "improve",
        1,
        "处",
        120000,
        _split(120000, 0.6),
        "community_space",
    ),
]


# --- projects in works -------------------------------------------------------------------------

BIBO_OPINIONS = [
    ("以前地下污水管道堵塞，雨季污水从井盖流出来，臭气熏天", True),
    ("下水道经常堵，一下大雨就冒水", True),
    ("人行道烂了，高一块低一块，晚上走路容易绊倒", False),
    ("道路坑洼，车子开进来颠得很", False),
    ("公共区域乱堆乱放，垃圾桶不够用", False),
    ("想搞垃圾分类，要有分类的垃圾亭", False),
    ("车子乱停，消防通道都堵了，要规划停车位", False),
    ("停车位太少，晚上回来停不到", False),
]
BIBO_WORKS = [
    Work("地下污水管道疏通改造", "basic", 860, "m", 516000, _split(516000, 0.6), "drainage"),
    Work("人行道铺设石板", "improve", 2600, "m²", 390000, _split(390000, 0.6), "roads"),
    Work(
        "车行道铺设沥青",
        "improve",
        5200,
        "m²",
        624000,
        _split(624000, 0.6),
        "roads",
        "与人行道同属居民提出的道路需求，按车行道单列",
    ),
    Work("增设垃圾分类设施", "improve", 6, "处", 108000, _split(108000, 0.5), "waste"),
    Work("规划停车位", "improve", 120, "个", 96000, _split(96000, 0.5), "parking"),
]
XINGGUAN_WORKS = [
    Work(
        "屋面防水翻新",
        "basic",
        3600,
        "m²",
        324000,
        _split(324000, 0.6),
        "",
        "街道房屋安全排查：屋面防水层老化渗漏",
    ),
    Work(
        "雨污分流改造",
        "basic",
        640,
        "m",
        384000,
        _split(384000, 0.6),
        "",
        "街道排查：雨污混流，雨季倒灌",
    ),
    Work(
        "楼道照明及消防设施更新",
        "basic",
        22,
        "个单元",
        176000,
        _split(176000, 0.6),
        "",
        "消防安全检查发现灭火器过期、楼道照明损坏",
    ),
]
DANGWU_WORKS = [
    Work(
        "排水沟及雨水管网改造",
        "basic",
        1200,
        "m",
        540000,
        _split(540000, 0.6),
        "",
        "集镇雨季积水（“看海”），街道整治提升项目",
    ),
    Work(
        "下坝路、思孟路路灯安装",
        "improve",
        86,
        "盏",
        215000,
        _split(215000, 0.6),
        "",
        "集镇整治提升：夜间出行照明",
    ),
    Work(
        "集镇农贸市场改造",
        "improve",
        1,
        "处",
        880000,
        _split(880000, 0.5),
        "",
        "集镇整治提升：新建规范菜市场",
    ),
]
JIXIANG_WORKS = [
    Work(
        "外墙及屋面修缮",
        "basic",
        4200,
        "m²",
        357000,
        _split(357000, 0.6),
        "",
        "社区摸排：外墙瓷砖脱落、屋面渗漏",
    ),
    Work(
        "小区停车场改造", "improve", 80, "个", 240000, _split(240000, 0.5), "", "居民议事会讨论确定"
    ),
]


def _user(phone: str) -> User | None:
    return User.objects.filter(phone=phone).first()


def _company(key: str, kind: str, region: Region) -> Company:
    company, _ = Company.objects.get_or_create(
        kind=kind,
        name=COMPANIES[key],
        defaults={
            "region": region,
            "contact_name": "项目经理",
            "contact_phone": "0851-8660" + str(len(key) % 10) + "200",
        },
    )
    return company


def _aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


# --- demands and plans ---------------------------------------------------------------------------


def _hear(estate: Estate, actor: User, held_on: dt.date, place: str, opinions) -> None:
    """A 坝坝会 with its opinions (classified and merged into demands by the needs services)."""
    meeting = meetings.meeting_create(
        estate=estate,
        kind=MeetingKind.COURTYARD,
        held_on=held_on,
        place=place,
        attendance=38,
        actor=actor,
    )
    meetings.meeting_hear(
        meeting=meeting,
        items=[
            needs.OpinionInput(text=text, urgent=urgent, heard_on=held_on)
            for text, urgent in opinions
        ],
        actor=actor,
    )


def _publish_list(estate: Estate, actor: User, on: dt.date) -> None:
    """Staff join the demands that ask the same thing (one per category here), assess them
    and publish the list, dated ``on``."""
    from xiaoqu.needs.models import DemandList

    by_category: dict[str, list[Demand]] = {}
    for row in demand_rows(estate=estate).items:
        by_category.setdefault(row.category, []).append(Demand.objects.get(pk=row.demand_id))
    for same in by_category.values():
        if len(same) > 1:
            needs.demand_join(target=same[0], others=same[1:], actor=actor)
    for row in demand_rows(estate=estate).items:
        demand = Demand.objects.get(pk=row.demand_id)
        if demand.status == DemandStatus.COLLECTED:
            needs.demand_set_status(demand=demand, status=DemandStatus.ASSESSED, actor=actor)
    published = needs.demand_list_publish(estate=estate, actor=actor)
    DemandList.objects.filter(pk=published.pk).update(published_at=_aware(on))


def _demand_for(estate: Estate, category: str) -> Demand | None:
    """The estate's live demand of ``category`` most households ask for."""
    rows = [r for r in demand_rows(estate=estate).items if r.category == category]
    return Demand.objects.get(pk=rows[0].demand_id) if rows else None


def _published_plan(
    estate: Estate, actor: User, title: str, works: list[Work], on: dt.date
) -> Plan:
    """A plan with ``works`` (each from its demand, or with its reason); the demands it does
    not answer are excluded with a reason; published on ``on``."""
    plan = decisions.plan_create(estate=estate, title=title, actor=actor)
    answered: set[int] = set()
    for work in works:
        demand = _demand_for(estate, work.category) if work.category else None
        if demand is not None and demand.pk in answered:
            demand = None
        decisions.plan_item_add(
            plan=plan,
            actor=actor,
            title=work.title,
            quantity=Decimal(work.quantity),
            unit=work.unit,
            cost_yuan=Decimal(work.cost),
            funding_yuan={k: Decimal(v) for k, v in work.funding.items()},
            demand=demand,
            reason="" if demand else (work.reason or "街道摸排确定的改造内容"),
            klass="" if demand else work.klass,
        )
        if demand is not None:
            answered.add(demand.pk)
    for row in demand_rows(estate=estate).items:
        if row.demand_id not in answered and row.status != DemandStatus.DECLINED:
            decisions.plan_exclusion_set(
                plan=plan,
                demand=Demand.objects.get(pk=row.demand_id),
                reason="本次改造资金有限，列入下一批次",
                actor=actor,
            )
    plan = decisions.plan_publish(plan=plan, actor=actor)
    Plan.objects.filter(pk=plan.pk).update(published_at=_aware(on))
    return plan


# --- projects ------------------------------------------------------------------------------------


def _project(
    estates: list[Estate],
    actor: User,
    *,
    code: str,
    name: str,
    batch: Batch,
    builder: Company,
    supervisor: Company,
    manager: tuple[str, str],
) -> Project:
    project = project_services.project_create(
        estates=estates, name=name, code=code, batch=batch, actor=actor
    )
    project_services.project_set_parties(
        project=project,
        actor=actor,
        builder=builder,
        supervisor=supervisor,
        designer=Company.objects.get(name=COMPANIES["designer"]),
        site_manager_name=manager[0],
        site_manager_phone=manager[1],
    )
    return project


def _advance(project: Project, actor: User, dates: dict[str, dt.date]) -> Project:
    """Move the project through the stages up to the last one in ``dates`` (stage → date),
    dating each stage's event (and the start and completion) on the demo's calendar."""
    later = ProjectStage.values[ProjectStage.values.index(project.stage) + 1 :]
    for stage in later:
        if stage not in dates:
            break
        project = project_services.project_advance(project=project, actor=actor, on=dates[stage])
        ProjectEvent.objects.filter(project=project, kind="stage", to_stage=stage).update(
            at=_aware(dates[stage])
        )
    return project


def _date_creation(project: Project, on: dt.date) -> None:
    ProjectEvent.objects.filter(project=project).exclude(kind="stage").update(at=_aware(on, 9))
    Project.objects.filter(pk=project.pk).update(created_at=_aware(on, 9))


def _members(project: Project, phones: tuple[str, ...]) -> None:
    admin = _user(ADMIN_PHONE)
    for phone in phones:
        user = _user(phone)
        if user is not None and admin is not None:
            project_services.project_member_add(project=project, user=user, actor=admin)


def _org(kind: str, name: str, region: Region, parent: PartyOrganization | None = None):
    org, _ = PartyOrganization.objects.get_or_create(
        name=name, region=region, defaults={"kind": kind, "parent": parent}
    )
    return org


def _named_member(org: PartyOrganization, estate: Estate, name: str) -> PartyMember:
    """A member with the report's name, living in the estate (a new person of the register)."""
    person = Person.objects.filter(name=name, residencies__dwelling__estate=estate).first()
    if person is None:
        n = Person.objects.count() + 1
        person = Person.objects.create(name=name, phone=f"1398510{n:04d}", ref=f"PD{n:06d}")
        dwelling = estate.dwellings.order_by("pk")[len(name) % 5]
        Residency.objects.create(person=person, dwelling=dwelling, relation="family")
    member, _ = PartyMember.objects.get_or_create(
        person=person, defaults={"organization": org, "joined_on": dt.date(2010, 7, 1)}
    )
    return member


def _grid(estate: Estate, worker: Person) -> None:
    """The community's grid over the estate's buildings, with its grid worker."""
    grid, created = Grid.objects.get_or_create(
        code=f"{estate.code}-G1",
        defaults={"name": "大关社区第一网格", "community": estate.community},
    )
    if created:
        GridBuilding.objects.bulk_create(
            GridBuilding(grid=grid, building=b) for b in estate.buildings.all()
        )
        IronTriangle.objects.create(grid=grid)
        GridWorkerAssignment.objects.create(
            grid=grid, person=worker, started_on=dt.date(2024, 3, 1)
        )


def _residents_as_members(org: PartyOrganization, estate: Estate, n: int) -> list[PartyMember]:
    """``n`` Party members among the estate's residents (the first who are not yet members)."""
    people = (
        Person.objects.filter(residencies__dwelling__estate=estate, party_membership=None)
        .distinct()
        .order_by("ref")[: max(0, n - org.members.count())]
    )
    for person in people:
        PartyMember.objects.create(person=person, organization=org, joined_on=dt.date(2012, 7, 1))
    return list(org.members.order_by("pk"))


# --- progress, photos, hidden works, money ---------------------------------------------------------


def site_photo(
    latitude: float, longitude: float, taken: dt.datetime, shade: int
) -> SimpleUploadedFile:
    """A small generated JPEG standing in for a phone's site photo, with the time and place
    in its EXIF block as a phone writes them."""
    import io

    from PIL import ExifTags, Image, ImageDraw

    image = Image.new("RGB", (320, 240), (150 + shade % 60, 190, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 150, 320, 240), fill=(95, 95, 100))
    draw.rectangle((30 + shade % 90, 60, 130 + shade % 90, 150), fill=(200, 170, 120))
    draw.line((0, 195, 320, 195), fill=(240, 240, 240), width=3)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "demo-phone"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken.strftime(
        "%Y:%m:%d %H:%M:%S"
    )
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)

    def dms(value: float) -> tuple[float, float, float]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return (float(degrees), float(minutes), round(((value - degrees) * 60 - minutes) * 60, 2))

    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", dms(latitude)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", dms(longitude)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=80)
    return SimpleUploadedFile("现场照片.jpg", out.getvalue(), content_type="image/jpeg")


def _schedule(project: Project, actor: User, start: dt.date, days: int) -> None:
    """Plan the items one after another, each starting a third of the way into the last."""
    for i, item in enumerate(project.items.order_by("pk")):
        begin = start + dt.timedelta(days=i * days // 3)
        progress_services.item_schedule(
            item=item,
            planned_start=begin,
            planned_finish=begin + dt.timedelta(days=days),
            actor=actor,
        )


def _report(project: Project, contractor: User, today: dt.date, shares: list[int]) -> None:
    """Progress reports every fortnight up to ``shares`` (percent per item, in order)."""
    for item, target in zip(project.items.order_by("pk"), shares, strict=False):
        start, finish = item.planned_start, item.planned_finish
        if not project_services.item_clearance(item)[0] or not target or not start or not finish:
            continue
        if start > today:
            continue
        steps = max(1, (min(today, finish) - start).days // 14)
        for k in range(1, steps + 1):
            day = min(today, start + dt.timedelta(days=14 * k))
            progress_services.progress_report(
                item=item,
                percent=round(target * k / steps),
                client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"xiaoqu-demo/{item.pk}/{k}"),
                reported_at=min(_aware(day, 17), timezone.now()),
                actor=contractor,
                note="按计划推进" if k < steps else "",
            )


def _money(project: Project, actor: User, share_paid: float, on: dt.date) -> None:
    """Funds received per source, and payments per item in proportion to its progress."""
    from collections import Counter

    planned: Counter[str] = Counter()
    for item in project.items.prefetch_related("funding"):
        for f in item.funding.all():
            planned[f.source] += f.planned_fen
    for source, fen in sorted(planned.items()):
        received = fen if source != "owners" else fen // 2
        money_services.receipt_record(
            project=project,
            source=source,
            amount=_yuan(received),
            on=on,
            actor=actor,
            note="财政资金拨付" if source != "owners" else "业主首期出资",
        )
    builder = project.builder.name if project.builder else "施工单位"
    for item in project.items.prefetch_related("funding").order_by("pk"):
        paid = round(item.percent / 100 * share_paid, 2)
        for f in item.funding.all():
            if f.source == "owners" or not paid:
                continue
            money_services.payment_record(
                item=item,
                source=f.source,
                amount=_yuan(round(f.planned_fen * paid)),
                on=on + dt.timedelta(days=30),
                payee=builder,
                actor=actor,
                note="按进度支付工程款",
            )


DIARY = [
    ("晴", 18, "污水管道开挖、铺设 DN400 管道 40 米，监理旁站"),
    ("多云", 16, "人行道基层找平，石板进场验收"),
    ("小雨", 8, "雨天停止开挖，清理现场、加固沟槽围挡"),
    ("晴", 20, "人行道铺设石板 180 平方米；垃圾分类亭基础浇筑"),
    ("阴", 15, "车行道铣刨旧路面，夜间不施工"),
    ("晴", 22, "污水检查井砌筑 3 座，闭水试验准备"),
]
HIDDEN_WORKS = [
    ("地下污水管道", "DN400 污水管道管基、接口及闭水试验，回填前验收"),
    ("地下污水管道", "检查井井底流槽及井壁抹面，覆盖前验收"),
]


def _bibo_site(project: Project, admin: User, today: dt.date) -> None:
    """碧波水岸小区 on site: schedule, reports, photos, diary, hidden works, money."""
    contractor, supervisor = _user(CONTRACTOR_PHONE), _user(SUPERVISOR_PHONE)
    assert contractor is not None and supervisor is not None
    estate = project.estates.get()
    assert estate.latitude is not None and estate.longitude is not None
    lat, lon = float(estate.latitude), float(estate.longitude)
    resident = _named_resident(estate, "廖龙艳", "13985106677")
    progress_services.project_set_resident_supervisor(
        project=project, person=_person(resident), actor=admin
    )
    started = _started(project)
    _schedule(project, admin, started, 45)
    _report(project, contractor, today, [85, 70, 30, 55, 20])
    sewer = project.items.order_by("pk")[0]
    for k in range(4):
        taken = _aware(today - dt.timedelta(days=3 * k + 1), 15)
        progress_services.photo_add(
            project=project,
            file=site_photo(lat + 0.0004 * k, lon - 0.0003 * k, taken, 40 * k),
            actor=contractor,
            item=sewer if k % 2 == 0 else None,
            caption=["污水管道沟槽开挖", "人行道石板铺设", "检查井砌筑", "垃圾分类亭基础"][k],
        )
    progress_services.photo_add(
        project=project,
        file=site_photo(27.5395, 108.2470, _aware(today - dt.timedelta(days=2), 9), 200),
        actor=contractor,
        caption="石板材料（拍于材料堆场）",
    )
    for k, (weather, workers, text) in enumerate(DIARY):
        day = today - dt.timedelta(days=len(DIARY) - k)
        progress_services.diary_write(
            project=project, date=day, text=text, actor=contractor, weather=weather, workers=workers
        )
    for k, (_title, text) in enumerate(HIDDEN_WORKS):
        hidden = progress_services.hidden_work_record(
            item=sewer, description=text, actor=contractor
        )
        progress_services.hidden_work_sign(
            hidden=hidden, actor=supervisor, capacity=progress_services.SIGN_SUPERVISOR
        )
        if k == 0:
            progress_services.hidden_work_sign(
                hidden=hidden, actor=resident, capacity=progress_services.SIGN_RESIDENT
            )
            progress_services.hidden_work_cover(hidden=hidden, actor=contractor)
    _money(project, admin, 0.8, started)
    _complaint(project, estate, contractor, today)


def _complaint(project: Project, estate: Estate, contractor: User, today: dt.date) -> None:
    """王树蓉 asks about the trench outside her entrance; the site manager answers, she closes."""
    author = _named_resident(estate, "王树蓉", "13985108899")
    raised = timezone.now() - dt.timedelta(days=6)
    complaint = complaint_services.complaint_raise(
        dwelling=_person(author).residencies.get().dwelling,
        kind="access",
        text="单元门口挖了沟，晚上没有灯，老人出门不方便，能不能搭个便桥？",
        place="3栋门口",
        actor=author,
        now=raised,
    )
    complaint_services.complaint_answer(
        complaint=complaint,
        answer="已在3栋门口搭设带扶手的钢便桥，并加装夜间警示灯，沟槽本周五回填。",
        actor=contractor,
        now=raised + dt.timedelta(hours=20),
    )
    complaint_services.complaint_close(
        complaint=complaint, actor=author, now=raised + dt.timedelta(days=2)
    )


def _person(user: User) -> Person:
    assert user.person is not None
    return user.person


def _started(project: Project) -> dt.date:
    assert project.started_on is not None
    return project.started_on


def _named_resident(estate: Estate, name: str, phone: str) -> User:
    """A resident of the estate with the report's name and a login of their own (no demo
    password: the resident supervisor signs on their own phone)."""
    person = Person.objects.filter(name=name, residencies__dwelling__estate=estate).first()
    if person is None:
        person = Person.objects.create(name=name, phone=phone)
        dwelling = estate.dwellings.order_by("pk")[7]
        Residency.objects.create(person=person, dwelling=dwelling, relation="owner")
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = User.objects.create_user(phone=phone, password=None, name=name, person=person)
    return user


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# --- the loaders ---------------------------------------------------------------------------------


def _finished_history(estate: Estate, staff: User, admin: User, batch: Batch) -> Project:
    """盐务街12号院: demands, plan, the elevator vote and the project, all in 2025."""
    d = FINISHED
    _hear(
        estate, staff, d["meeting_on"], "盐务街12号院院坝", [(t, False) for t in FINISHED_OPINIONS]
    )
    _publish_list(estate, staff, d["list_on"])
    _published_plan(
        estate, staff, "盐务街12号院2025年老旧小区改造方案", _finished_works(estate), d["plan_on"]
    )
    vote = _elevator_vote(estate, staff)
    project = _project(
        [estate],
        staff,
        code="YWJ-2025-01",
        name="盐务街12号院老旧小区改造工程",
        batch=batch,
        builder=Company.objects.get(name=COMPANIES["builder"]),
        supervisor=Company.objects.get(name=COMPANIES["supervisor"]),
        manager=("周建国", "13985101201"),
    )
    elevator = project.items.get(vote_need="elevator")
    project_services.item_link_vote(item=elevator, vote=vote, actor=staff)
    _date_creation(project, d["created"])
    project = _advance(
        project,
        staff,
        {
            s: d[k]
            for s, k in (("approved", "approved"), ("tendering", "tendering"), ("works", "works"))
        },
    )
    return _finish(project, staff, admin)


FINISHED_PARTICIPANTS = {
    "housing_bureau": "云岩区住房和城乡建设局 刘洋",
    "street": "盐务街街道办事处 陈静",
    "community": "金仓社区居委会 张丽",
    "owners": "业主代表 赵德明、孙桂芳",
    "builder": "贵州建工集团第三工程有限公司 周建国",
    "supervisor": "贵州建科工程监理有限公司 吴斌",
}


def _finish(project: Project, staff: User, admin: User) -> Project:
    """盐务街12号院 from the works to 完成: every item reported done, paid, accepted (the road
    failed first and passed on re-inspection), signed by the resident supervisor; then the
    residents' survey, answered and published."""
    d = FINISHED
    estate = project.estates.get()
    supervisor = _named_resident(estate, "赵德明", "13985107788")
    progress_services.project_set_resident_supervisor(
        project=project, person=_person(supervisor), actor=staff
    )
    _schedule(project, staff, d["works"], 80)
    _report(project, admin, d["acceptance"], [100] * 5)
    for item in project.items.all():
        if item.percent < 100:
            progress_services.progress_report(
                item=item,
                percent=100,
                actor=admin,
                reported_at=_aware(d["acceptance"] - dt.timedelta(days=3)),
                client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"xiaoqu-demo/{item.pk}/done"),
            )
    _money(project, staff, 1.0, d["works"])
    _elevator_contributions(project, staff)
    project = _advance(project, staff, {"acceptance": d["acceptance"]})
    _accept(project, staff, supervisor)
    project = _advance(project, staff, {"completed": d["completed"]})
    _survey(project, estate, staff)
    _date_history(project)
    return project


def _date_history(project: Project) -> None:
    """The finished project's events, written when the demo loads, dated when they happened:
    a progress event when its report was made, money on its ledger date, the acceptance's
    steps on its days, the rest (schedule, resident supervisor, split) when works began."""
    d = FINISHED
    events = ProjectEvent.objects.filter(project=project, at__gt=_aware(d["completed"], 23))
    reports = iter(
        ProgressUpdate.objects.filter(item__project=project)
        .order_by("pk")
        .values_list("reported_at", flat=True)
    )
    ledger = iter(project.ledger.order_by("pk").values_list("on", flat=True))
    acceptance = {
        "acceptance_open": d["acceptance"],
        "acceptance_check": d["acceptance"],
        "acceptance_reinspect": d["acceptance"] + dt.timedelta(days=5),
        "acceptance_sign": d["acceptance"] + dt.timedelta(days=6),
        "acceptance_conclude": d["acceptance"] + dt.timedelta(days=6),
    }
    for event in events.order_by("pk"):
        if event.kind == "progress":
            at = next(reports)
        elif event.kind.startswith("money_"):
            at = _aware(next(ledger), 11)
        elif event.kind in acceptance:
            at = _aware(acceptance[event.kind], 15)
        elif event.kind.startswith("survey_"):
            continue
        else:
            at = _aware(d["works"], 9)
        ProjectEvent.objects.filter(pk=event.pk).update(at=at)


def _accept(project: Project, staff: User, supervisor: User) -> None:
    d = FINISHED
    acceptance = acceptance_services.acceptance_open(
        project=project, held_on=d["acceptance"], participants=FINISHED_PARTICIPANTS, actor=staff
    )
    road = project.items.get(title="院内道路及院坝硬化")
    for item in project.items.order_by("pk"):
        failed = item.pk == road.pk
        acceptance_services.acceptance_check(
            acceptance=acceptance,
            item=item,
            passed=not failed,
            actor=staff,
            defects="院坝东侧两处积水，排水坡度不足" if failed else "",
            rectify_by=d["acceptance"] + dt.timedelta(days=5) if failed else None,
        )
    acceptance_services.acceptance_reinspect(
        acceptance=acceptance,
        item=road,
        passed=True,
        on=d["acceptance"] + dt.timedelta(days=5),
        actor=staff,
    )
    signed = _aware(d["acceptance"] + dt.timedelta(days=6), 16)
    acceptance_services.acceptance_sign_resident(
        acceptance=acceptance, actor=supervisor, now=signed
    )
    acceptance_services.acceptance_conclude(
        acceptance=acceptance,
        actor=staff,
        conclusion="五项工程全部合格，同意交付使用。",
        now=signed + dt.timedelta(hours=1),
    )


def _elevator_contributions(project: Project, staff: User) -> None:
    """The owners' share of the elevator split by floor (the ground floor pays nothing)."""
    elevator = project.items.get(vote_need="elevator")
    money_services.contribution_split(
        item=elevator,
        method="floor",
        amount=_yuan(money_services.owners_planned_fen(elevator)),
        actor=staff,
        coefficients=money_services.default_floor_coefficients(),
    )


SURVEY_COMMENTS = [
    "电梯装好了，老人家下楼方便多了",
    "院坝平整了，下雨不积水了",
    "议事厅建得好，开会有地方了",
    "希望以后有人管，不要几年又烂了",
]
RATINGS = ["satisfied", "basic", "unsatisfied"]


def _survey(project: Project, estate: Estate, staff: User) -> None:
    """The residents' verdict (效果共评): most households answered, most on paper at their
    door, and the results were published to the estate (dated after the completion)."""
    today = timezone.localdate()
    survey = survey_services.survey_open(
        project=project, estate=estate, opens_on=today, closes_on=today, actor=staff
    )
    rng = random.Random(2025)
    items = list(project.items.order_by("pk"))
    for k, dwelling in enumerate(estate.dwellings.order_by("pk")):
        if rng.random() > 0.88:
            continue
        survey_services.survey_paper_entry(
            survey=survey,
            dwelling=dwelling,
            overall=rng.choices(RATINGS, [78, 17, 5])[0],
            actor=staff,
            ratings={i.pk: rng.choices(RATINGS, [80, 15, 5])[0] for i in items},
            comment=SURVEY_COMMENTS[k % len(SURVEY_COMMENTS)] if k % 9 == 0 else "",
        )
    survey_services.survey_close(survey=survey, actor=staff)
    survey_services.survey_publish(survey=survey, actor=staff)
    opens = FINISHED["completed"] + dt.timedelta(days=1)
    Survey.objects.filter(pk=survey.pk).update(
        opens_on=opens,
        closes_on=opens + dt.timedelta(days=20),
        published_at=_aware(opens + dt.timedelta(days=22)),
    )
    SurveyResponse.objects.filter(survey=survey).update(at=_aware(opens + dt.timedelta(days=7)))
    for kind, day in (("survey_open", 0), ("survey_close", 20), ("survey_publish", 22)):
        ProjectEvent.objects.filter(project=project, kind=kind).update(
            at=_aware(opens + dt.timedelta(days=day))
        )


def _finished_works(estate: Estate) -> list[Work]:
    entrance = _elevator_entrance(estate)
    label = f"{entrance.building.number}栋{entrance.number}单元"
    return [
        dataclasses.replace(w, title=w.title.format(entrance=label)) if "{" in w.title else w
        for w in FINISHED_WORKS
    ]


def _elevator_entrance(estate: Estate) -> Entrance:
    """The entrance of the building the register shows with an added elevator."""
    building = estate.buildings.filter(has_elevator=True).order_by("number").first() or (
        estate.buildings.order_by("number").first()
    )
    entrance = Entrance.objects.filter(building=building).order_by("number").first()
    assert entrance is not None
    return entrance


def _elevator_vote(estate: Estate, staff: User) -> Vote:
    """The vote of the entrance that got its elevator: passed, notice period long over."""
    entrance = _elevator_entrance(estate)
    building = entrance.building
    opens, closes = timezone.make_aware(VOTE_OPENS), timezone.make_aware(VOTE_CLOSES)
    vote = decisions.vote_create(
        estate=estate,
        matter=7,
        title=f"{estate.name}{building.number}栋{entrance.number}单元加装电梯",
        description="在单元北侧加装电梯一部；费用由中央补助、地方财政和本单元业主按楼层分摊。",
        opens_at=opens,
        closes_at=closes,
        scope=VoteScope.ENTRANCE,
        entrance=entrance,
        actor=staff,
    )
    return paper_vote_to_result(
        vote,
        staff,
        opens=opens,
        closes=closes,
        cast_on=opens + dt.timedelta(days=3),
        seed=283,
        turnout=0.9,
        agree=0.92,
    )


def load_demo_renovation_history() -> None:
    """The finished 2025 project of 盐务街12号院 (loaded before the needs demo)."""
    estate = Estate.objects.filter(code=FINISHED_CODE).first()
    staff, admin = _user(STAFF_PHONE), _user(ADMIN_PHONE)
    if estate is None or staff is None or admin is None:
        return
    if Project.objects.filter(code="YWJ-2025-01").exists():
        return
    with transaction.atomic():
        _companies()
        batch = _batch(admin)
        _finished_history(estate, staff, admin, batch)


def _companies() -> None:
    province = Region.objects.get(code=PROVINCE_CODE)
    for key in COMPANIES:
        kind = (
            CompanyKind.BUILDER
            if key.startswith("builder")
            else CompanyKind.SUPERVISOR
            if key.startswith("supervisor")
            else CompanyKind.DESIGNER
        )
        _company(key, kind, province)


def _batch(admin: User) -> Batch:
    existing = Batch.objects.filter(name=BATCH_NAME).first()
    if existing is not None:
        return existing
    codes = [FINISHED_CODE, BIBO_CODE, DANGWU_CODE, JIXIANG_CODE]
    estates = list(Estate.objects.filter(code__in=codes)) + list(
        Estate.objects.filter(community__code=XINGGUAN_COMMUNITY)
    )
    batch = project_services.batch_create(
        region=Region.objects.get(code=PROVINCE_CODE),
        year=2025,
        name=BATCH_NAME,
        estates=sorted(estates, key=lambda e: e.code),
        actor=admin,
        budget_fen=sum(e.households for e in estates) * 1_200_000,
    )
    Batch.objects.filter(pk=batch.pk).update(created_at=_aware(dt.date(2025, 1, 20)))
    return batch


# --- projects in works ----------------------------------------------------------------------------


def _in_works(today: dt.date) -> dict[str, dt.date]:
    """The calendar of the projects in works: approved half a year ago, works for 75 days."""
    return {
        "planned": today - dt.timedelta(days=200),
        "approved": today - dt.timedelta(days=170),
        "tendering": today - dt.timedelta(days=140),
        "works": today - dt.timedelta(days=75),
    }


def _bibo(admin: User, batch: Batch, today: dt.date) -> Project:
    """碧波水岸小区: the residents' demands, their plan and the project in works."""
    estate = Estate.objects.get(code=BIBO_CODE)
    dates = _in_works(today)
    _hear(
        estate,
        admin,
        dates["planned"] - dt.timedelta(days=40),
        "碧波水岸小区中心广场",
        BIBO_OPINIONS,
    )
    _publish_list(estate, admin, dates["planned"] - dt.timedelta(days=30))
    _published_plan(
        estate, admin, "碧波水岸小区改造方案", BIBO_WORKS, dates["planned"] - dt.timedelta(days=10)
    )
    project = _project(
        [estate],
        admin,
        code="SQ-2025-03",
        name="碧波水岸小区老旧小区改造工程",
        batch=batch,
        builder=Company.objects.get(name=COMPANIES["builder_shiqian"]),
        supervisor=Company.objects.get(name=COMPANIES["supervisor_tongren"]),
        manager=("杨志刚", "13985102233"),
    )
    _members(project, (CONTRACTOR_PHONE, SUPERVISOR_PHONE))
    _date_creation(project, dates["planned"])
    community = estate.community
    group = _org(PartyOrgKind.GROUP, "碧波水岸小区改造项目临时党小组", community)
    members = _residents_as_members(group, estate, 5)
    zone, _ = ResponsibilityZone.objects.get_or_create(
        region=community, number=1, defaults={"name": "碧波水岸党员责任区", "leader": members[0]}
    )
    zone.estates.add(estate)
    _grid(estate, members[-1].person)
    party_services.project_set_party(project=project, actor=admin, organization=group, zones=[zone])
    project = _advance(project, admin, dates)
    _bibo_site(project, admin, today)
    return project


def _xingguan(admin: User, batch: Batch, today: dt.date) -> Project:
    """兴关社区's three estates in one project, with the street's zones and 突击队."""
    community = Region.objects.get(code=XINGGUAN_COMMUNITY)
    estates = list(Estate.objects.filter(community=community).order_by("code"))
    dates = _in_works(today)
    for i, estate in enumerate(estates):
        works = XINGGUAN_WORKS[: 3 - i % 2]
        _published_plan(
            estate, admin, f"{estate.name}改造方案", works, dates["planned"] - dt.timedelta(days=20)
        )
    project = _project(
        estates,
        admin,
        code="NM-2025-07",
        name="兴关社区老旧小区改造工程（三个小区）",
        batch=batch,
        builder=Company.objects.get(name=COMPANIES["builder"]),
        supervisor=Company.objects.get(name=COMPANIES["supervisor"]),
        manager=("罗明", "13985103344"),
    )
    _date_creation(project, dates["planned"])
    street = community.parent
    zones = list(ResponsibilityZone.objects.filter(region=street).order_by("number"))
    teams = list(Team.objects.filter(region=street))
    committee = PartyOrganization.objects.filter(name="兴关社区党委").first()
    party_services.project_set_party(
        project=project, actor=admin, organization=committee, zones=zones, teams=teams
    )
    project = _advance(project, admin, dates)
    members = list(party_services.project_party_members(project).order_by("pk")[:6])
    for i, member in enumerate(members):
        day = today + dt.timedelta(days=i % 3)
        party_services.duty_add(
            project=project,
            actor=admin,
            member=member,
            duty=DutyType.SITE if i % 2 == 0 else DutyType.RECEPTION,
            date=day,
            starts=dt.time(8 if i % 2 == 0 else 14),
            ends=dt.time(12 if i % 2 == 0 else 18),
            place="兴关路机械厂宿舍施工现场" if i % 2 == 0 else "兴关社区党群服务站",
        )
    _site(project, admin, today, [60, 45, 20])
    return project


MARKET_EVERY = 5  # 党武's market (赶集) comes round every five days
TRAFFIC_POSTS = ("下坝路口", "思孟路口")


def _dangwu(admin: User, batch: Batch, today: dt.date) -> Project:
    """党武集镇居民点: the project department's Party branch and its 临时交警 on market days."""
    estate = Estate.objects.get(code=DANGWU_CODE)
    dates = _in_works(today)
    _published_plan(
        estate,
        admin,
        "党武集镇城中村整治提升方案",
        DANGWU_WORKS,
        dates["planned"] - dt.timedelta(days=20),
    )
    project = _project(
        [estate],
        admin,
        code="GA-2025-02",
        name="党武街道集镇城中村整治提升项目",
        batch=batch,
        builder=Company.objects.get(name=COMPANIES["builder_guian"]),
        supervisor=Company.objects.get(name=COMPANIES["supervisor"]),
        manager=("钟华彬", "13985104455"),
    )
    _date_creation(project, dates["planned"])
    street = estate.community.parent
    assert street is not None
    working = _org(PartyOrgKind.WORKING_COMMITTEE, "党武街道党工委", street)
    branch = _org(
        PartyOrgKind.BRANCH, "党武街道集镇城中村整治提升项目部党支部", estate.community, working
    )
    crew = [_named_member(branch, estate, n) for n in ("石弘杨", "钟华彬", "陈永福", "吴晓梅")]
    party_services.project_set_party(project=project, actor=admin, organization=branch)
    project = _advance(project, admin, dates)
    first = today - dt.timedelta(days=today.toordinal() % MARKET_EVERY)
    for k in range(-2, 6):
        day = first + dt.timedelta(days=k * MARKET_EVERY)
        for i, post in enumerate(TRAFFIC_POSTS):
            party_services.duty_add(
                project=project,
                actor=admin,
                member=crew[(k + i) % len(crew)],
                duty=DutyType.TRAFFIC,
                date=day,
                starts=dt.time(7, 0),
                ends=dt.time(11, 30),
                place=post,
            )
    _site(project, admin, today, [70, 50, 35])
    return project


def _jixiang(admin: User, batch: Batch, today: dt.date) -> Project:
    estate = Estate.objects.get(code=JIXIANG_CODE)
    dates = _in_works(today)
    _published_plan(
        estate, admin, "吉祥小区改造方案", JIXIANG_WORKS, dates["planned"] - dt.timedelta(days=20)
    )
    project = _project(
        [estate],
        admin,
        code="YY-2025-05",
        name="吉祥小区老旧小区改造工程",
        batch=batch,
        builder=Company.objects.get(name=COMPANIES["builder"]),
        supervisor=Company.objects.get(name=COMPANIES["supervisor"]),
        manager=("何平", "13985105566"),
    )
    _date_creation(project, dates["planned"])
    project = _advance(project, admin, dates)
    _site(project, admin, today, [40, 25])
    return project


def _site(project: Project, admin: User, today: dt.date, shares: list[int]) -> None:
    """Schedule, progress reported by the site (here by the administrator's account, since
    the demo's contractor login works in 碧波水岸小区) and money in proportion."""
    _schedule(project, admin, _started(project), 90)
    _report(project, admin, today, shares * 3)
    _money(project, admin, 0.7, _started(project))


def load_demo_renovation() -> None:
    """The 2025 batch's projects in works (after the needs and decisions demos)."""
    admin = _user(ADMIN_PHONE)
    if admin is None or Project.objects.filter(code="SQ-2025-03").exists():
        return
    today = timezone.localdate()
    with transaction.atomic():
        _companies()
        batch = _batch(admin)
        _bibo(admin, batch, today)
        _xingguan(admin, batch, today)
        _dangwu(admin, batch, today)
        _jixiang(admin, batch, today)
