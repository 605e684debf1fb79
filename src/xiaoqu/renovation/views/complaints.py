"""Complaints and suggestions during the works: the resident's phone pages (raise one from
their home, read the answers, close their own) and the staff tab of a project (the list with
deadlines, a complaint with who it is routed to, answer and close)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.access_log import FIELD_PHONE, access_note
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AccessAction
from xiaoqu.core.pii import mask_name, mask_phone
from xiaoqu.core.policy import Lookup, permitted_or_error, requires
from xiaoqu.registry.models import Dwelling
from xiaoqu.registry.rules import SEE_NAMES, SEE_PHONES
from xiaoqu.registry.scope import home_dwellings
from xiaoqu.renovation.models import Complaint, ComplaintKind, ComplaintStatus, Project
from xiaoqu.renovation.rules import COMPLAIN, HANDLE_COMPLAINTS, VIEW_PROJECTS
from xiaoqu.renovation.services import complaints as services

PROJECT = Lookup(Project, "project_id")
COMPLAINT = Lookup(
    Complaint,
    "complaint_id",
    select_related=("project", "estate", "author", "zone__leader__person", "answered_by"),
)
STATUS_FILTERS = (*ComplaintStatus.choices, ("overdue", gettext_lazy("已逾期")))


# --- the resident's pages --------------------------------------------------------------------


def _homes_in_works(request: AuthenticatedRequest) -> list[tuple[Dwelling, Project]]:
    """The user's dwellings whose estate has a project in 施工 or 验收, with that project."""
    homes = []
    for dwelling in (
        home_dwellings(request.user)
        .select_related("estate", "building", "entrance")
        .order_by("estate__name", "pk")
    ):
        project = services.project_in_works(dwelling.estate_id)
        if project is not None:
            homes.append((dwelling, project))
    return homes


@require_http_methods(["GET", "POST"])
@requires(COMPLAIN)
def complaint_new(request: AuthenticatedRequest) -> HttpResponse:
    """The resident's phone form: noise, dust, blocked access, safety, a suggestion."""
    homes = _homes_in_works(request)
    data = request.POST if request.method == "POST" else None
    if data is not None:
        try:
            dwelling = permitted_or_error(
                request.user,
                COMPLAIN,
                Dwelling.objects.filter(pk__in=[d.pk for d, _p in homes]),
                data.get("dwelling"),
                _("请选择您的房屋。"),
            )
            services.complaint_raise(
                dwelling=dwelling,
                kind=data.get("kind", ""),
                text=data.get("text", ""),
                place=data.get("place", ""),
                actor=request.user,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("已提交，将在 %(h)d 小时内答复。") % {"h": services.answer_hours()},
            )
            return redirect("renovation:my_complaints")
    return render(
        request,
        "renovation/complaints/new.html",
        {
            "homes": homes,
            "kinds": ComplaintKind.choices,
            "data": data or {},
            "hours": services.answer_hours(),
        },
    )


@require_GET
@requires(COMPLAIN)
def my_complaints(request: AuthenticatedRequest) -> HttpResponse:
    """The resident's own complaints, their answers and who they were sent to."""
    complaints = list(
        Complaint.objects.filter(author=request.user)
        .select_related("project", "estate", "zone__leader__person")
        .order_by("-created_at", "-pk")[:100]
    )
    now = timezone.now()
    rows = [(c, services.routing_of(c), services.is_overdue(c, now)) for c in complaints]
    return render(
        request,
        "renovation/complaints/mine.html",
        {"rows": rows, "can_raise": bool(_homes_in_works(request))},
    )


@require_POST
@requires(COMPLAIN, find=COMPLAINT)
def complaint_confirm(request: AuthenticatedRequest, complaint: Complaint) -> HttpResponse:
    """The resident closes their own complaint (satisfied with the answer, or withdrawn)."""
    if complaint.author_id != request.user.pk:
        raise Http404
    try:
        services.complaint_close(complaint=complaint, actor=request.user)
        messages.success(request, _("已办结，感谢您的监督。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("renovation:my_complaints")


# --- staff ----------------------------------------------------------------------------------


@require_GET
@requires(VIEW_PROJECTS, find=PROJECT)
def project_complaints(request: AuthenticatedRequest, project: Project) -> HttpResponse:
    """The project's complaints with their deadlines (overdue first when filtered), 50 a page."""
    status = request.GET.get("status", "")
    now = timezone.now()
    scoped = VIEW_PROJECTS.scoped(request.user, Complaint.objects.filter(project=project))
    complaints = scoped
    if status == "overdue":
        complaints = complaints.filter(status=ComplaintStatus.OPEN, due_at__lt=now)
    elif status in ComplaintStatus.values:
        complaints = complaints.filter(status=status)
    page = Paginator(
        complaints.select_related("estate", "zone__leader__person").order_by("-created_at", "-pk"),
        50,
    ).get_page(request.GET.get("page"))
    open_ = scoped.filter(status=ComplaintStatus.OPEN)
    return render(
        request,
        "renovation/complaints/project.html",
        {
            "project": project,
            "tab": "complaints",
            "page": page,
            "rows": [(c, services.is_overdue(c, now)) for c in page],
            "status": status,
            "statuses": STATUS_FILTERS,
            "open_count": open_.count(),
            "overdue_count": open_.filter(due_at__lt=now).count(),
            "hours": services.answer_hours(),
        },
    )


@require_GET
@requires(VIEW_PROJECTS, find=COMPLAINT)
def complaint_detail(request: AuthenticatedRequest, complaint: Complaint) -> HttpResponse:
    """One complaint: what, where, the deadline, who it is routed to; answer and close."""
    user, estate = request.user, complaint.estate
    author = complaint.author
    see_phones = SEE_PHONES.has(user, estate)
    if see_phones and author.phone:
        access_note(
            request,
            action=AccessAction.REVEAL,
            field=FIELD_PHONE,
            subjects=[author.person_id] if author.person_id else [],
            count=None if author.person_id else 1,
            description=_("投诉人电话（投诉 %(id)s）") % {"id": complaint.pk},
        )
    return render(
        request,
        "renovation/complaints/detail.html",
        {
            "complaint": complaint,
            "project": complaint.project,
            "tab": "complaints",
            "routing": services.routing_of(complaint),
            "overdue": services.is_overdue(complaint),
            "author_name": author.name if SEE_NAMES.has(user, estate) else mask_name(author.name),
            "author_phone": author.phone if see_phones else mask_phone(author.phone),
            "can_handle": HANDLE_COMPLAINTS.has(user, complaint),
        },
    )


def _back(complaint: Complaint) -> HttpResponse:
    return redirect("renovation:complaint_detail", complaint_id=complaint.pk)


@require_POST
@requires(HANDLE_COMPLAINTS, find=COMPLAINT)
def complaint_answer(request: AuthenticatedRequest, complaint: Complaint) -> HttpResponse:
    try:
        services.complaint_answer(
            complaint=complaint, answer=request.POST.get("answer", ""), actor=request.user
        )
        messages.success(request, _("已答复，居民可在手机上看到。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(complaint)


@require_POST
@requires(HANDLE_COMPLAINTS, find=COMPLAINT)
def complaint_close(request: AuthenticatedRequest, complaint: Complaint) -> HttpResponse:
    try:
        services.complaint_close(complaint=complaint, actor=request.user)
        messages.success(request, _("已办结。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(complaint)
