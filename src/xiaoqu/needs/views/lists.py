"""Pages: published versions of an estate's demand list — the versions, one version with what
changed since the one before, its spreadsheet, its printed notice — and the residents' notice.

Staff pages need ``needs.view_needs``. The notice and its printed form need
``needs.read_lists``: staff in scope and the estate's residents. Residents reach only the
frozen items of a published version, never live demands or opinions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.policy import Lookup, requires
from xiaoqu.needs import selectors
from xiaoqu.needs.categories import category_labels
from xiaoqu.needs.exporting import demand_list_xlsx, xlsx_filename
from xiaoqu.needs.models import (
    Channel,
    DemandClass,
    DemandList,
    DemandListItem,
    DemandSource,
    DemandStatus,
)
from xiaoqu.needs.rules import MANAGE_DEMANDS, READ_LISTS, VIEW_NEEDS
from xiaoqu.needs.views.common import ESTATE, percent
from xiaoqu.registry.models import Estate

# How each status reads to residents on the notice board (staff see the status names).
RESIDENT_STATUS: dict[str, Any] = {
    DemandStatus.COLLECTED: gettext_lazy("已收到，正在整理"),
    DemandStatus.ASSESSED: gettext_lazy("正在研究能否实施"),
    DemandStatus.PLANNED: gettext_lazy("已列入改造方案"),
    DemandStatus.DONE: gettext_lazy("已完成"),
    DemandStatus.DECLINED: gettext_lazy("暂不实施"),
}

DEMAND_LIST = Lookup(
    DemandList, "list_id", arg="demand_list", select_related=("estate", "published_by")
)


@require_GET
@requires(VIEW_NEEDS, find=ESTATE)
def demand_list_versions(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """Every published version of the estate's list, newest first."""
    versions = (
        DemandList.objects.filter(estate=estate)
        .select_related("published_by")
        .annotate(n_items=Count("items"))
        .order_by("-version")
    )
    return render(
        request,
        "needs/demands/versions.html",
        {
            "estate": estate,
            "versions": versions,
            "can_manage": MANAGE_DEMANDS.has(request.user, estate),
        },
    )


@dataclass
class ListLine:
    item: DemandListItem
    klass_label: str
    category_name: str
    share_pct: str
    status_label: str
    resident_status: str
    # Where the demand came from, in residents' words: "12 户提出（入户走访 10 条、坝坝会/议事会
    # 2 条）", "居民意见：坝坝会/议事会 3 条", "15分钟生活圈分析发现的缺口", "社区根据安全检查提出".
    source: str = ""
    # The channels alone ("入户走访 10 条、坝坝会/议事会 2 条"), for the printed notice.
    heard: str = ""


# Categories of the safety checks the community makes (gas, fire, power): a demand staff add
# in one of them comes from such a check; any other staff demand is just "the community's".
SAFETY_CATEGORIES = frozenset({"gas", "fire_safety", "power"})


def _channel_text(channel: str, n: int) -> str:
    if channel == Channel.VISIT:
        return ngettext("入户走访 %(n)d 条", "入户走访 %(n)d 条", n) % {"n": n}
    if channel == Channel.MEETING:
        return ngettext("坝坝会/议事会 %(n)d 条", "坝坝会/议事会 %(n)d 条", n) % {"n": n}
    if channel == Channel.RESIDENT:
        return ngettext("居民网上提交 %(n)d 条", "居民网上提交 %(n)d 条", n) % {"n": n}
    if channel == Channel.HOTLINE:
        return ngettext("热线电话 %(n)d 条", "热线电话 %(n)d 条", n) % {"n": n}
    return ngettext("问卷表格 %(n)d 条", "问卷表格 %(n)d 条", n) % {"n": n}


def heard_text(channels: dict[str, int]) -> str:
    """The opinions of a demand by channel, in the channels' order: "入户走访 3 条、热线电话 1 条"."""
    return _("、").join(
        _channel_text(channel, channels[channel])
        for channel in Channel.values
        if channel in channels
    )


def source_text(item: DemandListItem, source: str, channels: dict[str, int]) -> str:
    """Where a published demand came from, as residents read it on the notice.

    Households are counted by dwelling, so opinions heard at a meeting or sent without a
    dwelling raise a demand no household count shows; the channels say where they came from.
    A demand staff added is the community's (from a safety check in the safety categories), a
    demand of the life-circle analysis is a gap of the 15-minute life circle.
    """
    heard = heard_text(channels)
    if source == DemandSource.ANALYSIS:
        origin = _("15分钟生活圈分析发现的缺口")
    elif source == DemandSource.STAFF:
        origin = _("社区根据安全检查提出") if item.category in SAFETY_CATEGORIES else _("社区提出")
    elif item.households:
        origin = ngettext("%(n)d 户提出", "%(n)d 户提出", item.households) % {"n": item.households}
        return (
            _("%(origin)s（%(heard)s）") % {"origin": origin, "heard": heard} if heard else origin
        )
    else:
        origin = ""
    if not heard:
        return origin or _("居民意见")
    heard = _("居民意见：%(heard)s") % {"heard": heard}
    return _("%(origin)s；%(heard)s") % {"origin": origin, "heard": heard} if origin else heard


def _list_lines(demand_list: DemandList) -> list[ListLine]:
    names = category_labels()
    klass_labels = dict(DemandClass.choices)
    status_labels = dict(DemandStatus.choices)
    channels = selectors.channels_heard(demand_list)
    return [
        ListLine(
            item=i,
            klass_label=str(klass_labels.get(i.klass, i.klass)),
            category_name=names.get(i.category, i.category),
            share_pct=percent(i.share),
            status_label=str(status_labels.get(i.status, i.status)),
            resident_status=str(RESIDENT_STATUS.get(i.status, i.status)),
            source=source_text(i, i.demand.source, channels.get(i.demand_id, {})),
            heard=heard_text(channels.get(i.demand_id, {})),
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


@require_GET
@requires(VIEW_NEEDS, find=DEMAND_LIST)
def demand_list_detail(request: AuthenticatedRequest, demand_list: DemandList) -> HttpResponse:
    """One published version and what changed since the version before."""
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


@require_GET
@requires(VIEW_NEEDS, find=DEMAND_LIST)
def demand_list_export(request: AuthenticatedRequest, demand_list: DemandList) -> HttpResponse:
    """The published version as a spreadsheet (its frozen items; no opinion, no name)."""
    response = HttpResponse(
        demand_list_xlsx(demand_list),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = xlsx_filename(demand_list)
    return response


@require_GET
@requires(READ_LISTS, find=DEMAND_LIST)
def demand_list_print(request: AuthenticatedRequest, demand_list: DemandList) -> HttpResponse:
    """The version as an A4 notice to post in the estate: for its residents and staff."""
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


@require_GET
@requires(READ_LISTS, find=ESTATE)
def demand_notice(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """The latest published version, in residents' words (or that none is published yet)."""
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
