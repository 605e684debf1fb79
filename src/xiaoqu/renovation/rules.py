"""Named permissions of the works (see docs/permissions.md and docs/renovation.md).

Contractor and supervisor staff hold their roles at the estates they work in, and reach a
project only when they are on its list of party staff (``ProjectMember``): a builder working
in one estate does not see another builder's project next door. The other roles reach
projects by the scope of their assignment like everything else.

* ``renovation.view_projects``: follow projects, their items, progress, money and events —
  staff in scope (contractor and supervisor: their projects).
* ``renovation.manage_projects``: create projects from published plans, move their stages,
  name the parties, link owners' votes, Party duty, contributions, acceptance and surveys —
  community and street staff (completing a project moves its demands to done, so these
  roles also manage the estate's demands).
* ``renovation.manage_batches``: annual batches of a region — the housing bureau and street
  staff (a street may keep its own list).
* ``renovation.report_progress``: progress, site diary, photos and hidden-works records —
  the contractor's staff on the project, community and street staff.
* ``renovation.sign_hidden_works``: the supervisor's staff on the project sign hidden works
  (the project's resident supervisor signs as a resident, checked by the service).
* ``renovation.manage_money``: funding received and payments — community and street staff,
  the housing bureau.
* ``renovation.handle_complaints``: answer and close residents' complaints during the works —
  the contractor's staff on the project, community staff, grid workers and Party members.
* ``renovation.read_projects``: a project as residents see it (items, progress, who to call,
  results) — staff in scope and the estate's residents.
* ``renovation.complain``: the estate's residents raise complaints and suggestions.
* ``renovation.answer_surveys``: the estate's residents answer the satisfaction survey (one
  answer per dwelling, checked by the service); staff enter paper forms with
  ``renovation.enter_surveys`` (community staff and grid workers).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.core.policy import ScopePath, scope_path_of
from xiaoqu.registry.scope import ScopedPermission, define, roles_q

M = TypeVar("M", bound=Model)

# The path to the projects of models of other apps (this app's models declare
# ``project_path``): party staff reach an estate through the projects they work on.
OTHER_PROJECT_PATHS = {"registry.Estate": "projects"}

# Roles that reach a project only as its party staff (ProjectMember).
PARTY_ROLES = frozenset({Role.CONTRACTOR, Role.SUPERVISOR})
# Completing a project moves its demands to done, so these roles also manage demands.
PROJECT_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN})
MONEY_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.HOUSING_BUREAU, Role.ADMIN})


class ProjectPermission(ScopedPermission):
    """A scoped permission whose contractor and supervisor roles hold it only on the projects
    they are party staff of, and like every role only inside their assignment's scope.

    Models of this app name the path to their project in ``project_path``.
    """

    def q(self, user: Any, path: ScopePath) -> Q | None:
        """What the roles other than contractor and supervisor (and residents) reach."""
        staff = roles_q(user, self.roles - PARTY_ROLES, path)
        if staff is None:
            return None
        return staff | self.extra_q(user, path) if self.residents else staff

    def scoped(self, user: Any, queryset: QuerySet[M]) -> QuerySet[M]:
        model = queryset.model
        path = scope_path_of(model)
        q = self.q(user, path)
        if q is None:
            return queryset
        party_roles = self.roles & PARTY_ROLES
        if party_roles and getattr(user, "pk", None) is not None:
            party = roles_q(user, party_roles, path)
            project_path = getattr(model, "project_path", None)
            if project_path is None:
                project_path = OTHER_PROJECT_PATHS.get(model._meta.label)
            if project_path is not None:
                member = Q(**{path.join(project_path, "members__user"): user.pk})
                q |= member if party is None else party & member
        return queryset.filter(pk__in=model._default_manager.filter(q).values("pk"))


def define_project(name: str, **kwargs: Any) -> ScopedPermission:
    return define(name, kind=ProjectPermission, **kwargs)


VIEW_PROJECTS = define_project(
    "renovation.view_projects",
    roles=WORKBENCH_ROLES,
    description="projects, their items, progress, money and events (contractor and "
    "supervisor: the projects they work on)",
)
MANAGE_PROJECTS = define_project(
    "renovation.manage_projects",
    roles=PROJECT_ROLES,
    description="create projects from published plans, move their stages, name the parties, "
    "link votes, duty, contributions, acceptance and surveys",
)
MANAGE_BATCHES = define(
    "renovation.manage_batches",
    roles={Role.HOUSING_BUREAU, Role.STREET_STAFF, Role.ADMIN},
    description="annual batches of a region and the optimiser that proposes them",
)
REPORT_PROGRESS = define_project(
    "renovation.report_progress",
    roles={Role.CONTRACTOR, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN},
    description="progress, site diary, photos and hidden-works records (contractor: its projects)",
)
SIGN_HIDDEN_WORKS = define_project(
    "renovation.sign_hidden_works",
    roles={Role.SUPERVISOR, Role.ADMIN},
    description="sign hidden-works records as the supervisor (its projects)",
)
MANAGE_MONEY = define_project(
    "renovation.manage_money",
    roles=MONEY_ROLES,
    description="funds received and payments of a project",
)
HANDLE_COMPLAINTS = define_project(
    "renovation.handle_complaints",
    roles={
        Role.CONTRACTOR,
        Role.GRID_WORKER,
        Role.PARTY_MEMBER,
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.ADMIN,
    },
    description="answer and close residents' complaints during the works (contractor: its "
    "projects)",
)
READ_PROJECTS = define_project(
    "renovation.read_projects",
    roles=WORKBENCH_ROLES,
    residents=True,
    description="a project as residents see it: staff in scope and the estate's residents",
)
COMPLAIN = define(
    "renovation.complain",
    roles=(),
    residents=True,
    description="raise complaints and suggestions during the works: the estate's residents",
)
ANSWER_SURVEYS = define(
    "renovation.answer_surveys",
    roles=(),
    residents=True,
    description="answer the satisfaction survey: the estate's residents, once per dwelling",
)
ENTER_SURVEYS = define(
    "renovation.enter_surveys",
    roles={Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN},
    description="enter paper survey forms",
)
