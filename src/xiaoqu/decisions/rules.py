"""Named permissions of owner votes and renovation plans (see docs/permissions.md).

Votes:

* ``decisions.view_votes``: staff of the estate's scope follow its votes (participation,
  results, objections received).
* ``decisions.manage_votes``: create, open, close votes and publish their results — community
  and street staff and the owners' committee.
* ``decisions.enter_ballots``: enter paper and proxy ballots (the same roles).
* ``decisions.read_votes``: a vote as residents see it — the ballot page, the result and its
  printed notice — for staff in scope and the estate's residents. Only an owner in the vote's
  frozen electorate casts a ballot there: that is a check of the electorate (who owned a unit
  in scope when the vote opened), made by the ballot page and ``ballot_cast``, not of scope.
* ``decisions.raise_objections``: the estate's residents may send an objection to a published
  result; ``objection_raise`` admits the owners of the vote's frozen electorate only.
* ``decisions.chase_turnout``: the turnout page of a vote (催票): which dwellings' owners have
  not voted yet, never how anyone voted — community and street staff, and grid workers for
  the dwellings of their grid. The owners' committee runs votes but does not get the list of
  neighbours who stayed away.
* ``decisions.assign_turnout``: hand those dwellings to the grid worker or liaison member
  who covers them — community and street staff.

Plans:

* ``decisions.view_plans``: staff of the estate's scope read its plans, drafts included.
* ``decisions.manage_plans``: draw up, consult on and publish renovation plans — community and
  street staff. Publishing moves the answered demands on through the needs services, so
  these roles must also manage the estate's demands (``needs.manage_demands``; pinned by
  tests/decisions/rules/test_rules.py).
* ``decisions.read_plans``: a plan in consultation or published, for staff in scope and the
  estate's residents (drafts are for staff: the page finds only the others).
* ``decisions.comment_on_plans``: the estate's residents comment during the consultation.

The receipt check is public.
"""

from __future__ import annotations

from xiaoqu.accounts.models import Role
from xiaoqu.accounts.roles import WORKBENCH_ROLES
from xiaoqu.registry.scope import define

VOTE_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.OWNERS_COMMITTEE, Role.ADMIN})
PLAN_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN})
TURNOUT_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.ADMIN})

VIEW_VOTES = define(
    "decisions.view_votes",
    roles=WORKBENCH_ROLES,
    description="an estate's votes, their participation and results",
)
MANAGE_VOTES = define(
    "decisions.manage_votes",
    roles=VOTE_ROLES,
    description="create, open and close votes, publish their results",
)
ENTER_BALLOTS = define(
    "decisions.enter_ballots", roles=VOTE_ROLES, description="enter paper and proxy ballots"
)
READ_VOTES = define(
    "decisions.read_votes",
    roles=WORKBENCH_ROLES,
    residents=True,
    description="a vote's ballot page, result and notice: staff in scope and the estate's "
    "residents (only electors of the frozen electorate cast a ballot)",
)
RAISE_OBJECTIONS = define(
    "decisions.raise_objections",
    roles=(),
    residents=True,
    description="object to a published result: the estate's residents (electors only)",
)
CHASE_TURNOUT = define(
    "decisions.chase_turnout",
    roles=TURNOUT_ROLES | {Role.GRID_WORKER},
    description="a vote's turnout: the dwellings whose owners have not voted yet (never a "
    "choice); grid workers for their grid's dwellings",
)
ASSIGN_TURNOUT = define(
    "decisions.assign_turnout",
    roles=TURNOUT_ROLES,
    description="hand non-voters' dwellings to the grid worker or liaison member covering them",
)
VIEW_PLANS = define(
    "decisions.view_plans",
    roles=WORKBENCH_ROLES,
    description="an estate's renovation plans, drafts included",
)
MANAGE_PLANS = define(
    "decisions.manage_plans",
    roles=PLAN_ROLES,
    description="draw up, consult on and publish renovation plans",
)
READ_PLANS = define(
    "decisions.read_plans",
    roles=WORKBENCH_ROLES,
    residents=True,
    description="plans in consultation or published: staff in scope and the estate's residents",
)
COMMENT_ON_PLANS = define(
    "decisions.comment_on_plans",
    roles=(),
    residents=True,
    description="comment on a plan during its consultation: the estate's residents",
)
