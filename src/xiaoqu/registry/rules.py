"""Named permissions of the register."""

from __future__ import annotations

import rules

from xiaoqu.core.rules import has_workbench_role, is_global_administrator

rules.add_perm("registry.view_workbench", has_workbench_role | is_global_administrator)
