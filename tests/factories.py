"""Plain factory functions for tests (factories over mocks)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from xiaoqu.accounts.models import RoleAssignment, User
from xiaoqu.registry.models import (
    Building,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    Person,
    Region,
    RegionLevel,
)

_seq = itertools.count(1)


def region_chain(
    names: tuple[str, ...] = ("贵州省", "贵阳市", "云岩区", "盐务街街道", "金仓社区"),
    parent: Region | None = None,
) -> list[Region]:
    """A province → community chain; reuses existing nodes with the same names."""
    levels = list(RegionLevel)[(parent.depth + 1) if parent else 0 :]
    chain = []
    for name, level in zip(names, levels, strict=False):
        parent, _ = Region.objects.get_or_create(
            parent=parent, name=name, defaults={"level": level}
        )
        chain.append(parent)
    return chain


def make_estate(
    community: Region | None = None,
    *,
    name: str | None = None,
    year_built: int = 1995,
    buildings: int = 1,
    entrances: int = 1,
    floors: int = 2,
    per_floor: int = 2,
    area: Decimal = Decimal("80.00"),
) -> Estate:
    community = community or region_chain()[-1]
    n = next(_seq)
    estate = Estate.objects.create(
        code=f"E{n:06d}", name=name or f"测试小区{n}", community=community, year_built=year_built
    )
    for b in range(1, buildings + 1):
        building = Building.objects.create(estate=estate, number=str(b), storeys=max(floors, 1))
        for e in range(1, entrances + 1):
            entrance = Entrance.objects.create(building=building, number=str(e))
            for f in range(1, floors + 1):
                for u in range(1, per_floor + 1):
                    Dwelling.objects.create(
                        entrance=entrance, number=f"{f}{u:02d}", floor=f, area=area
                    )
    estate.households = estate.dwellings.count()
    estate.save()
    return estate


def make_person(name: str = "张三", phone: str | None = None) -> Person:
    n = next(_seq)
    return Person.objects.create(name=name, phone=phone or f"138{n:08d}")


def make_owner(dwelling: Dwelling, name: str = "张三") -> Person:
    person = make_person(name)
    Ownership.objects.create(person=person, dwelling=dwelling)
    return person


def make_user(
    role: str | None = None,
    *,
    region: Region | None = None,
    estate: Estate | None = None,
    person: Person | None = None,
    password: str = "pass-1234-word",
) -> User:
    n = next(_seq)
    user = User.objects.create_user(
        phone=f"139{n:08d}", password=password, name=f"用户{n}", person=person
    )
    if role:
        RoleAssignment.objects.create(user=user, role=role, region=region, estate=estate)
    return user


# --- A two-district world for scope tests (API and page matrices) -------------------------

# The role each scope-test user holds and where: "estate" = the in-scope estate, a region
# level = that node of the in-scope chain, None = unscoped (global administrator).
SCOPE_WORLD_ROLES: dict[str, str | None] = {
    "resident": "estate",
    "owner": "estate",
    "grid_worker": "estate",
    "party_member": "community",
    "community_staff": "community",
    "street_staff": "street",
    "housing_bureau": "district",
    "property_manager": "estate",
    "owners_committee": "estate",
    "contractor": "estate",
    "supervisor": "estate",
    "admin": None,
}


def make_scope_world() -> dict:
    """Two estates in two districts, one user per role scoped to the first ("in") estate.

    The resident lives in, and the owner owns, a dwelling of the in-scope estate; every
    dwelling of both estates has an owner with a phone and an ID number (last four kept).
    Names make leaks easy to spot: 界内小区 is in scope, 界外小区 is not.
    """
    from xiaoqu.core.pii import hash_id_number
    from xiaoqu.registry.models import Residency

    chain_in = region_chain()
    chain_out = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
    estate_in = make_estate(chain_in[-1], name="界内小区", entrances=2)
    estate_out = make_estate(chain_out[-1], name="界外小区", year_built=2008)
    by_level = dict(zip([level.value for level in RegionLevel], chain_in, strict=True))
    owners = {}
    for i, dwelling in enumerate(Dwelling.objects.order_by("pk")):
        number = f"52010219800101{i:04d}"
        person = Person.objects.create(
            name=f"业主{dwelling.estate.name[:2]}{i}",
            phone=f"137{i:08d}",
            id_hash=hash_id_number(number),
            id_last4=number[-4:],
        )
        Ownership.objects.create(person=person, dwelling=dwelling)
        owners[dwelling.pk] = person
    home = list(estate_in.dwellings.order_by("pk")[:2])
    resident_person = make_person("居民甲")
    Residency.objects.create(person=resident_person, dwelling=home[0], relation="tenant")
    users = {}
    for role, scope in SCOPE_WORLD_ROLES.items():
        person = None
        if role == "resident":
            person = resident_person
        elif role == "owner":
            person = owners[home[1].pk]
        kwargs: dict = {}
        if scope == "estate":
            kwargs["estate"] = estate_in
        elif scope is not None:
            kwargs["region"] = by_level[scope]
        # No password: these users log in with force_login or a token, and hashing one
        # per role would be most of the set-up time.
        users[role] = make_user(role, person=person, password=None, **kwargs)
    world = {
        "chain_in": chain_in,
        "chain_out": chain_out,
        "estate_in": estate_in,
        "estate_out": estate_out,
        "home_dwellings": home,
        "users": users,
    }
    world["votes"] = {
        "in": make_open_vote(estate_in, users["admin"]),
        "out": make_open_vote(estate_out, users["admin"]),
    }
    world["plans"] = {
        "in": make_plan_in_consultation(estate_in, users["admin"]),
        "out": make_plan_in_consultation(estate_out, users["admin"]),
    }
    world["projects"] = {
        "in": make_project(
            estate_in, users["admin"], members=(users["contractor"], users["supervisor"])
        ),
        "out": make_project(estate_out, users["admin"]),
    }
    world["needs"] = {
        "in": make_needs_world(estate_in, home, users["admin"]),
        "out": make_needs_world(estate_out, list(estate_out.dwellings.order_by("pk")[:2]), None),
    }
    # Progress (renovation.services.progress): a site photo and a hidden-works record each.
    world["progress"] = {
        "in": make_progress_world(world["projects"]["in"], users["admin"]),
        "out": make_progress_world(world["projects"]["out"], users["admin"]),
    }
    # Residents during and after the works (renovation.services.complaints, acceptance,
    # surveys): a complaint, an open acceptance and an open survey each, written directly
    # (the world's projects are in 储备; the services' own tests cover their stage rules).
    world["residents"] = {
        "in": make_residents_world(world["projects"]["in"], users["resident"], users["admin"]),
        "out": make_residents_world(world["projects"]["out"], None, users["admin"]),
    }
    # Annual batches (renovation.services.batches): one per community, holding its estate.
    world["batches"] = {
        "in": make_batch(chain_in[-1], [estate_in], users["admin"]),
        "out": make_batch(chain_out[-1], [estate_out], users["admin"]),
    }
    # Money (renovation.services.money): a receipt with a voucher, the elevator's residents'
    # money split over the estate's dwellings.
    world["money"] = {
        "in": make_money_world(world["projects"]["in"], users["admin"]),
        "out": make_money_world(world["projects"]["out"], users["admin"]),
    }
    # Management bodies (stewardship.services.bodies): a property company, its covenant, a
    # joint meeting, and the property manager's seat in the in-scope estate.
    world["bodies"] = {
        "in": make_bodies_world(estate_in, users["admin"], users["property_manager"]),
        "out": make_bodies_world(estate_out, users["admin"]),
    }
    # The maintenance fund (stewardship.services.fund): a deposit for every dwelling and an
    # emergency use applied for, not yet approved.
    world["fund"] = {
        "in": make_fund_world(estate_in, users["admin"]),
        "out": make_fund_world(estate_out, users["admin"]),
    }
    # Work orders (stewardship.services.orders): the resident's and the owner's own orders in
    # the in-scope estate; orders of nobody in the world outside it.
    world["orders"] = {
        "in": make_orders_world(estate_in, users),
        "out": make_orders_world(estate_out, {}),
    }
    # Monthly reports (stewardship.services.evaluation): last month's report of each estate.
    world["reports"] = {
        "in": make_report(estate_in),
        "out": make_report(estate_out),
    }
    # Duty and access (stewardship.services.duty, .access): a shift running now, a gate with a
    # device, an owner's card and two events (one of an unknown card, flagged) in each estate.
    world["watch"] = {
        "in": make_watch_world(estate_in, users["admin"]),
        "out": make_watch_world(estate_out, users["admin"]),
    }
    # Personal information (privacy.services): an open correction request by the owner of
    # each estate's first dwelling (the in-scope one by the world's owner).
    world["corrections"] = {
        "in": make_correction(users["owner"]),
        "out": make_correction(
            make_user(person=Ownership.objects.filter(dwelling__estate=estate_out).first().person)
        ),
    }
    return world


def make_correction(user: User, text: str = "手机号已换，请更正为 13800000000"):
    """An open correction request of ``user`` (who must have a home), through the service."""
    from xiaoqu.privacy.services import correction_request

    return correction_request(user=user, text=text)


def make_open_vote(estate: Estate, actor: User, matter: int = 7):
    """An open estate-wide vote (its electorate frozen) for the scope matrix."""
    import datetime as dt

    from django.utils import timezone

    from xiaoqu.decisions import services

    now = timezone.now()
    vote = services.vote_create(
        estate=estate,
        matter=matter,
        title="加装电梯表决",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=14),
        actor=actor,
    )
    return services.vote_open(vote=vote, actor=actor)


def make_plan_in_consultation(estate: Estate, actor: User):
    """A renovation plan with one safety item, open for residents' comments."""
    import datetime as dt
    from decimal import Decimal

    from xiaoqu.decisions import services

    plan = services.plan_create(estate=estate, title="改造方案", actor=actor)
    services.plan_item_add(
        plan=plan,
        actor=actor,
        title="更换燃气立管",
        quantity=Decimal(8),
        unit="户",
        cost_yuan=Decimal("16000"),
        funding_yuan={"utilities": Decimal("16000")},
        klass="basic",
        reason="安全隐患整治",
    )
    today = dt.date.today()
    return services.plan_open_consultation(
        plan=plan, starts=today, ends=today + dt.timedelta(days=10), actor=actor
    )


def make_needs_world(estate: Estate, homes: list[Dwelling], actor) -> dict:
    """Needs objects of one estate for the scope matrix: a campaign with a visit, a meeting,
    opinions heard at ``homes[0]`` and ``homes[1]``, their demands and a published list.
    """
    import datetime as dt
    import uuid

    from django.utils import timezone

    from xiaoqu.needs import services

    actor = actor or make_user("admin", password=None)
    campaign = services.campaign_create(
        name=f"{estate.name}敲门行动",
        estates=[estate],
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 3, 31),
        actor=actor,
    )
    visit = services.visit_record(
        client_key=uuid.uuid4(),
        dwelling=homes[0],
        visitor=actor,
        visited_at=timezone.now(),
        outcome="met",
        campaign=campaign,
        opinions=[services.OpinionInput(text="楼道灯坏了，晚上上楼黑黢黢的")],
    ).visit
    from xiaoqu.meetings.services import meeting_create, meeting_hear

    meeting = meeting_create(
        estate=estate,
        kind="courtyard",
        held_on=dt.date(2026, 3, 5),
        place=f"{estate.name}院坝",
        attendance=30,
        actor=actor,
    )
    (heard,) = meeting_hear(
        meeting=meeting,
        items=[services.OpinionInput(text="下雨屋顶就漏水", dwelling=homes[1])],
        actor=actor,
    )
    opinions = [visit.opinions.get(), heard]
    demand_list = services.demand_list_publish(estate=estate, actor=actor)
    return {
        "campaign": campaign,
        "visit": visit,
        "meeting": meeting,
        "opinions": opinions,
        "demand": opinions[0].demand,
        "list": demand_list,
    }


# --- Party organisations, members and grids (organization app) ---------------------------


def make_party_org(kind: str = "group", *, region: Region | None = None, name=None, parent=None):
    """A Party organisation attached to ``region`` (default: 金仓社区)."""
    from xiaoqu.organization.models import PartyOrganization

    n = next(_seq)
    return PartyOrganization.objects.create(
        kind=kind,
        name=name or f"第{n}党组织",
        region=region or region_chain()[-1],
        parent=parent,
    )


def make_member(organization=None, *, name: str = "党员", marks: tuple[str, ...] = ()):
    """A Party member (a new person) of ``organization`` (default: a 党小组 in 金仓社区)."""
    from xiaoqu.organization.models import PartyMember, PartyMemberMark

    member = PartyMember.objects.create(
        person=make_person(name), organization=organization or make_party_org()
    )
    for mark in marks:
        PartyMemberMark.objects.create(member=member, mark=mark)
    return member


def make_grid(buildings=(), *, community: Region | None = None, name: str | None = None):
    """A grid over ``buildings`` in their community (or ``community``), with an empty triangle."""
    from xiaoqu.organization.models import Grid, GridBuilding, IronTriangle

    buildings = list(buildings)
    community = community or (buildings[0].estate.community if buildings else region_chain()[-1])
    n = next(_seq)
    grid = Grid.objects.create(code=f"G{n:06d}", name=name or f"第{n}网格", community=community)
    GridBuilding.objects.bulk_create([GridBuilding(grid=grid, building=b) for b in buildings])
    IronTriangle.objects.create(grid=grid)
    return grid


# --- Renovation projects (renovation app) -------------------------------------------------

# (title, klass, cost in yuan, funding in yuan by plan source) of a typical plan.
PLAN_ITEMS: tuple[tuple[str, str, int, dict[str, int]], ...] = (
    ("雨污分流管网改造", "basic", 300000, {"central": 200000, "local": 100000}),
    ("人行道铺设透水砖", "improve", 120000, {"central": 80000, "local": 40000}),
    ("加装电梯", "enhance", 600000, {"central": 300000, "owners": 300000}),
)


def make_published_plan(estate: Estate, actor: User | None = None, items=PLAN_ITEMS):
    """A published plan of ``estate`` with ``items`` (written directly: the decisions tests
    cover how a plan is drawn up and consulted on)."""
    from django.utils import timezone

    from xiaoqu.decisions.models import Plan, PlanItem, PlanStatus

    version = (estate.plans.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    plan = Plan.objects.create(
        estate=estate,
        version=version,
        title=f"{estate.name}改造方案",
        status=PlanStatus.PUBLISHED,
        published_at=timezone.now(),
        created_by=actor,
    )
    for title, klass, cost, funding in items:
        PlanItem.objects.create(
            plan=plan,
            title=title,
            klass=klass,
            reason="安全隐患整治" if klass == "basic" else "居民议事会提出",
            quantity=Decimal(1),
            unit="项",
            cost_fen=cost * 100,
            **{f"fund_{source}_fen": yuan * 100 for source, yuan in funding.items()},
        )
    return plan


def make_company(kind: str, name: str | None = None, region: Region | None = None):
    from xiaoqu.renovation.models import Company

    n = next(_seq)
    return Company.objects.create(
        kind=kind,
        name=name or f"{kind}单位{n}",
        region=region or region_chain()[0],
        contact_name="王经理",
        contact_phone=f"0851{n:07d}",
    )


def make_project(
    estate: Estate,
    actor: User,
    *,
    items=PLAN_ITEMS,
    stage: str | None = None,
    members: tuple[User, ...] = (),
):
    """A project from a new published plan of ``estate``, with a builder and a supervisor.

    ``stage`` moves it there through the services (up to 施工; later stages need finished
    items and an acceptance, which the tests of those stages build themselves). ``members``
    are contractor and supervisor users put on the project.
    """
    from xiaoqu.renovation.models import CompanyKind
    from xiaoqu.renovation.services import projects

    make_published_plan(estate, actor, items)
    n = next(_seq)
    project = projects.project_create(
        estates=[estate], name=f"{estate.name}改造工程", code=f"P{n:06d}", actor=actor
    )
    projects.project_set_parties(
        project=project,
        actor=actor,
        builder=make_company(CompanyKind.BUILDER),
        supervisor=make_company(CompanyKind.SUPERVISOR),
        site_manager_name="李工",
        site_manager_phone="13900001111",
    )
    for user in members:
        projects.project_member_add(project=project, user=user, actor=actor)
    if stage is not None:
        from xiaoqu.renovation.models import STAGE_ORDER

        while STAGE_ORDER.index(project.stage) < STAGE_ORDER.index(stage):
            project = projects.project_advance(project=project, actor=actor)
    return project


# --- Progress on site (renovation.services.progress) -------------------------------------------


def make_jpeg(
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    taken: str | None = None,
    offset: str | None = None,
    size: tuple[int, int] = (32, 24),
) -> bytes:
    """A small real JPEG, with an EXIF block holding DateTimeOriginal ("2026:03:14 09:30:05")
    and a GPS IFD when given (degrees, negative for S and W)."""
    import io

    from PIL import ExifTags, Image

    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "xiaoqu-test"
    if taken is not None:
        main = exif.get_ifd(ExifTags.IFD.Exif)
        main[ExifTags.Base.DateTimeOriginal] = taken
        if offset is not None:
            main[ExifTags.Base.OffsetTimeOriginal] = offset
    if latitude is not None and longitude is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)

        def dms(value: float) -> tuple[float, float, float]:
            value = abs(value)
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            return (
                float(degrees),
                float(minutes),
                round((value - degrees - minutes / 60) * 3600, 4),
            )

        gps[1], gps[2] = ("N" if latitude >= 0 else "S"), dms(latitude)
        gps[3], gps[4] = ("E" if longitude >= 0 else "W"), dms(longitude)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def make_progress_world(project, actor: User) -> dict:
    """A site photo (a real file, served by renovation:site_photo) and a hidden-works record
    on the project's first item, written directly (the progress tests cover the services)."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from xiaoqu.renovation.models import HiddenWork, SitePhoto

    item = project.items.order_by("pk").first()
    photo = SitePhoto(project=project, item=item, caption="管沟开挖", uploaded_by=actor)
    photo.image.save("site.jpg", ContentFile(make_jpeg()), save=False)
    photo.save()
    hidden = HiddenWork.objects.create(
        item=item,
        description="雨水管回填前",
        photo=photo,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    return {"photo": photo, "hidden": hidden}


# --- Residents during and after the works (complaints, joint acceptance, survey) ----------------


def make_residents_world(project, author: User | None, actor: User) -> dict:
    """A complaint (by ``author``, else a new owner of the estate), an open joint acceptance
    with one item checked and an open satisfaction survey of the project's first estate,
    written directly with the ORM."""
    import datetime as dt

    from django.utils import timezone

    from xiaoqu.renovation.models import Acceptance, AcceptanceCheck, Complaint, Survey

    estate = project.estates.order_by("pk").first()
    if author is None:
        dwelling = estate.dwellings.order_by("pk").first()
        author = make_user(person=dwelling.ownerships.first().person, password=None)
    now = timezone.now()
    complaint = Complaint.objects.create(
        project=project,
        estate=estate,
        kind="noise",
        text="晚上十点后还在切割钢管",
        place="1栋北侧",
        author=author,
        created_at=now,
        due_at=now + dt.timedelta(hours=48),
    )
    acceptance = Acceptance.objects.create(
        project=project,
        held_on=timezone.localdate(),
        participants={
            "housing_bureau": "住建王",
            "street": "街道李",
            "community": "社区张",
            "owners": "业主代表赵",
            "builder": "施工陈",
            "supervisor": "监理刘",
        },
        created_by=actor,
    )
    AcceptanceCheck.objects.create(
        acceptance=acceptance, item=project.items.order_by("pk").first(), passed=True
    )
    today = timezone.localdate()
    survey = Survey.objects.create(
        project=project,
        estate=estate,
        opens_on=today,
        closes_on=today + dt.timedelta(days=14),
        households=estate.dwellings.count(),
    )
    return {"complaint": complaint, "acceptance": acceptance, "survey": survey}


def make_project_in_acceptance(estate: Estate, actor: User, **kwargs):
    """A project (``make_project``) moved to 验收: through 施工, its items cleared for works
    finished (progress written directly; the progress tests cover how it is reported)."""
    from xiaoqu.renovation.models import ProjectStage
    from xiaoqu.renovation.services import projects

    project = make_project(estate, actor, stage=ProjectStage.WORKS, **kwargs)
    cleared = [i.pk for i in project.items.all() if projects.item_clearance(i)[0]]
    project.items.filter(pk__in=cleared).update(percent=100)
    return projects.project_advance(project=project, actor=actor)


def make_resident_supervisor(project, dwelling: Dwelling | None = None) -> User:
    """A user who lives in the project's estate and is its resident supervisor (居民监督员)."""
    from xiaoqu.registry.models import Residency

    estate = project.estates.order_by("pk").first()
    dwelling = dwelling or estate.dwellings.order_by("-pk").first()
    person = make_person("监督员老周")
    Residency.objects.create(person=person, dwelling=dwelling, relation="family")
    project.resident_supervisor = person
    project.save(update_fields=["resident_supervisor"])
    return make_user(person=person, password=None)


ACCEPTANCE_NAMES = {
    "housing_bureau": "住建局王科长",
    "street": "街道李主任",
    "community": "社区张书记",
    "owners": "业主代表赵大爷、钱阿姨",
    "builder": "施工单位陈经理",
    "supervisor": "监理单位刘工",
}


def make_passed_acceptance(project, actor: User, supervisor: User | None = None):
    """The project's joint acceptance, every cleared item passed, signed and concluded."""
    from django.utils import timezone

    from xiaoqu.renovation.services import acceptance as services

    supervisor = supervisor or make_resident_supervisor(project)
    acceptance = services.acceptance_open(
        project=project,
        held_on=timezone.localdate(),
        participants=ACCEPTANCE_NAMES,
        actor=actor,
    )
    for item in services.cleared_items(project):
        services.acceptance_check(acceptance=acceptance, item=item, passed=True, actor=actor)
    services.acceptance_sign_resident(acceptance=acceptance, actor=supervisor)
    verdict = services.acceptance_conclude(acceptance=acceptance, actor=actor)
    assert verdict.passed, verdict.missing
    return verdict.acceptance


# --- Annual batches (renovation.services.batches) -------------------------------------------


def make_batch(region: Region, estates, actor, *, year: int = 2026, name: str | None = None):
    """A batch of ``region`` holding ``estates`` (cost 10,000 yuan a household)."""
    from xiaoqu.renovation.services.projects import batch_create

    estates = list(estates)
    return batch_create(
        region=region,
        year=year,
        name=name or f"{year}年度{region.name}改造计划{next(_seq)}",
        estates=estates,
        actor=actor,
        budget_fen=sum(e.households for e in estates) * 1_000_000,
        costs_fen={e.pk: e.households * 1_000_000 for e in estates},
    )


# --- Money (renovation.services.money) ---------------------------------------------------------


def tiny_image(fmt: str = "PNG", size: tuple[int, int] = (4, 4)) -> bytes:
    """A real picture of a few pixels in Pillow's ``fmt`` (uploads are read by Pillow)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(out, format=fmt)
    return out.getvalue()


VOUCHER_PNG = tiny_image("PNG")


def make_money_world(project, actor: User) -> dict:
    """A 中央补助 receipt of 100,000.00 yuan with a voucher, and the first item with residents'
    money (the plan's elevator) split by area over its estate's dwellings."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from xiaoqu.renovation.services import money

    entry = money.receipt_record(
        project=project,
        source="central",
        amount="100000.00",
        on=timezone.localdate(),
        note="中央补助第一批",
        document=SimpleUploadedFile("voucher.png", VOUCHER_PNG),
        actor=actor,
    )
    item = project.items.filter(funding__source="owners").order_by("pk").first()
    split = money.contribution_split(item=item, method="area", amount="300000", actor=actor)
    return {"entry": entry, "split": split}


# --- Management bodies and the five parties (stewardship.services.bodies) --------------------


def make_meeting(
    estate: Estate, kind: str = "owners_assembly", held_on=None, place: str = "活动室"
):
    """A meeting of ``estate`` (业主大会 by default) held ``held_on`` (default: 30 days ago)."""
    import datetime as dt

    from xiaoqu.meetings.models import Meeting

    held_on = held_on or dt.date.today() - dt.timedelta(days=30)
    return Meeting.objects.create(estate=estate, kind=kind, held_on=held_on, place=place)


def make_passed_vote(estate: Estate, actor: User, matter: int = 2, *, days_ago: int = 20):
    """An estate-wide vote closed and published as passed ``days_ago`` days ago."""
    import datetime as dt

    from django.utils import timezone

    from xiaoqu.decisions.models import VoteStatus

    vote = make_open_vote(estate, actor, matter=matter)
    now = timezone.now()
    vote.title = f"第{matter}项事项表决"
    vote.status = VoteStatus.CLOSED
    vote.result = {"passed": True, "matter": matter}
    vote.result_published_at = now - dt.timedelta(days=days_ago)
    vote.objection_until = now - dt.timedelta(days=max(days_ago - 7, 0))
    vote.save()
    return vote


def make_property_body(estate: Estate, actor: User, *, started_on=None, name: str = "安居物业"):
    """A property company managing ``estate`` from ``started_on`` (default: a year ago)."""
    import datetime as dt
    from decimal import Decimal

    from xiaoqu.stewardship.services.bodies import body_start

    started_on = started_on or dt.date.today() - dt.timedelta(days=365)
    return body_start(
        estate=estate,
        kind="property_company",
        name=name,
        started_on=started_on,
        contract_start=started_on,
        contract_end=started_on + dt.timedelta(days=3 * 365),
        fee_per_m2=Decimal("0.80"),
        contact_name="王经理",
        contact_phone="0851-5551234",
        actor=actor,
    )


def make_bodies_world(estate: Estate, actor: User, manager: User | None = None) -> dict:
    """A property company managing the estate, its covenant with the approving vote, a joint
    meeting, and (when given) the property manager's seat for 物业执行."""
    import datetime as dt

    from xiaoqu.stewardship.services.bodies import document_add, seat_add

    body = make_property_body(estate, actor, name=f"{estate.name[:2]}物业")
    vote = make_passed_vote(estate, actor, matter=2)
    document = document_add(
        estate=estate,
        kind="covenant",
        title=f"{estate.name}管理规约",
        text="第一条 业主应爱护共有部分。",
        effective_on=dt.date.today(),
        vote=vote,
        actor=actor,
    )
    meeting = make_meeting(estate, "joint", place="社区会议室")
    seat = None
    if manager is not None:
        seat = seat_add(estate=estate, party="manager", user=manager, actor=actor)
    return {"body": body, "document": document, "meeting": meeting, "seat": seat}


# --- The maintenance fund (stewardship.services.fund) -----------------------------------------


def make_fund_world(estate: Estate, actor: User) -> dict:
    """A deposit of 50 yuan/m² for every dwelling and an emergency use applied for."""
    import datetime as dt

    from xiaoqu.stewardship.services import fund

    fund.deposits_record(estate=estate, rate_yuan_per_m2="50", on=dt.date.today(), actor=actor)
    withdrawal = fund.withdrawal_emergency_apply(
        estate=estate, title="更换电梯主板", amount="1200", reason="电梯故障", actor=actor
    )
    return {"withdrawal": withdrawal}


# --- Work orders (stewardship.services.orders) -------------------------------------------------


def make_work_order(
    estate: Estate, reporter: User | None = None, *, code: str = "stair-light", **fields
):
    """An order of ``estate`` written directly (the services' own tests cover reporting), with
    its "submitted" event; reported by ``reporter`` from the phone, else by hotline."""
    import datetime as dt

    from django.utils import timezone

    from xiaoqu.stewardship.models import WorkOrder, WorkOrderCategory, WorkOrderEvent
    from xiaoqu.stewardship.services.orders import categories_ensure

    categories_ensure()
    now = timezone.now()
    fields = {
        "category": WorkOrderCategory.objects.get(code=code),
        "text": "2单元3楼楼道灯不亮",
        "building": estate.buildings.order_by("pk").first(),
        "channel": "resident" if reporter else "hotline",
        "reporter": reporter,
        "reporter_name": reporter.name if reporter else "热线来电",
        "party": "manager",
        "due_at": now + dt.timedelta(hours=8),
        "created_at": now,
        **fields,
    }
    order = WorkOrder.objects.create(estate=estate, **fields)
    WorkOrderEvent.objects.create(order=order, kind="submitted", to_status=order.status, at=now)
    return order


def make_orders_world(estate: Estate, users: dict) -> dict:
    """The resident's and the owner's order (each reported from the phone) of ``estate``; for
    an estate outside the scope, orders of someone else."""
    return {
        "resident": make_work_order(estate, users.get("resident")),
        "owner": make_work_order(estate, users.get("owner"), code="drain"),
    }


# --- The monthly evaluation and reports (stewardship.services.evaluation) ----------------------


def last_month():
    """The first day of the month before this one."""
    import datetime as dt

    from django.utils import timezone

    first = timezone.localdate().replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def make_report(estate: Estate, month=None):
    """The estate's report of ``month`` (default: last month), computed by the service; the
    estate needs a body that managed it then (e.g. ``make_property_body``)."""
    from xiaoqu.stewardship.services.evaluation import criteria_ensure, report_compute

    criteria_ensure()
    return report_compute(estate=estate, month=month or last_month())


# --- Duty and access control (stewardship.services.duty, .access) -----------------------------


def make_self_committee(estate: Estate, actor: User, members=(), *, days_ago: int = 30):
    """A 自管会 managing ``estate`` since ``days_ago`` days, elected at a 居民议事会, with
    ``members`` (people who own or live in the estate) as 委员."""
    import datetime as dt

    from xiaoqu.stewardship.services.bodies import body_start, member_add

    today = dt.date.today()
    body = body_start(
        estate=estate,
        kind="self_committee",
        name=f"{estate.name}自管会",
        started_on=today - dt.timedelta(days=days_ago),
        elected_at=make_meeting(estate, "council", held_on=today - dt.timedelta(days=days_ago + 1)),
        term_end=today + dt.timedelta(days=3 * 365),
        actor=actor,
    )
    for person in members:
        member_add(estate=estate, person=person, role="委员", actor=actor)
    return body


def make_watch_world(estate: Estate, actor: User) -> dict:
    """A shift running now (the estate's first owner at 值班室), a gate with a device, a card
    of the first dwelling's owner, and two events posted by the device: the card, and an
    unknown card (flagged)."""
    import datetime as dt

    from django.utils import timezone

    from xiaoqu.stewardship.services import access, duty

    dwelling = estate.dwellings.order_by("pk").first()
    person = dwelling.ownerships.order_by("pk").first().person
    now = timezone.now()
    shift = duty.shift_add(
        estate=estate,
        person=person,
        post="值班室",
        phone="0851-5550000",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=11),
        actor=actor,
    )
    point = access.point_add(estate=estate, name="大门", kind="gate", actor=actor)
    device, key = access.device_add(point=point, name="大门读卡器", actor=actor)
    card_number = f"CARD{estate.pk:04d}0001"
    credential, _ = access.credential_issue(
        estate=estate, person=person, dwelling=dwelling, kind="card", value=card_number, actor=actor
    )
    access.events_ingest(
        device=device,
        events=[
            access.EventIn(
                key="e1",
                at=now - dt.timedelta(minutes=5),
                method="card",
                granted=True,
                credential=card_number,
            ),
            access.EventIn(
                key="e2",
                at=now - dt.timedelta(minutes=4),
                method="card",
                granted=False,
                credential="FFFF00001234",
            ),
        ],
    )
    return {
        "shift": shift,
        "point": point,
        "device": device,
        "key": key,
        "credential": credential,
        "card": card_number,
    }
