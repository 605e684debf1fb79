"""Named permissions of owner votes (CONVENTIONS 4).

* ``decisions.view_votes``: staff of the estate's scope follow votes (participation, results).
* ``decisions.manage_votes``: create, open and close votes (community and street staff, the
  owners' committee).
* ``decisions.enter_ballots``: enter paper and proxy ballots (the same roles).
* ``decisions.view_plans``: staff of the estate's scope read plans, drafts included.
* ``decisions.manage_plans``: draw up, consult on and publish renovation plans (community and
  street staff, who manage the demand list).

Owners vote on their own pages (``AUTHENTICATED`` plus the elector check); the receipt check
is public.
"""

from __future__ import annotations

import rules

from xiaoqu.core.policy import has_any_role
from xiaoqu.core.rules import has_workbench_role, is_global_administrator
from xiaoqu.needs.rules import can_manage_demands

VOTE_ROLES = frozenset({"community_staff", "street_staff", "owners_committee", "admin"})


@rules.predicate
def can_run_votes(user) -> bool:
    return has_any_role(user, VOTE_ROLES)


rules.add_perm("decisions.view_votes", has_workbench_role | is_global_administrator)
rules.add_perm("decisions.manage_votes", can_run_votes | is_global_administrator)
rules.add_perm("decisions.enter_ballots", can_run_votes | is_global_administrator)
rules.add_perm("decisions.view_plans", has_workbench_role | is_global_administrator)
# Renovation plans are drawn up by those who manage the demand list.
rules.add_perm("decisions.manage_plans", can_manage_demands | is_global_administrator)
