"""Pages: door-knocking campaigns (敲门行动) and the phone page that records visits.

The phone page keeps every visit in the browser (IndexedDB) before sending it, so a visit
made in a stairwell without signal is sent later; ``visit_submit`` answers JSON and, through
``visit_record``'s ``client_key``, stores a visit sent twice only once.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import visible_dwellings, visible_estates, visible_regions
from xiaoqu.needs import selectors, services
from xiaoqu.needs.models import Campaign, CampaignStatus, Visit, VisitOutcome
from xiaoqu.needs.rules import DEMAND_ROLES, VISIT_ROLES
from xiaoqu.registry.models import Dwelling, Estate, RegionLevel

CAMPAIGNS_PER_PAGE = 30
# Estates offered as check boxes in the create form at once (narrow by community or name).
ESTATE_CHOICES_LIMIT = 200
# A visit with its photo: the photo may be 8 MB (core.uploads.PHOTO_MAX_BYTES), the rest is small.
SUBMIT_MAX_BYTES = 9 * 1024 * 1024
MAX_OPINIONS = 20


def _natural(value: str) -> tuple[Any, ...]:
    """Sort key putting 2栋 before 10栋 (numbers as numbers, the rest as text)."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", value))


def _access_campaign(user: Any, campaign_id: int) -> Campaign:
    """The campaign if one of its estates is in the user's scope, else 404."""
    campaign = (
        Campaign.objects.filter(pk=campaign_id, estates__in=visible_estates(user))
        .distinct()
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign


# --- campaigns ------------------------------------------------------------------------------


def _check_runs_all_estates(user: Any, campaign: Campaign) -> None:
    """Only someone who runs campaigns on every estate of this one may open or close it."""
    ids = set(campaign.estates.values_list("pk", flat=True))
    allowed = visible_estates(user, DEMAND_ROLES).filter(pk__in=ids).count()
    if allowed != len(ids):
        raise DomainError(_("这个活动有小区不在您的工作范围内。"), code="out_of_scope")


def _estate_choices(request: HttpRequest) -> dict[str, Any]:
    """Estates offered in the create form: the user's scope narrowed by community or name."""
    estates = visible_estates(request.user, DEMAND_ROLES)
    communities = list(
        visible_regions(request.user)
        .filter(level=RegionLevel.COMMUNITY, estates__in=estates)
        .distinct()
        .order_by("path")[:ESTATE_CHOICES_LIMIT]
    )
    community_id = request.GET.get("community", "")
    q = request.GET.get("q", "").strip()[:50]
    if community_id.isdigit():
        estates = estates.filter(community_id=int(community_id))
    if q:
        estates = estates.filter(Q(name__icontains=q) | Q(code__icontains=q))
    total = estates.count()
    return {
        "communities": communities,
        "community_id": int(community_id) if community_id.isdigit() else None,
        "q": q,
        "estate_choices": list(
            estates.select_related("community").order_by("community__path", "name")[
                :ESTATE_CHOICES_LIMIT
            ]
        ),
        "estate_total": total,
        "estate_limit": ESTATE_CHOICES_LIMIT,
    }


def _parse_campaign_form(request: HttpRequest) -> dict[str, Any]:
    """The create form's values, or a DomainError naming what is wrong.

    Estates must be in the scope of a role that runs campaigns (not merely any role).
    """
    user = request.user
    starts_on = parse_date(request.POST.get("starts_on", "") or "")
    ends_on = parse_date(request.POST.get("ends_on", "") or "")
    if starts_on is None or ends_on is None:
        raise DomainError(_("请填写开始和结束日期。"), code="dates_missing")
    ids = []
    for raw in request.POST.getlist("estates"):
        if not raw.isdigit():
            raise DomainError(_("所选小区不正确。"), code="estates")
        ids.append(int(raw))
    estates = list(visible_estates(user, DEMAND_ROLES).filter(pk__in=ids))
    if len(estates) != len(set(ids)):
        raise DomainError(_("所选小区有的不在您的工作范围内。"), code="out_of_scope")
    return {
        "name": request.POST.get("name", ""),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "estates": estates,
    }


def campaign_list(request: HttpRequest) -> HttpResponse:
    """Campaigns touching the user's estates; staff who run campaigns also create one here."""
    user = request.user
    can_manage = user.has_perm("needs.manage_demands")
    error = None
    posted: dict[str, Any] = {}
    if request.method == "POST":
        if not can_manage:
            raise Http404
        try:
            values = _parse_campaign_form(request)
            campaign = services.campaign_create(actor=user, **values)
        except DomainError as exc:
            error = exc.message
            posted = {
                "name": request.POST.get("name", "")[:100],
                "starts_on": request.POST.get("starts_on", "")[:10],
                "ends_on": request.POST.get("ends_on", "")[:10],
                "estates": {int(x) for x in request.POST.getlist("estates") if x.isdigit()},
            }
        else:
            messages.success(request, _("已创建走访活动“%(name)s”。") % {"name": campaign.name})
            return redirect("needs:campaign_detail", campaign_id=campaign.pk)
    visible = visible_estates(user)
    campaigns = (
        Campaign.objects.filter(estates__in=visible)
        .distinct()
        # Estates counted are the visible ones (the filter above constrains the join);
        # visits are those at dwellings the user works on, as on the progress page.
        .annotate(
            n_estates=Count("estates", distinct=True),
            n_visits=Count(
                "visits",
                filter=Q(visits__dwelling__in=visible_dwellings(user).values("pk")),
                distinct=True,
            ),
        )
        .order_by("-starts_on", "-pk")
    )
    page = Paginator(campaigns, CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page,
        "can_manage": can_manage,
        "error": error,
        "posted": posted,
        "today_iso": timezone.localdate().isoformat(),
    }
    if can_manage:
        context.update(_estate_choices(request))
    return render(request, "needs/visits/campaign_list.html", context, status=400 if error else 200)


def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """A campaign's progress as far as the user sees; open and close it (POST) for managers."""
    user = request.user
    campaign = _access_campaign(user, campaign_id)
    can_manage = user.has_perm("needs.manage_demands")
    if request.method == "POST":
        if not can_manage:
            raise Http404
        status = request.POST.get("status", "")
        try:
            _check_runs_all_estates(user, campaign)
            services.campaign_set_status(campaign=campaign, status=status, actor=user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("走访活动已改为“%(status)s”。") % {"status": campaign.get_status_display()},
            )
        return redirect("needs:campaign_detail", campaign_id=campaign.pk)
    progress = selectors.campaign_progress(campaign=campaign, user=user)
    estates = list(
        campaign.estates.filter(pk__in=visible_estates(user).values("pk")).order_by("name")
    )
    hidden_estates = campaign.estates.count() - len(estates)
    visit_ids: set[int] = set()
    if user.has_perm("needs.record_visit") and campaign.status != CampaignStatus.CLOSED:
        visit_ids = set(
            visible_estates(user, VISIT_ROLES)
            .filter(pk__in=[e.pk for e in estates])
            .values_list("pk", flat=True)
        )
    for e in estates:
        e.can_visit = e.pk in visit_ids  # type: ignore[attr-defined]
    return render(
        request,
        "needs/visits/campaign_detail.html",
        {
            "campaign": campaign,
            "progress": progress,
            "estates": estates,
            "hidden_estates": hidden_estates,
            "can_manage": can_manage,
            "statuses": CampaignStatus,
        },
    )


# --- the phone page -------------------------------------------------------------------------


def _dwelling_tree(user: Any, estate: Estate) -> list[dict[str, Any]]:
    """Buildings → entrances → dwellings of the estate the user may visit, compactly."""
    rows = (
        visible_dwellings(user, VISIT_ROLES)
        .filter(estate=estate)
        .values_list("pk", "number", "building__number", "entrance__number")
    )
    buildings: dict[str, dict[str, list[list[Any]]]] = {}
    for pk, number, building, entrance in rows:
        buildings.setdefault(building, {}).setdefault(entrance, []).append([pk, number])
    tree = []
    for b in sorted(buildings, key=_natural):
        entrances = []
        for e in sorted(buildings[b], key=_natural):
            dwellings = sorted(buildings[b][e], key=lambda d: _natural(d[1]))
            entrances.append({"n": e, "d": dwellings})
        tree.append({"n": b, "e": entrances})
    return tree


def visit_page(request: HttpRequest, estate_id: int) -> HttpResponse:
    """Record a door-knock on a phone; the visit is kept on the phone until it is sent."""
    user = request.user
    estate = (
        visible_estates(user, VISIT_ROLES).filter(pk=estate_id).select_related("community").first()
    )
    if estate is None:
        raise Http404
    tree = _dwelling_tree(user, estate)
    campaigns = list(
        Campaign.objects.filter(estates=estate, status=CampaignStatus.ACTIVE).order_by(
            "-starts_on", "-pk"
        )
    )
    dwelling_ids = [d[0] for b in tree for e in b["e"] for d in e["d"]]
    visited: dict[str, list[int]] = {str(c.pk): [] for c in campaigns}
    for campaign_id, dwelling_id in (
        Visit.objects.filter(campaign__in=campaigns, dwelling_id__in=dwelling_ids)
        .values_list("campaign_id", "dwelling_id")
        .distinct()
    ):
        visited[str(campaign_id)].append(dwelling_id)
    wanted = request.GET.get("campaign", "")
    selected = next((c.pk for c in campaigns if str(c.pk) == wanted), None)
    if selected is None and campaigns:
        selected = campaigns[0].pk
    return render(
        request,
        "needs/visits/visit_page.html",
        {
            "estate": estate,
            "campaigns": campaigns,
            "outcomes": VisitOutcome.choices,
            "has_dwellings": bool(dwelling_ids),
            "visit_data": {
                "estate": estate.pk,
                "estateName": estate.name,
                "tree": tree,
                "visited": visited,
                "submitUrl": reverse("needs:visit_submit"),
                "maxOpinions": MAX_OPINIONS,
                "campaign": selected,
                "csrfCookie": settings.CSRF_COOKIE_NAME,
                "outcomes": dict(VisitOutcome.choices),
            },
            "texts": _visit_texts(),
        },
    )


def _visit_texts() -> dict[str, str]:
    """What the phone page's script says, translated here (the script has no catalogue)."""
    return {
        "queueCount": _("%(n)s 条待发送"),
        "allSent": _("全部已发送"),
        "online": _("有网络"),
        "offline": _("无网络"),
        "waiting": _("待发送"),
        "sending": _("发送中…"),
        "returned": _("未通过："),
        "offlineErr": _("网络不通，已存在本机，稍后自动发送。"),
        "serverErr": _("服务器暂时无法处理（%(status)s），稍后自动重试。"),
        "loginExpired": _("登录已失效：请重新登录，登录后会自动发送。"),
        "saved": _("已存在本机，正在发送…"),
        "queued": _("已存在本机，有网络时自动发送，可以接着走访下一户。"),
        "returnedHere": _("刚才的记录没有通过：%(error)s请在上方点“修改”。"),
        "sent": _("已发送：%(what)s"),
        "needDwelling": _("请选择房号。"),
        "needOutcome": _("请选择走访结果。"),
        "building": _("栋"),
        "entrance": _("单元"),
        "visitedMark": _("（已走访）"),
        "visitedHint": _("本活动已走访 %(n)s / %(t)s 户"),
        "edit": _("修改"),
        "discard": _("放弃"),
        "discardConfirm": _("确定放弃这条走访记录吗？"),
        "returnedLoaded": _("这条记录没有通过，请修改后重新保存：%(error)s"),
        "opinionPlaceholder": _("居民说的一件事"),
        "urgent": _("紧急"),
        "remove": _("删除"),
        "noStorage": _("本机浏览器无法离线保存：请在有网络时使用，发送完成前不要关闭页面。"),
        "opinionsN": _("%(n)s 条意见"),
        "withPhoto": _("有照片"),
        "photoBig": _("照片太大（最大 8 MB），请换一张。"),
        "saveFailed": _("本机保存失败，请重试。"),
        "lastTry": _("上次尝试：%(time)s"),
    }


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _bad(message: str, code: str = "invalid") -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=400)


def _parse_visit(request: HttpRequest) -> dict[str, Any]:
    """The submitted visit as ``visit_record`` arguments; DomainError for bad input."""
    data = request.POST
    user = request.user
    try:
        client_key = uuid.UUID(data.get("client_key", ""))
    except ValueError:
        raise DomainError(_("提交编号不正确，请刷新页面后重新填写。"), code="client_key") from None
    estate_id = data.get("estate", "")
    estate = (
        visible_estates(user, VISIT_ROLES).filter(pk=int(estate_id)).first()
        if estate_id.isdigit()
        else None
    )
    if estate is None:
        raise DomainError(_("这个小区不在您的工作范围内。"), code="estate")
    dwelling_id = data.get("dwelling", "")
    if not dwelling_id.isdigit():
        raise DomainError(_("请选择走访的房屋。"), code="no_dwelling")
    dwelling = Dwelling.objects.filter(pk=int(dwelling_id)).select_related("estate").first()
    if dwelling is None or dwelling.estate_id != estate.pk:
        raise DomainError(
            _("所选房屋不在%(estate)s。") % {"estate": estate.name}, code="dwelling_outside"
        )
    if not visible_dwellings(user, VISIT_ROLES).filter(pk=dwelling.pk).exists():
        raise DomainError(_("这户不在您的走访范围内。"), code="out_of_scope")
    campaign = None
    campaign_id = data.get("campaign", "")
    if campaign_id:
        if not campaign_id.isdigit():
            raise DomainError(_("走访活动不存在。"), code="campaign")
        campaign = Campaign.objects.filter(pk=int(campaign_id), estates=estate).first()
        if campaign is None:
            raise DomainError(_("走访活动不存在或不包括这个小区。"), code="campaign")
    raw_time = data.get("visited_at", "")
    visited_at = parse_datetime(raw_time) if raw_time else timezone.now()
    if visited_at is None:
        raise DomainError(_("走访时间不正确。"), code="time")
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    people = data.get("people_met", "") or "0"
    if not people.isdigit() or len(people) > 3:
        raise DomainError(_("见到人数应在 0 到 50 之间。"), code="people_met")
    try:
        raw_opinions = json.loads(data.get("opinions", "") or "[]")
    except ValueError:
        raise DomainError(_("意见内容格式不正确。"), code="opinions") from None
    if not isinstance(raw_opinions, list) or len(raw_opinions) > MAX_OPINIONS:
        raise DomainError(_("一次最多记录 %(n)d 条意见。") % {"n": MAX_OPINIONS}, code="opinions")
    opinions = []
    for n, item in enumerate(raw_opinions, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise DomainError(_("意见内容格式不正确。"), code="opinions")
        try:
            services.clean_opinion_text(item["text"])
        except DomainError as exc:
            raise DomainError(
                _("第 %(n)d 条意见：%(msg)s") % {"n": n, "msg": exc.message}, code=exc.code
            ) from None
        opinions.append(services.OpinionInput(text=item["text"], urgent=item.get("urgent") is True))
    return {
        "client_key": client_key,
        "dwelling": dwelling,
        "visitor": user,
        "visited_at": visited_at,
        "outcome": data.get("outcome", ""),
        "opinions": opinions,
        "people_met": int(people),
        "note": data.get("note", ""),
        "photo": request.FILES.get("photo"),
        "campaign": campaign,
    }


@csrf_exempt  # checked below, after the size check, so a huge body gets a JSON answer too
@require_POST
def visit_submit(request: HttpRequest) -> HttpResponse:
    """Store one visit sent by the phone page: JSON ``{"id", "created"}`` or 400 ``{"error"}``.

    A visit sent again with the same ``client_key`` (its first answer was lost) answers the
    stored visit with ``created: false``.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > SUBMIT_MAX_BYTES:
        return _bad(_("提交的内容太大（照片最大 8 MB，文字请分几条写）。"), "too_large")
    try:
        request.POST  # noqa: B018 - parse now, so an oversized field is answered below
    except (RequestDataTooBig, TooManyFieldsSent):
        return _bad(_("提交的内容太大（照片最大 8 MB，文字请分几条写）。"), "too_large")
    refused = CsrfViewMiddleware(_ok).process_view(request, _ok, (), {})
    if refused is not None:
        return JsonResponse(
            {"error": _("页面已过期，请刷新页面后再发送。"), "code": "csrf"}, status=403
        )
    try:
        result = services.visit_record(**_parse_visit(request))
    except DomainError as exc:
        return _bad(exc.message, exc.code)
    return JsonResponse(
        {"id": result.visit.pk, "created": result.created}, status=201 if result.created else 200
    )
