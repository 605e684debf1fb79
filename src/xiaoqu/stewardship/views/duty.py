"""The duty roster (值班表): a week's shifts with the gaps in 24-hour coverage, one URL and
form per action for those who manage the duty, handover notes, and one's own shifts.

The roster is for staff in scope and the members of the estate's current 自管会 or 业委会
(``stewardship.view_duty``); adding and removing shifts need ``stewardship.manage_duty``; a
handover note is written by the person on duty (their own shifts, 我的值班) or by those who
manage. Residents see who is on duty now on 谁在管理 (views/bodies.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import AUTHENTICATED, Lookup, object_pk, permitted_or_error, requires
from xiaoqu.registry.models import Estate, Person
from xiaoqu.stewardship import duty_selectors as selectors
from xiaoqu.stewardship.models import DutyShift
from xiaoqu.stewardship.rules import MANAGE_DUTY, VIEW_DUTY
from xiaoqu.stewardship.services import duty as services

ESTATE = Lookup(Estate, "estate_id")
POSTS = ("值班室", "门岗", "巡逻")


def _week(value: str | None) -> dt.date:
    """The Monday of the week asked for (``?week=2026-05-04``), else of this week."""
    try:
        day = dt.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return selectors.week_of(day)


@require_GET
@requires(VIEW_DUTY, find=ESTATE)
def duty_roster(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    monday = _week(request.GET.get("week"))
    now = timezone.now()
    manages = MANAGE_DUTY.has(request.user, estate)
    roster = selectors.week_roster(estate, monday)
    context: dict[str, Any] = {
        "estate": estate,
        "roster": roster,
        "on_duty": selectors.on_duty_now(estate, now),
        "handovers": selectors.recent_handovers(estate),
        "previous": (monday - dt.timedelta(days=7)).isoformat(),
        "next": (monday + dt.timedelta(days=7)).isoformat(),
        "this_week": selectors.week_of(timezone.localdate()) == monday,
        "now": now,
        "can_manage": manages,
        "today": timezone.localdate(),
    }
    if manages:
        start = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
        context |= {
            "people": selectors.duty_candidates(estate),
            "posts": POSTS,
            "default_start": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "default_end": (start + dt.timedelta(hours=13)).strftime("%Y-%m-%dT%H:%M"),
        }
    return render(request, "stewardship/duty/roster.html", context)


def _back(estate: Estate, week: str | None = None) -> HttpResponse:
    url = reverse("stewardship:duty_roster", kwargs={"estate_id": estate.pk})
    return redirect(f"{url}?week={week}" if week else url)


def local_datetime(value: str | None, label: str) -> dt.datetime:
    """A date and time from a form (``2026-05-04T08:00``), Beijing time."""
    value = (value or "").strip()
    if not value:
        raise DomainError(_("请填写%(label)s。") % {"label": label}, code="datetime")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise DomainError(
            _("%(label)s格式不对（应为 年-月-日 时:分）。") % {"label": label}, code="datetime"
        ) from None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


@require_POST
@requires(MANAGE_DUTY, find=ESTATE)
def shift_add(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    data = request.POST
    week = None
    try:
        person = _pick_person(estate, data.get("person"))
        starts_at = local_datetime(data.get("starts_at"), _("开始时间"))
        ends_at = local_datetime(data.get("ends_at"), _("结束时间"))
        week = selectors.week_of(timezone.localdate(starts_at)).isoformat()
        services.shift_add(
            estate=estate,
            person=person,
            post=data.get("post", ""),
            phone=data.get("phone", ""),
            starts_at=starts_at,
            ends_at=ends_at,
            actor=request.user,
        )
        messages.success(request, _("已排班。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate, week)


def _pick_person(estate: Estate, value: Any) -> Person:
    try:
        pk = object_pk(value)
    except Http404:
        pk = 0
    found = next((p for p in selectors.duty_candidates(estate) if p.pk == pk), None)
    if found is None:
        raise DomainError(
            _("值班人员应是本小区的业主、居民、自管会成员或物业人员。"), code="person"
        )
    return found


@require_POST
@requires(MANAGE_DUTY, find=ESTATE)
def shift_remove(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    week = None
    try:
        shift = permitted_or_error(
            request.user,
            MANAGE_DUTY,
            DutyShift.objects.filter(estate=estate).select_related("estate"),
            request.POST.get("shift"),
            _("班次不存在。"),
        )
        week = selectors.week_of(timezone.localdate(shift.starts_at)).isoformat()
        services.shift_remove(shift=shift, actor=request.user)
        messages.success(request, _("已删除班次。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate, week)


@require_POST
@requires(AUTHENTICATED)
def handover_write(request: AuthenticatedRequest, shift_id: int) -> HttpResponse:
    """The handover note of a shift: by its person on duty or by those who manage the duty;
    anyone else gets 404, as for a missing shift."""
    shift = (
        DutyShift.objects.select_related("estate", "person").filter(pk=object_pk(shift_id)).first()
    )
    if shift is None or not services.may_hand_over(request.user, shift):
        raise Http404
    try:
        services.handover_write(shift=shift, note=request.POST.get("note", ""), actor=request.user)
        messages.success(request, _("已记录交接班。"))
    except DomainError as error:
        messages.error(request, error.message)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        # Not ``redirect()``: it reads a bare word such as "0" as a URL name to reverse.
        return HttpResponseRedirect(target)
    return redirect("stewardship:my_duty")


@require_GET
@requires(AUTHENTICATED)
def my_duty(request: AuthenticatedRequest) -> HttpResponse:
    """我的值班 — the signed-in person's shifts of the last two weeks and to come, with the
    handover note to write when a shift has started."""
    now = timezone.now()
    return render(
        request,
        "stewardship/duty/my_duty.html",
        {"shifts": selectors.my_shifts(request.user, now), "now": now},
    )
