"""What owners and residents are told of votes and plans (docs/notifications.md).

Each function queues one event's messages through ``notify.services.notify_send``, in the
transaction of the service that made the event (opening a vote, publishing its result,
opening a plan's consultation): the rows are written with it, sending happens after it
commits, and a notification that cannot be queued never undoes the event. Texts are in the
site's language whoever acts, since they are read by the residents.

* a vote opened: the owners of its frozen electorate, with the closing time and the ballot;
* a vote's result published: the same owners, with the outcome and the objection period;
* a plan open for comments: the estate's residents who have a login.

Reminders before a vote closes are in ``decisions.services.reminders``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from xiaoqu.decisions.models import Elector, Plan, Vote
from xiaoqu.notify.models import Kind
from xiaoqu.notify.selectors import Recipient, estate_residents
from xiaoqu.notify.services import notify_send


def when(value: dt.datetime) -> str:
    """A time as residents read it (2026年12月14日 18:00, Beijing time)."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def electorate_recipients(vote: Vote) -> list[Recipient]:
    """The persons of the vote's frozen electorate (co-owners each)."""
    person_ids = (
        Elector.persons.through.objects.filter(elector__vote_id=vote.pk)
        .values_list("person_id", flat=True)
        .distinct()
    )
    return [Recipient(person_id=p) for p in person_ids]


def vote_opened_notify(*, vote: Vote, now: dt.datetime) -> int:
    """Tell the vote's owners that it is open, until when, and where to vote."""
    with translation.override(settings.LANGUAGE_CODE):
        return notify_send(
            recipients=electorate_recipients(vote),
            kind=Kind.VOTE_OPEN,
            key=f"vote:{vote.pk}:open",
            title=_("业主表决开始：%(title)s") % {"title": vote.title},
            body=_("请在 %(closes)s 前投票，每户业主一票，可以在手机上投。")
            % {"closes": when(vote.closes_at)},
            url=reverse("decisions:ballot", kwargs={"vote_id": vote.pk}),
            estate_id=vote.estate_id,
            now=now,
        )


def vote_result_notify(*, vote: Vote, now: dt.datetime) -> int:
    """Tell the vote's owners its published result and until when they may object."""
    passed = bool((vote.result or {}).get("passed"))
    with translation.override(settings.LANGUAGE_CODE):
        outcome = _("表决通过。") if passed else _("表决未通过。")
        body = outcome + _("结果已公示，对结果有异议的，可以在 %(until)s 前提出。") % {
            "until": when(vote.objection_until or now)
        }
        return notify_send(
            recipients=electorate_recipients(vote),
            kind=Kind.VOTE_RESULT,
            key=f"vote:{vote.pk}:result",
            title=_("表决结果公示：%(title)s") % {"title": vote.title},
            body=body,
            url=reverse("decisions:vote_result", kwargs={"vote_id": vote.pk}),
            estate_id=vote.estate_id,
            now=now,
        )


def plan_consultation_notify(*, plan: Plan, now: dt.datetime, reason: str = "") -> int:
    """Tell the estate's residents with a login that the plan takes their comments; when its
    dates were changed (``reason`` given), tell them the new period and why."""
    with translation.override(settings.LANGUAGE_CODE):
        starts, ends = plan.consultation_starts, plan.consultation_ends
        body = _("%(starts)s 至 %(ends)s，可以在手机上看方案、提意见。") % {
            "starts": formats.date_format(starts, "DATE_FORMAT") if starts else "",
            "ends": formats.date_format(ends, "DATE_FORMAT") if ends else "",
        }
        key = f"plan:{plan.pk}:consultation"
        title = _("改造方案征求意见：%(title)s") % {"title": plan.title}
        if reason:
            key += f":{starts}:{ends}"
            title = _("征求意见期调整：%(title)s") % {"title": plan.title}
            body += _("调整原因：%(reason)s") % {"reason": reason}
        return notify_send(
            recipients=estate_residents(plan.estate_id),
            kind=Kind.PLAN_CONSULTATION,
            key=key,
            title=title,
            body=body,
            url=reverse("decisions:plan_public", kwargs={"plan_id": plan.pk}),
            estate_id=plan.estate_id,
            now=now,
        )
