"""Named permissions of the life circle (see docs/permissions.md).

* ``lifecircle.view``: every workbench role reads the standard, the analyses of the regions
  of its scope (the gap table narrowed to the estates of its scope) and estates' report cards.
* ``lifecircle.run_analysis``: community and street staff, the housing bureau and
  administrators run an analysis of a region of their scope — through those roles only, so a
  community clerk who is also a Party member elsewhere runs analyses of the clerk's
  community only. The same people upload facility spreadsheets on the region's page (the
  facilities must lie near the region's estates: docs/life-circle.md#facilities).

Turning a gap into a demand needs ``needs.manage_demands`` for the estate.
"""

from __future__ import annotations

from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.registry.scope import define

ANALYSIS_ROLES = frozenset(
    {Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.HOUSING_BUREAU, Role.ADMIN}
)

VIEW_LIFE_CIRCLE = define(
    "lifecircle.view",
    roles=WORKBENCH_ROLES,
    description="the facility standard, regions' analyses and estates' report cards",
)
RUN_ANALYSIS = define(
    "lifecircle.run_analysis",
    roles=ANALYSIS_ROLES,
    description="run a region's walking-distance analysis from a street network file",
)
