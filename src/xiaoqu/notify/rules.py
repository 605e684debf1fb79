"""Named permissions of notifications (see docs/permissions.md).

* ``notify.view_deliveries``: the record of an estate's notifications — who was sent what,
  when, on which channel, whether it was delivered or why not — for community staff and
  above. It names residents (phones and WeChat ids masked), so it is not for the owners'
  committee or the property manager.

A person's own inbox and choices need a login only: the pages read the caller's own rows.
"""

from __future__ import annotations

from xiaoqu.accounts.models import Role
from xiaoqu.registry.scope import define

RECORD_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.HOUSING_BUREAU, Role.ADMIN})

VIEW_DELIVERIES = define(
    "notify.view_deliveries",
    roles=RECORD_ROLES,
    description="the record of an estate's notifications: recipients, channels, delivery",
)
