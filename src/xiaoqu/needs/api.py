"""Needs endpoints: campaigns, visits, opinions, demands and published demand lists.

Scope rules are described in ``api_selectors``. Every object endpoint finds its object with
``find_permitted`` through the permission its action needs (reading: ``needs.view_needs``;
recording a visit: ``needs.record_visit``; and so on), so an id that is missing, outside the
caller's scope or one the caller may read but not act on answers 404 alike; a refusal by a
service (``DomainError``) answers 400 with ``{"detail": message, "code": code}`` and changes
nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import find_permitted, object_pk
from xiaoqu.needs import api_selectors as sel
from xiaoqu.needs import services
from xiaoqu.needs.models import Channel, Demand, DemandList, Opinion
from xiaoqu.needs.rules import (
    MANAGE_DEMANDS,
    READ_LISTS,
    READ_OPINIONS,
    RECORD_OPINIONS,
    RECORD_VISIT,
    VIEW_NEEDS,
)
from xiaoqu.needs.schemas import (
    CampaignDetailOut,
    CampaignFilterIn,
    CampaignPageOut,
    CategoryIn,
    DemandDetailOut,
    DemandListDetailOut,
    DemandListPageOut,
    DemandStatusIn,
    ErrorOut,
    EstateDemandsOut,
    Id,
    OpinionFilterIn,
    OpinionIn,
    OpinionOut,
    OpinionPageOut,
    PageIn,
    VisitDetailOut,
    VisitFilterIn,
    VisitIn,
    VisitPageOut,
)
from xiaoqu.needs.selectors import campaign_progress, demand_rows
from xiaoqu.registry.models import Dwelling, Estate
from xiaoqu.registry.scope import home_dwellings

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User

router = Router(tags=["needs"])

ERRORS: dict[int, Any] = {400: ErrorOut}


def domain_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a service's ``DomainError`` into 400 ``{"detail", "code"}`` (429 for too many
    submissions, ``xiaoqu.core.rates.RateLimited``)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DomainError as error:
            return getattr(error, "status", 400), {"detail": error.message, "code": error.code}

    return wrapper


def _page(qs: QuerySet[Any], page: PageIn) -> tuple[int, list[Any]]:
    return qs.count(), list(qs[page.offset : page.offset + page.limit])


def _paged(count: int, page: PageIn, items: list[Any]) -> dict[str, Any]:
    return {"count": count, "limit": page.limit, "offset": page.offset, "items": items}


# --- campaigns --------------------------------------------------------------------------------


@router.get(
    "/needs/campaigns",
    response=CampaignPageOut,
    operation_id="needs_campaign_list",
    url_name="needs_campaign_list",
    summary="入户走访活动列表",
)
def campaign_list(
    request: AuthenticatedRequest, filters: Query[CampaignFilterIn], page: Query[PageIn]
) -> dict[str, Any]:
    """涉及调用者范围内小区的“敲门行动”，按开始日期从新到旧；居民没有走访活动。"""
    qs = VIEW_NEEDS.scoped(request.user, sel.campaigns())
    if filters.estate_id is not None:
        # Only an estate of the caller's scope filters: one outside it gives the empty list a
        # missing estate gives, so the filter cannot tell which campaigns span other estates.
        estate = VIEW_NEEDS.scoped(request.user, Estate.objects.filter(pk=filters.estate_id))
        qs = qs.filter(estates__in=estate.values("pk"))
    if filters.status:
        qs = qs.filter(status=filters.status)
    count, campaigns = _page(qs, page)
    visible = sel.visible_estate_ids(request.user, campaigns)
    return _paged(count, page, [sel.campaign_row(c, visible) for c in campaigns])


@router.get(
    "/needs/campaigns/{campaign_id}",
    response=CampaignDetailOut,
    operation_id="needs_campaign_detail",
    url_name="needs_campaign_detail",
    summary="走访活动详情与进度",
)
def campaign_detail(request: AuthenticatedRequest, campaign_id: Id) -> dict[str, Any]:
    """活动的总进度、按网格和按走访人的进度（已走访户数、人次、意见条数），只计调用者范围内的房屋。"""
    campaign = find_permitted(request.user, VIEW_NEEDS, sel.campaigns(), campaign_id)
    progress = campaign_progress(campaign=campaign, user=request.user)

    def line(p: Any) -> dict[str, Any]:
        return {
            "label": p.label,
            "dwellings": p.dwellings,
            "visited": p.visited,
            "visits": p.visits,
            "met": p.met,
            "opinions": p.opinions,
            "share": round(p.share, 4),
        }

    return {
        **sel.campaign_row(campaign, sel.visible_estate_ids(request.user, [campaign])),
        "total": line(progress.total),
        "by_grid": [line(p) for p in progress.by_grid],
        "by_member": [line(p) for p in progress.by_member],
    }


# --- visits -----------------------------------------------------------------------------------


@router.get(
    "/needs/visits",
    response=VisitPageOut,
    operation_id="needs_visit_list",
    url_name="needs_visit_list",
    summary="入户走访记录",
)
def visit_list(
    request: AuthenticatedRequest, filters: Query[VisitFilterIn], page: Query[PageIn]
) -> dict[str, Any]:
    """调用者范围内房屋的走访记录（网格员只看本网格），新的在前；可按小区、活动筛选。"""
    qs = VIEW_NEEDS.scoped(request.user, sel.visits())
    if filters.estate_id is not None:
        qs = qs.filter(estate_id=filters.estate_id)
    if filters.campaign_id is not None:
        qs = qs.filter(campaign_id=filters.campaign_id)
    count, visits = _page(qs, page)
    return _paged(count, page, [sel.visit_row(v) for v in visits])


def _visit_detail(user: User, visit_id: int) -> dict[str, Any]:
    visit = find_permitted(user, VIEW_NEEDS, sel.visits(), visit_id)
    opinions = sel.readable_opinions(user).filter(visit=visit).order_by("pk")
    return {**sel.visit_row(visit), "opinions": [sel.opinion_row(o) for o in opinions]}


@router.get(
    "/needs/visits/{visit_id}",
    response=VisitDetailOut,
    operation_id="needs_visit_detail",
    url_name="needs_visit_detail",
    summary="走访详情",
)
def visit_detail(request: AuthenticatedRequest, visit_id: Id) -> dict[str, Any]:
    """一次走访及当时听到的意见。"""
    return _visit_detail(request.user, visit_id)


@router.post(
    "/needs/visits",
    response={200: VisitDetailOut, 201: VisitDetailOut, **ERRORS},
    operation_id="needs_visit_create",
    url_name="needs_visit_create",
    summary="录入一次入户走访",
)
@domain_errors
def visit_create(request: AuthenticatedRequest, payload: VisitIn) -> Any:
    """录入一次敲门走访和听到的意见（需要“入户走访”权限）。

    幂等：手机没收到回复时用同一个 ``client_key`` 重发，第一次返回 201，之后返回 200
    和已保存的走访，不会重复录入。
    """
    user = request.user
    dwellings = Dwelling.objects.select_related("estate", "building", "entrance")
    dwelling = find_permitted(user, RECORD_VISIT, dwellings, payload.dwelling_id)
    campaign = None
    if payload.campaign_id is not None:
        campaign = find_permitted(user, RECORD_VISIT, sel.campaigns(), payload.campaign_id)
    visited_at = payload.visited_at
    if timezone.is_naive(visited_at):
        # A phone that sends local time without an offset means the local (Beijing) time.
        visited_at = timezone.make_aware(visited_at)
    result = services.visit_record(
        client_key=payload.client_key,
        dwelling=dwelling,
        visitor=user,
        visited_at=visited_at,
        outcome=payload.outcome,
        opinions=[services.OpinionInput(text=o.text, urgent=o.urgent) for o in payload.opinions],
        people_met=payload.people_met,
        note=payload.note,
        campaign=campaign,
    )
    return (201 if result.created else 200), _visit_detail(user, result.visit.pk)


# --- opinions ---------------------------------------------------------------------------------


def _opinion_rows(user: User, opinions: list[Opinion]) -> list[dict[str, Any]]:
    mine = sel.own_opinion_ids(user, opinions)
    return [sel.opinion_row(o, o.pk in mine) for o in opinions]


@router.get(
    "/needs/opinions",
    response=OpinionPageOut,
    operation_id="needs_opinion_list",
    url_name="needs_opinion_list",
    summary="居民意见",
)
def opinion_list(
    request: AuthenticatedRequest, filters: Query[OpinionFilterIn], page: Query[PageIn]
) -> dict[str, Any]:
    """工作人员看到本人范围内的意见；居民只看到自己提交的和在自己家中收集的意见。"""
    qs = sel.readable_opinions(request.user)
    if filters.estate_id is not None:
        qs = qs.filter(estate_id=filters.estate_id)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.demand_id is not None:
        qs = qs.filter(demand_id=filters.demand_id)
    count, opinions = _page(qs, page)
    return _paged(count, page, _opinion_rows(request.user, opinions))


@router.get(
    "/needs/opinions/{opinion_id}",
    response=OpinionOut,
    operation_id="needs_opinion_detail",
    url_name="needs_opinion_detail",
    summary="意见详情",
)
def opinion_detail(request: AuthenticatedRequest, opinion_id: Id) -> dict[str, Any]:
    """一条意见及其类别和所归需求的状态。"""
    return _opinion_row(request.user, opinion_id)


def _opinion_row(user: User, opinion_id: int) -> dict[str, Any]:
    opinion = find_permitted(user, READ_OPINIONS, sel.opinions(), opinion_id)
    return _opinion_rows(user, [opinion])[0]


def _written_row(user: User, opinion: Opinion) -> dict[str, Any]:
    """The row of an opinion the caller has just written (or wrote before, for a resend):
    shown to its writer even where their reading scope would not reach it (a grid worker's
    call about the whole estate)."""
    return _opinion_rows(user, [sel.opinions().get(pk=opinion.pk)])[0]


def _dwelling_of(estate: Estate, dwelling_id: int | None) -> Dwelling | None:
    """The estate's dwelling ``dwelling_id``; a missing one and one of another estate are
    refused alike (the service checks that the caller may record for it)."""
    if dwelling_id is None:
        return None
    dwelling = Dwelling.objects.filter(estate=estate, pk=object_pk(dwelling_id)).first()
    if dwelling is None:
        raise DomainError(_("房屋不在这个小区内。"), code="dwelling_outside")
    return dwelling


@router.post(
    "/needs/opinions",
    response={200: OpinionOut, 201: OpinionOut, **ERRORS, 429: ErrorOut},
    operation_id="needs_opinion_create",
    url_name="needs_opinion_create",
    summary="提交一条意见",
)
@domain_errors
def opinion_create(request: AuthenticatedRequest, payload: OpinionIn) -> Any:
    """工作人员录入热线意见（需要“录入意见”权限，小区在其范围内，可注明房屋）；
    居民为自己居住的小区提交意见（房屋只能是自己的）。带同一 ``client_key`` 重发时返回 200
    和已保存的意见。
    """
    user = request.user
    channel = payload.channel or ("hotline" if RECORD_OPINIONS.has(user) else "resident")
    item = services.OpinionInput(
        text=payload.text,
        urgent=payload.urgent,
        heard_on=payload.heard_on,
        client_key=payload.client_key,
    )
    if channel == "hotline":
        estate = find_permitted(user, RECORD_OPINIONS, Estate.objects.all(), payload.estate_id)
        if payload.client_key is not None:
            existing = Opinion.objects.filter(client_key=payload.client_key).first()
            if existing is not None:
                if existing.recorded_by_id != user.pk:
                    raise DomainError(_("提交编号已被使用。"), code="key_taken")
                return 200, _written_row(user, existing)
        item.dwelling = _dwelling_of(estate, payload.dwelling_id)
        (opinion,) = services.opinions_record(
            estate=estate, items=[item], channel=Channel.HOTLINE, actor=user
        )
        created = True
    else:
        estate = find_permitted(user, READ_LISTS, Estate.objects.all(), payload.estate_id)
        if payload.dwelling_id is not None:
            item.dwelling = home_dwellings(user).filter(pk=payload.dwelling_id).first()
            if item.dwelling is None:
                raise Http404
        # A resident's submission is dated the day it is sent.
        item.heard_on = None
        opinion, created = services.opinion_submit(user=user, estate=estate, item=item)
    return (201 if created else 200), _written_row(user, opinion)


@router.patch(
    "/needs/opinions/{opinion_id}/category",
    response={200: OpinionOut, **ERRORS},
    operation_id="needs_opinion_recategorise",
    url_name="needs_opinion_recategorise",
    summary="校正意见类别",
)
@domain_errors
def opinion_recategorise(request: AuthenticatedRequest, opinion_id: Id, payload: CategoryIn) -> Any:
    """工作人员校正自动分类的类别（需要“录入意见”权限）；校正会保存下来，用于下次重新训练模型。"""
    user = request.user
    opinions = Opinion.objects.select_related("estate")
    opinion = find_permitted(user, RECORD_OPINIONS, opinions, opinion_id)
    services.opinion_recategorise(opinion=opinion, category=payload.category, actor=user)
    return 200, _written_row(user, opinion)


# --- demands ----------------------------------------------------------------------------------


@router.get(
    "/needs/estates/{estate_id}/demands",
    response=EstateDemandsOut,
    operation_id="needs_estate_demands",
    url_name="needs_estate_demands",
    summary="小区的需求（实时）",
)
def estate_demands(request: AuthenticatedRequest, estate_id: Id) -> dict[str, Any]:
    """小区当前的需求及其户数、占比、意见条数和优先分，按优先分从高到低（仅工作人员）。
    居民看已发布的需求清单。
    """
    estate = find_permitted(request.user, VIEW_NEEDS, Estate.objects.all(), estate_id)
    rows = demand_rows(estate=estate)
    return {
        "estate_id": estate.pk,
        "estate_name": estate.name,
        "households": rows.households,
        "items": [sel.row_dict(r) for r in rows.items],
    }


@router.get(
    "/needs/demands/{demand_id}",
    response=DemandDetailOut,
    operation_id="needs_demand_detail",
    url_name="needs_demand_detail",
    summary="需求详情",
)
def demand_detail(request: AuthenticatedRequest, demand_id: Id) -> dict[str, Any]:
    """一条需求的数字、状态和归入的意见（只显示房屋，不显示住户姓名）。

    只列出调用者有权查看的意见（网格员只看到本网格楼栋的意见）；户数、意见条数等数字按整条需求统计。
    """
    return _demand_detail(request.user, demand_id)


def _demand_detail(user: User, demand_id: int) -> dict[str, Any]:
    demand = find_permitted(user, VIEW_NEEDS, Demand.objects.select_related("estate"), demand_id)
    return sel.demand_detail(demand, user)


@router.post(
    "/needs/demands/{demand_id}/status",
    response={200: DemandDetailOut, **ERRORS},
    operation_id="needs_demand_set_status",
    url_name="needs_demand_set_status",
    summary="更改需求状态",
)
@domain_errors
def demand_set_status(request: AuthenticatedRequest, demand_id: Id, payload: DemandStatusIn) -> Any:
    """已收集 → 已评估 → 已列入方案 → 已完成，或暂不实施（必须写明原因，居民会在清单中看到）。
    需要“管理需求”权限。
    """
    user = request.user
    demands = Demand.objects.select_related("estate")
    demand = find_permitted(user, MANAGE_DEMANDS, demands, demand_id)
    demand = services.demand_set_status(
        demand=demand, status=payload.status, actor=user, reason=payload.reason
    )
    return 200, _demand_detail(user, demand.pk)


# --- published lists --------------------------------------------------------------------------


@router.get(
    "/needs/estates/{estate_id}/lists",
    response=DemandListPageOut,
    operation_id="needs_estate_lists",
    url_name="needs_estate_lists",
    summary="小区已发布的需求清单",
)
def estate_lists(request: AuthenticatedRequest, estate_id: Id) -> dict[str, Any]:
    """小区已发布的需求清单各版本，新版在前；范围内的工作人员和本小区居民可看。"""
    estate = find_permitted(request.user, READ_LISTS, Estate.objects.all(), estate_id)
    return {
        "estate_id": estate.pk,
        "estate_name": estate.name,
        "items": [sel.list_row(d) for d in sel.lists_of(estate)],
    }


@router.get(
    "/needs/lists/{list_id}",
    response=DemandListDetailOut,
    operation_id="needs_list_detail",
    url_name="needs_list_detail",
    summary="需求清单（已发布版本）",
)
def list_detail(request: AuthenticatedRequest, list_id: Id) -> dict[str, Any]:
    """已发布的一版需求清单及其条目（发布时的副本，之后不会改变）。"""
    lists = DemandList.objects.annotate(items_count=Count("items")).select_related("estate")
    demand_list = find_permitted(request.user, READ_LISTS, lists, list_id)
    return sel.list_detail(demand_list, as_staff=VIEW_NEEDS.has(request.user, demand_list))
