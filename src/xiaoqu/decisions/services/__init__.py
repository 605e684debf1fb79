"""Writes for owner votes and renovation plans, one module per part of the work:

* ``votes``: create a vote, open it (freeze the electorate), cast ballots, close it;
* ``results``: publish a closed vote's result and take the owners' objections;
* ``plans``: draw up a plan, consult the residents on it, publish it.

Every service checks the acting user's permission for the object (``decisions.rules``) and
writes an audit row in the same transaction. The names are re-exported here, so callers
write ``services.vote_open(...)`` whichever module holds it.
"""

from xiaoqu.decisions.services.plans import (
    is_consulting,
    plan_comment,
    plan_create,
    plan_exclusion_set,
    plan_item_add,
    plan_item_remove,
    plan_meetings_set,
    plan_open_consultation,
    plan_publish,
)
from xiaoqu.decisions.services.results import (
    OBJECTION_DAYS_ALTERATION_DEFAULT,
    OBJECTION_DAYS_DEFAULT,
    objection_days_for,
    objection_raise,
    vote_publish_result,
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
    "ballot_cast",
    "elector_for",
    "electorate",
    "is_consulting",
    "objection_days_for",
    "objection_raise",
    "plan_comment",
    "plan_create",
    "plan_exclusion_set",
    "plan_item_add",
    "plan_item_remove",
    "plan_meetings_set",
    "plan_open_consultation",
    "plan_publish",
    "vote_close",
    "vote_create",
    "vote_open",
    "vote_publish_result",
]
