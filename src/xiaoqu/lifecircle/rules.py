"""Named permissions of the life circle.

* ``lifecircle.view``: every workbench role reads the standard, analyses and report cards.
* ``lifecircle.run_analysis``: community and street staff, the housing bureau and
  administrators run an analysis for a region and import facilities.
Turning a gap into a demand needs ``needs.manage_demands`` (checked by the needs service).
"""

from __future__ import annotations

import rules

from xiaoqu.core.policy import has_any_role
from xiaoqu.core.rules import has_workbench_role, is_global_administrator

ANALYSIS_ROLES = frozenset({"community_staff", "street_staff", "housing_bureau", "admin"})


@rules.predicate
def can_run_analysis(user) -> bool:
    return has_any_role(user, ANALYSIS_ROLES)


rules.add_perm("lifecircle.view", has_workbench_role | is_global_administrator)
rules.add_perm("lifecircle.run_analysis", can_run_analysis | is_global_administrator)
