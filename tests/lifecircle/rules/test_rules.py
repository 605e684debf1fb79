"""Role × state matrices of the life-circle permissions (see tests/rules_matrix.py), and the
analysis started outside the acting role's scope."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_user, region_chain
from tests.rules_matrix import assert_holds_anywhere, assert_role_matrix, make_rules_world
from xiaoqu.accounts.models import Role, RoleAssignment
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.core.errors import DomainError
from xiaoqu.lifecircle import services
from xiaoqu.lifecircle.models import AnalysisRun
from xiaoqu.lifecircle.rules import ANALYSIS_ROLES, RUN_ANALYSIS, VIEW_LIFE_CIRCLE
from xiaoqu.registry.models import Region

pytestmark = pytest.mark.django_db

# A grid of the community reaches the community, whichever of its buildings the grid holds.
GRID_OF_THE_COMMUNITY = {f"{r.value}@grid_other": r in WORKBENCH_ROLES for r in Role}


@pytest.fixture
def world():
    return make_rules_world()


def test_every_workbench_role_reads_the_analyses_of_its_scope(world):
    community = Region.objects.get(pk=world.estate.community_id)
    assert_role_matrix(
        VIEW_LIFE_CIRCLE, community, world, roles=WORKBENCH_ROLES, overrides=GRID_OF_THE_COMMUNITY
    )
    assert_role_matrix(VIEW_LIFE_CIRCLE, world.estate, world, roles=WORKBENCH_ROLES)
    run = AnalysisRun.objects.create(region=community)
    assert_role_matrix(
        VIEW_LIFE_CIRCLE, run, world, roles=WORKBENCH_ROLES, overrides=GRID_OF_THE_COMMUNITY
    )


def test_analyses_are_run_by_staff_and_the_housing_bureau_of_the_region(world):
    community = Region.objects.get(pk=world.estate.community_id)
    assert {
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.HOUSING_BUREAU,
        Role.ADMIN,
    } == ANALYSIS_ROLES
    assert_role_matrix(
        RUN_ANALYSIS,
        community,
        world,
        roles=ANALYSIS_ROLES,
        overrides={f"{r.value}@grid_other": r in ANALYSIS_ROLES for r in Role},
    )
    assert_holds_anywhere(RUN_ANALYSIS, world, roles=ANALYSIS_ROLES)


def test_an_analysis_of_another_community_is_refused_to_a_clerk_who_is_a_party_member_there():
    """Community staff of one estate who is a Party member and on the owners' committee
    elsewhere cannot start the other community's analysis: the page answers 404 and the
    service refuses, and no run exists."""
    home = make_estate(region_chain()[-1], name="本社区小区")
    other_chain = region_chain(("贵州省", "贵阳市", "南明区", "兴关路街道", "四通街社区"))
    elsewhere = make_estate(other_chain[-1], name="四通街8号院落")
    clerk = make_user("community_staff", estate=home)
    RoleAssignment.objects.create(user=clerk, role=Role.PARTY_MEMBER, estate=elsewhere)
    RoleAssignment.objects.create(user=clerk, role=Role.OWNERS_COMMITTEE, estate=elsewhere)
    client = Client()
    client.force_login(clerk)
    url = reverse("lifecircle:analysis_start", kwargs={"region_id": other_chain[-1].pk})
    osm = SimpleUploadedFile("net.osm", b"<osm version='0.6'></osm>")
    assert client.post(url, {"osm": osm}).status_code == 404
    with pytest.raises(DomainError):
        services.analysis_start(region=other_chain[-1], osm=osm, actor=clerk)
    assert not AnalysisRun.objects.exists()
    # The clerk's own community is theirs to analyse.
    assert RUN_ANALYSIS.has(clerk, Region.objects.get(pk=home.community_id))
