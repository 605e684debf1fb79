"""Notification pages: a person's inbox and choice of channels (a login is enough: each reads
the caller's own rows), and the record of an estate's notifications for staff."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoqu.accounts.http import AuthenticatedRequest
from xiaoqu.core.errors import DomainError
from xiaoqu.core.pii import mask_phone
from xiaoqu.core.policy import AUTHENTICATED, Lookup, requires
from xiaoqu.notify import selectors, services
from xiaoqu.notify.forms import PreferenceForm
from xiaoqu.notify.models import Channel, DeliveryStatus, mask_openid
from xiaoqu.notify.rules import VIEW_DELIVERIES
from xiaoqu.registry.models import Estate

ESTATE = Lookup(Estate, "estate_id")
INBOX_PAGE = 20
EVENTS_PAGE = 30
ROWS_PAGE = 100


@require_GET
@requires(AUTHENTICATED)
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """The caller's messages, newest first; unread ones marked, each with its buttons."""
    page = Paginator(selectors.inbox_for(request.user), INBOX_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notify/inbox.html",
        {"page": page, "unread": selectors.unread_count(request.user)},
    )


def _back_to_inbox(request: AuthenticatedRequest) -> HttpResponse:
    page = request.POST.get("page", "")
    target = redirect("notify:inbox")
    if page.isdigit() and page != "1":
        target["Location"] += f"?page={page}"
    return target


@require_POST
@requires(AUTHENTICATED)
def read(request: AuthenticatedRequest) -> HttpResponse:
    """Mark one message read; with ``go``, then open what it links to."""
    try:
        notification = services.notification_read(
            user=request.user, notification_id=request.POST.get("id")
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _back_to_inbox(request)
    url = notification.url
    if (
        request.POST.get("go")
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    ):
        return redirect(url)
    return _back_to_inbox(request)


@require_POST
@requires(AUTHENTICATED)
def read_all(request: AuthenticatedRequest) -> HttpResponse:
    n = services.notifications_read_all(user=request.user)
    if n:
        messages.success(request, _("已全部标为已读。"))
    return _back_to_inbox(request)


@require_http_methods(["GET", "POST"])
@requires(AUTHENTICATED)
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    """Which channels the caller wants besides the inbox, and their WeChat binding."""
    preference = selectors.preference_for(request.user)
    form = PreferenceForm(
        request.POST or None,
        initial={
            "sms": preference.sms,
            "wechat": preference.wechat,
            "reminders": preference.reminders,
            "opted_out": preference.opted_out,
        },
    )
    if request.method == "POST":
        if request.POST.get("unbind"):
            services.preference_wechat_unbind(user=request.user)
            messages.success(request, _("已解除微信绑定，不会再收到微信消息。"))
            return redirect("notify:preferences")
        if form.is_valid():
            services.preference_update(user=request.user, **form.cleaned_data)
            messages.success(request, _("已保存。"))
            return redirect("notify:preferences")
    return render(
        request,
        "notify/preferences.html",
        {
            "form": form,
            "preference": preference,
            "phone": mask_phone(request.user.phone),
            "openid": mask_openid(preference.wechat_openid),
            "reminder_before": _reminder_before(),
        },
    )


def _reminder_before() -> str:
    """How long before a vote closes its reminder goes, in days when whole (两天)."""
    hours = settings.XIAOQU_VOTE_REMINDER_HOURS
    if hours % 24 == 0:
        days = hours // 24
        return ngettext("%(n)d 天", "%(n)d 天", days) % {"n": days}
    return ngettext("%(n)d 小时", "%(n)d 小时", hours) % {"n": hours}


@require_GET
@requires(VIEW_DELIVERIES, find=ESTATE)
def deliveries(request: AuthenticatedRequest, estate: Estate) -> HttpResponse:
    """The record of the estate's notifications: its events with counts by channel and
    status; with ``key``, the deliveries of that event one by one (who, channel, status,
    when, why not), filtered by channel and status."""
    key = request.GET.get("key", "")[:120]
    context: dict[str, object] = {"estate": estate, "key": key}
    if not key:
        page = Paginator(selectors.delivery_events(estate=estate), EVENTS_PAGE).get_page(
            request.GET.get("page")
        )
        context["page"] = page
        context["summaries"] = selectors.delivery_summaries(estate=estate, events=page)
        return render(request, "notify/deliveries.html", context)
    events = list(selectors.delivery_events(estate=estate, key=key))
    channel = request.GET.get("channel", "")
    status = request.GET.get("status", "")
    rows = selectors.delivery_rows(estate=estate, key=key, channel=channel, status=status)
    context.update(
        {
            "summaries": selectors.delivery_summaries(estate=estate, events=events),
            "page": Paginator(rows, ROWS_PAGE).get_page(request.GET.get("page")),
            "channel": channel,
            "status": status,
            "channels": Channel.choices,
            "statuses": DeliveryStatus.choices,
        }
    )
    return render(request, "notify/deliveries.html", context)
