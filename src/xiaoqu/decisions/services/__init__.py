"""Writes for owner votes and renovation plans, one module per part of the work:

* ``votes``: create a vote, open it (freeze the electorate), cast ballots, close it;
* ``results``: publish a closed vote's result and take the owners' objections;
* ``plans``: draw up a plan, consult the residents on it, publish it;
* ``turnout``: hand the dwellings whose owners have not voted yet to those who knock (催票).

Every service checks the acting user's permission for the object (``decisions.rules``) and
writes an audit row in the same transaction. The names are re-exported here, so callers
write ``services.vote_open(...)`` whichever module holds it.
"""

from xiaoqu.decisions.services.plans import (
    NewItem,
    PlanItemsRefused,
    is_consulting,
    plan_comment,
    plan_consultation_change,
    plan_create,
    plan_exclusion_set,
    plan_item_add,
    plan_item_remove,
    plan_items_add,
    plan_meetings_set,
    plan_open_consultation,
    plan_publish,
    split_fen,
)
from xiaoqu.decisions.services.results import (
    OBJECTION_DAYS_ALTERATION_DEFAULT,
    OBJECTION_DAYS_DEFAULT,
    objection_days_for,
    objection_raise,
    vote_publish_result,
)
from xiaoqu.decisions.services.turnout import (
    TurnoutAssigned,
    assigned_message,
    turnout_assign,
    turnout_unassign,
)
from xiaoqu.decisions.services.votes import (
    Electorate,
    ballot_cast,
    elector_for,
    electorate,
    vote_close,
    vote_create,
    vote_open,
)

__all__ = [
    "OBJECTION_DAYS_ALTERATION_DEFAULT",
    "OBJECTION_DAYS_DEFAULT",
    "Electorate",
    "NewItem",
    "PlanItemsRefused",
    "TurnoutAssigned",
    "assigned_message",
    "ballot_cast",
    "elector_for",
    "electorate",
    "is_consulting",
    "objection_days_for",
    "objection_raise",
    "plan_comment",
    "plan_consultation_change",
    "plan_create",
    "plan_exclusion_set",
    "plan_item_add",
    "plan_item_remove",
    "plan_items_add",
    "plan_meetings_set",
    "plan_open_consultation",
    "plan_publish",
    "split_fen",
    "turnout_assign",
    "turnout_unassign",
    "vote_close",
    "vote_create",
    "vote_open",
    "vote_publish_result",
]
