"""Role × state matrices of the meeting permissions (see tests/rules_matrix.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.rules_matrix import assert_holds_anywhere, assert_role_matrix, make_rules_world
from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.meetings.models import Meeting
from xiaoqu.meetings.rules import HOLD_MEETINGS, READ_MINUTES, VIEW_MEETINGS

pytestmark = pytest.mark.django_db

HOLDERS = {
    Role.GRID_WORKER,
    Role.COMMUNITY_STAFF,
    Role.STREET_STAFF,
    Role.OWNERS_COMMITTEE,
    Role.ADMIN,
}


@pytest.fixture
def world():
    return make_rules_world()


@pytest.fixture
def meeting(world):
    return Meeting.objects.create(
        estate=world.estate, kind="courtyard", held_on=dt.date(2026, 3, 5), place="院坝"
    )


def test_staff_of_the_scope_follow_the_meetings(world, meeting):
    assert_role_matrix(VIEW_MEETINGS, meeting, world, roles=WORKBENCH_ROLES)
    assert_role_matrix(VIEW_MEETINGS, world.estate, world, roles=WORKBENCH_ROLES)


def test_meetings_are_held_by_those_who_gather_opinions_and_run_votes(world, meeting):
    """Grid workers, community and street staff and the owners' committee, in their scope;
    a Party member or property manager follows meetings but does not hold them."""
    assert_role_matrix(HOLD_MEETINGS, meeting, world, roles=HOLDERS)
    assert_role_matrix(HOLD_MEETINGS, world.estate, world, roles=HOLDERS)
    assert_holds_anywhere(HOLD_MEETINGS, world, roles=HOLDERS)


def test_a_grid_worker_signs_in_only_the_dwellings_of_their_grid(world):
    assert_role_matrix(HOLD_MEETINGS, world.dwelling, world, roles=HOLDERS, building_level=True)


def test_minutes_are_read_by_staff_in_scope_and_the_estates_residents(world, meeting):
    assert_role_matrix(READ_MINUTES, meeting, world, roles=WORKBENCH_ROLES, residents=True)
