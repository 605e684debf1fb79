"""Named permissions of meetings (see docs/permissions.md).

* ``meetings.view_meetings``: staff of the estate's scope follow its meetings and records.
* ``meetings.hold_meetings``: schedule meetings, sign people in, keep the record, publish the
  minutes — those who gather opinions (grid workers, community and street staff) and those
  who run owners' votes (the owners' committee).
* ``meetings.read_minutes``: published minutes, for staff in scope and the estate's residents
  (a draft record is for staff only: checked by the page).
"""

from __future__ import annotations

from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.registry.scope import define

HOLD_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.STREET_STAFF,
        Role.OWNERS_COMMITTEE,
        Role.ADMIN,
    }
)

VIEW_MEETINGS = define(
    "meetings.view_meetings",
    roles=WORKBENCH_ROLES,
    description="an estate's meetings, sign-ins and records",
)
HOLD_MEETINGS = define(
    "meetings.hold_meetings",
    roles=HOLD_ROLES,
    description="schedule meetings, sign households in, keep and publish the record",
)
READ_MINUTES = define(
    "meetings.read_minutes",
    roles=WORKBENCH_ROLES,
    residents=True,
    description="published minutes: staff in scope and the estate's residents",
)
