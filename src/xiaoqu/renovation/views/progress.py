"""Progress pages: a project's 进度 tab (timeline, diary, photos, hidden works, one URL and form
per action), the photos served to those who may see the project, the residents' page where
the resident supervisor signs hidden works, and the contractor's phone page with its JSON
endpoint (reports wait on the phone while offline; the server stores each once by its
``client_id``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.offline import queue_texts
from xiaoqu.core.pii import mask_phone
from xiaoqu.core.policy import Lookup, permitted_or_error, requires
from xiaoqu.core.uploads import stored_file_response
from xiaoqu.registry.models import Person
from xiaoqu.renovation import progress_selectors as selectors
from xiaoqu.renovation.models import (
    HiddenWork,
    Project,
    ProjectItem,
    ProjectMember,
    ProjectStage,
    SitePhoto,
)
from xiaoqu.renovation.rules import (
    MANAGE_PROJECTS,
    READ_PROJECTS,
    REPORT_PROGRESS,
    SIGN_HIDDEN_WORKS,
    VIEW_PROJECTS,
)
from xiaoqu.renovation.services import progress as services

PROJECT = Lookup(Project, "project_id", select_related=("builder", "supervisor"))
HIDDEN = Lookup(HiddenWork, "hidden_id", select_related=("item__project",))
PHOTO = Lookup(SitePhoto, "photo_id")
# A report with its photo: the photo may be 8 MB (core.uploads.PHOTO_MAX_BYTES).
SUBMIT_MAX_BYTES = 9 * 1024 * 1024


# --- the 进度 tab ------------------------------------------------------------------------------


@require_GET
@requires(VIEW_PROJECTS, find=PROJECT)
def project_progress(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """Planned against actual per item (a timeline and the same data as a table), the latest
    reports, the site diary, the photos and the hidden works, with the forms the user may use."""
    user = request.user
    page = selectors.progress_page(project)
    can_report = REPORT_PROGRESS.has(user, project)
    supervisor_member = (
        project.supervisor_id is not None
        and SIGN_HIDDEN_WORKS.has(user, project)
        and ProjectMember.objects.filter(
            project=project, user=user, company_id=project.supervisor_id
        ).exists()
    )
    resident = project.resident_supervisor
    return render(
        request,
        "renovation/progress/progress_tab.html",
        {
            "project": project,
            "page": page,
            "view": page.view,
            "chart_height": 90 + 44 * max(len(page.view.items), 2),
            "can_report": can_report,
            "can_schedule": can_report or MANAGE_PROJECTS.has(user, project),
            "can_manage": MANAGE_PROJECTS.has(user, project),
            "can_sign": supervisor_member,
            "in_works": project.stage == ProjectStage.WORKS,
            "on_site": project.stage in services.SITE_STAGES,
            "client_id": uuid.uuid4(),
            "today": timezone.localdate(),
            "far_metres": services.far_metres(),
            "resident": resident,
            "resident_phone": mask_phone(resident.phone) if resident else "",
        },
    )


def _back(project: Project) -> HttpResponse:
    return redirect("renovation:project_progress", project_id=project.pk)


def _item(request: AuthenticatedRequest, project: Project, permission: Any) -> ProjectItem:
    return permitted_or_error(
        request.user,
        permission,
        ProjectItem.objects.filter(project=project).select_related("project", "estate", "vote"),
        request.POST.get("item"),
        _("条目不存在。"),
        "item",
    )


def _date(raw: str | None, label: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("%(label)s不是正确的日期。") % {"label": label}, code="date") from None


def _int(raw: str | None, message: str, code: str) -> int:
    # ASCII digits only: "²" passes str.isdigit but is no number.
    value = (raw or "").strip()
    if not re.fullmatch(r"[0-9]{1,6}", value):
        raise DomainError(message, code=code)
    return int(value)


def _coordinate(raw: str | None) -> float | None:
    value = (raw or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise DomainError(_("手机定位的经纬度不正确。"), code="position") from None
    if not math.isfinite(number):
        raise DomainError(_("手机定位的经纬度不正确。"), code="position")
    return number


def _position(data: Any) -> tuple[float | None, float | None]:
    return _coordinate(data.get("latitude")), _coordinate(data.get("longitude"))


@require_POST
@requires(VIEW_PROJECTS, find=PROJECT)
def item_schedule(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """Set an item's planned start and finish (the service checks who may)."""
    try:
        item = _item(request, project, VIEW_PROJECTS)
        services.item_schedule(
            item=item,
            planned_start=_date(request.POST.get("planned_start"), _("计划开始")),
            planned_finish=_date(request.POST.get("planned_finish"), _("计划完成")),
            actor=request.user,
        )
        messages.success(request, _("已保存“%(t)s”的计划日期。") % {"t": item.title})
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


@require_POST
@requires(REPORT_PROGRESS, find=PROJECT)
def progress_report(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """Report progress from the tab's form (its client_id, made when the page was drawn,
    makes a double submit count once)."""
    try:
        item = _item(request, project, REPORT_PROGRESS)
        result = services.progress_report(
            item=item,
            percent=_int(
                request.POST.get("percent"), _("完成比例应为 0 到 100 之间的整数。"), "percent"
            ),
            note=request.POST.get("note", ""),
            client_id=_client_id(request.POST.get("client_id", "")),
            reported_at=timezone.now(),
            actor=request.user,
            photo=request.FILES.get("photo"),
        )
        messages.success(
            request,
            _("已填报“%(t)s”：%(p)d%%。") % {"t": item.title, "p": result.update.percent},
        )
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


@require_POST
@requires(REPORT_PROGRESS, find=PROJECT)
def diary_write(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    data = request.POST
    try:
        day = _date(data.get("date"), _("日期")) or timezone.localdate()
        services.diary_write(
            project=project,
            date=day,
            text=data.get("text", ""),
            weather=data.get("weather", ""),
            workers=_int(
                data.get("workers") or "0", _("作业人数应为 0 到 10000 之间的整数。"), "workers"
            ),
            actor=request.user,
        )
        messages.success(request, _("已保存 %(d)s 的施工日志。") % {"d": day.isoformat()})
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


@require_POST
@requires(REPORT_PROGRESS, find=PROJECT)
def photo_add(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    try:
        item = _item(request, project, REPORT_PROGRESS) if request.POST.get("item") else None
        latitude, longitude = _position(request.POST)
        photo = services.photo_add(
            project=project,
            item=item,
            file=request.FILES.get("photo"),
            caption=request.POST.get("caption", ""),
            latitude=latitude,
            longitude=longitude,
            actor=request.user,
        )
        if photo.far:
            messages.warning(
                request,
                _("照片已上传，但拍摄地点距小区约 %(m)d 米，已标记为“远离小区”。")
                % {"m": photo.distance_m},
            )
        else:
            messages.success(request, _("照片已上传。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


@require_POST
@requires(MANAGE_PROJECTS, find=PROJECT)
def resident_supervisor(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """Name the resident supervisor by their phone number (an owner or resident of one of
    the project's estates)."""
    phone = re.sub(r"\s+", "", request.POST.get("phone", ""))
    try:
        person = _resident_by_phone(project, phone)
        services.project_set_resident_supervisor(project=project, person=person, actor=request.user)
        messages.success(request, _("居民监督员：%(n)s。") % {"n": person.name})
        if not person.users.exists():
            messages.warning(request, _("这位居民还没有平台账号：开通账号后才能在平台上签字。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


def _resident_by_phone(project: Project, phone: str) -> Person:
    if not re.fullmatch(r"1[0-9]{10}", phone):
        raise DomainError(_("请填写居民监督员的 11 位手机号。"), code="phone")
    estates = project.project_estates.values("estate_id")
    found = (
        Person.objects.filter(phone=phone)
        .filter(
            Q(ownerships__dwelling__estate__in=estates)
            | Q(residencies__dwelling__estate__in=estates)
        )
        .distinct()
        .order_by("pk")
        .first()
    )
    if found is None:
        raise DomainError(_("本项目小区的业主和住户中没有这个手机号。"), code="not_resident")
    return found


@require_POST
@requires(REPORT_PROGRESS, find=PROJECT)
def hidden_work_record(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    try:
        item = _item(request, project, REPORT_PROGRESS)
        latitude, longitude = _position(request.POST)
        services.hidden_work_record(
            item=item,
            description=request.POST.get("description", ""),
            photo=request.FILES.get("photo"),
            latitude=latitude,
            longitude=longitude,
            actor=request.user,
        )
        messages.success(request, _("已记录隐蔽工程，等待监理和居民监督员签字。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(project)


@require_POST
@requires(SIGN_HIDDEN_WORKS, find=HIDDEN)
def hidden_work_sign(request: AuthenticatedRequest, hidden: HiddenWork) -> HttpResponse:
    """The supervisor's staff sign a hidden-works record."""
    try:
        services.hidden_work_sign(
            hidden=hidden, actor=request.user, capacity=services.SIGN_SUPERVISOR
        )
        messages.success(request, _("已以监理身份签字。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(hidden.item.project)


@require_POST
@requires(REPORT_PROGRESS, find=HIDDEN)
def hidden_work_cover(request: AuthenticatedRequest, hidden: HiddenWork) -> HttpResponse:
    try:
        services.hidden_work_cover(hidden=hidden, actor=request.user)
        messages.success(request, _("已记录覆盖。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(hidden.item.project)


@require_GET
# requires() is typed for HttpResponse views; a FileResponse streams (StreamingHttpResponse).
@requires(VIEW_PROJECTS, find=PHOTO)
def site_photo(request: AuthenticatedRequest, photo: SitePhoto) -> FileResponse:
    """A site photo, for those who may see its project (never a public media URL)."""
    return stored_file_response(photo.image)


# --- the residents' page of hidden works (the resident supervisor signs here) ----------------


@require_GET
@requires(READ_PROJECTS, find=PROJECT)
def project_hidden_works(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """The project's hidden-works records as residents see them; the resident supervisor
    signs the ones waiting for them."""
    return render(
        request,
        "renovation/progress/hidden_public.html",
        {
            "project": project,
            "hidden": selectors.hidden_works(project),
            "is_supervisor": services.is_resident_supervisor(request.user, project),
        },
    )


@require_POST
@requires(READ_PROJECTS, find=HIDDEN)
def hidden_work_resident_sign(request: AuthenticatedRequest, hidden: HiddenWork) -> HttpResponse:
    """The project's resident supervisor signs (the service checks it is them)."""
    try:
        services.hidden_work_sign(
            hidden=hidden, actor=request.user, capacity=services.SIGN_RESIDENT
        )
        messages.success(request, _("已以居民监督员身份签字。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("renovation:project_hidden_works", project_id=hidden.item.project_id)


# --- the contractor's phone page ---------------------------------------------------------------


@require_GET
@requires(REPORT_PROGRESS)
def site(request: AuthenticatedRequest) -> HttpResponse:
    """Report progress on a phone: the items of the projects in 施工 the user may report on;
    reports wait on the phone until they are sent."""
    lines = selectors.site_items(request.user)
    return render(
        request,
        "renovation/progress/site.html",
        {
            "lines": lines,
            "limit": selectors.SITE_ITEMS_MAX,
            "site_data": {
                "submitUrl": reverse("renovation:site_report"),
                "csrfCookie": settings.CSRF_COOKIE_NAME,
                "items": {
                    str(line.item.pk): {
                        "title": line.item.title,
                        "project": line.item.project.name,
                        "percent": line.item.percent,
                    }
                    for line in lines
                    if line.cleared
                },
            },
            "texts": _site_texts(),
        },
    )


def _site_texts() -> dict[str, str]:
    """What the phone page's script says, translated here (the script has no catalogue):
    the shared queue's texts and the page's own."""
    return {
        **queue_texts(),
        "queued": _("已存在本机，有网络时自动发送。"),
        "lowerNeedsNote": _("比上次的 %(p)s%% 低：请在说明里写明原因（如返工）。"),
        "edit": _("重新填写"),
        "discardConfirm": _("确定放弃这条进度填报吗？"),
        "returnedLoaded": _("这条填报没有通过，请修改后重新保存：%(error)s"),
        "withPlace": _("有定位"),
        "locating": _("正在获取位置…"),
    }


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _bad(message: str, code: str = "invalid") -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=400)


def _client_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise DomainError(_("提交编号不正确，请刷新页面后重新填写。"), code="client_id") from None


def _reported_at(raw: str) -> dt.datetime:
    """The time sent (a time without zone is local time), or now when none is."""
    try:
        reported_at = parse_datetime(raw) if raw else timezone.now()
    except ValueError:  # well formed but no such day or hour: 2026-02-30
        reported_at = None
    if reported_at is None:
        raise DomainError(_("填报时间不正确。"), code="reported_at")
    if timezone.is_naive(reported_at):
        reported_at = timezone.make_aware(reported_at)
    return reported_at


def _parse_report(request: AuthenticatedRequest) -> dict[str, Any]:
    """The submitted report as ``progress_report`` arguments; DomainError for bad input."""
    data = request.POST
    client_id = _client_id(data.get("client_id", ""))
    item = permitted_or_error(
        request.user,
        REPORT_PROGRESS,
        ProjectItem.objects.select_related("project", "estate", "vote"),
        data.get("item"),
        _("这个条目不存在或不归您填报。"),
        "item",
    )
    latitude, longitude = _position(data)
    return {
        "item": item,
        "client_id": client_id,
        "percent": _int(data.get("percent"), _("完成比例应为 0 到 100 之间的整数。"), "percent"),
        "note": data.get("note", ""),
        "reported_at": _reported_at(data.get("reported_at", "")),
        "photo": request.FILES.get("photo"),
        "latitude": latitude,
        "longitude": longitude,
        "actor": request.user,
    }


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > SUBMIT_MAX_BYTES:
        return True
    try:
        request.POST  # noqa: B018 - parse now, so an oversized field is answered here
    except (RequestDataTooBig, TooManyFieldsSent):
        return True
    return False


@csrf_exempt  # checked below, after the size check, so a huge body gets a JSON answer too
@require_POST
@requires(REPORT_PROGRESS)
def site_report(request: AuthenticatedRequest) -> HttpResponse:
    """Store one progress report sent by the phone page: JSON ``{"id", "created", "percent"}``
    (201, or 200 for a report stored before under the same ``client_id``) or 400
    ``{"error"}``; the phone keeps a refused report for the user to fix or discard."""
    if _too_large(request):
        return _bad(_("提交的内容太大（照片最大 8 MB）。"), "too_large")
    refused = CsrfViewMiddleware(_ok).process_view(request, _ok, (), {})
    if refused is not None:
        return JsonResponse(
            {"error": _("页面已过期，请刷新页面后再发送。"), "code": "csrf"}, status=403
        )
    try:
        result = services.progress_report(**_parse_report(request))
    except DomainError as exc:
        return _bad(exc.message, exc.code)
    update = result.update
    return JsonResponse(
        {"id": update.pk, "created": result.created, "percent": update.item.percent},
        status=201 if result.created else 200,
    )
