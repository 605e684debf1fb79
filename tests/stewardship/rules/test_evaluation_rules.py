"""Role × state matrices of the monthly evaluation's permissions (see tests/rules_matrix.py):
``stewardship.evaluate``, ``stewardship.publish_reports``, ``stewardship.view_rankings``."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import last_month, make_meeting, make_owner, make_user
from tests.rules_matrix import STATES, assert_holds_anywhere, assert_role_matrix, make_rules_world
from xiaoqu.accounts.models import Role, RoleAssignment
from xiaoqu.stewardship.rules import (
    EVALUATE,
    EVALUATE_ROLES,
    PUBLISH_REPORTS,
    RANKING_ROLES,
    REPORT_ROLES,
    VIEW_RANKINGS,
)
from xiaoqu.stewardship.services import bodies, evaluation

pytestmark = pytest.mark.django_db


def self_committee(estate, admin, dwelling):
    """A 自管会 managing ``estate`` since before last month, with the user of a member."""
    start = last_month() - dt.timedelta(days=60)
    bodies.body_start(
        estate=estate,
        kind="self_committee",
        name=f"{estate.name}自管会",
        started_on=start,
        elected_at=make_meeting(estate, "council", held_on=start - dt.timedelta(days=1)),
        term_end=start + dt.timedelta(days=1000),
        actor=admin,
    )
    person = make_owner(dwelling, "自管会主任")
    bodies.member_add(estate=estate, person=person, role="主任", actor=admin)
    return make_user(person=person, password=None)


@pytest.fixture
def world():
    """The rules world with a self-managed 界内小区 (a member of its 自管会 is
    ``committee_member@estate``, one of 界外小区's ``committee_member@outside``), last month's
    evaluation by community staff and its report."""
    world = make_rules_world()
    admin = world.users["admin@unscoped"]
    world.users["committee_member@estate"] = self_committee(
        world.estate, admin, world.other_building.dwellings.first()
    )
    world.users["committee_member@outside"] = self_committee(
        world.other_estate, admin, world.other_estate.dwellings.first()
    )
    evaluation.criteria_ensure()
    staff = make_user(Role.COMMUNITY_STAFF, region=world.estate.community, password=None)
    world.evaluation = evaluation.evaluation_submit(
        estate=world.estate,
        month=last_month(),
        scores={"cleaning": 18, "facilities": 17, "safety": 19, "response": 14}
        | {"manner": 9, "disclosure": 12},
        comment="",
        actor=staff,
    )
    world.report = world.evaluation.report
    return world


def test_the_roles_of_the_evaluation():
    assert {Role.OWNERS_COMMITTEE, Role.COMMUNITY_STAFF, Role.ADMIN} == EVALUATE_ROLES
    assert {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN} == REPORT_ROLES
    assert {Role.STREET_STAFF, Role.HOUSING_BUREAU, Role.ADMIN} == RANKING_ROLES


def test_evaluate_per_role_and_state_and_for_the_committees_members(world):
    """The owners' committee, community staff and the members of the estate's current
    自管会 (without any role) — not a member of another estate's committee, not residents."""
    for obj in (world.estate, world.evaluation, world.report):
        assert_role_matrix(
            EVALUATE,
            obj,
            world,
            roles=EVALUATE_ROLES,
            overrides={"committee_member@estate": True},
        )


def test_evaluate_anywhere_includes_committee_members(world):
    member = world.users.pop("committee_member@estate")
    world.users.pop("committee_member@outside")
    assert_holds_anywhere(EVALUATE, world, roles=EVALUATE_ROLES)
    assert EVALUATE.has(member)
    bodies.member_remove(
        member=world.estate.bodies.get(ended_on=None).members.get(), actor=world.users["superuser"]
    )
    fresh = type(member).objects.get(pk=member.pk)
    assert not EVALUATE.has(fresh) and not EVALUATE.has(fresh, world.estate)


def test_publish_reports_per_role_and_state(world):
    for obj in (world.estate, world.report):
        assert_role_matrix(PUBLISH_REPORTS, obj, world, roles=REPORT_ROLES)
    world.users.pop("committee_member@estate")
    world.users.pop("committee_member@outside")
    assert_holds_anywhere(PUBLISH_REPORTS, world, roles=REPORT_ROLES)


def test_view_rankings_needs_a_scope_holding_the_whole_street(world):
    """A street's ranking: its roles assigned to the street or above; the same roles assigned
    to the community, the estate or a grid below the street do not reach it."""
    street = world.estate.community.parent
    for role in Role:
        user = make_user(password=None)
        RoleAssignment.objects.create(user=user, role=role, region=street)
        world.users[f"{role.value}@street"] = user
    below = {
        f"{role}@{state}": False
        for role in RANKING_ROLES
        for state in STATES
        if state not in ("outside", "mixed")
    }
    assert_role_matrix(VIEW_RANKINGS, street, world, roles=RANKING_ROLES, overrides=below)
    for name in [n for n in world.users if n.startswith("committee_member@")]:
        world.users.pop(name)
    assert_holds_anywhere(VIEW_RANKINGS, world, roles=RANKING_ROLES)
