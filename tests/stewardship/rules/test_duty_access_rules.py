"""Role × state matrices of the duty and access permissions (see tests/rules_matrix.py), and
the members of the current 自管会, who hold them for their estate without any role."""

from __future__ import annotations

import pytest

from tests.factories import make_owner, make_self_committee, make_user, make_watch_world
from tests.rules_matrix import assert_holds_anywhere, assert_role_matrix, make_rules_world
from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.stewardship.models import AccessAnomaly, AccessEvent
from xiaoqu.stewardship.rules import (
    MANAGE_ACCESS,
    MANAGE_DUTY,
    VIEW_ACCESS,
    VIEW_DUTY,
    WATCH_ROLES,
)

pytestmark = pytest.mark.django_db

MATRIX = [
    (VIEW_DUTY, WORKBENCH_ROLES),
    (MANAGE_DUTY, WATCH_ROLES),
    (VIEW_ACCESS, WATCH_ROLES | {Role.STREET_STAFF}),
    (MANAGE_ACCESS, WATCH_ROLES),
]


@pytest.fixture
def world():
    return make_rules_world()


@pytest.fixture
def watch(world):
    """A shift, a gate with a device, a card, two events and an anomaly of 界内小区."""
    made = make_watch_world(world.estate, world.users["admin@unscoped"])
    return [
        world.estate,
        made["shift"],
        made["point"],
        made["device"],
        made["credential"],
        AccessEvent.objects.filter(point=made["point"]).first(),
        AccessAnomaly.objects.filter(event__point=made["point"]).first(),
    ]


def test_the_managing_side_runs_duty_and_gates():
    assert {
        Role.PROPERTY_MANAGER,
        Role.OWNERS_COMMITTEE,
        Role.COMMUNITY_STAFF,
        Role.ADMIN,
    } == WATCH_ROLES


@pytest.mark.parametrize(("permission", "roles"), MATRIX, ids=lambda v: getattr(v, "name", None))
def test_duty_and_access_permissions_per_role_and_state(world, watch, permission, roles):
    """Every object of the estate's duty and access answers alike (all estate-wide: a grid
    over either building reaches them); residents as such hold none of them."""
    assert None not in watch
    for obj in watch:
        assert_role_matrix(permission, obj, world, roles=roles, residents=False)


@pytest.mark.parametrize(("permission", "roles"), MATRIX, ids=lambda v: getattr(v, "name", None))
def test_duty_and_access_permissions_anywhere(world, permission, roles):
    assert_holds_anywhere(permission, world, roles=roles, residents=False)


@pytest.mark.parametrize(("permission", "roles"), MATRIX, ids=lambda v: getattr(v, "name", None))
def test_a_member_of_the_current_self_committee_holds_them_for_that_estate_only(
    world, watch, permission, roles
):
    """In a self-managed estate the 自管会 is the managing body: its members run the duty and
    the gates with no role; when the committee's term is over and a company takes over,
    they no longer do."""
    admin = world.users["admin@unscoped"]
    person = make_owner(world.other_building.dwellings.first(), "自管会委员")
    body = make_self_committee(world.estate, admin, [person])
    member = make_user(person=person, password=None)
    assert permission.has(member)
    for obj in watch:
        assert permission.has(member, obj), obj
        assert permission.scoped(member, type(obj)._default_manager.filter(pk=obj.pk)).exists()
    assert not permission.has(member, world.other_estate)
    body.ended_on = body.started_on
    body.save()
    fresh = make_user(person=person, password=None)
    assert not permission.has(fresh, world.estate)
    assert not permission.has(fresh)
