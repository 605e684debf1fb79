"""Predicates shared by every app's rules.py."""

from __future__ import annotations

import rules

from xiaoqu.core.policy import WORKBENCH_ROLES, has_any_role, is_global_admin


@rules.predicate
def is_global_administrator(user) -> bool:
    return is_global_admin(user)


@rules.predicate
def has_workbench_role(user) -> bool:
    return has_any_role(user, WORKBENCH_ROLES)
