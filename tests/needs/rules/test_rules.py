"""Role × state matrices of the needs permissions (see tests/rules_matrix.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import make_user
from tests.rules_matrix import assert_holds_anywhere, assert_role_matrix, make_rules_world
from xiaoqu.accounts.models import Role, RoleAssignment
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.needs.models import Campaign, Channel, Demand, DemandList, Opinion, Visit
from xiaoqu.needs.rules import (
    DEMAND_ROLES,
    MANAGE_DEMANDS,
    OPINION_ROLES,
    READ_LISTS,
    READ_OPINIONS,
    RECORD_OPINIONS,
    RECORD_VISIT,
    VIEW_NEEDS,
    VISIT_ROLES,
    runs_campaign,
)

pytestmark = pytest.mark.django_db

# No role reaches an opinion tied to no building through a grid: it needs the whole estate.
NO_GRID = {f"{role.value}@grid": False for role in Role}


@pytest.fixture
def world():
    return make_rules_world()


def opinion(world, *, dwelling=True, building=True, submitted_by=None) -> Opinion:
    """An opinion of 界内小区: at the world's dwelling, at building 1 only, or estate-wide."""
    return Opinion.objects.create(
        estate=world.estate,
        building=world.building if (dwelling or building) else None,
        dwelling=world.dwelling if dwelling else None,
        channel=Channel.RESIDENT if submitted_by else Channel.HOTLINE,
        submitted_by=submitted_by,
        text="楼道灯坏了",
        heard_on=dt.date(2026, 3, 5),
        category="stairwell",
    )


@pytest.fixture
def demand(world):
    return Demand.objects.create(estate=world.estate, category="stairwell", title="楼道灯坏了")


@pytest.fixture
def demand_list(world):
    return DemandList.objects.create(
        estate=world.estate, version=1, households=4, opinions=1, published_at=timezone.now()
    )


@pytest.fixture
def campaign(world):
    campaign = Campaign.objects.create(
        name="敲门行动", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 31)
    )
    campaign.estates.set([world.estate])
    return campaign


def test_staff_of_the_scope_follow_the_estates_needs(world, demand, demand_list, campaign):
    """Estates, demands, published versions and campaigns: every workbench role in its scope;
    a grid reaches the estate-wide objects of an estate it touches. Residents have no staff
    pages."""
    for obj in (world.estate, demand, demand_list, campaign):
        assert_role_matrix(VIEW_NEEDS, obj, world, roles=WORKBENCH_ROLES)
    assert_holds_anywhere(VIEW_NEEDS, world, roles=WORKBENCH_ROLES)


def test_a_grid_narrows_visits_and_opinions_to_its_buildings(world):
    """A visit and an opinion at a dwelling of building 1: out of reach of the other grid."""
    visit = Visit.objects.create(
        estate=world.estate,
        dwelling=world.dwelling,
        visitor=make_user(password=None),
        visited_at=timezone.now(),
        outcome="met",
    )
    for obj in (visit, opinion(world)):
        assert_role_matrix(VIEW_NEEDS, obj, world, roles=WORKBENCH_ROLES, building_level=True)


def test_door_knocks_are_recorded_by_grid_workers_party_members_and_community_staff(world):
    """The estate (the phone page) and a dwelling of building 1 (the visit itself); property
    managers, contractors and the owners' committee follow campaigns but do not knock."""
    assert {Role.GRID_WORKER, Role.PARTY_MEMBER, Role.COMMUNITY_STAFF, Role.STREET_STAFF} < (
        VISIT_ROLES
    )
    assert_role_matrix(RECORD_VISIT, world.estate, world, roles=VISIT_ROLES)
    assert_role_matrix(RECORD_VISIT, world.dwelling, world, roles=VISIT_ROLES, building_level=True)
    assert_holds_anywhere(RECORD_VISIT, world, roles=VISIT_ROLES)


def test_opinions_are_recorded_and_corrected_by_grid_workers_and_community_staff(world):
    """For the estate (hotline, import), a building and an opinion of building 1; a Party
    member reads opinions but does not record them."""
    assert Role.PARTY_MEMBER not in OPINION_ROLES
    assert_role_matrix(RECORD_OPINIONS, world.estate, world, roles=OPINION_ROLES)
    for obj in (world.building, opinion(world)):
        assert_role_matrix(RECORD_OPINIONS, obj, world, roles=OPINION_ROLES, building_level=True)
    assert_role_matrix(
        RECORD_OPINIONS,
        opinion(world, dwelling=False, building=False),
        world,
        roles=OPINION_ROLES,
        building_level=True,
        overrides=NO_GRID,
    )
    assert_holds_anywhere(RECORD_OPINIONS, world, roles=OPINION_ROLES)


def test_demands_are_managed_by_community_and_street_staff(world, demand, campaign):
    """The estate (publish, add), a demand and a campaign: a grid worker or a Party member
    follows them but does not change them."""
    assert {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN} == DEMAND_ROLES
    for obj in (world.estate, demand, campaign):
        assert_role_matrix(MANAGE_DEMANDS, obj, world, roles=DEMAND_ROLES)
    assert_holds_anywhere(MANAGE_DEMANDS, world, roles=DEMAND_ROLES)


def test_only_who_manages_every_estate_of_a_campaign_runs_it(world, campaign):
    """Community staff of one of a campaign's two estates may not open or close it."""
    staff = world.users["community_staff@estate"]
    assert runs_campaign(staff, campaign)
    campaign.estates.add(world.other_estate)
    assert not runs_campaign(staff, campaign)
    assert runs_campaign(world.users["admin@unscoped"], campaign)
    RoleAssignment.objects.create(user=staff, role=Role.STREET_STAFF, estate=world.other_estate)
    staff = type(staff).objects.get(pk=staff.pk)
    assert runs_campaign(staff, campaign)


def test_published_lists_are_read_by_staff_in_scope_and_the_estates_residents(world, demand_list):
    """The notice (the estate) and a published version: residents of the estate too."""
    for obj in (world.estate, demand_list):
        assert_role_matrix(READ_LISTS, obj, world, roles=WORKBENCH_ROLES, residents=True)
    assert_holds_anywhere(READ_LISTS, world, roles=WORKBENCH_ROLES, residents=True)


def test_an_opinion_is_read_by_staff_in_scope_and_the_people_of_its_dwelling(world):
    """Heard at the resident's dwelling: the resident reads it; a grid holding only the other
    building does not."""
    assert_role_matrix(
        READ_OPINIONS,
        opinion(world),
        world,
        roles=WORKBENCH_ROLES,
        residents=True,
        building_level=True,
    )
    assert_holds_anywhere(READ_OPINIONS, world, roles=WORKBENCH_ROLES, residents=True)


def test_a_resident_does_not_read_the_neighbours_or_the_estates_opinions(world):
    """At the neighbour's dwelling, or about the whole estate: not the resident's own. An
    opinion tied to no building needs staff of the whole estate: no grid reaches it."""
    neighbour = world.building.dwellings.exclude(pk=world.dwelling.pk).first()
    next_door = opinion(world)
    next_door.dwelling = neighbour
    next_door.save()
    assert_role_matrix(READ_OPINIONS, next_door, world, roles=WORKBENCH_ROLES, building_level=True)
    assert_role_matrix(
        READ_OPINIONS,
        opinion(world, dwelling=False, building=False),
        world,
        roles=WORKBENCH_ROLES,
        building_level=True,
        overrides=NO_GRID,
    )


def test_a_resident_reads_what_they_submitted_even_after_moving_away(world):
    """Submitted without a dwelling, the opinion is still the submitter's own; a user with no
    home left who submitted one still holds the permission."""
    resident = world.users["resident"]
    theirs = opinion(world, dwelling=False, building=False, submitted_by=resident)
    assert_role_matrix(
        READ_OPINIONS,
        theirs,
        world,
        roles=WORKBENCH_ROLES,
        building_level=True,
        overrides={**NO_GRID, "resident": True},
    )
    moved = make_user(password=None)
    opinion(world, dwelling=False, building=False, submitted_by=moved)
    assert READ_OPINIONS.has(moved)
    assert READ_OPINIONS.scoped(moved, Opinion.objects.all()).count() == 1
