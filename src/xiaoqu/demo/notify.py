"""The demo's notifications (docs/notifications.md), in 金仓路市政宿舍.

The services the other demo loaders call queue what residents are told: the votes' opening
notices and the covenant's result, the plan's consultation, the council's minutes, the news of
demands. This loader adds the rest and sends it all:

* the demo owner (13800000002) has bound WeChat, and one owner of 1栋1单元 has opted out of
  SMS and WeChat, so the record shows messages sent, skipped and withdrawn;
* an hour before the demo is loaded the community worker (13800000005) reminded the owners of
  the elevator vote (1栋1单元) who have not voted yet — the demo owner among them;
* everything queued is sent through the **console** backends, whatever the settings say (the
  demo's phone numbers are made up and must never reach a real gateway), into a buffer; the
  times of sending are set to a minute after queueing, as they would have been with the
  worker running;
* messages older than a week are marked read, so the inbox shows read and unread ones.

Idempotent: reminders and notices are keyed, preferences looked up before they are made, and
sending finds nothing queued the second time.
"""

from __future__ import annotations

import datetime as dt
import io

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xiaoqu.accounts.models import User
from xiaoqu.decisions.models import Ballot, Elector, Vote, VoteStatus
from xiaoqu.decisions.services.reminders import vote_remind
from xiaoqu.notify.channels import (
    ConsoleSmsBackend,
    ConsoleWechatBackend,
    SmsBackend,
    WechatBackend,
)
from xiaoqu.notify.models import Channel, Delivery, DeliveryStatus, Notification, Preference
from xiaoqu.notify.services import deliveries_send

ESTATE_CODE = "520103006001-01"  # 金仓路市政宿舍
OWNER_PHONE = "13800000002"
STAFF_PHONE = "13800000005"
ELEVATOR_TITLE = "1栋1单元加装电梯"
# A made-up openid: what WeChat would have given the demo owner's binding.
OWNER_OPENID = "oDemo-jincang-13800000002"


def load_demo_notify() -> dict[str, int]:
    """Bind, remind and send as the module says; what the sending did."""
    owner = User.objects.filter(phone=OWNER_PHONE).first()
    staff = User.objects.filter(phone=STAFF_PHONE).first()
    vote = Vote.objects.filter(
        estate__code=ESTATE_CODE, title=ELEVATOR_TITLE, status=VoteStatus.OPEN
    ).first()
    now = timezone.now()
    with transaction.atomic():
        if owner is not None and owner.person_id:
            Preference.objects.get_or_create(
                person_id=owner.person_id,
                defaults={"user": owner, "wechat": True, "wechat_openid": OWNER_OPENID},
            )
        if vote is not None:
            _opt_out_one(vote, owner)
            if staff is not None and vote.opens_at <= now < vote.closes_at:
                vote_remind(vote=vote, actor=staff, now=now - dt.timedelta(hours=1))
    return send_all(now)


def _opt_out_one(vote: Vote, owner: User | None) -> None:
    """The first owner of the vote (not the demo owner) who has not voted opts out."""
    voted = Ballot.objects.filter(vote=vote).values("elector_id")
    elector = (
        Elector.objects.filter(vote=vote)
        .exclude(pk__in=voted)
        .exclude(persons=owner.person_id if owner and owner.person_id else 0)
        .order_by("pk")
        .first()
    )
    person = elector.persons.order_by("pk").first() if elector else None
    if person is not None:
        Preference.objects.get_or_create(person=person, defaults={"opted_out": True})


def send_all(now: dt.datetime) -> dict[str, int]:
    """Send every queued message through the console backends, into a buffer."""
    buffer = io.StringIO()
    backends: dict[str, SmsBackend | WechatBackend] = {
        Channel.SMS: ConsoleSmsBackend(stream=buffer),
        Channel.WECHAT: ConsoleWechatBackend(stream=buffer),
    }
    total = {"sent": 0, "delivered": 0, "failed": 0, "skipped": 0}
    first = Delivery.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    while True:
        report = deliveries_send(limit=500, backends=backends)
        for k in total:
            total[k] += report[k]  # type: ignore[literal-required]
        if not report["more"]:
            break
    sent = Delivery.objects.filter(pk__lte=first, sent_at__gte=now)
    sent.update(sent_at=F("queued_at") + dt.timedelta(minutes=1))
    Notification.objects.filter(
        created_at__lt=now - dt.timedelta(days=7), read_at__isnull=True
    ).update(read_at=F("created_at") + dt.timedelta(hours=5))
    Delivery.objects.filter(
        pk__lte=first, status=DeliveryStatus.DELIVERED, delivered_at__gte=now
    ).exclude(channel=Channel.INAPP).update(delivered_at=F("queued_at") + dt.timedelta(minutes=1))
    return total
