"""Reads for owner votes and plans: the tally from the frozen electorate, live participation,
receipts, the rows staff enter paper ballots from, and a plan with the demands it answers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from xiaoqu.accounts.models import User
from xiaoqu.core.models import AuditLog
from xiaoqu.decisions import chain
from xiaoqu.decisions.models import (
    FUNDING_SOURCES,
    Ballot,
    Elector,
    ElectorUnit,
    Plan,
    PlanExclusion,
    PlanItem,
    Vote,
    VoteStatus,
)
from xiaoqu.decisions.rules_engine import Ballot as EngineBallot
from xiaoqu.decisions.rules_engine import Count as Count_
from xiaoqu.decisions.rules_engine import Result, Unit, decide, evaluate
from xiaoqu.needs.models import Demand, DemandSource, DemandStatus
from xiaoqu.registry.models import Estate
from xiaoqu.registry.scope import home_estate_ids


def _area(hundredths: int | None) -> Decimal:
    return Decimal(hundredths or 0).scaleb(-2)


def published_as_passed(vote: Vote) -> bool:
    """The vote's result has been published (公示) as passed."""
    return bool(vote.result and vote.result.get("passed") and vote.result_published_at)


def vote_passed(vote: Vote, now: dt.datetime | None = None) -> bool:
    """Passed and final: the result published as passed and its objection period over."""
    now = now or timezone.now()
    return published_as_passed(vote) and (
        vote.objection_until is None or vote.objection_until <= now
    )


def tally(*, vote: Vote) -> Result:
    """The Art. 278 result of the vote from its frozen electorate and its ballots.

    Sums are done by the database on integer hundredths of a square metre (exact everywhere);
    the rules engine decides from them. Each owner's area is the sum of their units (frozen
    on ``Elector``), which the engine's laws show gives the same result as unit by unit.
    """
    total = Elector.objects.filter(vote=vote).aggregate(n=Count("pk"), a=Sum("area_hundredths"))
    by_choice = {
        row["choice"]: row
        for row in Ballot.objects.filter(vote=vote)
        .values("choice")
        .annotate(n=Count("pk"), a=Sum("elector__area_hundredths"))
    }
    part_n = sum(r["n"] for r in by_choice.values())
    part_a = sum(r["a"] or 0 for r in by_choice.values())
    agree = by_choice.get("agree", {"n": 0, "a": 0})
    return decide(
        vote.matter,
        Count_(_area(total["a"]), total["n"]),
        Count_(_area(part_a), part_n),
        Count_(_area(agree["a"]), agree["n"]),
    )


def tally_by_units(*, vote: Vote) -> Result:
    """The same result computed unit by unit in Python (the cross-check used by tests)."""
    units = [
        Unit(str(dwelling_id), area, owner_key, status)
        for dwelling_id, area, owner_key, status in ElectorUnit.objects.filter(
            vote=vote
        ).values_list("dwelling_id", "area", "elector__owner_key", "status")
    ]
    ballots = [
        EngineBallot(owner_key, choice)
        for owner_key, choice in Ballot.objects.filter(vote=vote).values_list(
            "elector__owner_key", "choice"
        )
    ]
    return evaluate(vote.matter, units, ballots)


@dataclass(frozen=True)
class Participation:
    """How much has been cast, never how: owners and area that voted, out of all."""

    owners: int
    area: Decimal
    total_owners: int
    total_area: Decimal

    @property
    def not_voted(self) -> int:
        return self.total_owners - self.owners


def _square_metres(hundredths: int | None) -> Decimal:
    """An integer sum of hundredths of a square metre as m² with two decimals (a sum of
    decimals comes back from SQLite as a binary float: 464.600000000000)."""
    return (Decimal(hundredths or 0) / 100).quantize(Decimal("0.01"))


def participation(*, vote: Vote) -> Participation:
    total = Elector.objects.filter(vote=vote).aggregate(n=Count("pk"), area=Sum("area_hundredths"))
    # Each owner once, whatever ballots they have.
    voted = Elector.objects.filter(
        vote=vote, pk__in=Ballot.objects.filter(vote=vote).values("elector_id")
    ).aggregate(n=Count("pk"), area=Sum("area_hundredths"))
    return Participation(
        owners=voted["n"] or 0,
        area=_square_metres(voted["area"]),
        total_owners=total["n"] or 0,
        total_area=_square_metres(total["area"]),
    )


def ballot_by_receipt(*, vote: Vote, receipt: str) -> Ballot | None:
    code = chain.normalise_receipt(receipt)
    if not code:
        return None
    return Ballot.objects.filter(vote=vote, receipt=code).first()


# --- lists for pages ---------------------------------------------------------------------------


def votes_for_estate(*, estate: Estate) -> QuerySet[Vote]:
    return Vote.objects.filter(estate=estate).select_related(
        "building", "entrance", "entrance__building"
    )


def votes_for_owner(*, user: User) -> list[tuple[Vote, Elector | None, Ballot | None]]:
    """Votes of the user's home estates, each with the user's elector entry and ballot."""
    person_id = user.person_id
    votes = list(
        Vote.objects.filter(estate__in=home_estate_ids(user))
        .exclude(status=VoteStatus.DRAFT)
        .select_related("estate", "building", "entrance", "entrance__building")
        .order_by("-opens_at")[:50]
    )
    electors = {
        e.vote_id: e for e in Elector.objects.filter(vote__in=votes, persons=person_id or 0)
    }
    ballots = {b.vote_id: b for b in Ballot.objects.filter(elector__in=list(electors.values()))}
    return [(v, electors.get(v.pk), ballots.get(v.pk)) for v in votes]


@dataclass(frozen=True)
class ElectorRow:
    elector: Elector
    labels: list[str]
    voted: bool


def elector_rows(*, vote: Vote, query: str = "", limit: int = 50) -> list[ElectorRow]:
    """Electors whose units match ``query`` (a room number, or 楼栋-单元-房号), for staff
    entering paper ballots; each with its units' labels and whether it has voted.
    """
    units = ElectorUnit.objects.filter(vote=vote).select_related(
        "dwelling", "dwelling__building", "dwelling__entrance"
    )
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", query) if p]
    if parts:
        units = units.filter(dwelling__number=parts[-1])
        if len(parts) >= 2:
            units = units.filter(dwelling__building__number=parts[0])
        if len(parts) >= 3:
            units = units.filter(dwelling__entrance__number=parts[1])
    ids = list(units.values_list("elector_id", flat=True).distinct()[:limit])
    labels: dict[int, list[str]] = {}
    for u in ElectorUnit.objects.filter(elector_id__in=ids).select_related(
        "dwelling", "dwelling__building", "dwelling__entrance"
    ):
        labels.setdefault(u.elector_id, []).append(u.dwelling.label)
    voted = set(
        Ballot.objects.filter(vote=vote, elector_id__in=ids).values_list("elector_id", flat=True)
    )
    return [
        ElectorRow(e, sorted(labels.get(e.pk, [])), e.pk in voted)
        for e in Elector.objects.filter(pk__in=ids).order_by("pk")
    ]


# --- plans -------------------------------------------------------------------------------------


@dataclass
class PlanView:
    plan: Plan
    items: list[PlanItem]
    total_fen: int
    funding_fen: dict[str, int]
    answered: list[Demand]
    excluded: list[tuple[Demand, str]]
    unanswered: list[Demand]
    declined: list[Demand]


def demands_to_answer(*, estate: Estate) -> QuerySet[Demand]:
    """The demands a plan of the estate deals with: live (not merged into another) and asked
    for — by residents' opinions, or added by staff or the life-circle analysis (which have no
    opinions). Each has ``n``, its number of opinions; the most asked for come first."""
    return (
        Demand.objects.filter(estate=estate, merged_into__isnull=True)
        .annotate(n=Count("opinions"))
        .filter(Q(n__gt=0) | ~Q(source=DemandSource.OPINIONS))
        .order_by("-n", "pk")
    )


def unanswered_demands(*, plan: Plan) -> QuerySet[Demand]:
    """The demands to answer that the plan neither answers with an item nor excludes with a
    reason, and that are not declined: what the plan page lists as not dealt with, and what
    keeps the plan from being published. One query."""
    return (
        demands_to_answer(estate=plan.estate)
        .exclude(status=DemandStatus.DECLINED)
        .exclude(pk__in=PlanItem.objects.filter(plan=plan, demand__isnull=False).values("demand"))
        .exclude(pk__in=PlanExclusion.objects.filter(plan=plan).values("demand"))
    )


def plan_view(*, plan: Plan) -> PlanView:
    """The plan's items and totals, and every demand it deals with: answered by an item, left
    out with a reason, declined with a reason, or not yet dealt with.
    """
    items = list(plan.items.select_related("demand").order_by("pk"))
    funding = {k: sum(getattr(i, f"fund_{k}_fen") for i in items) for k in FUNDING_SOURCES}
    answered_ids = {i.demand_id for i in items if i.demand_id}
    exclusions = {e.demand_id: e.reason for e in plan.exclusions.all()}
    demands = list(demands_to_answer(estate=plan.estate))
    return PlanView(
        plan=plan,
        items=items,
        total_fen=sum(i.cost_fen for i in items),
        funding_fen=funding,
        answered=[d for d in demands if d.pk in answered_ids],
        excluded=[(d, exclusions[d.pk]) for d in demands if d.pk in exclusions],
        declined=[
            d
            for d in demands
            if d.status == DemandStatus.DECLINED and d.pk not in answered_ids | set(exclusions)
        ],
        unanswered=list(unanswered_demands(plan=plan)),
    )


@dataclass
class ConsultationChange:
    """A change of a plan's consultation dates, as its audit row keeps it."""

    at: dt.datetime
    before_starts: str
    before_ends: str
    starts: str
    ends: str
    reason: str


def consultation_changes(*, plan: Plan) -> list[ConsultationChange]:
    """The changes of the plan's consultation dates, oldest first, with their reasons (read
    from the audit log, where ``services.plan_consultation_change`` keeps them). One query."""
    rows = AuditLog.objects.filter(
        action="decisions.plan_consultation_change",
        object_type=Plan._meta.label_lower,
        object_id=str(plan.pk),
    ).order_by("at", "pk")
    return [
        ConsultationChange(
            at=row.at,
            before_starts=(row.before or {}).get("starts") or "",
            before_ends=(row.before or {}).get("ends") or "",
            starts=(row.after or {}).get("starts", ""),
            ends=(row.after or {}).get("ends", ""),
            reason=(row.after or {}).get("reason", ""),
        )
        for row in rows
    ]
