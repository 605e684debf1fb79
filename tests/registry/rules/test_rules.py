"""Role × state matrices of the register's permissions (see tests/rules_matrix.py)."""

from __future__ import annotations

import pytest

from tests.rules_matrix import assert_holds_anywhere, assert_role_matrix, make_rules_world
from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.registry.models import Region
from xiaoqu.registry.rules import (
    NAME_ROLES,
    PHONE_ROLES,
    READ_REGISTER,
    SEE_NAMES,
    SEE_PHONES,
    VIEW_WORKBENCH,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_rules_world()


def test_every_workbench_role_views_the_estates_of_its_scope(world):
    """Estates: every workbench role in its scope; a grid reaches the estates it touches."""
    assert_role_matrix(VIEW_WORKBENCH, world.estate, world, roles=WORKBENCH_ROLES)
    assert_holds_anywhere(VIEW_WORKBENCH, world, roles=WORKBENCH_ROLES)


def test_a_grid_narrows_the_workbench_to_its_buildings_and_their_dwellings(world):
    """Buildings and dwellings: a grid reaches its own buildings only."""
    for obj in (world.building, world.dwelling):
        assert_role_matrix(VIEW_WORKBENCH, obj, world, roles=WORKBENCH_ROLES, building_level=True)


def test_the_workbench_shows_regions_of_the_scope(world):
    """Regions: the community of an estate or grid scope; nothing in another district."""
    community = Region.objects.get(pk=world.estate.community_id)
    assert_role_matrix(
        VIEW_WORKBENCH,
        community,
        world,
        roles=WORKBENCH_ROLES,
        # A grid of the community reaches the community whichever building it holds.
        overrides={f"{r.value}@grid_other": r in WORKBENCH_ROLES for r in Role},
    )


def test_residents_read_their_estate_and_their_own_dwelling_through_the_api(world):
    assert_role_matrix(READ_REGISTER, world.estate, world, roles=WORKBENCH_ROLES, residents=True)
    assert_role_matrix(
        READ_REGISTER,
        world.dwelling,
        world,
        roles=WORKBENCH_ROLES,
        residents=True,
        building_level=True,
    )
    neighbour = world.building.dwellings.exclude(pk=world.dwelling.pk).first()
    assert not READ_REGISTER.has(world.users["resident"], neighbour)
    assert_holds_anywhere(READ_REGISTER, world, roles=WORKBENCH_ROLES, residents=True)


def test_phones_and_names_only_for_the_roles_whose_duties_need_them(world):
    assert_role_matrix(SEE_PHONES, world.estate, world, roles=PHONE_ROLES)
    assert_role_matrix(SEE_NAMES, world.estate, world, roles=NAME_ROLES)
    assert {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.PROPERTY_MANAGER,
        Role.ADMIN,
    } == PHONE_ROLES
    assert {
        Role.PARTY_MEMBER,
        Role.OWNERS_COMMITTEE,
        Role.HOUSING_BUREAU,
    } == NAME_ROLES - PHONE_ROLES
