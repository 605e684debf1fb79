"""Pages of personal-information protection: a resident's own data and correction requests,
the staff's list of requests, and the administrators' access log with its exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.access_log import (
    FIELD_LABELS,
    FIELD_RECORD,
    access_note,
    xlsx_watermark,
)
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AccessAction
from xiaoqu.core.policy import AUTHENTICATED, Lookup, requires
from xiaoqu.core.spreadsheets import csv_row, xlsx_row
from xiaoqu.privacy import selectors, services
from xiaoqu.privacy.models import CorrectionRequest, CorrectionStatus
from xiaoqu.privacy.rules import READ_ACCESS_LOG, RESOLVE_CORRECTIONS

CORRECTION = Lookup(CorrectionRequest, "correction_id")
LOG_PAGE = 50
CORRECTIONS_PAGE = 30
EXPORT_MAX = 200_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(name: str, ascii_name: str) -> str:
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


# --- a resident's own data ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@requires(AUTHENTICATED)
def my_data(request: AuthenticatedRequest) -> HttpResponse:
    """我的个人信息: what is held, the download, and requests for corrections."""
    if request.method == "POST":
        try:
            services.correction_request(user=request.user, text=request.POST.get("text", ""))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已提交，社区工作人员处理后会在这里答复。"))
            return redirect("privacy:my_data")
    data = selectors.my_data(user=request.user)
    counts = {
        k: len(v) for k, v in data.items() if isinstance(v, list) and k != "reads_of_my_record"
    }
    return render(
        request,
        "privacy/my_data.html",
        {
            "data": data,
            "counts": counts,
            "corrections": selectors.my_corrections(user=request.user),
            "text": request.POST.get("text", "") if request.method == "POST" else "",
        },
    )


@require_GET
@requires(AUTHENTICATED)
def my_data_download(request: AuthenticatedRequest) -> HttpResponse:
    """The caller's own data as a zip of JSON files (one per kind, plus all in one)."""
    data = selectors.my_data(user=request.user)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("all.json", json.dumps(data, ensure_ascii=False, indent=2))
        for key, value in data.items():
            if key != "exported_at":
                zf.writestr(f"{key}.json", json.dumps(value, ensure_ascii=False, indent=2))
        zf.writestr(
            "README.txt",
            _(
                "这是平台保存的您本人的个人信息（%(when)s 导出）。"
                "如有错误，请在“我的个人信息”页面提出更正申请。\n"
            )
            % {"when": data["exported_at"]},
        )
    person_id = getattr(request.user, "person_id", None)
    if person_id:
        access_note(
            request,
            action=AccessAction.SELF_EXPORT,
            field=FIELD_RECORD,
            subjects=[person_id],
            description=str(_("本人下载")),
        )
    response = HttpResponse(out.getvalue(), content_type="application/zip")
    today = timezone.localdate().isoformat()
    response["Content-Disposition"] = _attachment(
        _("我的个人信息%(date)s.zip") % {"date": today}, f"my-data-{today}.zip"
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- correction requests, for staff ---------------------------------------------------------


@require_GET
@requires(RESOLVE_CORRECTIONS)
def corrections(request: AuthenticatedRequest) -> HttpResponse:
    """Residents' correction requests of the estates in scope, open ones first by default."""
    status = request.GET.get("status", CorrectionStatus.OPEN)
    qs = selectors.corrections_in_scope(user=request.user, status=status)
    page = Paginator(qs, CORRECTIONS_PAGE).get_page(request.GET.get("page"))
    access_note(
        request,
        action=AccessAction.VIEW,
        field=FIELD_RECORD,
        subjects=[c.person_id for c in page],
        description=str(_("更正申请")),
    )
    return render(
        request,
        "privacy/corrections.html",
        {"page": page, "status": status, "statuses": CorrectionStatus.choices},
    )


@require_POST
@requires(RESOLVE_CORRECTIONS, find=CORRECTION)
def correction_resolve(
    request: AuthenticatedRequest, correction: CorrectionRequest
) -> HttpResponse:
    try:
        services.correction_resolve(
            request=correction,
            status=request.POST.get("status", ""),
            answer=request.POST.get("answer", ""),
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已处理。"))
    return redirect("privacy:corrections")


# --- the access log, for administrators ------------------------------------------------------


def _log_filter(request: AuthenticatedRequest) -> tuple[selectors.LogFilter, list[str]]:
    """The filters of the query string; bad values are dropped with a message each."""
    errors: list[str] = []
    get = request.GET
    subject: int | None = None
    raw = get.get("subject", "").strip()
    if raw:
        if raw.isdigit() and len(raw) < 12:
            subject = int(raw)
        else:
            errors.append(_("人员编号应为数字。"))
    action = get.get("action", "")
    if action and action not in AccessAction.values:
        errors.append(_("未知的操作类别。"))
        action = ""
    dates: dict[str, dt.date | None] = {"since": None, "until": None}
    for key in dates:
        value = get.get(key, "").strip()
        if not value:
            continue
        try:
            dates[key] = dt.date.fromisoformat(value)
        except ValueError:
            errors.append(_("日期格式应为 2026-12-01。"))
            continue
        if not dt.date(1990, 1, 1) <= dates[key] <= dt.date(2100, 12, 31):  # type: ignore[operator]
            errors.append(_("日期超出范围。"))
            dates[key] = None
    return (
        selectors.LogFilter(
            actor=get.get("actor", "").strip()[:64],
            subject=subject,
            action=action,
            since=dates["since"],
            until=dates["until"],
        ),
        errors,
    )


@require_GET
@requires(READ_ACCESS_LOG)
def access_log(request: AuthenticatedRequest) -> HttpResponse:
    """Who revealed, viewed or exported whose personal information, filterable."""
    flt, errors = _log_filter(request)
    for error in errors:
        messages.error(request, error)
    page = Paginator(selectors.access_log(flt), LOG_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "privacy/access_log.html",
        {
            "page": page,
            "flt": flt,
            "actions": AccessAction.choices,
            "fields": {k: _(v) for k, v in FIELD_LABELS.items()},
            "query": query.urlencode(),
        },
    )


@require_GET
@requires(READ_ACCESS_LOG)
def access_log_export(request: AuthenticatedRequest) -> HttpResponse:
    """The filtered log as xlsx (watermarked) or csv; the export itself is logged."""
    flt, errors = _log_filter(request)
    if errors:
        return HttpResponse("\n".join(errors), status=400, content_type="text/plain; charset=utf-8")
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        return HttpResponse(
            _("格式应为 xlsx 或 csv。"), status=400, content_type="text/plain; charset=utf-8"
        )
    rows = selectors.access_log_rows(selectors.access_log(flt)[:EXPORT_MAX])
    header = [_(c) for c in selectors.LOG_COLUMNS]
    access_note(
        request,
        action=AccessAction.EXPORT,
        count=len(rows),
        description=_("个人信息访问记录 %(filter)s") % {"filter": flt.describe()},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        # No watermark line: every line of a csv is read as data by spreadsheet programs and
        # importers; the export is in the log itself (docs/personal-information.md).
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(csv_row(header))
        for row in rows:
            writer.writerow(csv_row([str(v) for v in row]))
        response = HttpResponse("\ufeff" + text.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = _attachment(
            _("个人信息访问记录%(stamp)s.csv") % {"stamp": stamp}, f"access-log-{stamp}.csv"
        )
        return response
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("访问记录"))
    mark = xlsx_watermark(book, [sheet], user=request.user, title=_("个人信息访问记录"))
    sheet.append(xlsx_row(sheet, [mark]))
    sheet.append(xlsx_row(sheet, header))
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = _attachment(
        _("个人信息访问记录%(stamp)s.xlsx") % {"stamp": stamp}, f"access-log-{stamp}.xlsx"
    )
    return response
