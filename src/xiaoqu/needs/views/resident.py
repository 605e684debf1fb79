"""Pages: a resident's own opinions — "我的意见" (what happened to what I said) and a phone
form to say something new.

Both need a signed-in user and read that user's homes only (``registry.scope``): the opinions
submitted by the user or heard at a dwelling they own or live in, and the estates and
dwellings they may speak for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.policy import AUTHENTICATED, requires
from xiaoqu.core.rates import RateLimited
from xiaoqu.needs import selectors, services
from xiaoqu.needs.forms import ResidentOpinionForm
from xiaoqu.needs.models import Channel, DemandStatus, Opinion
from xiaoqu.needs.services import OpinionInput
from xiaoqu.needs.views.common import posted
from xiaoqu.registry.models import Dwelling, Estate
from xiaoqu.registry.scope import home_dwellings, home_estates

if TYPE_CHECKING:
    from xiaoqu.accounts.models import User

# What each demand status means, in words a resident understands.
STATUS_WORDS: dict[str, Any] = {
    DemandStatus.COLLECTED: gettext_lazy("您的意见已记下，正在和邻居们的意见一起汇总。"),
    DemandStatus.ASSESSED: gettext_lazy("社区已经研究过这件事，正在考虑是否列入改造方案。"),
    DemandStatus.PLANNED: gettext_lazy("这件事已列入改造方案，会按方案施工。"),
    DemandStatus.DONE: gettext_lazy("这件事已经办好了。"),
    DemandStatus.DECLINED: gettext_lazy("暂不实施"),
}
RESIDENT_CHANNEL_WORDS: dict[str, Any] = {
    Channel.VISIT: gettext_lazy("入户走访时说的"),
    Channel.MEETING: gettext_lazy("在会上说的"),
    Channel.RESIDENT: gettext_lazy("您自己提交的"),
    Channel.HOTLINE: gettext_lazy("打电话说的"),
    Channel.IMPORT: gettext_lazy("社区登记的"),
}


@dataclass
class MyRow:
    opinion: Opinion
    channel: str
    place: str
    status: str
    status_label: str
    status_words: str
    reason: str
    demand_title: str
    list_version: int | None
    list_rank: int | None
    # The version of the list published before this opinion came in (it counts in the next).
    came_after: int | None
    notice_url: str | None
    photo_url: str | None


def _notice_url(estate_id: int) -> str:
    return reverse("needs:demand_notice", kwargs={"estate_id": estate_id})


@require_GET
@requires(AUTHENTICATED)
def my_opinions(request: AuthenticatedRequest) -> HttpResponse:
    """我的意见 — what happened to what I said."""
    rows = []
    for mine in selectors.my_opinions(user=request.user):
        o, demand, item = mine.opinion, mine.demand, mine.published
        # A list published before the opinion arrived did not count it: no rank to claim.
        late = item is not None and item.demand_list.published_at < o.created_at
        came_after = item.demand_list.version if item is not None and late else None
        if late:
            item = None
        status = demand.status if demand is not None else ""
        rows.append(
            MyRow(
                opinion=o,
                channel=str(RESIDENT_CHANNEL_WORDS.get(o.channel, o.get_channel_display())),
                place=o.estate.name + (" " + o.dwelling.label if o.dwelling is not None else ""),
                status=status or "received",
                status_label=str(demand.get_status_display()) if demand else _("已收到"),
                status_words=(
                    str(STATUS_WORDS.get(status, "")) if demand else _("已收到，正在整理归类。")
                ),
                reason=demand.declined_reason if demand is not None else "",
                demand_title=demand.title if demand is not None else "",
                list_version=item.demand_list.version if item is not None else None,
                list_rank=item.rank if item is not None else None,
                came_after=came_after,
                notice_url=_notice_url(o.estate_id) if item is not None else None,
                photo_url=reverse("needs:opinion_photo", args=[o.pk]) if o.photo else None,
            )
        )
    return render(
        request,
        "needs/opinions/my_opinions.html",
        {"rows": rows, "can_submit": home_estates(request.user).exists()},
    )


def _resident_choices(user: User) -> tuple[list[Estate], list[Dwelling]]:
    estates = list(home_estates(user).order_by("name"))
    dwellings = sorted(
        home_dwellings(user).select_related("estate", "building", "entrance"),
        key=lambda d: (d.estate.name, d.label),
    )
    return estates, dwellings


@require_http_methods(["GET", "POST"])
@requires(AUTHENTICATED)
def opinion_new(request: AuthenticatedRequest) -> HttpResponse:
    """A resident says something new from their phone (idempotent by the form's client key)."""
    estates, dwellings = _resident_choices(request.user)
    if not estates:
        return render(request, "needs/opinions/opinion_new.html", {"form": None})
    if request.method != "POST":
        form = ResidentOpinionForm(estates=estates, dwellings=dwellings)
        return _resident_form(request, form)
    data, files, too_big = posted(request)
    if too_big:
        form = ResidentOpinionForm(estates=estates, dwellings=dwellings)
        return _resident_form(request, form, status=400, page_error=too_big)
    form = ResidentOpinionForm(data, files, estates=estates, dwellings=dwellings)
    if not form.is_valid():
        return _resident_form(request, form, status=400)
    cd = form.cleaned_data
    try:
        _opinion, created = services.opinion_submit(
            user=request.user,
            estate=cd["estate_obj"],
            item=OpinionInput(
                text=cd["text"],
                dwelling=cd["dwelling_obj"],
                latitude=cd["latitude"],
                longitude=cd["longitude"],
                photo=cd["photo"],
                client_key=cd["client_key"],
            ),
        )
    except RateLimited as e:
        form.add_error(None, e.message)
        response = _resident_form(request, form, status=429)
        response["Retry-After"] = str(e.retry_after)
        return response
    except DomainError as e:
        form.add_error(None, e.message)
        return _resident_form(request, form, status=400)
    if created:
        messages.success(request, _("谢谢！您的意见已收到。处理进展会在这里显示。"))
    return redirect("needs:my_opinions")


def _resident_form(
    request: AuthenticatedRequest,
    form: ResidentOpinionForm,
    status: int = 200,
    page_error: str = "",
) -> HttpResponse:
    return render(
        request,
        "needs/opinions/opinion_new.html",
        {"form": form, "page_error": page_error},
        status=status,
    )
