"""Meeting pages: staff schedule a meeting or record one held with the opinions heard at it,
sign households in, keep its record and publish the minutes; residents read published minutes
(attendance as counts, never names). Every action is its own URL and form.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, object_pks, permitted_or_error, requires
from xiaoqu.meetings import services
from xiaoqu.meetings.forms import MeetingForm
from xiaoqu.meetings.models import Meeting, MeetingKind
from xiaoqu.meetings.rules import HOLD_MEETINGS, READ_MINUTES, VIEW_MEETINGS
from xiaoqu.needs.categories import category_labels
from xiaoqu.needs.models import Demand
from xiaoqu.needs.rules import READ_OPINIONS
from xiaoqu.needs.services import OpinionInput
from xiaoqu.needs.views.common import posted
from xiaoqu.registry.models import Dwelling, Estate

ESTATE = Lookup(Estate, "estate_id")
MEETING = Lookup(Meeting, "meeting_id", select_related=("estate",))


@require_GET
@requires(VIEW_MEETINGS, find=ESTATE)
def meeting_list(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    meetings = (
        Meeting.objects.filter(estate=estate)
        .annotate(signed=Count("attendees", distinct=True), heard=Count("opinions", distinct=True))
        .order_by("-held_on", "-pk")
    )
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "estate": estate,
            "meetings": meetings,
            "kinds": MeetingKind.choices,
            "can_hold": HOLD_MEETINGS.has(request.user, estate),
        },
    )


@require_POST
@requires(HOLD_MEETINGS, find=ESTATE)
def meeting_new(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """Schedule a meeting (its record is kept on the meeting's page)."""
    data = request.POST
    try:
        try:
            held_on = dt.date.fromisoformat(data.get("held_on", ""))
        except ValueError:
            raise DomainError(_("请填写会议日期。")) from None
        with transaction.atomic():
            meeting = services.meeting_create(
                estate=estate,
                kind=data.get("kind", ""),
                held_on=held_on,
                place=data.get("place", ""),
                attendance=0,
                actor=request.user,
            )
            services.meeting_record_update(
                meeting=meeting,
                actor=request.user,
                convenor=data.get("convenor", ""),
                agenda=data.get("agenda", ""),
            )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("meetings:meeting_list", estate_id=estate.pk)
    return redirect("meetings:meeting_record", meeting_id=meeting.pk)


def _heard_form(
    request: AuthenticatedRequest,
    estate: Estate,
    form: MeetingForm,
    status: int = 200,
    page_error: str = "",
) -> HttpResponse:
    return render(
        request,
        "meetings/heard_new.html",
        {"estate": estate, "form": form, "page_error": page_error},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(HOLD_MEETINGS, find=ESTATE)
def heard_new(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """A 坝坝会 or 居民议事会 already held, entered with the opinions heard, one a line."""
    if request.method != "POST":
        return _heard_form(request, estate, MeetingForm())
    data, _files, too_big = posted(request)
    if too_big:
        return _heard_form(request, estate, MeetingForm(), status=400, page_error=too_big)
    form = MeetingForm(data)
    if not form.is_valid():
        return _heard_form(request, estate, form, status=400)
    texts: list[str] = form.cleaned_data["opinions"]
    try:
        meeting = services.meeting_create(
            estate=estate,
            kind=form.cleaned_data["kind"],
            held_on=form.cleaned_data["held_on"],
            place=form.cleaned_data["place"],
            attendance=form.cleaned_data["attendance"],
            actor=request.user,
            heard=texts,
        )
    except DomainError as e:
        form.add_error(None, e.message)
        return _heard_form(request, estate, form, status=400)
    messages.success(
        request,
        _("已记录%(meeting)s和 %(n)d 条意见。")
        % {"meeting": meeting.get_kind_display(), "n": len(texts)},
    )
    return redirect("meetings:meeting_record", meeting_id=meeting.pk)


def _dwellings_found(request: AuthenticatedRequest, meeting: Meeting, query: str) -> list[Dwelling]:
    """Dwellings of the meeting's estate matching "301" or "2-301" that the user may sign in (a
    grid worker finds the dwellings of their grid only)."""
    parts = [p for p in query.replace("栋", "-").replace("单元", "-").split("-") if p]
    if not parts:
        return []
    found = Dwelling.objects.filter(estate=meeting.estate, number=parts[-1])
    if len(parts) >= 2:
        found = found.filter(building__number=parts[0])
    found = HOLD_MEETINGS.scoped(request.user, found)
    return list(found.select_related("building", "entrance")[:20])


@require_GET
@requires(VIEW_MEETINGS, find=MEETING)
def meeting_record(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:40]
    attendees = meeting.attendees.select_related("dwelling__building", "dwelling__entrance")
    names = category_labels()
    # Opinions heard at a meeting concern the whole estate or a building: the reader sees those
    # they may read (a grid worker, their grid's), and how many more there are.
    readable = READ_OPINIONS.scoped(request.user, meeting.opinions.all())
    heard = [
        (opinion, names.get(opinion.category, opinion.category))
        for opinion in readable.select_related("demand").order_by("pk")
    ]
    return render(
        request,
        "meetings/meeting_record.html",
        {
            "meeting": meeting,
            "can_hold": HOLD_MEETINGS.has(request.user, meeting),
            "demands": Demand.objects.filter(estate=meeting.estate, merged_into__isnull=True)
            .annotate(n=Count("opinions"))
            .filter(Q(n__gt=0) | ~Q(source="opinions"))
            .order_by("-n"),
            "chosen_demands": set(meeting.agenda_demands.values_list("pk", flat=True)),
            "attendees": attendees,
            "households": attendees.values("dwelling").distinct().count(),
            "heard": heard,
            "hidden_heard": meeting.opinions.count() - len(heard),
            "query": query,
            "found": _dwellings_found(request, meeting, query) if query else [],
        },
    )


def _back(meeting: Meeting) -> HttpResponse:
    return redirect("meetings:meeting_record", meeting_id=meeting.pk)


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def record_save(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    data = request.POST
    try:
        services.meeting_record_update(
            meeting=meeting,
            actor=request.user,
            convenor=data.get("convenor", ""),
            agenda=data.get("agenda", ""),
            minutes=data.get("minutes", ""),
            decisions=data.get("decisions", ""),
            agenda_demand_ids=object_pks(
                data.getlist("demands"), _("议题中的需求不属于这个小区。")
            ),
        )
        messages.success(request, _("已保存会议记录。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(meeting)


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def sign_in(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    try:
        if not request.POST.get("dwelling"):
            raise DomainError(_("请先查找并选择房屋。"))
        dwelling = permitted_or_error(
            request.user,
            HOLD_MEETINGS,
            Dwelling.objects.filter(estate=meeting.estate),
            request.POST["dwelling"],
            _("请先查找并选择房屋。"),
        )
        services.meeting_sign_in(meeting=meeting, dwelling=dwelling, actor=request.user)
        messages.success(request, _("已签到：%(d)s") % {"d": dwelling.label})
    except DomainError as error:
        messages.error(request, error.message)
    return _back(meeting)


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def photo_add(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    try:
        photo = request.FILES.get("photo")
        if photo is None:
            raise DomainError(_("请选择照片。"))
        services.meeting_photo_add(meeting=meeting, photo=photo, actor=request.user)
        messages.success(request, _("已上传照片。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(meeting)


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def hear(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    """More opinions heard at the meeting, one a line (all or nothing)."""
    texts = [line for line in request.POST.get("opinions", "").splitlines() if line.strip()]
    try:
        if not texts:
            raise DomainError(_("请至少填写一条意见，一行一条。"))
        items = [OpinionInput(text=text, heard_on=meeting.held_on) for text in texts]
        opinions = services.meeting_hear(meeting=meeting, items=items, actor=request.user)
        messages.success(request, _("已记录 %(n)d 条意见。") % {"n": len(opinions)})
    except DomainError as error:
        messages.error(request, error.message)
    return _back(meeting)


@require_POST
@requires(HOLD_MEETINGS, find=MEETING)
def minutes_publish(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    try:
        services.meeting_publish_minutes(meeting=meeting, actor=request.user)
        messages.success(request, _("会议纪要已向居民公布。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(meeting)


@require_GET
@requires(READ_MINUTES, find=MEETING)
def meeting_minutes(request: AuthenticatedRequest, meeting: Meeting) -> HttpResponse:
    """Published minutes for the estate's residents (and staff in scope)."""
    return render(
        request,
        "meetings/meeting_minutes.html",
        {
            "meeting": meeting,
            "households": meeting.attendees.values("dwelling").distinct().count(),
            "demands": meeting.agenda_demands.all(),
        },
    )
