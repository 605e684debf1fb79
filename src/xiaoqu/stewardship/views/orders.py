"""Work-order pages: a resident reports from the phone and follows, confirms, reopens and
rates their orders; staff list the orders in their scope, enter hotline and visit reports,
and act on an order, one URL and form per move; everyone reads their notices.

Residents reach only the orders they reported (404 for any other, missing or not); staff
reach orders through ``stewardship.view_management`` in their scope, and the services check
that the actor is the order's current party (or one above it, or its assignee).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.accounts.models import User
from xiaoqu.core.access_log import FIELD_PHONE, access_note
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AccessAction
from xiaoqu.core.pii import mask_phone
from xiaoqu.core.policy import AUTHENTICATED, Lookup, object_pk, requires
from xiaoqu.core.uploads import stored_file_response
from xiaoqu.registry.models import Building, Dwelling, Estate
from xiaoqu.registry.scope import home_dwellings, home_estates
from xiaoqu.stewardship import open311_selectors, order_flow
from xiaoqu.stewardship import orders_selectors as selectors
from xiaoqu.stewardship.models import (
    OPEN_STATUSES,
    OrderChannel,
    OrderStatus,
    Party,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderPhoto,
)
from xiaoqu.stewardship.rules import (
    HANDLE_ORDERS,
    RECORD_ORDERS,
    REPORT_ORDERS,
    VIEW_MANAGEMENT,
)
from xiaoqu.stewardship.services import orders as services

ORDER = Lookup(WorkOrder, "order_id", select_related=selectors.ORDER_RELATED)


def _categories() -> list[WorkOrderCategory]:
    if not WorkOrderCategory.objects.exists():
        services.categories_ensure()
    return list(WorkOrderCategory.objects.filter(active=True).order_by("clock", "pk"))


def _pick(model: Any, value: Any, choices: Any, message: str) -> Any:
    """An object chosen in a form among ``choices`` (None when left empty)."""
    if value in (None, ""):
        return None
    try:
        return choices.get(pk=object_pk(value))
    except (Http404, model.DoesNotExist):
        raise DomainError(message, code="choice") from None


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _client_key(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


# --- the resident's pages ---------------------------------------------------------------------


def _resident_form(request: AuthenticatedRequest, values: dict[str, Any], status: int = 200):
    estates = list(home_estates(request.user).order_by("name"))
    context = {
        "estates": estates,
        "categories": _categories(),
        "dwellings": sorted(
            home_dwellings(request.user).select_related("estate", "building", "entrance"),
            key=lambda d: (d.estate.name, d.label),
        ),
        "buildings": Building.objects.filter(estate__in=estates).order_by("estate", "number"),
        "values": values,
    }
    return render(request, "stewardship/orders/order_new.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires(REPORT_ORDERS)
def order_new(request: AuthenticatedRequest) -> HttpResponse:
    """报修 — a resident reports a problem from the phone (idempotent by the form's key)."""
    if request.method != "POST":
        return _resident_form(request, {"client_key": uuid.uuid4()})
    try:
        data, files = request.POST, request.FILES
    except RequestDataTooBig:
        values = {"client_key": uuid.uuid4(), "error": _("提交的内容太大，请少传几张照片。")}
        return _resident_form(request, values, status=400)
    try:
        order, created = _report(request, data, files)
    except DomainError as error:
        return _resident_form(request, {**data.dict(), "error": error.message}, status=400)
    if created:
        messages.success(
            request, _("已提交，工单编号 #%(pk)s。处理进展会在这里显示。") % {"pk": order.pk}
        )
    return redirect("stewardship:my_order", order_id=order.pk)


def _report(request: AuthenticatedRequest, data: Any, files: Any) -> tuple[WorkOrder, bool]:
    user = request.user
    estates = home_estates(user)
    estate = _pick(Estate, data.get("estate"), estates, _("请选择小区。"))
    if estate is None:
        estate = estates.first() if estates.count() == 1 else None
    if estate is None:
        raise DomainError(_("请选择小区。"), code="estate")
    return services.order_report(
        reporter=user,
        estate=estate,
        category=_pick(
            WorkOrderCategory,
            data.get("category"),
            WorkOrderCategory.objects.filter(active=True),
            _("请选择问题类别。"),
        ),
        text=data.get("text", ""),
        dwelling=_pick(Dwelling, data.get("dwelling"), home_dwellings(user), _("请选择房屋。")),
        building=_pick(
            Building, data.get("building"), estate.buildings.all(), _("所选楼栋不在这个小区。")
        ),
        place=data.get("place", ""),
        latitude=_decimal(data.get("latitude", "")),
        longitude=_decimal(data.get("longitude", "")),
        photos=files.getlist("photos"),
        contact_ok=data.get("contact_ok") == "1",
        client_key=_client_key(data.get("client_key", "")),
    )


@require_GET
@requires(REPORT_ORDERS)
def my_orders(request: AuthenticatedRequest) -> HttpResponse:
    """我的报修 — the orders the resident reported, their state and deadline."""
    orders = list(selectors.my_orders(user=request.user)[:100])
    return render(
        request,
        "stewardship/orders/my_orders.html",
        {"orders": orders, "open": OPEN_STATUSES, "now": timezone.now()},
    )


@require_GET
@requires(REPORT_ORDERS)
def my_order(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = selectors.my_order(user=request.user, order_id=object_pk(order_id))
    return render(
        request,
        "stewardship/orders/my_order.html",
        {
            "order": order,
            "place": selectors.place_label(order),
            "events": selectors.history(order),
            "photos": order.photos.all(),
            "open": OPEN_STATUSES,
            "is_reporter": order.reporter_id == request.user.pk,
            "now": timezone.now(),
        },
    )


def _resident_move(
    request: AuthenticatedRequest, order_id: int, act: Callable[[WorkOrder], Any], done: str
) -> HttpResponse:
    order = selectors.my_order(user=request.user, order_id=object_pk(order_id))
    try:
        act(order)
        messages.success(request, done)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("stewardship:my_order", order_id=order.pk)


@require_POST
@requires(REPORT_ORDERS)
def my_order_confirm(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    return _resident_move(
        request,
        order_id,
        lambda o: services.order_confirm(order=o, actor=request.user),
        _("已确认解决，谢谢！欢迎评价。"),
    )


@require_POST
@requires(REPORT_ORDERS)
def my_order_reopen(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    return _resident_move(
        request,
        order_id,
        lambda o: services.order_reopen(
            order=o, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("已重开，会重新处理。"),
    )


def _rating(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@require_POST
@requires(REPORT_ORDERS)
def my_order_rate(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    return _resident_move(
        request,
        order_id,
        lambda o: services.order_rate(
            order=o,
            actor=request.user,
            rating=_rating(request.POST.get("rating", "")),
            comment=request.POST.get("comment", ""),
        ),
        _("谢谢您的评价。"),
    )


@require_GET
@requires(AUTHENTICATED)
def order_photo(
    request: AuthenticatedRequest, order_id: int, order_photo_id: int
) -> HttpResponseBase:
    """A photo of an order, for its reporter and for staff who see the order."""
    photo = (
        WorkOrderPhoto.objects.select_related("order")
        .filter(pk=object_pk(order_photo_id), order_id=object_pk(order_id))
        .first()
    )
    if photo is None:
        raise Http404
    order = photo.order
    if order.reporter_id != request.user.pk and not VIEW_MANAGEMENT.has(request.user, order):
        raise Http404
    return stored_file_response(photo.image)


# --- notices ----------------------------------------------------------------------------------


@require_GET
@requires(AUTHENTICATED)
def notices(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in user's work-order notices, newest first."""
    found = list(selectors.notices_for(user=request.user))
    return render(
        request,
        "stewardship/orders/notices.html",
        {"notices": found, "unread": sum(1 for n in found if n.read_at is None)},
    )


@require_POST
@requires(AUTHENTICATED)
def notices_read(request: AuthenticatedRequest) -> HttpResponse:
    services.notices_read(user=request.user)
    return redirect("stewardship:notices")


# --- staff pages ------------------------------------------------------------------------------


@require_GET
@requires(VIEW_MANAGEMENT)
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    """The orders in the user's scope, filterable by status, category, party and overdue."""
    filters = selectors.OrderFilters.from_query(request.GET)
    page = Paginator(selectors.staff_orders(user=request.user, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "stewardship/orders/order_list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": OrderStatus.choices,
            "parties": Party.choices,
            "categories": _categories(),
            "open": OPEN_STATUSES,
            "now": timezone.now(),
            "can_record": RECORD_ORDERS.has(request.user),
        },
    )


@require_GET
@requires(VIEW_MANAGEMENT, find=ORDER)
def order_detail(request: AuthenticatedRequest, order: WorkOrder) -> HttpResponse:
    user = request.user
    handles = HANDLE_ORDERS.has(user, order)
    moves = order_flow.moves_from(order.status) if handles else []
    if order.reporter_id is not None and "confirm" in moves:
        moves.remove("confirm")
    for name in ("reopen",):
        if name in moves:
            moves.remove(name)
    if order.contact_ok and order.reporter_phone:
        access_note(
            request,
            action=AccessAction.REVEAL,
            field=FIELD_PHONE,
            # The caller is often no person of the register (hotline, Open311): the row
            # names the order instead.
            count=1,
            description=_("报事人电话（工单 %(id)s）") % {"id": order.pk},
        )
    context = {
        "order": order,
        "place": selectors.place_label(order),
        "events": selectors.history(order),
        "photos": order.photos.all(),
        "phone": order.reporter_phone if order.contact_ok else mask_phone(order.reporter_phone),
        "moves": moves,
        "open": OPEN_STATUSES,
        "now": timezone.now(),
        "acting": services.acting_parties(user, order) if handles else set(),
        "open311": open311_selectors.order_extra(order),
    }
    if "dispatch" in moves:
        context["candidates"] = services.assignee_candidates(order)
    if "merge" in moves:
        context["duplicates"] = selectors.duplicate_suggestions(order)
    return render(request, "stewardship/orders/order_detail.html", context)


def _staff_move(
    request: AuthenticatedRequest, order: WorkOrder, act: Callable[[], Any], done: str
) -> HttpResponse:
    try:
        act()
        messages.success(request, done)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("stewardship:order_detail", order_id=order.pk)


def _note(request: AuthenticatedRequest) -> str:
    return request.POST.get("note", "")


@require_POST
@requires(HANDLE_ORDERS, find=ORDER)
def order_accept(request: AuthenticatedRequest, order: WorkOrder) -> HttpResponse:
    return _staff_move(
        request,
        order,
        lambda: services.order_accept(order=order, actor=request.user, note=_note(request)),
        _("已受理。"),
    )


@require_POST
@requires(HANDLE_ORDERS, find=ORDER)
def order_dispatch(request: AuthenticatedRequest, order: WorkOrder) -> HttpResponse:
    def act() -> WorkOrder:
        assignee = _pick(
            User,
            request.POST.get("assignee"),
            services.assignee_candidates(order),
            _("请选择本小区的处理人员。"),
        )
        return services.order_dispatch(
            order=order, actor=request.user, assignee=assignee, note=_note(request)
        )

    return _staff_move(request, order, act, _("已派单。"))


@require_POST
@requires(HANDLE_ORDERS, find=ORDER)
def order_start(request: AuthenticatedRequest, order: WorkOrder) -> HttpResponse:
    return _staff_move(
        request,
        order,
        lambda: services.order_start(order=order, actor=request.user, note=_note(request)),
        _("已开始处理。"),
    )


@require_POST
@requires(HANDLE_ORDERS, find=ORDER)
def order_resolve(request: AuthenticatedRequest, order: WorkOrder) -> HttpResponse:
    return _staff_move(
        request,
        order,
        lambda: services.order_resolve(order=order, actor=request.user, note=_note(request)),
        _("已处理，等待反映人确认。"),
    )


@require_POST
@requires(HANDLE_ORDERS, find=ORDER)
def order_confirm(request: AuthenticatedRequest, order: WorkOrder) -> HttpResponse:
    """Confirm on a hotline caller's behalf (a resident's own order is theirs to confirm)."""
    return _staff_move(
        request,
        order,
        lambda: services.order_confirm(order=order, actor=request.user, note=_note(request)),
        _("已确认办结。"),
    )


@require_POST
@requires(HANDLE_ORDERS, find=ORDER)
def order_reject(request: AuthenticatedRequest, order: WorkOrder) -> HttpResponse:
    return _staff_move(
        request,
        order,
        lambda: services.order_reject(
            order=order, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("已不予受理，反映人会看到原因。"),
    )


@require_POST
@requires(HANDLE_ORDERS, find=ORDER)
def order_merge(request: AuthenticatedRequest, order: WorkOrder) -> HttpResponse:
    def act() -> WorkOrder:
        target = _pick(
            WorkOrder,
            request.POST.get("target"),
            HANDLE_ORDERS.scoped(request.user, WorkOrder.objects.filter(estate=order.estate)),
            _("只能合并到同一小区、同一类别、尚未办结的工单。"),
        )
        if target is None:
            raise DomainError(_("请选择要合并到的工单。"), code="merge_target")
        return services.order_merge(order=order, target=target, actor=request.user)

    return _staff_move(request, order, act, _("已合并。"))


# --- staff enter a hotline call or a visit ------------------------------------------------------


def _record_form(request: AuthenticatedRequest, values: dict[str, Any], status: int = 200):
    estates = RECORD_ORDERS.scoped(request.user, Estate.objects.all()).order_by("name")[:500]
    return render(
        request,
        "stewardship/orders/order_record.html",
        {
            "estates": estates,
            "categories": _categories(),
            "channels": [(OrderChannel.HOTLINE, _("热线")), (OrderChannel.VISIT, _("走访"))],
            "values": values,
        },
        status=status,
    )


def _building_by_number(estate: Estate, number: str) -> Building | None:
    number = (number or "").strip().removesuffix("栋")
    if not number:
        return None
    found = estate.buildings.filter(number=number).first()
    if found is None:
        raise DomainError(_("这个小区没有这个楼栋号。"), code="building")
    return found


@require_http_methods(["GET", "POST"])
@requires(RECORD_ORDERS)
def order_record(request: AuthenticatedRequest) -> HttpResponse:
    """Enter a hotline call or a visit as a work order."""
    if request.method != "POST":
        return _record_form(request, {"client_key": uuid.uuid4(), "channel": "hotline"})
    data = request.POST
    try:
        estate = _pick(
            Estate,
            data.get("estate"),
            RECORD_ORDERS.scoped(request.user, Estate.objects.all()),
            _("请选择小区。"),
        )
        if estate is None:
            raise DomainError(_("请选择小区。"), code="estate")
        order = services.order_record(
            actor=request.user,
            estate=estate,
            category=_pick(
                WorkOrderCategory,
                data.get("category"),
                WorkOrderCategory.objects.filter(active=True),
                _("请选择问题类别。"),
            ),
            channel=data.get("channel", ""),
            text=data.get("text", ""),
            reporter_name=data.get("reporter_name", ""),
            reporter_phone=data.get("reporter_phone", ""),
            contact_ok=data.get("contact_ok") == "1",
            place=data.get("place", ""),
            building=_building_by_number(estate, data.get("building", "")),
            photos=request.FILES.getlist("photos"),
            client_key=_client_key(data.get("client_key", "")),
        )
    except DomainError as error:
        return _record_form(request, {**data.dict(), "error": error.message}, status=400)
    messages.success(request, _("已登记工单 #%(pk)s。") % {"pk": order.pk})
    return redirect("stewardship:order_detail", order_id=order.pk)
