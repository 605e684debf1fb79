"""The rules of a work order's life, as plain data (no Django): which move goes from which
states to which, who may make it, and the ladder of escalation.

States (``models.OrderStatus`` values): submitted → accepted → dispatched → in_progress →
resolved → confirmed, or reopened (back to work, keeping the history), plus rejected (with a
reason residents read) and merged (into an open duplicate). Resolved, confirmed, rejected and
merged are not open: the clock does not run on them.

Who makes a move:

* ``party``: handling moves (accept, dispatch, reject, merge) — a user holding the order's
  current party in the order's scope, or a party higher on the ladder (the community, the
  street and the housing bureau may step in on an order of a lower party they oversee);
* ``worker``: start and resolve — the same users, and also the person it was dispatched to,
  whoever they are, so a property company's electrician can still close an escalated order;
* ``reporter``: confirm, reopen, rate — the resident who reported it (for an order entered
  by staff from a hotline call or a visit, which has no reporter account, staff who handle
  it confirm on the caller's behalf).
"""

from __future__ import annotations

from dataclasses import dataclass

SUBMITTED = "submitted"
ACCEPTED = "accepted"
DISPATCHED = "dispatched"
IN_PROGRESS = "in_progress"
RESOLVED = "resolved"
CONFIRMED = "confirmed"
REOPENED = "reopened"
REJECTED = "rejected"
MERGED = "merged"

OPEN = frozenset({SUBMITTED, ACCEPTED, DISPATCHED, IN_PROGRESS, REOPENED})

PARTY = "party"
WORKER = "worker"
REPORTER = "reporter"


@dataclass(frozen=True)
class Move:
    name: str
    sources: frozenset[str]
    target: str
    who: str


MOVES: dict[str, Move] = {
    m.name: m
    for m in (
        Move("accept", frozenset({SUBMITTED, REOPENED}), ACCEPTED, PARTY),
        Move("dispatch", frozenset({ACCEPTED, DISPATCHED, REOPENED}), DISPATCHED, PARTY),
        Move("start", frozenset({ACCEPTED, DISPATCHED}), IN_PROGRESS, WORKER),
        Move("resolve", frozenset({ACCEPTED, DISPATCHED, IN_PROGRESS}), RESOLVED, WORKER),
        Move("confirm", frozenset({RESOLVED}), CONFIRMED, REPORTER),
        Move("reopen", frozenset({RESOLVED}), REOPENED, REPORTER),
        Move("reject", frozenset({SUBMITTED, ACCEPTED, REOPENED}), REJECTED, PARTY),
        Move("merge", OPEN, MERGED, PARTY),
    )
}


def allowed(move: str, status: str) -> bool:
    """Whether ``move`` may be made from ``status``."""
    found = MOVES.get(move)
    return found is not None and status in found.sources


def moves_from(status: str) -> list[str]:
    """The moves possible from ``status``, in the table's order."""
    return [name for name, m in MOVES.items() if status in m.sources]


# --- the ladder -----------------------------------------------------------------------------

MANAGER = "manager"
OWNERS = "owners"
COMMUNITY = "community"
STREET = "street"
HOUSING = "housing"

# Rank on the ladder: the owners' committee, when a rule routes an order to it, stands where
# the managing body stands (it is the managing body of a self-managed estate).
LEVEL: dict[str, int] = {MANAGER: 0, OWNERS: 0, COMMUNITY: 1, STREET: 2, HOUSING: 3}
NEXT: dict[str, str] = {MANAGER: COMMUNITY, OWNERS: COMMUNITY, COMMUNITY: STREET, STREET: HOUSING}
TOP = HOUSING


def may_handle(acting: set[str], party: str) -> bool:
    """Whether a user acting for the parties ``acting`` (in the order's scope) may make a
    handling move on an order now with ``party``: the same party, or one higher up."""
    if party in acting:
        return True
    floor = LEVEL.get(party, 0)
    return any(LEVEL.get(p, -1) > floor and p != OWNERS for p in acting)
