"""Role × state matrices of the stewardship app's permissions (see tests/rules_matrix.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_meeting, make_owner, make_passed_vote, make_user
from tests.rules_matrix import assert_holds_anywhere, assert_role_matrix, make_rules_world
from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.stewardship.rules import BODY_ROLES, MANAGE_BODIES, READ_MANAGEMENT, VIEW_MANAGEMENT
from xiaoqu.stewardship.services import bodies

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_rules_world()


@pytest.fixture
def management(world):
    """A 自管会 of 界内小区 with a member, its covenant and the property manager's seat."""
    admin = world.users["admin@unscoped"]
    estate = world.estate
    today = dt.date.today()
    body = bodies.body_start(
        estate=estate,
        kind="self_committee",
        name="界内自管会",
        started_on=today - dt.timedelta(days=5),
        elected_at=make_meeting(estate, "council", held_on=today - dt.timedelta(days=6)),
        term_end=today + dt.timedelta(days=700),
        actor=admin,
    )
    member = bodies.member_add(
        estate=estate,
        person=make_owner(world.other_building.dwellings.first()),
        role="主任",
        actor=admin,
    )
    document = bodies.document_add(
        estate=estate,
        kind="covenant",
        title="管理规约",
        text="……",
        effective_on=today,
        vote=make_passed_vote(estate, admin, matter=2),
        actor=admin,
    )
    seat = bodies.seat_add(
        estate=estate,
        party="manager",
        user=make_user(Role.PROPERTY_MANAGER, estate=estate, password=None),
        actor=admin,
    )
    return [estate, body, member, document, seat]


def test_bodies_are_managed_by_community_and_street_staff():
    assert {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN} == BODY_ROLES


@pytest.mark.parametrize(
    ("permission", "roles", "residents"),
    [
        (VIEW_MANAGEMENT, WORKBENCH_ROLES, False),
        (MANAGE_BODIES, BODY_ROLES, False),
        (READ_MANAGEMENT, WORKBENCH_ROLES, True),
    ],
    ids=lambda v: getattr(v, "name", None),
)
def test_management_permissions_per_role_and_state(world, management, permission, roles, residents):
    """The estate and each object of its management (all estate-wide: a grid over either
    building reaches them) answer alike."""
    for obj in management:
        assert_role_matrix(permission, obj, world, roles=roles, residents=residents)


@pytest.mark.parametrize(
    ("permission", "roles", "residents"),
    [
        (VIEW_MANAGEMENT, WORKBENCH_ROLES, False),
        (MANAGE_BODIES, BODY_ROLES, False),
        (READ_MANAGEMENT, WORKBENCH_ROLES, True),
    ],
    ids=lambda v: getattr(v, "name", None),
)
def test_management_permissions_anywhere(world, permission, roles, residents):
    assert_holds_anywhere(permission, world, roles=roles, residents=residents)
