"""Pages: the phone page that records door-knocks (入户走访) and the endpoint it sends to.

The phone page keeps every visit in the browser (IndexedDB) before sending it, so a visit
made in a stairwell without signal is sent later; ``visit_submit`` answers JSON and, through
``visit_record``'s ``client_key``, stores a visit sent twice only once. Both need
``needs.record_visit``: a grid worker is offered, and may record, the dwellings of the grid's
buildings only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.offline import queue_texts
from xiaoqu.core.policy import permitted_or_error, requires
from xiaoqu.needs import services
from xiaoqu.needs.models import Campaign, CampaignStatus, Visit, VisitOutcome
from xiaoqu.needs.rules import RECORD_VISIT
from xiaoqu.needs.views.common import ESTATE
from xiaoqu.registry.models import Dwelling, Estate

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User

# A visit with its photo: the photo may be 8 MB (core.uploads.PHOTO_MAX_BYTES), the rest is small.
SUBMIT_MAX_BYTES = 9 * 1024 * 1024
MAX_OPINIONS = 20


def _natural(value: str) -> tuple[Any, ...]:
    """Sort key putting 2栋 before 10栋 (numbers as numbers, the rest as text)."""
    return tuple(int(p) if p.isdecimal() else p for p in re.split(r"(\d+)", value))


# --- the phone page -------------------------------------------------------------------------


def _dwelling_tree(user: User, estate: Estate) -> list[dict[str, Any]]:
    """Buildings → entrances → dwellings of the estate the user may visit, compactly."""
    rows = RECORD_VISIT.scoped(user, Dwelling.objects.filter(estate=estate)).values_list(
        "pk", "number", "building__number", "entrance__number"
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


@require_GET
@requires(RECORD_VISIT, find=ESTATE)
def visit_page(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """Record a door-knock on a phone; the visit is kept on the phone until it is sent."""
    user = request.user
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
    """What the phone page's script says, translated here (the script has no catalogue):
    the shared queue's texts and the page's own."""
    return {
        **queue_texts(),
        "queued": _("已存在本机，有网络时自动发送，可以接着走访下一户。"),
        "returnedHere": _("刚才的记录没有通过：%(error)s请在上方点“修改”。"),
        "needDwelling": _("请选择房号。"),
        "needOutcome": _("请选择走访结果。"),
        "building": _("栋"),
        "entrance": _("单元"),
        "visitedMark": _("（已走访）"),
        "visitedHint": _("本活动已走访 %(n)s / %(t)s 户"),
        "edit": _("修改"),
        "discardConfirm": _("确定放弃这条走访记录吗？"),
        "returnedLoaded": _("这条记录没有通过，请修改后重新保存：%(error)s"),
        "opinionPlaceholder": _("居民说的一件事"),
        "urgent": _("紧急"),
        "remove": _("删除"),
        "opinionsN": _("%(n)s 条意见"),
        "lastTry": _("上次尝试：%(time)s"),
    }


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _bad(message: str, code: str = "invalid") -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=400)


def _parse_visit(request: AuthenticatedRequest) -> dict[str, Any]:
    """The submitted visit as ``visit_record`` arguments; DomainError for bad input.

    The fields are checked one after another in this order; the first wrong one is reported.
    """
    data = request.POST
    user = request.user
    client_key = _client_key(data.get("client_key", ""))
    estate = _visit_estate(user, data.get("estate", ""))
    dwelling = _visit_dwelling(user, estate, data.get("dwelling", ""))
    campaign = _visit_campaign(user, estate, data.get("campaign", ""))
    visited_at = _visited_at(data.get("visited_at", ""))
    people = data.get("people_met", "") or "0"
    # ASCII digits only: "²" passes str.isdigit but is no number.
    if not re.fullmatch(r"[0-9]{1,3}", people):
        raise DomainError(_("见到人数应在 0 到 50 之间。"), code="people_met")
    opinions = _visit_opinions(data.get("opinions", ""))
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


def _client_key(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise DomainError(_("提交编号不正确，请刷新页面后重新填写。"), code="client_key") from None


def _visit_estate(user: User, estate_id: str) -> Estate:
    """The estate named, when the user may record visits there."""
    message = _("这个小区不在您的工作范围内。")
    return permitted_or_error(
        user, RECORD_VISIT, Estate.objects.all(), estate_id, message, "estate"
    )


def _visit_dwelling(user: User, estate: Estate, dwelling_id: str) -> Dwelling:
    """The dwelling named, in ``estate`` and in the user's visiting scope: looked up there, so
    another grid's dwelling, another estate's and a missing one answer alike (the service
    checks the scope again)."""
    if not dwelling_id:
        raise DomainError(_("请选择走访的房屋。"), code="no_dwelling")
    dwellings = Dwelling.objects.filter(estate=estate).select_related("estate")
    message = _("这户不在您的走访范围内。")
    return permitted_or_error(user, RECORD_VISIT, dwellings, dwelling_id, message, "out_of_scope")


def _visit_campaign(user: User, estate: Estate, campaign_id: str) -> Campaign | None:
    """The campaign named (None when none is), which must span ``estate``."""
    if not campaign_id:
        return None
    campaigns = Campaign.objects.filter(estates=estate)
    message = _("走访活动不存在或不包括这个小区。")
    return permitted_or_error(user, RECORD_VISIT, campaigns, campaign_id, message, "campaign")


def _visited_at(raw: str) -> dt.datetime:
    """The time sent (a time without zone is local time), or now when none is."""
    try:
        visited_at = parse_datetime(raw) if raw else timezone.now()
    except ValueError:  # well formed but no such day or hour: 2026-02-30
        visited_at = None
    if visited_at is None:
        raise DomainError(_("走访时间不正确。"), code="time")
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    return visited_at


def _visit_opinions(raw: str) -> list[services.OpinionInput]:
    """The opinions sent as a JSON list of ``{"text", "urgent"}``, each text checked."""
    try:
        raw_opinions = json.loads(raw or "[]")
    except ValueError:
        raise DomainError(_("意见内容格式不正确。"), code="opinions") from None
    if not isinstance(raw_opinions, list) or len(raw_opinions) > MAX_OPINIONS:
        raise DomainError(
            ngettext("一次最多记录 %(n)d 条意见。", "一次最多记录 %(n)d 条意见。", MAX_OPINIONS)
            % {"n": MAX_OPINIONS},
            code="opinions",
        )
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
    return opinions


@csrf_exempt  # checked below, after the size check, so a huge body gets a JSON answer too
@require_POST
@requires(RECORD_VISIT)
def visit_submit(request: AuthenticatedRequest) -> HttpResponse:
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
