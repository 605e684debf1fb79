"""Named permissions of the dashboards (see docs/permissions.md).

* ``insights.view``: every workbench role reads the figures, charts, maps and exports of the
  regions and estates of its scope; a region's figures cover its whole subtree, which lies
  inside the scope of anyone who may see the region.
"""

from __future__ import annotations

from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.registry.scope import define

VIEW_INSIGHTS = define(
    "insights.view",
    roles=WORKBENCH_ROLES,
    description="regions' and estates' figures, charts, maps and their spreadsheet exports",
)
