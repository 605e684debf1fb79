"""The demo's Party organisations, grids, zones and team on the demo register."""

from __future__ import annotations

import pytest

from xiaoqu.demo import load_demo
from xiaoqu.demo.organization import load_demo_organization
from xiaoqu.organization.models import (
    Grid,
    GridWorkerAssignment,
    LiaisonHousehold,
    PartyMember,
    PartyMemberMark,
    PartyOrganization,
    ResponsibilityZone,
    Team,
)
from xiaoqu.organization.selectors import coverage
from xiaoqu.registry.models import Region

pytestmark = pytest.mark.django_db

MODELS = (
    PartyOrganization,
    PartyMember,
    PartyMemberMark,
    Grid,
    GridWorkerAssignment,
    LiaisonHousehold,
    ResponsibilityZone,
    Team,
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo with its organisation, loaded once for the module (about 20 s a load)."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        load_demo_organization()
        yield
        transaction.set_rollback(True)


def test_demo_builds_the_article_structures(demo):
    """The demo holds the article's organisations, 11 zones, a team and marked members."""
    working = PartyOrganization.objects.get(name="盐务街街道党工委")
    committee = PartyOrganization.objects.get(name="金仓社区党委")
    assert committee.parent == working
    assert committee.children.filter(kind="branch").count() == 3
    street = Region.objects.get(name="兴关路街道")
    assert ResponsibilityZone.objects.filter(region=street).count() == 11
    team = Team.objects.get(name="兴关路街道党员突击队")
    assert team.leader.organization.name == "兴关社区党委"
    panzhou = Region.objects.get(name="盘州市")
    marks = coverage(region=panzhou)["members_by_mark"]
    assert marks["model_household"] > 0 and marks["vanguard_post"] > 0


def test_demo_grids_of_jincang_have_complete_triangles(demo):
    """Every grid of 金仓社区 has a leader, a worker and liaison members with households."""
    jincang = Region.objects.get(name="金仓社区")
    figures = coverage(region=jincang)
    assert figures["grids"] == 3
    assert figures["grids_complete"] == 3
    assert 0 < figures["liaison_share"] <= 1


def test_loading_the_demo_organisation_twice_changes_nothing(demo):
    """A second load adds no rows."""
    before = {m.__name__: m.objects.count() for m in MODELS}
    load_demo_organization()
    assert {m.__name__: m.objects.count() for m in MODELS} == before
