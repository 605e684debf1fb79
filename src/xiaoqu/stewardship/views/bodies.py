"""Who manages an estate: the staff page (current body, history, committee, documents, the
five parties, joint meetings) with one URL and form per action, and the residents' page (who
manages the estate and how to reach them, the rules with the votes that approved them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.accounts.models import User
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, permitted_or_error, requires
from xiaoqu.decisions.models import Vote
from xiaoqu.decisions.rules import VIEW_VOTES
from xiaoqu.meetings.rules import VIEW_MEETINGS
from xiaoqu.registry.models import Estate
from xiaoqu.stewardship import bodies_selectors as selectors
from xiaoqu.stewardship import duty_selectors, evaluation_selectors
from xiaoqu.stewardship.models import (
    BodyKind,
    BodyMember,
    DocumentKind,
    Party,
    PartySeat,
)
from xiaoqu.stewardship.rules import EVALUATE, MANAGE_BODIES, READ_MANAGEMENT, VIEW_MANAGEMENT
from xiaoqu.stewardship.services import bodies as services

ESTATE = Lookup(Estate, "estate_id")
MEMBER_ROLES = ("主任", "副主任", "委员", "秘书")


@require_GET
@requires(VIEW_MANAGEMENT, find=ESTATE)
def estate_management(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    user = request.user
    history = list(selectors.body_history(estate))
    current = selectors.current_of(history)
    manages = MANAGE_BODIES.has(user, estate)
    context: dict[str, Any] = {
        "estate": estate,
        "current": current,
        "history": history,
        "members": selectors.committee_members(current),
        "documents": selectors.documents_of(estate),
        "parties": selectors.party_rows(estate),
        "meetings": VIEW_MEETINGS.scoped(user, selectors.joint_meetings(estate)),
        "can_manage": manages,
        # Who is on duty now (the duty roster, views/duty.py).
        "on_duty": duty_selectors.on_duty_now(estate),
    }
    if manages:
        context |= _form_choices(user, estate)
        candidates = selectors.seat_candidates(estate)
        for row in context["parties"]:
            seated = {seat["user_id"] for seat in row.seats}
            row.candidates = [u for u in candidates[row.party] if u.pk not in seated]
    return render(request, "stewardship/bodies/estate_management.html", context)


def _form_choices(user: User, estate: Estate) -> dict[str, Any]:
    return {
        "kinds": BodyKind.choices,
        "document_kinds": DocumentKind.choices,
        "member_roles": MEMBER_ROLES,
        "meetings_electing": selectors.electing_meetings(estate),
        "organizations": selectors.party_organizations_for(estate),
        "people": selectors.estate_people(estate),
        "votes": VIEW_VOTES.scoped(
            user, Vote.objects.filter(estate=estate, result_published_at__isnull=False)
        ).order_by("-result_published_at"),
        "today": dt.date.today().isoformat(),
    }


@require_GET
@requires(READ_MANAGEMENT, find=ESTATE)
def estate_manager_public(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """Who manages the estate and how to reach them, and its rules with their votes."""
    history = list(selectors.body_history(estate))
    current = selectors.current_of(history)
    return render(
        request,
        "stewardship/bodies/estate_manager_public.html",
        {
            "estate": estate,
            "current": current,
            "members": selectors.committee_members(current),
            "documents": selectors.documents_of(estate),
            # The monthly reports published to residents, and the form for those who score.
            "reports": evaluation_selectors.public_reports(estate),
            "can_evaluate": EVALUATE.has(request.user, estate),
            # Who is on duty now: name, post and the duty phone entered for the shift.
            "on_duty": duty_selectors.on_duty_now(estate),
            "has_shifts": bool(duty_selectors.my_shifts(request.user)),
        },
    )


# --- one URL and form per staff action ---------------------------------------------------------


def _back(estate: Estate) -> HttpResponse:
    return redirect("stewardship:estate_management", estate_id=estate.pk)


def _date(value: str | None, label: str, *, required: bool = True) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise DomainError(_("请填写%(label)s。") % {"label": label}, code="date")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError(
            _("%(label)s格式不对（应为 年-月-日）。") % {"label": label}, code="date"
        ) from None


def _optional(request: AuthenticatedRequest, estate: Estate, kind: str) -> dict[str, Any]:
    """The kind's own fields from the form (only those the kind keeps are read)."""
    data = request.POST
    fields: dict[str, Any] = {}
    if kind in services.COMPANY_KINDS:
        fields["contract_start"] = _date(data.get("contract_start"), _("合同开始日期"))
        fields["contract_end"] = _date(data.get("contract_end"), _("合同截止日期"))
        fields["fee_per_m2"] = services.parse_fee(data.get("fee_per_m2", ""))
    if kind == BodyKind.RED_PROPERTY and data.get("party_organization"):
        fields["party_organization"] = _pick(
            selectors.party_organizations_for(estate),
            data["party_organization"],
            _("所选党组织不属于本小区所在社区或其上级。"),
        )
    if kind in services.COMMITTEE_KINDS:
        if data.get("elected_at"):
            fields["elected_at"] = _pick(
                selectors.electing_meetings(estate),
                data["elected_at"],
                _("所选会议不是本小区的业主大会或居民议事会。"),
            )
        fields["term_end"] = _date(data.get("term_end"), _("任期截止日期"))
    return fields


def _pick(queryset: Any, pk: str, message: str) -> Any:
    try:
        return queryset.get(pk=int(pk))
    except (ValueError, queryset.model.DoesNotExist):
        raise DomainError(message) from None


@require_POST
@requires(MANAGE_BODIES, find=ESTATE)
def body_start(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    data = request.POST
    try:
        kind = data.get("kind", "")
        started_on = _date(data.get("started_on"), _("开始管理日期"))
        assert started_on is not None
        body = services.body_start(
            estate=estate,
            kind=kind,
            name=data.get("name", ""),
            started_on=started_on,
            contact_name=data.get("contact_name", ""),
            contact_phone=data.get("contact_phone", ""),
            actor=request.user,
            **(_optional(request, estate, kind) if kind in services.KIND_CHECKS else {}),
        )
        messages.success(
            request,
            _("已登记新的管理主体“%(name)s”，小区档案的管理模式已同步更新。") % {"name": body.name},
        )
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate)


@require_POST
@requires(MANAGE_BODIES, find=ESTATE)
def body_end(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    try:
        ended_on = _date(request.POST.get("ended_on"), _("结束日期"))
        assert ended_on is not None
        services.body_end(estate=estate, ended_on=ended_on, actor=request.user)
        messages.success(request, _("管理主体已结束管理，小区档案记为无人管理。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate)


@require_POST
@requires(MANAGE_BODIES, find=ESTATE)
def member_add(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    try:
        person = _pick(
            selectors.estate_people(estate),
            request.POST.get("person", ""),
            _("成员应是本小区的业主或居民。"),
        )
        services.member_add(
            estate=estate, person=person, role=request.POST.get("role", ""), actor=request.user
        )
        messages.success(request, _("已添加委员会成员。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate)


@require_POST
@requires(MANAGE_BODIES, find=ESTATE)
def member_remove(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    try:
        member = permitted_or_error(
            request.user,
            MANAGE_BODIES,
            BodyMember.objects.filter(body__estate=estate).select_related("body__estate"),
            request.POST.get("member"),
            _("成员不存在。"),
        )
        services.member_remove(member=member, actor=request.user)
        messages.success(request, _("已移除委员会成员。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate)


@require_POST
@requires(MANAGE_BODIES, find=ESTATE)
def document_add(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    data = request.POST
    try:
        vote = None
        if data.get("vote"):
            vote = permitted_or_error(
                request.user,
                VIEW_VOTES,
                Vote.objects.filter(estate=estate),
                data["vote"],
                _("表决不存在或不是本小区的。"),
            )
        effective_on = _date(data.get("effective_on"), _("生效日期"))
        assert effective_on is not None
        services.document_add(
            estate=estate,
            kind=data.get("kind", ""),
            title=data.get("title", ""),
            text=data.get("text", ""),
            effective_on=effective_on,
            vote=vote,
            actor=request.user,
        )
        messages.success(request, _("已登记管理制度。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate)


@require_POST
@requires(MANAGE_BODIES, find=ESTATE)
def seat_add(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    data = request.POST
    try:
        party = data.get("party", "")
        if party not in Party.values:
            raise DomainError(_("请选择五方中的哪一方。"), code="party")
        user = _pick(
            User.objects.filter(pk__in=[u.pk for u in selectors.seat_candidates(estate)[party]]),
            data.get("user", ""),
            _("所选用户在本小区没有这一方对应的角色。"),
        )
        services.seat_add(estate=estate, party=party, user=user, actor=request.user)
        messages.success(request, _("已添加五方成员。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate)


@require_POST
@requires(MANAGE_BODIES, find=ESTATE)
def seat_remove(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    try:
        seat = permitted_or_error(
            request.user,
            MANAGE_BODIES,
            PartySeat.objects.filter(estate=estate).select_related("estate"),
            request.POST.get("seat"),
            _("五方成员不存在。"),
        )
        services.seat_remove(seat=seat, actor=request.user)
        messages.success(request, _("已移除五方成员。"))
    except DomainError as error:
        messages.error(request, error.message)
    return _back(estate)
