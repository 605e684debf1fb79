"""Role × state matrices of the organisation's permissions (see tests/rules_matrix.py)."""

from __future__ import annotations

import pytest

from tests.factories import make_member, make_party_org, make_user
from tests.rules_matrix import assert_holds_anywhere, assert_role_matrix, make_rules_world
from xiaoqu.accounts.models import Role
from xiaoqu.organization.models import Grid, ResponsibilityZone, Team
from xiaoqu.organization.rules import (
    MANAGE_GRIDS,
    MANAGE_LIAISON,
    MANAGE_PARTY,
    ORGANISATION_ROLES,
)
from xiaoqu.registry.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_rules_world()


def test_the_organisation_is_changed_by_community_and_street_staff():
    """Grid workers, Party members, the owners' committee and the other roles do not."""
    assert {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN} == ORGANISATION_ROLES


def test_party_organisations_members_zones_and_teams_of_the_community(world):
    """Objects placed at the community: every assignment that reaches the community — its
    own, an estate's or a grid's — carries the work for the organisation roles."""
    community = Region.objects.get(pk=world.estate.community_id)
    branch = make_party_org("branch", region=community)
    member = make_member(branch)
    zone = ResponsibilityZone.objects.create(region=community, number=1, name="一区")
    team = Team.objects.create(region=community, name="突击队", leader=member)
    for obj in (community, branch, member, zone, team):
        assert_role_matrix(MANAGE_PARTY, obj, world, roles=ORGANISATION_ROLES)
    assert_holds_anywhere(MANAGE_PARTY, world, roles=ORGANISATION_ROLES)


def test_an_organisation_of_the_street_is_beyond_community_scopes(world):
    """Only street-wide assignments (and unscoped administrators) reach the street's own
    organisations; no community, estate or grid assignment does."""
    community = Region.objects.get(pk=world.estate.community_id)
    street = community.parent
    working_committee = make_party_org("working_committee", region=street)
    below_street = {name: False for name in world.users if "@" in name and name != "admin@unscoped"}
    assert_role_matrix(
        MANAGE_PARTY, working_committee, world, roles=ORGANISATION_ROLES, overrides=below_street
    )
    assert MANAGE_PARTY.has(make_user(Role.STREET_STAFF, region=street), working_committee)


def test_grids_of_the_community(world):
    """A grid sits at its community: the community's staff manage every grid of it, a grid
    worker none, not even their own."""
    community = Region.objects.get(pk=world.estate.community_id)
    grid = Grid.objects.get(buildings=world.building)
    for obj in (community, grid):
        assert_role_matrix(MANAGE_GRIDS, obj, world, roles=ORGANISATION_ROLES)
    assert_holds_anywhere(MANAGE_GRIDS, world, roles=ORGANISATION_ROLES)


def test_liaison_households_dwelling_by_dwelling_and_the_member(world):
    """The dwellings a change links or unlinks, and the member it concerns."""
    assert_role_matrix(
        MANAGE_LIAISON, world.dwelling, world, roles=ORGANISATION_ROLES, building_level=True
    )
    community = Region.objects.get(pk=world.estate.community_id)
    member = make_member(make_party_org("group", region=community))
    assert_role_matrix(MANAGE_LIAISON, member, world, roles=ORGANISATION_ROLES)
    assert_holds_anywhere(MANAGE_LIAISON, world, roles=ORGANISATION_ROLES)
