"""Role × state matrices of the vote and plan permissions (see tests/rules_matrix.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.rules_matrix import assert_holds_anywhere, assert_role_matrix, make_rules_world
from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.decisions.models import Elector, ElectorUnit, Plan, PlanItem, Vote
from xiaoqu.decisions.rules import (
    ASSIGN_TURNOUT,
    CHASE_TURNOUT,
    COMMENT_ON_PLANS,
    ENTER_BALLOTS,
    MANAGE_PLANS,
    MANAGE_VOTES,
    PLAN_ROLES,
    RAISE_OBJECTIONS,
    READ_PLANS,
    READ_VOTES,
    TURNOUT_ROLES,
    VIEW_PLANS,
    VIEW_VOTES,
    VOTE_ROLES,
)

pytestmark = pytest.mark.django_db

NOBODY: frozenset[Role] = frozenset()


@pytest.fixture
def world():
    return make_rules_world()


@pytest.fixture
def vote(world):
    """An estate-wide vote of 界内小区 (for the matrix its state does not matter)."""
    now = timezone.now()
    return Vote.objects.create(
        estate=world.estate,
        matter=7,
        title="加装电梯",
        scope="estate",
        opens_at=now,
        closes_at=now + dt.timedelta(days=7),
        salt="s",
    )


@pytest.fixture
def elector(vote):
    return Elector.objects.create(
        vote=vote, owner_key="p:1", pseudonym="x", area=Decimal(80), area_hundredths=8000, units=1
    )


@pytest.fixture
def unit(vote, elector, world):
    """A unit of the vote's electorate: building 1's dwelling."""
    return ElectorUnit.objects.create(
        vote=vote, elector=elector, dwelling=world.dwelling, area=Decimal(80), status="owned"
    )


@pytest.fixture
def plan(world):
    return Plan.objects.create(estate=world.estate, version=1, title="改造方案")


def test_the_roles_that_run_votes_and_draw_up_plans():
    """Votes: community and street staff and the owners' committee; plans: community and
    street staff (the administrator holds both)."""
    assert {
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.OWNERS_COMMITTEE,
        Role.ADMIN,
    } == VOTE_ROLES
    assert {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN} == PLAN_ROLES


def test_staff_of_the_scope_follow_the_votes(world, vote):
    assert_role_matrix(VIEW_VOTES, vote, world, roles=WORKBENCH_ROLES)
    assert_role_matrix(VIEW_VOTES, world.estate, world, roles=WORKBENCH_ROLES)
    assert_holds_anywhere(VIEW_VOTES, world, roles=WORKBENCH_ROLES)


def test_votes_are_run_by_community_and_street_staff_and_the_owners_committee(world, vote):
    """A grid worker, Party member or property manager follows votes but does not run them."""
    assert_role_matrix(MANAGE_VOTES, vote, world, roles=VOTE_ROLES)
    assert_role_matrix(MANAGE_VOTES, world.estate, world, roles=VOTE_ROLES)
    assert_holds_anywhere(MANAGE_VOTES, world, roles=VOTE_ROLES)


def test_paper_and_proxy_ballots_are_entered_by_those_who_run_votes(world, vote, elector):
    """On the vote, and on an elector of its frozen electorate (reached through the vote)."""
    assert_role_matrix(ENTER_BALLOTS, vote, world, roles=VOTE_ROLES)
    assert_role_matrix(ENTER_BALLOTS, elector, world, roles=VOTE_ROLES)
    assert_holds_anywhere(ENTER_BALLOTS, world, roles=VOTE_ROLES)


def test_a_vote_is_read_by_staff_in_scope_and_the_estates_residents(world, vote):
    """The ballot page, the result and the notice; casting is decided by the electorate."""
    assert_role_matrix(READ_VOTES, vote, world, roles=WORKBENCH_ROLES, residents=True)
    assert_holds_anywhere(READ_VOTES, world, roles=WORKBENCH_ROLES, residents=True)


def test_objections_come_from_the_estates_residents_only(world, vote):
    """Staff in scope read the objections but do not raise them (the service further admits
    only owners of the frozen electorate)."""
    assert_role_matrix(RAISE_OBJECTIONS, vote, world, roles=NOBODY, residents=True)
    assert_holds_anywhere(RAISE_OBJECTIONS, world, roles=NOBODY, residents=True)


def test_turnout_is_chased_by_staff_and_by_grid_workers_at_their_grids_doors(world, vote, unit):
    """Who has not voted yet: community and street staff, and a grid worker for the units of
    the grid's buildings only — not the owners' committee, Party members or other roles."""
    roles = TURNOUT_ROLES | {Role.GRID_WORKER}
    assert_role_matrix(CHASE_TURNOUT, vote, world, roles=roles)
    assert_role_matrix(CHASE_TURNOUT, unit, world, roles=roles, building_level=True)
    assert_holds_anywhere(CHASE_TURNOUT, world, roles=roles)


def test_turnout_doors_are_handed_out_by_community_and_street_staff(world, vote, unit):
    assert {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN} == TURNOUT_ROLES
    assert_role_matrix(ASSIGN_TURNOUT, vote, world, roles=TURNOUT_ROLES)
    assert_role_matrix(ASSIGN_TURNOUT, unit, world, roles=TURNOUT_ROLES, building_level=True)
    assert_holds_anywhere(ASSIGN_TURNOUT, world, roles=TURNOUT_ROLES)


def test_staff_of_the_scope_read_plans_drafts_included(world, plan):
    assert_role_matrix(VIEW_PLANS, plan, world, roles=WORKBENCH_ROLES)
    assert_role_matrix(VIEW_PLANS, world.estate, world, roles=WORKBENCH_ROLES)
    assert_holds_anywhere(VIEW_PLANS, world, roles=WORKBENCH_ROLES)


def test_plans_are_drawn_up_by_community_and_street_staff(world, plan):
    """The owners' committee, a grid worker or a Party member does not draw up plans."""
    item = PlanItem.objects.create(
        plan=plan,
        reason="安全隐患",
        title="燃气立管",
        klass="basic",
        quantity=1,
        unit="项",
        cost_fen=0,
    )
    for obj in (plan, item, world.estate):
        assert_role_matrix(MANAGE_PLANS, obj, world, roles=PLAN_ROLES)
    assert_holds_anywhere(MANAGE_PLANS, world, roles=PLAN_ROLES)


def test_whoever_draws_up_an_estates_plans_also_manages_its_demands(world):
    """Publishing a plan moves the demands it answers on through the needs services, which ask
    for needs.manage_demands: every holder of decisions.manage_plans must hold it too."""
    lacking = [
        name
        for name, user in world.users.items()
        if MANAGE_PLANS.has(user, world.estate)
        and not user.has_perm("needs.manage_demands", world.estate)
    ]
    assert lacking == []


def test_a_plan_is_read_by_staff_in_scope_and_the_estates_residents(world, plan):
    """In consultation or published; the page finds no drafts for anyone."""
    assert_role_matrix(READ_PLANS, plan, world, roles=WORKBENCH_ROLES, residents=True)
    assert_holds_anywhere(READ_PLANS, world, roles=WORKBENCH_ROLES, residents=True)


def test_the_estates_residents_comment_on_its_plans(world, plan):
    assert_role_matrix(COMMENT_ON_PLANS, plan, world, roles=NOBODY, residents=True)
    assert_holds_anywhere(COMMENT_ON_PLANS, world, roles=NOBODY, residents=True)
