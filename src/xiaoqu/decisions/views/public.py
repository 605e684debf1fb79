"""An estate's plans and votes as its residents see them: the plans open for comment or
published, the votes running and the results published, each linked to its own page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.policy import Lookup, requires
from xiaoqu.decisions.models import Vote, VoteStatus
from xiaoqu.decisions.rules import READ_PLANS
from xiaoqu.decisions.views.plans import shown_plans
from xiaoqu.registry.models import Estate

ESTATE = Lookup(Estate, "estate_id")


@require_GET
@requires(READ_PLANS, find=ESTATE)
def estate_public(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """本小区的方案和表决: what residents may read (drafts are for staff). ``decisions.read_plans``
    and ``decisions.read_votes`` are held by the same people: staff in scope and the estate's
    residents."""
    votes = Vote.objects.filter(estate=estate).exclude(status=VoteStatus.DRAFT)
    return render(
        request,
        "decisions/estate_public.html",
        {
            "estate": estate,
            "plans": shown_plans().filter(estate=estate).order_by("-version")[:50],
            "open_votes": votes.filter(status=VoteStatus.OPEN).order_by("closes_at")[:50],
            "results": votes.filter(result_published_at__isnull=False).order_by(
                "-result_published_at"
            )[:100],
        },
    )
