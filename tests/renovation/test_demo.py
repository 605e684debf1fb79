"""The demo's works (demo/renovation.py): data that agree with each other and with the
register, in the report's places."""

from __future__ import annotations

import pytest

from xiaoqu.demo import load_demo
from xiaoqu.demo.renovation import BATCH_NAME, TRAFFIC_POSTS
from xiaoqu.registry.models import Estate, RenovationStage
from xiaoqu.renovation.models import (
    Batch,
    DutyType,
    Project,
    ProjectStage,
)
from xiaoqu.renovation.services.projects import item_clearance

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


def test_every_estate_in_works_has_its_project_in_works_and_back(demo):
    """The register's 施工中 and a project in 施工 or 验收 go together, both ways."""
    in_works = set(Estate.objects.filter(stage=RenovationStage.WORKS).values_list("pk", flat=True))
    projects = set(
        Estate.objects.filter(
            project_entries__project__stage__in=[ProjectStage.WORKS, ProjectStage.ACCEPTANCE]
        ).values_list("pk", flat=True)
    )
    assert in_works == projects
    assert {e.name for e in Estate.objects.filter(pk__in=in_works)} >= {
        "碧波水岸小区",
        "兴关路机械厂宿舍",
        "党武集镇居民点",
    }


def test_projects_in_works_have_their_parties_and_cleared_items(demo):
    for project in Project.objects.filter(stage=ProjectStage.WORKS):
        assert project.builder and project.supervisor and project.site_manager_name
        assert any(item_clearance(i)[0] for i in project.items.all())


def test_the_2025_batch_counts_its_estates(demo):
    batch = Batch.objects.get(name=BATCH_NAME)
    assert batch.year == 2025 and batch.region.name == "贵州省"
    entries = list(batch.entries.select_related("estate"))
    assert {e.estate.name for e in entries} >= {"盐务街12号院", "碧波水岸小区", "党武集镇居民点"}
    assert all(e.households == e.estate.households > 0 for e in entries)
    assert set(Project.objects.values_list("batch", flat=True)) == {batch.pk}


def test_xingguan_is_led_by_the_street_team_and_its_eleven_zones(demo):
    project = Project.objects.get(code="NM-2025-07")
    assert project.estates.count() == 3
    assert project.zones.count() == 11
    assert [t.name for t in project.teams.all()] == ["兴关路街道党员突击队"]


def test_dangwu_members_guide_the_traffic_on_market_days(demo):
    project = Project.objects.get(code="GA-2025-02")
    assert project.site_manager_name == "钟华彬"
    assert project.party_organization.name == "党武街道集镇城中村整治提升项目部党支部"
    traffic = project.duties.filter(duty=DutyType.TRAFFIC)
    assert set(traffic.values_list("place", flat=True)) == set(TRAFFIC_POSTS)
    days = sorted(set(traffic.values_list("date", flat=True)))
    assert {(b - a).days for a, b in zip(days, days[1:], strict=False)} == {5}


def test_bibo_items_come_from_what_its_residents_said(demo):
    project = Project.objects.get(code="SQ-2025-03")
    titles = set(project.items.values_list("title", flat=True))
    assert {"人行道铺设石板", "车行道铺设沥青", "增设垃圾分类设施", "规划停车位"} <= titles
    assert project.items.exclude(demand=None).count() >= 4
    assert project.members.count() == 2


TABS = (
    "project_detail",
    "project_party",
    "project_progress",
    "project_money",
    "project_complaints",
    "project_acceptance",
    "project_surveys",
    "project_public",
    "project_hidden_works",
)


def test_every_page_of_every_demo_project_opens(demo, client):
    """Staff open every tab of every demo project (the demo's data, unlike the tests' small
    worlds, has photos of the whole project, finished acceptances, published surveys)."""
    from django.urls import reverse

    from xiaoqu.accounts.models import User

    client.force_login(User.objects.get(phone="13800000011"))
    for project in Project.objects.all():
        for tab in TABS:
            url = reverse(f"renovation:{tab}", kwargs={"project_id": project.pk})
            assert client.get(url).status_code == 200, url
        for estate in project.estates.all():
            url = reverse("renovation:estate_works", kwargs={"estate_id": estate.pk})
            assert client.get(url).status_code == 200, url
    for name in ("project_list", "batch_list", "report"):
        assert client.get(reverse(f"renovation:{name}")).status_code == 200, name


def test_the_demo_contractor_and_residents_reach_their_pages(demo, client):
    from django.urls import reverse

    from xiaoqu.accounts.models import User

    bibo = Project.objects.get(code="SQ-2025-03")
    client.force_login(User.objects.get(phone="13800000010"))
    site = client.get(reverse("renovation:site")).content.decode()
    assert "地下污水管道疏通改造" in site
    resident = User.objects.get(name="王树蓉")
    client.force_login(resident)
    public = client.get(reverse("renovation:project_public", kwargs={"project_id": bibo.pk}))
    assert public.status_code == 200
    works = client.get(
        reverse("renovation:estate_works", kwargs={"estate_id": bibo.estates.get().pk})
    ).content.decode()
    assert "杨志刚" in works and "13985102233" in works
    mine = client.get(reverse("renovation:my_complaints")).content.decode()
    assert "便桥" in mine


def test_loading_the_works_demo_again_changes_nothing(demo):
    from xiaoqu.demo.renovation import load_demo_renovation, load_demo_renovation_history
    from xiaoqu.renovation.models import MoneyEntry, ProjectEvent, SitePhoto

    models = (Project, ProjectEvent, MoneyEntry, SitePhoto, Batch)
    before = [m.objects.count() for m in models]
    load_demo_renovation_history()
    load_demo_renovation()
    assert [m.objects.count() for m in models] == before
