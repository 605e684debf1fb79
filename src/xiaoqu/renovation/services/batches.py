"""Writes of the batch page: a proposal confirmed becomes the year's batch.

The page signs what it proposed (region, year, budget, the chosen estates and their costs,
for the user who asked) with the site's secret key; the confirmation posts that token back.
The token is checked, then every estate again against the region, the user's scope and the
candidate rules (``renovation.batches.candidate_estates``), so neither a forged nor a stale
confirmation can put an estate into a batch it may not be in; ``batch_create`` writes it.
"""

from __future__ import annotations

from django.core import signing
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.errors import DomainError
from xiaoqu.registry.models import Building
from xiaoqu.renovation.batches import Proposal, batch_regions, candidate_estates
from xiaoqu.renovation.models import Batch
from xiaoqu.renovation.rules import MANAGE_BATCHES
from xiaoqu.renovation.services.projects import batch_create

SALT = "xiaoqu.renovation.batch-proposal"
# A proposal is confirmed within this many seconds, or computed again.
MAX_AGE_SECONDS = 4 * 3600


def proposal_token(proposal: Proposal, *, actor: Actor) -> str:
    """The signed proposal the confirmation posts back."""
    found = proposal.candidates
    return signing.dumps(
        {
            "u": actor.pk,
            "r": found.region.pk,
            "y": found.year,
            "b": proposal.budget_fen,
            "e": [[r.estate_id, r.cost_fen] for r in proposal.chosen_rows],
        },
        salt=SALT,
        compress=True,
    )


def _read(token: str, actor: Actor) -> dict:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise DomainError(_("方案已超过 4 小时，请重新计算后再确认。"), code="expired") from None
    except signing.BadSignature:
        raise DomainError(_("方案无效或已被改动，请重新计算。"), code="signature") from None
    if not isinstance(data, dict) or data.get("u") != actor.pk:
        raise DomainError(_("方案无效或已被改动，请重新计算。"), code="signature")
    return data


def batch_confirm(*, token: str, name: str, actor: Actor) -> Batch:
    """Create the batch the signed proposal ``token`` holds, named ``name``."""
    data = _read(token, actor)
    try:
        year, budget_fen = int(data["y"]), int(data["b"])
        costs = {int(pk): int(cost) for pk, cost in data["e"]}
        region_id = int(data["r"])
    except (KeyError, TypeError, ValueError):
        raise DomainError(_("方案无效或已被改动，请重新计算。"), code="signature") from None
    region = batch_regions(actor).filter(pk=region_id).first()
    if region is None:
        raise DomainError(_("这不在您的工作范围内。"), code="out_of_scope")
    estates = list(
        MANAGE_BATCHES.scoped(actor, candidate_estates(region, year))
        .filter(pk__in=list(costs))
        # batch_create counts each estate's buildings: fetched here in one query.
        .prefetch_related(Prefetch("buildings", queryset=Building.objects.only("id", "estate")))
        .order_by("code")
    )
    if len(estates) != len(costs):
        missing = len(costs) - len(estates)
        raise DomainError(
            _(
                "有 %(n)d 个小区已不能列入（不在%(region)s范围内、已列入 %(year)d 年度计划或已改造），"
                "请重新计算。"
            )
            % {"n": missing, "region": region.name, "year": year},
            code="outside",
        )
    return batch_create(
        region=region,
        year=year,
        name=name,
        estates=estates,
        actor=actor,
        budget_fen=budget_fen,
        costs_fen={e.pk: costs[e.pk] for e in estates},
    )
