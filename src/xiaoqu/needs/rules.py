"""Named permissions of the needs app (CONVENTIONS 4).

* ``needs.view_needs``: read campaigns, opinions, demands and lists of estates in scope
  (every workbench role).
* ``needs.record_visit``: knock on doors and record what was heard (grid workers, Party
  members, community and street staff).
* ``needs.record_opinions``: enter opinions from meetings, the hotline and spreadsheets, and
  correct categories (community and street staff, grid workers).
* ``needs.manage_demands``: split, join, rename and move demands, publish lists, run
  campaigns (community and street staff).

Administrators hold all of them. Residents reach their own pages through ``AUTHENTICATED``
plus the resident scope (``home_estates``).
"""

from __future__ import annotations

import rules

from xiaoqu.core.policy import has_any_role
from xiaoqu.core.rules import has_workbench_role, is_global_administrator

VISIT_ROLES = frozenset({"grid_worker", "party_member", "community_staff", "street_staff", "admin"})
OPINION_ROLES = frozenset({"grid_worker", "community_staff", "street_staff", "admin"})
DEMAND_ROLES = frozenset({"community_staff", "street_staff", "admin"})


@rules.predicate
def can_visit(user) -> bool:
    return has_any_role(user, VISIT_ROLES)


@rules.predicate
def can_record_opinions(user) -> bool:
    return has_any_role(user, OPINION_ROLES)


@rules.predicate
def can_manage_demands(user) -> bool:
    return has_any_role(user, DEMAND_ROLES)


rules.add_perm("needs.view_needs", has_workbench_role | is_global_administrator)
rules.add_perm("needs.record_visit", can_visit | is_global_administrator)
rules.add_perm("needs.record_opinions", can_record_opinions | is_global_administrator)
rules.add_perm("needs.manage_demands", can_manage_demands | is_global_administrator)
