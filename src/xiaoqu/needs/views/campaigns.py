"""Pages: door-knocking campaigns (敲门行动) — the list, a campaign's progress, and the two
actions of those who run campaigns, each its own URL and form: create a campaign, change its
status. A refused action shows its message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, find_permitted, object_pk, object_pks, requires
from xiaoqu.needs import selectors, services
from xiaoqu.needs.models import Campaign, CampaignStatus
from xiaoqu.needs.rules import MANAGE_DEMANDS, RECORD_VISIT, VIEW_NEEDS, runs_campaign
from xiaoqu.registry.models import Dwelling, Estate, Region, RegionLevel
from xiaoqu.registry.rules import VIEW_WORKBENCH

CAMPAIGNS_PER_PAGE = 30
# Estates offered as check boxes in the create form at once (narrow by community or name).
ESTATE_CHOICES_LIMIT = 200

CAMPAIGN = Lookup(Campaign, "campaign_id")


def _estate_choices(request: AuthenticatedRequest) -> dict[str, Any]:
    """Estates offered in the create form: where the user runs campaigns, narrowed by
    community or name."""
    estates = MANAGE_DEMANDS.scoped(request.user, Estate.objects.all())
    communities = list(
        VIEW_WORKBENCH.scoped(request.user, Region.objects.all())
        .filter(level=RegionLevel.COMMUNITY, estates__in=estates)
        .distinct()
        .order_by("path")[:ESTATE_CHOICES_LIMIT]
    )
    raw_community = request.GET.get("community", "")
    # A value that is no id is a forged address: 404, like an id that is missing.
    community_id = object_pk(raw_community) if raw_community else None
    q = request.GET.get("q", "").strip()[:50]
    if community_id is not None:
        estates = estates.filter(community_id=community_id)
    if q:
        estates = estates.filter(Q(name__icontains=q) | Q(code__icontains=q))
    total = estates.count()
    return {
        "communities": communities,
        "community_id": community_id,
        "q": q,
        "estate_choices": list(
            estates.select_related("community").order_by("community__path", "name")[
                :ESTATE_CHOICES_LIMIT
            ]
        ),
        "estate_total": total,
        "estate_limit": ESTATE_CHOICES_LIMIT,
    }


def _render_list(
    request: AuthenticatedRequest, *, error: str | None = None, posted: dict[str, Any] | None = None
) -> HttpResponse:
    user = request.user
    can_manage = MANAGE_DEMANDS.has(user)
    estates = VIEW_NEEDS.scoped(user, Estate.objects.all()).values("pk")
    dwellings = VIEW_NEEDS.scoped(user, Dwelling.objects.all()).values("pk")
    campaigns = (
        VIEW_NEEDS.scoped(user, Campaign.objects.all())
        # Estates counted are those the user works on; visits those at dwellings the user
        # works on, as on the progress page.
        .annotate(
            n_estates=Count("estates", filter=Q(estates__in=estates), distinct=True),
            n_visits=Count("visits", filter=Q(visits__dwelling__in=dwellings), distinct=True),
        )
        .order_by("-starts_on", "-pk")
    )
    page = Paginator(campaigns, CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page,
        "can_manage": can_manage,
        "error": error,
        "posted": posted or {},
        "today_iso": timezone.localdate().isoformat(),
    }
    if can_manage:
        context.update(_estate_choices(request))
    return render(request, "needs/visits/campaign_list.html", context, status=400 if error else 200)


@require_GET
@requires(VIEW_NEEDS)
def campaign_list(request: AuthenticatedRequest) -> HttpResponse:
    """Campaigns touching the user's estates; those who run campaigns also find the form."""
    return _render_list(request)


def _date(raw: str) -> dt.date | None:
    """A date as 2026-05-01; None for anything else, a day that does not exist included."""
    try:
        return parse_date(raw)
    except ValueError:  # well formed but no such day: 2026-02-30
        return None


def _ticked(values: list[str]) -> set[int]:
    """The boxes to tick again when the form comes back: the values that are ids."""
    ticked = set()
    for value in values:
        try:
            ticked.add(object_pk(value))
        except Http404:
            continue
    return ticked


def _parse_campaign_form(request: AuthenticatedRequest) -> dict[str, Any]:
    """The create form's values, or a DomainError naming what is wrong.

    Estates must be in the scope of a role that runs campaigns (not merely any role).
    """
    starts_on = _date(request.POST.get("starts_on", ""))
    ends_on = _date(request.POST.get("ends_on", ""))
    if starts_on is None or ends_on is None:
        raise DomainError(_("请填写开始和结束日期。"), code="dates_missing")
    ids = object_pks(request.POST.getlist("estates"), _("所选小区不正确。"))
    estates = list(MANAGE_DEMANDS.scoped(request.user, Estate.objects.filter(pk__in=ids)))
    if len(estates) != len(ids):
        raise DomainError(_("所选小区有的不在您的工作范围内。"), code="out_of_scope")
    return {
        "name": request.POST.get("name", ""),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "estates": estates,
    }


@require_POST
@requires(MANAGE_DEMANDS)
def campaign_create(request: AuthenticatedRequest) -> HttpResponse:
    """Start a campaign; a refusal shows the list again with the form as it was filled in."""
    try:
        campaign = services.campaign_create(actor=request.user, **_parse_campaign_form(request))
    except DomainError as exc:
        posted = {
            "name": request.POST.get("name", "")[:100],
            "starts_on": request.POST.get("starts_on", "")[:10],
            "ends_on": request.POST.get("ends_on", "")[:10],
            "estates": _ticked(request.POST.getlist("estates")),
        }
        return _render_list(request, error=exc.message, posted=posted)
    messages.success(request, _("已创建走访活动“%(name)s”。") % {"name": campaign.name})
    return redirect("needs:campaign_detail", campaign_id=campaign.pk)


@require_GET
@requires(VIEW_NEEDS, find=CAMPAIGN)
def campaign_detail(request: AuthenticatedRequest, campaign: Campaign) -> HttpResponse:
    """A campaign's progress as far as the user sees; its status form for those who run it."""
    user = request.user
    progress = selectors.campaign_progress(campaign=campaign, user=user)
    estates = list(VIEW_NEEDS.scoped(user, campaign.estates.all()).order_by("name"))
    hidden_estates = campaign.estates.count() - len(estates)
    visit_ids: set[int] = set()
    if campaign.status != CampaignStatus.CLOSED:
        visit_ids = set(
            RECORD_VISIT.scoped(
                user, Estate.objects.filter(pk__in=[e.pk for e in estates])
            ).values_list("pk", flat=True)
        )
    for e in estates:
        e.can_visit = e.pk in visit_ids  # type: ignore[attr-defined]
    return render(
        request,
        "needs/visits/campaign_detail.html",
        {
            "campaign": campaign,
            "progress": progress,
            "estates": estates,
            "hidden_estates": hidden_estates,
            "can_manage": runs_campaign(user, campaign),
            "statuses": CampaignStatus,
        },
    )


@require_POST
@requires(MANAGE_DEMANDS)
def campaign_status(request: AuthenticatedRequest, campaign_id: int) -> HttpResponse:
    """Open, plan or close a campaign. The campaign is found among those the user follows;
    the service refuses, with a message, anyone who does not run it on all its estates."""
    campaign = find_permitted(request.user, VIEW_NEEDS, Campaign.objects.all(), campaign_id)
    try:
        services.campaign_set_status(
            campaign=campaign, status=request.POST.get("status", ""), actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("走访活动已改为“%(status)s”。") % {"status": campaign.get_status_display()},
        )
    return redirect("needs:campaign_detail", campaign_id=campaign.pk)
