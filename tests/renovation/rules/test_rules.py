"""Role × state matrices of the works' permissions (see tests/rules_matrix.py).

Contractor and supervisor staff reach a project only as its party staff: in the matrix's
world nobody of those roles is on the project, so they are refused; a member is checked
separately, inside and outside their assignment's scope.
"""

from __future__ import annotations

import pytest

from tests.factories import make_project, make_user
from tests.rules_matrix import assert_role_matrix, make_rules_world
from xiaoqu.accounts.models import Role, RoleAssignment
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.decisions.rules import MANAGE_PLANS
from xiaoqu.needs.rules import MANAGE_DEMANDS
from xiaoqu.renovation.models import ProjectItem
from xiaoqu.renovation.rules import (
    ANSWER_SURVEYS,
    COMPLAIN,
    ENTER_SURVEYS,
    HANDLE_COMPLAINTS,
    MANAGE_MONEY,
    MANAGE_PROJECTS,
    MONEY_ROLES,
    PARTY_ROLES,
    PROJECT_ROLES,
    READ_PROJECTS,
    REPORT_PROGRESS,
    SIGN_HIDDEN_WORKS,
    VIEW_PROJECTS,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_rules_world()


@pytest.fixture
def project(world):
    return make_project(world.estate, world.users["admin@unscoped"])


def _party_refused(roles) -> dict[str, bool]:
    """Contractor and supervisor users who are not on the project are refused everywhere."""
    return {
        f"{role.value}@{state}": False
        for role in PARTY_ROLES
        if role in roles
        for state in ("estate", "region", "grid", "grid_other")
    }


def test_the_roles_that_manage_projects_also_manage_demands():
    """Completing a project moves its demands to done through the needs services."""
    assert MANAGE_DEMANDS.roles >= PROJECT_ROLES
    assert MANAGE_PLANS.roles >= PROJECT_ROLES
    assert {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.HOUSING_BUREAU, Role.ADMIN} == MONEY_ROLES


@pytest.mark.parametrize(
    ("permission", "roles", "residents"),
    [
        (VIEW_PROJECTS, WORKBENCH_ROLES, False),
        (MANAGE_PROJECTS, PROJECT_ROLES, False),
        (MANAGE_MONEY, MONEY_ROLES, False),
        (REPORT_PROGRESS, REPORT_PROGRESS.roles, False),
        (SIGN_HIDDEN_WORKS, SIGN_HIDDEN_WORKS.roles, False),
        (HANDLE_COMPLAINTS, HANDLE_COMPLAINTS.roles, False),
        (READ_PROJECTS, WORKBENCH_ROLES, True),
    ],
    ids=lambda v: getattr(v, "name", None),
)
def test_project_permissions_per_role_and_state(world, project, permission, roles, residents):
    item = project.items.first()
    for obj in (project, item):
        assert_role_matrix(
            permission,
            obj,
            world,
            roles=roles,
            residents=residents,
            overrides=_party_refused(roles),
        )


@pytest.mark.parametrize("permission", [COMPLAIN, ANSWER_SURVEYS])
def test_residents_complain_and_answer_surveys(world, permission):
    assert_role_matrix(permission, world.estate, world, roles=(), residents=True)


def test_paper_surveys_are_entered_by_community_staff_and_grid_workers(world):
    assert_role_matrix(ENTER_SURVEYS, world.estate, world, roles=ENTER_SURVEYS.roles)


@pytest.mark.parametrize("role", sorted(PARTY_ROLES))
def test_party_staff_reach_their_project_inside_their_scope_only(world, project, role):
    """On the project and assigned to its estate: yes; on the project but assigned elsewhere,
    or assigned here but on no project: no."""
    from xiaoqu.renovation.models import ProjectMember

    company = project.builder if role == Role.CONTRACTOR else project.supervisor
    here = make_user(role, estate=world.estate, password=None)
    elsewhere = make_user(role, estate=world.other_estate, password=None)
    idle = make_user(role, estate=world.estate, password=None)
    for user in (here, elsewhere):
        ProjectMember.objects.create(project=project, user=user, company=company)
    item = project.items.first()
    permission = VIEW_PROJECTS
    assert permission.has(here, project) and permission.has(here, item)
    assert permission.has(here, world.estate) and not permission.has(idle, world.estate)
    assert not permission.has(elsewhere, project) and not permission.has(elsewhere, item)
    assert not permission.has(idle, project) and not permission.has(idle, item)
    assert list(permission.scoped(here, ProjectItem.objects.all())) == list(project.items.all())
    # The role held in scope by a second assignment does not widen the first.
    RoleAssignment.objects.create(user=elsewhere, role=Role.GRID_WORKER, estate=world.estate)
    del elsewhere._xiaoqu_roles
    assert not REPORT_PROGRESS.has(elsewhere, item)
