"""Pages: the demand board, one demand, published list versions, their export and print, and
the residents' notice.

Staff pages ask for ``needs.view_needs`` (URL_POLICY) and the estate in the user's scope;
actions that change demands ask for ``needs.manage_demands`` and the estate in the scope of a
role that holds it. Residents reach only frozen, published items (notice and print pages).
Every action is a plain form posted to its own URL: on success it redirects back (so a reload
does not post again); on a ``DomainError`` the page is rendered again with the message and
status 400, and nothing has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import home_estates, visible_estates
from xiaoqu.needs import classifier as clf
from xiaoqu.needs import selectors, services
from xiaoqu.needs.exporting import demand_list_xlsx, xlsx_filename
from xiaoqu.needs.models import (
    Demand,
    DemandClass,
    DemandList,
    DemandListItem,
    DemandStatus,
)
from xiaoqu.needs.rules import DEMAND_ROLES
from xiaoqu.registry.models import Estate

# How each status reads to residents on the notice board (staff see the status names).
RESIDENT_STATUS: dict[str, Any] = {
    DemandStatus.COLLECTED: gettext_lazy("已收到，正在整理"),
    DemandStatus.ASSESSED: gettext_lazy("正在研究能否实施"),
    DemandStatus.PLANNED: gettext_lazy("已列入改造方案"),
    DemandStatus.DONE: gettext_lazy("已完成"),
    DemandStatus.DECLINED: gettext_lazy("暂不实施"),
}
_STATUS_ORDER = list(DemandStatus.values)


# --- access ---------------------------------------------------------------------------------


def _manage_estates(user: Any):
    """Estates where the user holds a role that may change demands."""
    return visible_estates(user, DEMAND_ROLES)


def _can_manage(user: Any, estate: Estate) -> bool:
    return bool(
        user.has_perm("needs.manage_demands")
        and _manage_estates(user).filter(pk=estate.pk).exists()
    )


def _int_or_404(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def _access_estate(user: Any, estate_id: Any, *, manage: bool = False) -> Estate:
    """The estate in the user's scope (in a demand-managing role's scope for ``manage``)."""
    estates = _manage_estates(user) if manage else visible_estates(user)
    estate = estates.filter(pk=_int_or_404(estate_id)).select_related("community").first()
    if estate is None:
        raise Http404
    return estate


def _access_demand(user: Any, demand_id: Any, *, manage: bool = False) -> Demand:
    estates = _manage_estates(user) if manage else visible_estates(user)
    demand = (
        Demand.objects.filter(pk=_int_or_404(demand_id), estate__in=estates)
        .select_related("estate", "estate__community")
        .first()
    )
    if demand is None:
        raise Http404
    return demand


def _access_list(user: Any, list_id: Any) -> DemandList:
    demand_list = (
        DemandList.objects.filter(pk=_int_or_404(list_id), estate__in=visible_estates(user))
        .select_related("estate", "published_by")
        .first()
    )
    if demand_list is None:
        raise Http404
    return demand_list


def _notice_estates(user: Any):
    """Estates whose published lists the user may read: their homes and their work scope."""
    return Estate.objects.filter(
        Q(pk__in=home_estates(user).values("pk")) | Q(pk__in=visible_estates(user).values("pk"))
    )


# --- presentation helpers ------------------------------------------------------------------


def _pct(share: Decimal) -> str:
    return f"{share * 100:.1f}%"


def _category_names() -> dict[str, str]:
    return {c["code"]: c["name"] for c in clf.taxonomy()["categories"]}


def _category_options() -> list[tuple[str, str]]:
    labels = dict(DemandClass.choices)
    return [
        (c["code"], f"{labels.get(c['class'], '')} · {c['name']}")
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
    labels = dict(DemandClass.choices)
    ranked = [
        BoardRow(rank, r, str(labels.get(r.klass, r.klass)), _pct(r.share))
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


def _ids(request, name: str) -> list[int] | None:
    """The integer ids posted under ``name``; None when one is not an integer (a forged form)."""
    try:
        return sorted({int(v) for v in request.POST.getlist(name)})
    except ValueError:
        return None


def _first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}：{errors[0]}" if label else str(errors[0])
    return _("填写有误。")


# --- the board ---------------------------------------------------------------------------------


def demand_board(request, estate_id: int):
    estate = _access_estate(request.user, estate_id)
    return _render_board(request, estate)


def _render_board(
    request,
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
    can_manage = _can_manage(request.user, estate)
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
            "publish_form": publish_form or PublishForm(),
            "create_form": create_form or DemandCreateForm(),
            "error": error,
            "help": _priority_help(),
        },
        status=status,
    )


@require_POST
def demand_list_publish(request, estate_id: int):
    estate = _access_estate(request.user, estate_id, manage=True)
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
    messages.success(
        request,
        _("已发布第 %(v)d 版需求清单，共 %(n)d 项。")
        % {"v": demand_list.version, "n": demand_list.items.count()},
    )
    return redirect("needs:demand_list_detail", list_id=demand_list.pk)


@require_POST
def demand_create(request, estate_id: int):
    estate = _access_estate(request.user, estate_id, manage=True)
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


# --- one demand ----------------------------------------------------------------------------------


def demand_detail(request, demand_id: int):
    demand = _access_demand(request.user, demand_id)
    if demand.merged_into_id is not None:
        messages.info(request, _("这条需求已并入另一条需求。"))
        return redirect("needs:demand_detail", demand_id=demand.merged_into_id)
    return _render_detail(request, demand)


def _render_detail(
    request,
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
    names = _category_names()
    opinions = list(
        demand.opinions.select_related("dwelling__building", "dwelling__entrance").order_by(
            "heard_on", "pk"
        )
    )
    for o in opinions:
        o.category_name = names.get(o.category, o.category)  # type: ignore[attr-defined]
    can_manage = _can_manage(request.user, estate)
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
def demand_update(request, demand_id: int):
    demand = _access_demand(request.user, demand_id, manage=True)
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
def demand_status(request, demand_id: int):
    demand = _access_demand(request.user, demand_id, manage=True)
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
def demand_split(request, demand_id: int):
    demand = _access_demand(request.user, demand_id, manage=True)
    ids = _ids(request, "opinions")
    if ids is None:
        return _render_detail(request, demand, error=_("所选意见不正确。"), status=400)
    try:
        new = services.demand_split(demand=demand, opinion_ids=ids, actor=request.user)
    except DomainError as error:
        return _render_detail(request, demand, error=error.message, checked=ids, status=400)
    messages.success(
        request, _("已拆出 %(n)d 条意见，成为新需求“%(t)s”。") % {"n": len(ids), "t": new.title}
    )
    return redirect("needs:demand_detail", demand_id=new.pk)


@require_POST
def demand_join(request, demand_id: int):
    demand = _access_demand(request.user, demand_id, manage=True)
    ids = _ids(request, "others")
    if ids is None:
        return _render_detail(request, demand, error=_("所选需求不正确。"), status=400)
    # Only live demands of the same estate are offered; anything else is a forged form.
    others = list(
        Demand.objects.filter(pk__in=ids, estate=demand.estate, merged_into__isnull=True).exclude(
            pk=demand.pk
        )
    )
    if len(others) != len([i for i in ids if i != demand.pk]):
        return _render_detail(
            request, demand, error=_("所选需求不属于这个小区，或已并入其他需求。"), status=400
        )
    try:
        services.demand_join(target=demand, others=others, actor=request.user)
    except DomainError as error:
        return _render_detail(request, demand, error=error.message, status=400)
    messages.success(request, _("已把 %(n)d 条需求合并到这里。") % {"n": len(others)})
    return redirect("needs:demand_detail", demand_id=demand.pk)


# --- published versions ------------------------------------------------------------------------


def demand_list_versions(request, estate_id: int):
    estate = _access_estate(request.user, estate_id)
    versions = (
        DemandList.objects.filter(estate=estate)
        .select_related("published_by")
        .annotate(n_items=Count("items"))
        .order_by("-version")
    )
    return render(
        request,
        "needs/demands/versions.html",
        {"estate": estate, "versions": versions, "can_manage": _can_manage(request.user, estate)},
    )


@dataclass
class ListLine:
    item: DemandListItem
    klass_label: str
    category_name: str
    share_pct: str
    status_label: str
    resident_status: str


def _list_lines(demand_list: DemandList) -> list[ListLine]:
    names = _category_names()
    klass_labels = dict(DemandClass.choices)
    status_labels = dict(DemandStatus.choices)
    return [
        ListLine(
            item=i,
            klass_label=str(klass_labels.get(i.klass, i.klass)),
            category_name=names.get(i.category, i.category),
            share_pct=_pct(i.share),
            status_label=str(status_labels.get(i.status, i.status)),
            resident_status=str(RESIDENT_STATUS.get(i.status, i.status)),
        )
        for i in selectors.published_items(demand_list)
    ]


@dataclass
class StatusChange:
    line: ListLine
    before: str


@dataclass
class Changes:
    previous: DemandList | None
    new: list[ListLine]
    changed: list[StatusChange]
    gone: list[DemandListItem]


def _changes(demand_list: DemandList, lines: list[ListLine]) -> Changes:
    """What differs from the version before: new demands, status changes, demands gone."""
    previous = (
        DemandList.objects.filter(estate_id=demand_list.estate_id, version__lt=demand_list.version)
        .order_by("-version")
        .first()
    )
    if previous is None:
        return Changes(None, [], [], [])
    before = {i.demand_id: i for i in previous.items.all()}
    status_labels = dict(DemandStatus.choices)
    new, changed = [], []
    for line in lines:
        old = before.get(line.item.demand_id)
        if old is None:
            new.append(line)
        elif old.status != line.item.status:
            changed.append(StatusChange(line, str(status_labels.get(old.status, old.status))))
    now = {line.item.demand_id for line in lines}
    gone = [i for i in sorted(before.values(), key=lambda i: i.rank) if i.demand_id not in now]
    return Changes(previous, new, changed, gone)


def demand_list_detail(request, list_id: int):
    demand_list = _access_list(request.user, list_id)
    lines = _list_lines(demand_list)
    return render(
        request,
        "needs/demands/list_detail.html",
        {
            "estate": demand_list.estate,
            "demand_list": demand_list,
            "lines": lines,
            "changes": _changes(demand_list, lines),
            "latest": selectors.latest_published_list(estate=demand_list.estate),
        },
    )


def demand_list_export(request, list_id: int):
    demand_list = _access_list(request.user, list_id)
    response = HttpResponse(
        demand_list_xlsx(demand_list),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = xlsx_filename(demand_list)
    return response


def demand_list_print(request, list_id: int):
    demand_list = (
        DemandList.objects.filter(pk=_int_or_404(list_id), estate__in=_notice_estates(request.user))
        .select_related("estate")
        .first()
    )
    if demand_list is None:
        raise Http404
    lines = _list_lines(demand_list)
    return render(
        request,
        "needs/demands/print.html",
        {
            "estate": demand_list.estate,
            "demand_list": demand_list,
            "lines": lines,
            "declined": [line for line in lines if line.item.status == DemandStatus.DECLINED],
            "published_on": timezone.localtime(demand_list.published_at).date(),
        },
    )


# --- residents' notice ----------------------------------------------------------------------------


def demand_notice(request, estate_id: int):
    estate = _notice_estates(request.user).filter(pk=_int_or_404(estate_id)).first()
    if estate is None:
        raise Http404
    demand_list = selectors.latest_published_list(estate=estate)
    lines = _list_lines(demand_list) if demand_list is not None else []
    return render(
        request,
        "needs/demands/notice.html",
        {
            "estate": estate,
            "demand_list": demand_list,
            "lines": lines,
            "published_on": (
                timezone.localtime(demand_list.published_at).date() if demand_list else None
            ),
        },
    )
