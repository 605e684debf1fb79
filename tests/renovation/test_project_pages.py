"""Project pages and their one-form actions: create from the published plan, parties, party
staff, votes behind items, stage moves; bad input changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import (
    make_company,
    make_estate,
    make_project,
    make_published_plan,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.renovation.models import CompanyKind, Project, ProjectMember, ProjectStage

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1], password=None)


@pytest.fixture
def logged(client, staff):
    client.force_login(staff)
    return client


def test_a_project_is_created_from_the_estate_page(logged):
    estate = make_estate()
    page = logged.get(reverse("renovation:estate_projects", kwargs={"estate_id": estate.pk}))
    assert "方案公布后才能建立改造项目" in page.content.decode()
    make_published_plan(estate)
    page = logged.get(reverse("renovation:estate_projects", kwargs={"estate_id": estate.pk}))
    assert "从公布的改造方案立项" in page.content.decode()
    url = reverse("renovation:project_new", kwargs={"estate_id": estate.pk})
    bad = logged.post(url, {"code": "", "name": "x"}, follow=True)
    assert "请填写项目名称和编号" in bad.content.decode()
    assert not Project.objects.exists()
    response = logged.post(url, {"code": "GY-2026-01", "name": "改造工程"})
    project = Project.objects.get()
    assert response["Location"] == reverse(
        "renovation:project_detail", kwargs={"project_id": project.pk}
    )
    detail = logged.get(response["Location"]).content.decode()
    assert "雨污分流管网改造" in detail and "需业主表决" in detail


def test_parties_members_and_stages_through_the_forms(logged, staff):
    estate = make_estate()
    make_published_plan(estate)
    contractor = make_user(Role.CONTRACTOR, estate=estate, password=None)
    logged.post(
        reverse("renovation:project_new", kwargs={"estate_id": estate.pk}),
        {"code": "P1", "name": "改造"},
    )
    project = Project.objects.get()
    builder = make_company(CompanyKind.BUILDER)
    supervisor = make_company(CompanyKind.SUPERVISOR)
    parties = reverse("renovation:project_parties", kwargs={"project_id": project.pk})
    wrong = logged.post(parties, {"builder": supervisor.pk}, follow=True)
    assert "所选单位不存在" in wrong.content.decode()
    logged.post(
        parties,
        {
            "builder": builder.pk,
            "supervisor": supervisor.pk,
            "site_manager_name": "李工",
            "site_manager_phone": "13900001111",
        },
    )
    project.refresh_from_db()
    assert (project.builder, project.supervisor) == (builder, supervisor)
    members = reverse("renovation:project_member_add", kwargs={"project_id": project.pk})
    logged.post(members, {"user": staff.pk})
    assert not ProjectMember.objects.exists()
    logged.post(members, {"user": contractor.pk})
    assert ProjectMember.objects.get().company == builder
    advance = reverse("renovation:project_advance", kwargs={"project_id": project.pk})
    stale = logged.post(advance, {"from": "works"}, follow=True)
    assert "项目阶段已经变化" in stale.content.decode()
    for _ in range(3):
        logged.post(advance, {"from": Project.objects.get().stage})
    assert Project.objects.get().stage == ProjectStage.TENDERING
    blocked = logged.post(advance, {"from": "tendering"}, follow=True).content.decode()
    assert Project.objects.get().stage == ProjectStage.WORKS  # the sewer and sidewalk may start
    assert "施工" in blocked


def test_a_vote_of_another_estate_cannot_be_linked(logged, staff):
    from tests.factories import make_open_vote

    estate = make_estate()
    project = make_project(estate, staff)
    other = make_open_vote(make_estate(), staff)
    elevator = project.items.get(title="加装电梯")
    logged.post(
        reverse("renovation:item_vote", kwargs={"project_id": project.pk}),
        {"item": elevator.pk, "vote": other.pk},
    )
    elevator.refresh_from_db()
    assert elevator.vote is None


def test_the_contractor_sees_only_the_projects_it_works_on(client):
    estate = make_estate()
    admin = make_user(Role.ADMIN, password=None)
    contractor = make_user(Role.CONTRACTOR, estate=estate, password=None)
    mine = make_project(estate, admin, members=(contractor,))
    make_project(make_estate(), admin)
    client.force_login(contractor)
    body = client.get(reverse("renovation:project_list")).content.decode()
    assert mine.name in body and body.count("改造工程</a>") == 1
