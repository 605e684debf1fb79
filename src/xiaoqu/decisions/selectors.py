"""Reads for owner votes: the tally from the frozen electorate, live participation, receipts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from xiaoqu.decisions import chain
from xiaoqu.decisions.models import Ballot, Elector, ElectorUnit, Vote
from xiaoqu.decisions.rules_engine import Ballot as EngineBallot
from xiaoqu.decisions.rules_engine import Count as Count_
from xiaoqu.decisions.rules_engine import Result, Unit, decide, evaluate


def _area(hundredths: int | None) -> Decimal:
    return Decimal(hundredths or 0).scaleb(-2)


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


def participation(*, vote: Vote) -> Participation:
    total = Elector.objects.filter(vote=vote).aggregate(n=Count("pk"), area=Sum("area"))
    voted = Elector.objects.filter(vote=vote, ballots__isnull=False).aggregate(
        n=Count("pk"), area=Sum("area")
    )
    return Participation(
        owners=voted["n"] or 0,
        area=voted["area"] or Decimal(0),
        total_owners=total["n"] or 0,
        total_area=total["area"] or Decimal(0),
    )


def ballot_by_receipt(*, vote: Vote, receipt: str) -> Ballot | None:
    code = chain.normalise_receipt(receipt)
    if not code:
        return None
    return Ballot.objects.filter(vote=vote, receipt=code).first()
