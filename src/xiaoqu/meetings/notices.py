"""What residents are told of meetings (docs/notifications.md): when a meeting's minutes are
published, the estate's residents who have a login find them in their messages (and by WeChat
if they chose it; no SMS: minutes are for reading, not for acting on by a date).

Queued in the transaction of ``meeting_publish_minutes``; sending happens after it commits.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from xiaoqu.meetings.models import Meeting
from xiaoqu.notify.models import Channel, Kind
from xiaoqu.notify.selectors import estate_residents
from xiaoqu.notify.services import notify_send


def minutes_published_notify(*, meeting: Meeting, now: dt.datetime) -> int:
    """Tell the estate's residents with a login that the meeting's minutes are published."""
    with translation.override(settings.LANGUAGE_CODE):
        return notify_send(
            recipients=estate_residents(meeting.estate_id),
            kind=Kind.MINUTES_PUBLISHED,
            key=f"meeting:{meeting.pk}:minutes",
            title=_("%(kind)s纪要已公布") % {"kind": meeting.get_kind_display()},
            body=_("%(date)s 在%(place)s开的会，纪要和议定事项可以在手机上看。")
            % {
                "date": formats.date_format(meeting.held_on, "DATE_FORMAT"),
                "place": meeting.place,
            },
            url=reverse("meetings:meeting_minutes", kwargs={"meeting_id": meeting.pk}),
            estate_id=meeting.estate_id,
            channels=(Channel.WECHAT,),
            now=now,
        )
