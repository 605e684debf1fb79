"""Money pages: a project's 资金 tab (sources, items, alerts, the ledger and its vouchers, one
form per action), the ledger as a spreadsheet, an item's residents' contributions, and a
resident's own statement of what each of their dwellings contributes.

Residents' names never appear here: contributions are listed by dwelling number.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import AUTHENTICATED, Lookup, permitted_or_error, requires
from xiaoqu.core.spreadsheets import xlsx_row
from xiaoqu.core.uploads import stored_file_response
from xiaoqu.renovation import money_selectors as selectors
from xiaoqu.renovation.models import (
    FundSource,
    ItemFunding,
    MoneyEntry,
    Project,
    ProjectItem,
    SplitMethod,
)
from xiaoqu.renovation.rules import MANAGE_MONEY, MANAGE_PROJECTS, VIEW_PROJECTS
from xiaoqu.renovation.services import money as services

PROJECT = Lookup(Project, "project_id", select_related=("builder",))
ITEM = Lookup(ProjectItem, "item_id", select_related=("project", "estate", "entrance__building"))
MONEY_ENTRY = Lookup(MoneyEntry, "money_entry_id", arg="entry")
ENTRIES_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _back(project: Project) -> HttpResponse:
    return redirect("renovation:project_money", project_id=project.pk)


def _posted_date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise DomainError(_("请填写日期，如 2025-03-01。"), code="date") from None


def _payment_targets(project: Project) -> list[tuple[str, str]]:
    """(value, label) of each item and source a payment can be for: "item:source"."""
    rows = (
        ItemFunding.objects.filter(item__project=project, planned_fen__gt=0)
        .select_related("item")
        .order_by("item_id", "source")
    )
    return [
        (f"{f.item_id}:{f.source}", f"{f.item.title} · {FundSource(f.source).label}") for f in rows
    ]


@require_GET
@requires(VIEW_PROJECTS, find=PROJECT)
def project_money(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """The 资金 tab: sources, items, alerts, the ledger; the forms for money staff."""
    can_manage = MANAGE_MONEY.has(request.user, project)
    page = Paginator(selectors.ledger_entries(project), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    money = selectors.project_money(project)
    context = {
        "project": project,
        "money": money,
        "page": page,
        "can_manage": can_manage,
    }
    if can_manage:
        planned = {s for s, figures in money.ledger.sources.items() if figures.planned > 0}
        context |= {
            "receipt_sources": [(v, label) for v, label in FundSource.choices if v in planned],
            "payment_targets": _payment_targets(project),
            "today": timezone.localdate().isoformat(),
        }
    return render(request, "renovation/money/project_money.html", context)


@require_POST
@requires(MANAGE_MONEY, find=PROJECT)
def money_receipt(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    data = request.POST
    try:
        services.receipt_record(
            project=project,
            source=data.get("source", ""),
            amount=data.get("amount", ""),
            on=_posted_date(data.get("on")),
            note=data.get("note", ""),
            payee=data.get("payee", ""),
            document=request.FILES.get("document"),
            actor=request.user,
        )
        messages.success(request, _("已记录到位资金。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


def _target(request: AuthenticatedRequest, project: Project) -> tuple[ProjectItem, str]:
    item_id, _sep, source = request.POST.get("target", "").partition(":")
    item = permitted_or_error(
        request.user,
        MANAGE_MONEY,
        ProjectItem.objects.filter(project=project).select_related("project"),
        item_id,
        _("请选择支付的条目和资金来源。"),
        code="target",
    )
    return item, source


@require_POST
@requires(MANAGE_MONEY, find=PROJECT)
def money_payment(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    data = request.POST
    try:
        item, source = _target(request, project)
        services.payment_record(
            item=item,
            source=source,
            amount=data.get("amount", ""),
            on=_posted_date(data.get("on")),
            payee=data.get("payee", ""),
            note=data.get("note", ""),
            document=request.FILES.get("document"),
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _back(project)
    messages.success(request, _("已记录支付。"))
    _warn_alerts(request, project, item, source)
    return _back(project)


def _warn_alerts(
    request: AuthenticatedRequest, project: Project, item: ProjectItem, source: str
) -> None:
    """Say at once when the payment just recorded passes a limit (the tab lists them all)."""
    ledger = selectors.project_ledger(project)
    items = {item.pk: item}
    for alert, line in zip(ledger.alerts, selectors.alert_lines(ledger, items), strict=True):
        if alert.item == item.pk or (alert.item is None and alert.source == source):
            messages.warning(
                request,
                _("注意：%(label)s。%(text)s")
                % {
                    "label": line.label,
                    "text": line.text,
                },
            )


@require_POST
@requires(MANAGE_MONEY, find=PROJECT)
def money_reverse(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """Cancel a ledger line with a reversing entry (never an edit or a deletion)."""
    try:
        entry = permitted_or_error(
            request.user,
            MANAGE_MONEY,
            MoneyEntry.objects.filter(project=project).select_related("project", "item"),
            request.POST.get("entry"),
            _("台账记录不存在。"),
            code="entry",
        )
        services.entry_reverse(
            entry=entry, reason=request.POST.get("reason", ""), actor=request.user
        )
        messages.success(request, _("已冲销这笔记录。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


@require_GET
@requires(VIEW_PROJECTS, find=PROJECT)
def money_export(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """The ledger as an xlsx workbook (every text cell kept as text, never a formula)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("资金台账"))
    for row in selectors.money_rows_for_export(project):
        sheet.append(xlsx_row(sheet, row))
    out = BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    name = _("%(project)s资金台账.xlsx") % {"project": project.name}
    response["Content-Disposition"] = (
        f"attachment; filename=\"ledger-{project.pk}.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response


@require_GET
@requires(VIEW_PROJECTS, find=MONEY_ENTRY)
def money_document(request: AuthenticatedRequest, entry: MoneyEntry) -> FileResponse:
    """An entry's voucher, for those who see the project's money; else 404. Images open in
    the browser; a PDF is downloaded (never run in the site's pages)."""
    return stored_file_response(
        entry.document,
        sniff=services.sniff_document,
        name=lambda kind: f"voucher-{entry.pk}.{services.DOCUMENT_EXTENSIONS[kind]}",
    )


# --- residents' contributions -----------------------------------------------------------------


@require_GET
@requires(VIEW_PROJECTS, find=ITEM)
def item_contributions(request: AuthenticatedRequest, item: ProjectItem) -> HttpResponse:
    """An item's split per dwelling (numbers, floors, areas, amounts; no names) and, for
    project staff, the form that makes or replaces it."""
    view = selectors.item_contributions(item)
    context: dict[str, object] = {
        "project": item.project,
        "item": item,
        "view": view,
        "can_split": MANAGE_PROJECTS.has(request.user, item),
    }
    if context["can_split"]:
        context |= _split_form(item, view)
    return render(request, "renovation/money/item_contributions.html", context)


def _split_form(item: ProjectItem, view: selectors.ItemContributions) -> dict[str, object]:
    """The form's floors (those of the item's dwellings) with the current or default table."""
    floors = sorted({d.floor for d in services.contribution_dwellings(item)})
    table = view.table or services.default_floor_coefficients()
    plan = view.plan
    return {
        "floors": [(f, selectors.coefficient_for(table, f)) for f in floors],
        "method": plan.method if plan else SplitMethod.AREA,
        "times_area": bool(plan and plan.times_area),
        "amount_fen": plan.amount_fen if plan else view.owners_planned_fen,
        "methods": SplitMethod.choices,
    }


@require_POST
@requires(MANAGE_PROJECTS, find=ITEM)
def contribution_split(request: AuthenticatedRequest, item: ProjectItem) -> HttpResponse:
    data = request.POST
    coefficients = {
        key.removeprefix("coef_"): value for key, value in data.items() if key.startswith("coef_")
    }
    try:
        plan = services.contribution_split(
            item=item,
            method=data.get("method", ""),
            amount=data.get("amount", ""),
            coefficients=coefficients,
            times_area=data.get("times_area") == "on",
            actor=request.user,
        )
        messages.success(
            request,
            _("已分摊到 %(n)d 户，合计与分摊总额一致。") % {"n": plan.shares.count()},
        )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("renovation:item_contributions", item_id=item.pk)


@require_GET
@requires(AUTHENTICATED)
def my_contributions(request: AuthenticatedRequest) -> HttpResponse:
    """What each of the user's own dwellings contributes, item by item, and how it was
    worked out."""
    return render(
        request,
        "renovation/money/my_contributions.html",
        {"statements": selectors.resident_statement(request.user)},
    )
