"""Named permissions of the needs app (see docs/permissions.md).

* ``needs.view_needs``: staff pages of door-knocking campaigns, opinions, demands and published
  list versions, for every workbench role in its scope.
* ``needs.record_visit``: knock on doors and record what was heard (grid workers, Party
  members, community and street staff), in the scope of one of these roles — a grid worker at
  the dwellings of the grid's buildings.
* ``needs.record_opinions``: enter opinions from the hotline and spreadsheets and correct their
  categories (grid workers, community and street staff); a grid worker for the grid's
  buildings and their dwellings.
* ``needs.manage_demands``: split, join, rename and move demands, publish demand lists and run
  campaigns (community and street staff).
* ``needs.read_lists``: published demand lists — the notice and its printed form — for staff
  in scope and the estate's residents.
* ``needs.read_opinions``: one opinion with its words: staff in scope (a grid reaches the
  opinions of its buildings and their dwellings; an opinion tied to no building needs a scope
  over the whole estate) and, as residents, the people it belongs to — who submitted it, and
  who own or live in the dwelling where it was heard. Wherever a demand shows its opinions,
  it shows these only.

Administrators hold all of them. A resident's own pages ("我的意见", a new opinion from the
phone) need a signed-in user and read the user's homes (``registry.scope.home_*``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.core.policy import ScopePath
from xiaoqu.needs.models import Campaign, Opinion
from xiaoqu.registry.scope import NOTHING, ScopedPermission, define, home_dwelling_ids

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User

VISIT_ROLES = frozenset(
    {Role.GRID_WORKER, Role.PARTY_MEMBER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN}
)
OPINION_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN})
DEMAND_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN})


def own_opinions_q(user: Any) -> Q:
    """Opinions that are the user's own: submitted by them, or heard at a dwelling they own or
    live in (what "我的意见" lists)."""
    if not getattr(user, "is_authenticated", False):
        return NOTHING
    homes = home_dwelling_ids(user)
    own = Q(submitted_by=user.pk)
    return own | Q(dwelling__in=homes) if homes else own


class OpinionReaders(ScopedPermission):
    """Residents read the opinions that are their own, not every opinion of their dwelling's
    estate; a resident who moved away still reads what they submitted."""

    def extra_q(self, user: Any, path: ScopePath) -> Q:
        if path is Opinion.scope_path:
            return own_opinions_q(user)
        return super().extra_q(user, path)

    def has(self, user: Any, obj: Any = None) -> bool:
        if super().has(user, obj):
            return True
        return (
            obj is None
            and getattr(user, "is_authenticated", False)
            and getattr(user, "is_active", True)
            and Opinion.objects.filter(submitted_by=user.pk).exists()
        )


VIEW_NEEDS = define(
    "needs.view_needs",
    roles=WORKBENCH_ROLES,
    description="staff pages of campaigns, opinions, demands and published list versions",
)
RECORD_VISIT = define(
    "needs.record_visit",
    roles=VISIT_ROLES,
    description="knock on doors and record what was heard",
)
RECORD_OPINIONS = define(
    "needs.record_opinions",
    roles=OPINION_ROLES,
    description="enter hotline and spreadsheet opinions, correct their categories",
)
MANAGE_DEMANDS = define(
    "needs.manage_demands",
    roles=DEMAND_ROLES,
    description="split, join, rename and move demands, publish lists, run campaigns",
)
READ_LISTS = define(
    "needs.read_lists",
    roles=WORKBENCH_ROLES,
    residents=True,
    description="published demand lists (notice, print): staff in scope and the estate's residents",
)
READ_OPINIONS = define(
    "needs.read_opinions",
    roles=WORKBENCH_ROLES,
    residents=True,
    kind=OpinionReaders,
    description="an opinion's words: staff in scope (a grid: its buildings' opinions) and the "
    "people it belongs to (who submitted it, who own or live where it was heard)",
)


def runs_campaign(user: User, campaign: Campaign) -> bool:
    """Whether the user manages demands on every estate of the campaign (who may open or
    close it: a campaign over several estates is not one person's to close from one)."""
    estates = campaign.estates.all()
    wanted = estates.count()
    return wanted > 0 and MANAGE_DEMANDS.scoped(user, estates).count() == wanted
