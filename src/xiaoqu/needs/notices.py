"""What residents are told of their opinions (docs/notifications.md): when staff move a
demand to another status, the residents who submitted an opinion of it themselves (the
resident's phone form: ``Opinion.submitted_by``) get a message saying what it means, with the
reason when it is declined, and a link to "我的意见".

Queued in the transaction of ``demand_set_status``; sending happens after it commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoqu.needs.models import Demand, DemandStatus, Opinion
from xiaoqu.notify.models import Kind
from xiaoqu.notify.selectors import Recipient
from xiaoqu.notify.services import notify_send

# What each status means to the resident who asked.
STATUS_NEWS: dict[str, Any] = {
    DemandStatus.COLLECTED: gettext_lazy("您的意见已记下，正在和邻居们的意见一起汇总。"),
    DemandStatus.ASSESSED: gettext_lazy("社区已经研究过这件事，正在考虑是否列入改造方案。"),
    DemandStatus.PLANNED: gettext_lazy("这件事已列入改造方案，会按方案施工。"),
    DemandStatus.DONE: gettext_lazy("这件事已经办好了。"),
    DemandStatus.DECLINED: gettext_lazy("这件事暂时不做。"),
}


def demand_status_notify(*, demand: Demand, event_id: int, now: dt.datetime) -> int:
    """Tell the authors of the demand's opinions its new status; ``event_id`` (the audit
    row of the change) makes each change its own message."""
    authors = (
        Opinion.objects.filter(demand_id=demand.pk, submitted_by__isnull=False)
        .values_list("submitted_by_id", flat=True)
        .distinct()
    )
    recipients = [Recipient(user_id=u) for u in authors]
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        body = str(STATUS_NEWS.get(demand.status, ""))
        if demand.status == DemandStatus.DECLINED and demand.declined_reason:
            body += _("原因：%(reason)s") % {"reason": demand.declined_reason}
        return notify_send(
            recipients=recipients,
            kind=Kind.OPINION_UPDATE,
            key=f"demand:{demand.pk}:status:{event_id}",
            title=_("您提的意见有进展了：%(title)s") % {"title": demand.title},
            body=body,
            url=reverse("needs:my_opinions"),
            estate_id=demand.estate_id,
            now=now,
        )
