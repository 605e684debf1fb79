"""Meeting pages: staff schedule a meeting, sign households in, keep its record and publish
the minutes; residents read published minutes (attendance as counts, never names).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import access_estate, home_estates, visible_estates
from xiaoqu.decisions import services
from xiaoqu.decisions.models import Meeting, MeetingKind, Plan
from xiaoqu.decisions.selectors import object_pk
from xiaoqu.needs.models import Demand
from xiaoqu.registry.models import Dwelling


def _access_meeting(user, meeting_id) -> Meeting:
    meeting = (
        Meeting.objects.filter(pk=object_pk(meeting_id), estate__in=visible_estates(user))
        .select_related("estate")
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


def meeting_list(request, estate_id):
    estate = access_estate(request.user, estate_id)
    meetings = (
        Meeting.objects.filter(estate=estate)
        .annotate(signed=Count("attendees"), heard=Count("opinions", distinct=True))
        .order_by("-held_on", "-pk")
    )
    return render(
        request,
        "decisions/meeting_list.html",
        {
            "estate": estate,
            "meetings": meetings,
            "kinds": MeetingKind.choices,
            "can_hold": request.user.has_perm("decisions.hold_meetings"),
        },
    )


@require_POST
def meeting_new(request, estate_id):
    estate = access_estate(request.user, estate_id)
    data = request.POST
    try:
        try:
            held_on = dt.date.fromisoformat(data.get("held_on", ""))
        except ValueError:
            raise DomainError(_("请填写会议日期。")) from None
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
        return redirect("decisions:meeting_list", estate_id=estate.pk)
    return redirect("decisions:meeting_record", meeting_id=meeting.pk)


def meeting_record(request, meeting_id):
    meeting = _access_meeting(request.user, meeting_id)
    query = request.GET.get("q", "").strip()[:40]
    found = []
    if query:
        parts = [p for p in query.replace("栋", "-").replace("单元", "-").split("-") if p]
        found_qs = Dwelling.objects.filter(estate=meeting.estate, number=parts[-1])
        if len(parts) >= 2:
            found_qs = found_qs.filter(building__number=parts[0])
        found = list(found_qs.select_related("building", "entrance")[:20])
    attendees = meeting.attendees.select_related("dwelling__building", "dwelling__entrance")
    return render(
        request,
        "decisions/meeting_record.html",
        {
            "meeting": meeting,
            "can_hold": request.user.has_perm("decisions.hold_meetings"),
            "demands": Demand.objects.filter(estate=meeting.estate, merged_into__isnull=True)
            .annotate(n=Count("opinions"))
            .filter(Q(n__gt=0) | ~Q(source="opinions"))
            .order_by("-n"),
            "plans": Plan.objects.filter(estate=meeting.estate).order_by("-version"),
            "chosen_demands": set(meeting.agenda_demands.values_list("pk", flat=True)),
            "chosen_plans": set(meeting.agenda_plans.values_list("pk", flat=True)),
            "attendees": attendees,
            "households": attendees.values("dwelling").distinct().count(),
            "query": query,
            "found": found,
        },
    )


@require_POST
def meeting_action(request, meeting_id):
    meeting = _access_meeting(request.user, meeting_id)
    data = request.POST
    action = data.get("action")
    try:
        if action == "record":
            services.meeting_record_update(
                meeting=meeting,
                actor=request.user,
                convenor=data.get("convenor", ""),
                agenda=data.get("agenda", ""),
                minutes=data.get("minutes", ""),
                decisions=data.get("decisions", ""),
                agenda_demand_ids=[object_pk(v) for v in data.getlist("demands")],
                agenda_plan_ids=[object_pk(v) for v in data.getlist("plans")],
            )
            messages.success(request, _("已保存会议记录。"))
        elif action == "sign_in":
            dwelling = Dwelling.objects.filter(pk=object_pk(data.get("dwelling"))).first()
            if dwelling is None:
                raise DomainError(_("请先查找并选择房屋。"))
            services.meeting_sign_in(meeting=meeting, dwelling=dwelling, actor=request.user)
            messages.success(request, _("已签到：%(d)s") % {"d": dwelling.label})
        elif action == "photo":
            photo = request.FILES.get("photo")
            if photo is None:
                raise DomainError(_("请选择照片。"))
            services.meeting_photo_add(meeting=meeting, photo=photo, actor=request.user)
            messages.success(request, _("已上传照片。"))
        elif action == "publish":
            services.meeting_publish_minutes(meeting=meeting, actor=request.user)
            messages.success(request, _("会议纪要已向居民公布。"))
        else:
            raise DomainError(_("操作不正确。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("decisions:meeting_record", meeting_id=meeting.pk)


def meeting_minutes(request, meeting_id):
    """Published minutes for the estate's residents (and staff in scope)."""
    estates = Q(estate__in=home_estates(request.user)) | Q(estate__in=visible_estates(request.user))
    meeting = (
        Meeting.objects.filter(estates, pk=object_pk(meeting_id)).select_related("estate").first()
    )
    if meeting is None:
        raise Http404
    attendees = meeting.attendees.all()
    return render(
        request,
        "decisions/meeting_minutes.html",
        {
            "meeting": meeting,
            "households": attendees.values("dwelling").distinct().count(),
            "demands": meeting.agenda_demands.all(),
            "plans": meeting.agenda_plans.exclude(status="draft"),
        },
    )
