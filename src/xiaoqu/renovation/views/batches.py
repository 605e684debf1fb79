"""The annual batch pages: the optimiser's proposal from the register, its confirmation, the
list of batches and a batch's estates (docs/renovation.md, "The batch page").

The region is the user's first top region for ``manage_batches``, or the one named by
``region`` (404 outside the user's scope). Computing a proposal (POST, because the quotas may
come as a file) writes nothing; the confirmation posts the signed proposal back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, find_permitted, requires
from xiaoqu.core.spreadsheets import SpreadsheetRefused, upload_rows
from xiaoqu.registry.models import Region
from xiaoqu.renovation import batches, optimiser
from xiaoqu.renovation.models import Batch
from xiaoqu.renovation.rules import MANAGE_BATCHES
from xiaoqu.renovation.services import batches as services

BATCH = Lookup(Batch, "batch_id", select_related=("region", "created_by"))
MAX_NAME = 200


def _region(request: AuthenticatedRequest, data: QueryDict) -> Region | None:
    """The region named in ``data`` (404 outside the scope), else the user's first."""
    if data.get("region"):
        region: Region = find_permitted(
            request.user, MANAGE_BATCHES, Region.objects.all(), data["region"]
        )
        return region
    return batches.default_region(request.user)


def _year(value: str | None) -> int:
    if not value:
        return timezone.localdate().year + 1
    if not value.isascii() or not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise DomainError(_("年度应在 2000 到 2100 之间。"), code="year")
    return int(value)


def _yuan_fen(value: str, what: str, *, positive: bool = False) -> int:
    try:
        amount = optimiser.parse_yuan(value.replace(",", "").strip(), what)
    except optimiser.InputError as error:
        raise DomainError(str(error), code="amount") from None
    if positive and amount <= 0:
        raise DomainError(_("%(what)s应大于 0。") % {"what": what}, code="amount")
    return batches.fen_of(amount)


def _cost_per_household(data: QueryDict) -> int:
    value = (data.get("per_household") or "").strip()
    if not value:
        return batches.fen_of(batches.default_cost_per_household())
    return _yuan_fen(value, _("每户估算费用"), positive=True)


def _quotas(
    request: AuthenticatedRequest, found: batches.CandidateSet
) -> dict[str, optimiser.Quota]:
    """The quotas of the uploaded file when there is one, else of the form's rows."""
    upload = request.FILES.get("quota_file")
    if upload is not None:
        try:
            return batches.quotas_from_rows(upload_rows(upload), found.counties)
        except SpreadsheetRefused as error:
            raise DomainError(error.message, code="quota") from None
    rows = {
        county_id: (
            request.POST.get(f"qe-{county_id}", "").strip(),
            request.POST.get(f"qc-{county_id}", "").replace(",", "").strip(),
        )
        for county_id in found.counties
    }
    return batches.quotas_from_form(rows, found.counties)


def _propose(request: AuthenticatedRequest, found: batches.CandidateSet) -> batches.Proposal:
    """Read the budget, quotas and must-haves of the form and run the optimiser."""
    budget = (request.POST.get("budget") or "").strip()
    if not budget:
        raise DomainError(_("请填写补助资金预算。"), code="budget")
    budget_fen = _yuan_fen(budget, _("预算"), positive=True)
    quotas = _quotas(request, found)
    must = batches.must_ids_from_codes(request.POST.get("must", ""), found)
    if not found.rows:
        raise DomainError(_("本区划本年度没有候选小区。"), code="empty")
    return batches.propose(found, budget_fen=budget_fen, quotas=quotas, must_ids=must)


def _form_values(data: QueryDict, found: batches.CandidateSet | None) -> dict[str, Any]:
    """What the form shows again: the values posted, the quota rows per county."""
    lines = found.county_lines() if found else []
    return {
        "budget": data.get("budget", ""),
        "must": data.get("must", ""),
        "per_household": data.get("per_household", ""),
        "quota_rows": [
            {
                "line": line,
                "estates": data.get(f"qe-{line.key}", ""),
                "cost": data.get(f"qc-{line.key}", ""),
            }
            for line in lines
            if line.county is not None
        ],
    }


@require_http_methods(["GET", "POST"])
@requires(MANAGE_BATCHES)
def batch_optimise(request: AuthenticatedRequest) -> HttpResponse:
    """The candidates of a region and year; with a budget posted, the optimiser's proposal."""
    data = request.POST if request.method == "POST" else request.GET
    region = _region(request, data)
    context: dict[str, Any] = {"region": region, "regions": batches.region_choices(request.user)}
    status = 200
    if region is None:
        return render(request, "renovation/batches/optimise.html", context)
    default_cost = batches.default_cost_per_household()
    found = None
    try:
        year = _year(data.get("year"))
        found = batches.candidates(
            region=region, year=year, cost_per_household_fen=_cost_per_household(data)
        )
        if request.method == "POST":
            proposal = _propose(request, found)
            context |= _proposal_context(request, proposal, region, year)
    except DomainError as error:
        messages.error(request, error.message)
        status = 400
    context |= {
        "found": found,
        "year": found.year if found else data.get("year", ""),
        "default_cost": default_cost,
        "form": _form_values(data, found),
    }
    return render(request, "renovation/batches/optimise.html", context, status=status)


def _proposal_context(
    request: AuthenticatedRequest, proposal: batches.Proposal, region: Region, year: int
) -> dict[str, Any]:
    if not proposal.feasible:
        messages.error(
            request,
            _("必选小区（业主正在表决的和指定的）超出了预算或某区县的配额，无法编制计划。"),
        )
        return {"proposal": proposal}
    return {
        "proposal": proposal,
        "token": services.proposal_token(proposal, actor=request.user),
        "points": proposal.map_points(),
        "batch_name": _("%(year)d年度%(region)s老旧小区改造计划")
        % {"year": year, "region": region.name},
    }


@require_POST
@requires(MANAGE_BATCHES)
def batch_confirm(request: AuthenticatedRequest) -> HttpResponse:
    """Create the batch of the signed proposal (checked again estate by estate)."""
    name = request.POST.get("name", "").strip()
    try:
        if len(name) > MAX_NAME:
            raise DomainError(_("计划名称不能超过 200 个字。"), code="name")
        batch = services.batch_confirm(
            token=request.POST.get("token", ""), name=name, actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
        url = reverse("renovation:batch_optimise")
        region = request.POST.get("region", "")
        return redirect(f"{url}?{urlencode({'region': region})}" if _is_pk(region) else url)
    messages.success(
        request,
        _("已建立年度计划“%(name)s”，共 %(n)d 个小区。")
        % {"name": batch.name, "n": batch.entries.count()},
    )
    return redirect("renovation:batch_detail", batch_id=batch.pk)


def _is_pk(value: str) -> bool:
    return value.isascii() and value.isdigit() and 0 < int(value) < 2**63


@require_GET
@requires(MANAGE_BATCHES)
def batch_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(batches.batches_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "renovation/batches/list.html", {"page": page})


@require_GET
@requires(MANAGE_BATCHES, find=BATCH)
def batch_detail(request: AuthenticatedRequest, batch: Batch) -> HttpResponse:
    """A batch's estates (100 a page) with their buildings, households, cost and project."""
    entries = batch.entries.select_related("estate").order_by("estate__code")
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    totals = batches.batch_totals(batch)
    return render(
        request,
        "renovation/batches/detail.html",
        {
            "batch": batch,
            "page": page,
            "lines": batches.batch_lines(batch, page.object_list),
            "totals": totals,
            "budget_left": batch.budget_fen - totals["cost"] if batch.budget_fen else None,
        },
    )
