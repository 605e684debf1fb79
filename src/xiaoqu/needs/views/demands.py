"""Pages: an estate's demand board and one demand, with the actions of those who manage
demands — publish the list, add a demand, accept or dismiss a suggested join (可能是同一需求),
rename, move along the statuses, split, join.

Staff pages need ``needs.view_needs`` for the estate or demand; the actions need
``needs.manage_demands`` for it. A demand shows only the opinions the reader may read
(``needs.read_opinions``: a grid worker the grid's), while its figures count the whole
demand. Every action is a plain form posted to its own URL: on success it redirects back (so
a reload does not post again); on a ``DomainError`` the page is rendered again with the
message and status 400, and nothing has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import Lookup, object_pks, requires
from xiaoqu.needs import classifier as clf
from xiaoqu.needs import selectors, services
from xiaoqu.needs.categories import category_labels
from xiaoqu.needs.models import Demand, DemandClass, DemandListItem, DemandStatus
from xiaoqu.needs.rules import MANAGE_DEMANDS, VIEW_NEEDS
from xiaoqu.needs.views.common import ESTATE, percent
from xiaoqu.registry.models import Estate

DEMAND = Lookup(Demand, "demand_id", select_related=("estate", "estate__community"))
_STATUS_ORDER = list(DemandStatus.values)


# --- presentation helpers ------------------------------------------------------------------


def _category_options() -> list[tuple[str, str]]:
    labels = dict(DemandClass.choices)
    return [
        (c["code"], f"{labels.get(c['class'], '')} · {gettext(c['name'])}")
        for c in sorted(
            clf.taxonomy()["categories"],
            key=lambda c: (list(DemandClass.values).index(c["class"]), c["name"]),
        )
    ]


def _num(value: Decimal | int) -> str:
    """A figure without trailing zeros: 1.5, 1, 60."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _priority_help() -> dict[str, str]:
    """The priority formula's constants, for the "优先分怎么算" box (never copied numbers)."""
    example_share = Decimal("0.4")
    figures: dict[str, Decimal | int] = {
        "basic_weight": selectors.BASIC_WEIGHT,
        "other_weight": selectors.OTHER_WEIGHT,
        "urgent_bonus": selectors.URGENT_DEMAND_BONUS,
        "household_bonus": selectors.URGENT_HOUSEHOLD_BONUS,
        "households_counted": selectors.URGENT_HOUSEHOLDS_COUNTED,
        "max_urgency": selectors.URGENT_DEMAND_BONUS
        + selectors.URGENT_HOUSEHOLD_BONUS * selectors.URGENT_HOUSEHOLDS_COUNTED,
        "example_pct": int(example_share * 100),
        "example_basic": selectors.priority_score(
            share=example_share, klass=DemandClass.BASIC, urgent=False, urgent_households=0
        ),
        "example_other": selectors.priority_score(
            share=example_share, klass=DemandClass.IMPROVE, urgent=False, urgent_households=0
        ),
    }
    return {key: _num(value) for key, value in figures.items()}


@dataclass
class BoardRow:
    rank: int
    row: selectors.DemandRow
    klass_label: str
    share_pct: str


def _board_rows(estate: Estate) -> tuple[selectors.DemandRows, list[BoardRow]]:
    rows = selectors.demand_rows(estate=estate)
    names = category_labels()
    for r in rows.items:  # the reader's language on the page (the API keeps the taxonomy's)
        r.category_name = names.get(r.category, r.category)
    labels = dict(DemandClass.choices)
    ranked = [
        BoardRow(rank, r, str(labels.get(r.klass, r.klass)), percent(r.share))
        for rank, r in enumerate(rows.items, start=1)
    ]
    return rows, ranked


# --- forms ------------------------------------------------------------------------------------


class PublishForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("说明（可不填）"), required=False, max_length=500)


class DemandCreateForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("类别"))
    title = forms.CharField(label=gettext_lazy("需求"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("请选择类别")), *_category_options()]


class DemandUpdateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("需求名称"), max_length=200)
    urgent = forms.BooleanField(label=gettext_lazy("紧急"), required=False)


class DemandStatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("改为"), choices=DemandStatus.choices)
    reason = forms.CharField(label=gettext_lazy("暂不实施的原因"), required=False, max_length=500)


def _first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}：{errors[0]}" if label else str(errors[0])
    return _("填写有误。")


# --- the board ---------------------------------------------------------------------------------


@require_GET
@requires(VIEW_NEEDS, find=ESTATE)
def demand_board(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """The estate's live demands by priority, with the forms of those who manage them."""
    return _render_board(request, estate)


def _render_board(
    request: AuthenticatedRequest,
    estate: Estate,
    *,
    error: str = "",
    publish_form: PublishForm | None = None,
    create_form: DemandCreateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    rows, ranked = _board_rows(estate)
    klass = request.GET.get("klass", "")
    state = request.GET.get("status", "")
    if klass not in DemandClass.values:
        klass = ""
    if state not in DemandStatus.values:
        state = ""
    shown = [
        r
        for r in ranked
        if (not klass or r.row.klass == klass) and (not state or r.row.status == state)
    ]
    latest = selectors.latest_published_list(estate=estate)
    can_manage = MANAGE_DEMANDS.has(request.user, estate)
    suggestions = selectors.join_suggestions(estate=estate, rows=rows) if can_manage else []
    return render(
        request,
        "needs/demands/board.html",
        {
            "estate": estate,
            "households": rows.households,
            "rows": shown,
            "total": len(ranked),
            "opinions": sum(r.row.opinions for r in ranked),
            "klass": klass,
            "state": state,
            "class_choices": DemandClass.choices,
            "status_choices": DemandStatus.choices,
            "latest": latest,
            "next_version": (latest.version + 1) if latest else 1,
            "can_manage": can_manage,
            "suggestions": suggestions,
            "publish_form": publish_form or PublishForm(),
            "create_form": create_form or DemandCreateForm(),
            "error": error,
            "help": _priority_help(),
        },
        status=status,
    )


@require_POST
@requires(MANAGE_DEMANDS, find=ESTATE)
def demand_list_publish(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _render_board(
            request, estate, error=_first_error(form), publish_form=form, status=400
        )
    try:
        demand_list = services.demand_list_publish(
            estate=estate, actor=request.user, note=form.cleaned_data["note"]
        )
    except DomainError as error:
        return _render_board(request, estate, error=error.message, publish_form=form, status=400)
    items = demand_list.items.count()
    messages.success(
        request,
        ngettext(
            "已发布第 %(v)d 版需求清单，共 %(n)d 项。",
            "已发布第 %(v)d 版需求清单，共 %(n)d 项。",
            items,
        )
        % {"v": demand_list.version, "n": items},
    )
    return redirect("needs:demand_list_detail", list_id=demand_list.pk)


@require_POST
@requires(MANAGE_DEMANDS, find=ESTATE)
def demand_create(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    form = DemandCreateForm(request.POST)
    if not form.is_valid():
        return _render_board(
            request, estate, error=_first_error(form), create_form=form, status=400
        )
    try:
        demand = services.demand_create(
            estate=estate,
            category=form.cleaned_data["category"],
            title=form.cleaned_data["title"],
            actor=request.user,
        )
    except DomainError as error:
        return _render_board(request, estate, error=error.message, create_form=form, status=400)
    messages.success(request, _("已添加需求“%(t)s”。") % {"t": demand.title})
    return redirect("needs:demand_detail", demand_id=demand.pk)


def _suggested(request: AuthenticatedRequest, estate: Estate) -> tuple[Demand, Demand]:
    """The two live demands of the estate a suggestion form names (anything else is a forged
    or stale form: a DomainError)."""
    message = _("所选需求不属于这个小区，或已并入其他需求。")
    ids = object_pks(
        [request.POST.get("first", ""), request.POST.get("second", "")], message, "not_in_estate"
    )
    found = {
        d.pk: d for d in Demand.objects.filter(pk__in=ids, estate=estate, merged_into__isnull=True)
    }
    if len(ids) != 2 or len(found) != 2:
        raise DomainError(message, code="not_in_estate")
    return found[ids[0]], found[ids[1]]


@require_POST
@requires(MANAGE_DEMANDS, find=ESTATE)
def demand_suggestion_accept(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """Join a suggested pair (the join service decides which demand stays)."""
    try:
        first, second = _suggested(request, estate)
        target = services.demand_suggestion_accept(demand=first, other=second, actor=request.user)
    except DomainError as error:
        return _render_board(request, estate, error=error.message, status=400)
    messages.success(request, _("已合并为“%(t)s”。") % {"t": target.title})
    return redirect("needs:demand_board", estate_id=estate.pk)


@require_POST
@requires(MANAGE_DEMANDS, find=ESTATE)
def demand_suggestion_dismiss(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """Staff say a suggested pair asks for different things: not suggested again."""
    try:
        first, second = _suggested(request, estate)
        services.demand_suggestion_dismiss(demand=first, other=second, actor=request.user)
    except DomainError as error:
        return _render_board(request, estate, error=error.message, status=400)
    messages.success(request, _("好的，这两条需求不再提示合并。"))
    return redirect("needs:demand_board", estate_id=estate.pk)


# --- one demand ----------------------------------------------------------------------------------


@require_GET
@requires(VIEW_NEEDS, find=DEMAND)
def demand_detail(request: AuthenticatedRequest, demand: Demand) -> HttpResponse:
    """One demand: its figures (the whole demand), the opinions the user reads, its forms."""
    if demand.merged_into_id is not None:
        messages.info(request, _("这条需求已并入另一条需求。"))
        return redirect("needs:demand_detail", demand_id=demand.merged_into_id)
    return _render_detail(request, demand)


def _render_detail(
    request: AuthenticatedRequest,
    demand: Demand,
    *,
    error: str = "",
    update_form: DemandUpdateForm | None = None,
    status_form: DemandStatusForm | None = None,
    checked: list[int] | None = None,
    status: int = 200,
) -> HttpResponse:
    estate = demand.estate
    rows, ranked = _board_rows(estate)
    mine = next((r for r in ranked if r.row.demand_id == demand.pk), None)
    names = category_labels()
    opinions = list(
        selectors.demand_opinions(user=request.user, demand=demand).select_related(
            "dwelling__building", "dwelling__entrance"
        )
    )
    for o in opinions:
        o.category_name = names.get(o.category, o.category)  # type: ignore[attr-defined]
    can_manage = MANAGE_DEMANDS.has(request.user, demand)
    allowed = _next_statuses(demand.status)
    published = (
        DemandListItem.objects.filter(demand=demand)
        .select_related("demand_list")
        .order_by("-demand_list__version")
        .first()
    )
    return render(
        request,
        "needs/demands/detail.html",
        {
            "estate": estate,
            "demand": demand,
            "mine": mine,
            "households": rows.households,
            "category_name": names.get(demand.category, demand.category),
            "opinions": opinions,
            "hidden_opinions": demand.opinions.count() - len(opinions),
            "can_manage": can_manage,
            "update_form": update_form
            or DemandUpdateForm(initial={"title": demand.title, "urgent": demand.urgent}),
            "status_form": status_form or DemandStatusForm(),
            "next_statuses": [(s, DemandStatus(s).label) for s in allowed],
            "declined_value": DemandStatus.DECLINED,
            "checked": set(checked or []),
            "others": [r for r in ranked if r.row.demand_id != demand.pk],
            "published": published,
            "error": error,
            "help": _priority_help(),
        },
        status=status,
    )


def _next_statuses(current: str) -> list[str]:
    """The statuses a demand in ``current`` may move to, in the status order."""
    return sorted(services.TRANSITIONS.get(current, ()), key=_STATUS_ORDER.index)


@require_POST
@requires(MANAGE_DEMANDS, find=DEMAND)
def demand_update(request: AuthenticatedRequest, demand: Demand) -> HttpResponse:
    form = DemandUpdateForm(request.POST)
    if not form.is_valid():
        return _render_detail(
            request, demand, error=_first_error(form), update_form=form, status=400
        )
    try:
        services.demand_update(
            demand=demand,
            actor=request.user,
            title=form.cleaned_data["title"],
            urgent=form.cleaned_data["urgent"],
        )
    except DomainError as error:
        demand.refresh_from_db()
        return _render_detail(request, demand, error=error.message, update_form=form, status=400)
    messages.success(request, _("已保存。"))
    return redirect("needs:demand_detail", demand_id=demand.pk)


@require_POST
@requires(MANAGE_DEMANDS, find=DEMAND)
def demand_status(request: AuthenticatedRequest, demand: Demand) -> HttpResponse:
    form = DemandStatusForm(request.POST)
    if not form.is_valid():
        return _render_detail(
            request, demand, error=_first_error(form), status_form=form, status=400
        )
    try:
        services.demand_set_status(
            demand=demand,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except DomainError as error:
        demand.refresh_from_db()
        return _render_detail(request, demand, error=error.message, status_form=form, status=400)
    messages.success(
        request,
        _("状态已改为“%(s)s”。") % {"s": DemandStatus(form.cleaned_data["status"]).label},
    )
    return redirect("needs:demand_detail", demand_id=demand.pk)


@require_POST
@requires(MANAGE_DEMANDS, find=DEMAND)
def demand_split(request: AuthenticatedRequest, demand: Demand) -> HttpResponse:
    """Move the ticked opinions into a new demand (the service refuses an opinion the user
    does not read, as one of another demand)."""
    ids: list[int] = []
    try:
        ids = object_pks(request.POST.getlist("opinions"), _("所选意见不正确。"))
        new = services.demand_split(demand=demand, opinion_ids=ids, actor=request.user)
    except DomainError as error:
        return _render_detail(request, demand, error=error.message, checked=ids, status=400)
    messages.success(
        request,
        ngettext(
            "已拆出 %(n)d 条意见，成为新需求“%(t)s”。",
            "已拆出 %(n)d 条意见，成为新需求“%(t)s”。",
            len(ids),
        )
        % {"n": len(ids), "t": new.title},
    )
    return redirect("needs:demand_detail", demand_id=new.pk)


@require_POST
@requires(MANAGE_DEMANDS, find=DEMAND)
def demand_join(request: AuthenticatedRequest, demand: Demand) -> HttpResponse:
    """Join the ticked demands into this one. Only live demands of the same estate are offered
    (anything else is a forged form); a demand's scope is its estate's, so managing this one
    is managing them."""
    try:
        ids = object_pks(request.POST.getlist("others"), _("所选需求不正确。"))
        live = Demand.objects.filter(pk__in=ids, estate=demand.estate, merged_into__isnull=True)
        others = list(live.exclude(pk=demand.pk))
        if len(others) != len([i for i in ids if i != demand.pk]):
            raise DomainError(_("所选需求不属于这个小区，或已并入其他需求。"))
        services.demand_join(target=demand, others=others, actor=request.user)
    except DomainError as error:
        return _render_detail(request, demand, error=error.message, status=400)
    messages.success(
        request,
        ngettext("已把 %(n)d 条需求合并到这里。", "已把 %(n)d 条需求合并到这里。", len(others))
        % {"n": len(others)},
    )
    return redirect("needs:demand_detail", demand_id=demand.pk)
