"""Party leadership on a project: organisation, zones, teams, duty roster; who to call; the
numbers of 从政府想做到群众想要."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import (
    make_estate,
    make_grid,
    make_member,
    make_owner,
    make_party_org,
    make_project,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.organization.models import GridWorkerAssignment, ResponsibilityZone, Team
from xiaoqu.renovation import selectors
from xiaoqu.renovation.models import DutyShift, DutyType
from xiaoqu.renovation.services import party

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    chain = region_chain()
    estate = make_estate(chain[-1], name="碧波水岸小区", buildings=2)
    staff = make_user(Role.COMMUNITY_STAFF, region=chain[-1], password=None)
    project = make_project(estate, staff)
    branch = make_party_org("branch", region=chain[-1], name="项目临时党支部")
    leader = make_member(branch, name="王书记")
    zone = ResponsibilityZone.objects.create(
        region=chain[-1], number=1, name="一栋片区", leader=leader
    )
    zone.estates.add(estate)
    team = Team.objects.create(
        region=chain[3], name="兴关路党员突击队", leader=make_member(name="李队长")
    )
    member = make_member(name="张党员")
    team.members.add(member)
    return {
        "chain": chain,
        "estate": estate,
        "staff": staff,
        "project": project,
        "branch": branch,
        "zone": zone,
        "team": team,
        "member": member,
        "leader": leader,
    }


def test_the_project_gets_its_party_organisation_zones_and_teams(world):
    project = party.project_set_party(
        project=world["project"],
        actor=world["staff"],
        organization=world["branch"],
        zones=[world["zone"]],
        teams=[world["team"]],
    )
    assert project.party_organization == world["branch"]
    names = {m.person.name for m in party.project_party_members(project)}
    assert names == {"王书记", "李队长", "张党员"}
    assert project.events.filter(kind="party").exists()


def test_an_organisation_or_zone_elsewhere_is_refused(world):
    elsewhere = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
    org = make_party_org("branch", region=elsewhere[-1])
    with pytest.raises(DomainError) as error:
        party.project_set_party(project=world["project"], actor=world["staff"], organization=org)
    assert error.value.code == "organization"
    other_zone = ResponsibilityZone.objects.create(region=world["chain"][-1], number=2, name="别处")
    other_zone.estates.add(make_estate(world["chain"][-1]))
    with pytest.raises(DomainError) as zone:
        party.project_set_party(
            project=world["project"], actor=world["staff"], organization=None, zones=[other_zone]
        )
    assert zone.value.code == "zone"
    world["project"].refresh_from_db()
    assert world["project"].party_organization is None


def test_the_duty_roster_refuses_clashes_and_members_off_the_project(world):
    project = party.project_set_party(
        project=world["project"], actor=world["staff"], organization=None, teams=[world["team"]]
    )
    day = dt.date(2026, 12, 5)
    party.duty_add(
        project=project,
        actor=world["staff"],
        member=world["member"],
        duty=DutyType.TRAFFIC,
        date=day,
        starts=dt.time(7),
        ends=dt.time(11),
        place="赶场路口",
    )
    with pytest.raises(DomainError) as clash:
        party.duty_add(
            project=project,
            actor=world["staff"],
            member=world["member"],
            duty=DutyType.SITE,
            date=day,
            starts=dt.time(10),
            ends=dt.time(12),
        )
    assert clash.value.code == "clash"
    with pytest.raises(DomainError) as outsider:
        party.duty_add(
            project=project,
            actor=world["staff"],
            member=make_member(name="路人"),
            duty=DutyType.SITE,
            date=day,
            starts=dt.time(13),
            ends=dt.time(14),
        )
    assert outsider.value.code == "member"
    with pytest.raises(DomainError):
        party.duty_add(
            project=project,
            actor=world["staff"],
            member=world["member"],
            duty=DutyType.SITE,
            date=day,
            starts=dt.time(14),
            ends=dt.time(13),
        )
    assert DutyShift.objects.count() == 1


def test_who_to_call_names_site_manager_zone_member_and_grid_worker(world):
    estate = world["estate"]
    building = estate.buildings.first()
    grid = make_grid([building], name="金仓第一网格")
    GridWorkerAssignment.objects.create(
        grid=grid,
        person=make_owner(building.entrances.first().dwellings.first(), "刘网格"),
        started_on=dt.date(2025, 1, 1),
    )
    contacts = selectors.who_to_call(estate, building.pk)
    assert [(c.role, c.name) for c in contacts] == [
        ("施工现场负责人", "李工"),
        ("责任区党员", "王书记"),
        ("网格员", "刘网格"),
    ]


def test_residents_see_the_card_on_their_estate_works_page(world, client):
    estate = world["estate"]
    dwelling = estate.dwellings.first()
    resident = make_user(person=make_owner(dwelling, "住户"))
    client.force_login(resident)
    party.duty_add(
        project=party.project_set_party(
            project=world["project"], actor=world["staff"], organization=world["branch"]
        ),
        actor=world["staff"],
        member=world["leader"],
        duty=DutyType.RECEPTION,
        date=dt.date.today(),
        starts=dt.time(0, 0),
        ends=dt.time(23, 59),
        place="党群服务站",
    )
    page = client.get(reverse("renovation:estate_works", kwargs={"estate_id": estate.pk}))
    body = page.content.decode()
    assert page.status_code == 200
    assert (
        "有事找谁" in body and "13900001111" in body and "王书记" in body and "党群服务站" in body
    )
    home = client.get(reverse("registry:resident_home")).content.decode()
    assert reverse("renovation:estate_works", kwargs={"estate_id": estate.pk}) in home


def test_staff_set_the_party_and_the_roster_through_the_pages(world, client):
    client.force_login(world["staff"])
    project = world["project"]
    url = reverse("renovation:project_party_set", kwargs={"project_id": project.pk})
    response = client.post(
        url,
        {
            "organization": world["branch"].pk,
            "zones": [world["zone"].pk],
            "teams": [world["team"].pk],
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.party_organization == world["branch"]
    bad = client.post(url, {"zones": ["x"]}, follow=True)
    assert "责任区不存在" in bad.content.decode()
    project.refresh_from_db()
    assert list(project.zones.all()) == [world["zone"]]
    add = reverse("renovation:duty_add", kwargs={"project_id": project.pk})
    client.post(
        add,
        {
            "member": world["member"].pk,
            "duty": "traffic",
            "date": "2026-12-05",
            "starts": "07:00",
            "ends": "11:00",
            "place": "路口",
        },
    )
    shift = DutyShift.objects.get()
    wrong = client.post(
        add,
        {
            "member": world["member"].pk,
            "duty": "traffic",
            "date": "2026-13-05",
            "starts": "07:00",
            "ends": "11:00",
        },
        follow=True,
    )
    assert "日期不正确" in wrong.content.decode()
    page = client.get(reverse("renovation:project_party", kwargs={"project_id": project.pk}))
    assert "赶场天交通疏导" in page.content.decode()
    client.post(
        reverse("renovation:duty_remove", kwargs={"project_id": project.pk}), {"shift": shift.pk}
    )
    assert not DutyShift.objects.exists()


def test_traceability_counts_items_from_residents_and_top_demands_addressed(world):
    from tests.factories import make_needs_world
    from xiaoqu.decisions.models import PlanItem
    from xiaoqu.renovation.models import ProjectItem

    estate = make_estate(world["chain"][-1], name="溯源小区")
    homes = list(estate.dwellings.order_by("pk")[:2])
    needs = make_needs_world(estate, homes, world["staff"])
    project = make_project(estate, world["staff"])
    item = project.items.order_by("pk").first()
    ProjectItem.objects.filter(pk=item.pk).update(demand=needs["demand"])
    PlanItem.objects.filter(pk=item.plan_item_id).update(demand=needs["demand"])
    trace = selectors.estate_trace(estate)
    assert (trace.backed, len(trace.items)) == (1, 3)
    line = next(t for t in trace.items if t.item.pk == item.pk)
    assert (line.households, line.opinions) == (1, 1)
    assert len(trace.top) == 2 and trace.top_addressed == 1
