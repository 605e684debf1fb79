"""Reminders before a vote closes (docs/notifications.md#vote-reminders).

``XIAOQU_VOTE_REMINDER_HOURS`` (48) before an open vote closes, the owners of its frozen
electorate who have not voted yet are reminded once (key ``vote:<id>:reminder``), with the
closing time and the link to their ballot: in-app always, by SMS and WeChat unless they turned
reminders off. A vote that opened inside that window gets no reminder (its opening notice is
just as recent).

``vote_reminders_queue`` is the sweep: idempotent, run by ``xiaoqu vote remind`` (cron), by
the task ``decisions.tasks.remind_votes`` that opening a vote schedules for the moment its
window starts, or at any time; ``vote_remind`` reminds one vote's owners now.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import User
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions.models import Ballot, Elector, Vote, VoteStatus
from xiaoqu.decisions.rules import MANAGE_VOTES
from xiaoqu.decisions.services.notices import when
from xiaoqu.notify.models import Kind
from xiaoqu.notify.selectors import Recipient
from xiaoqu.notify.services import notify_send

logger = logging.getLogger(__name__)


def reminder_window() -> dt.timedelta:
    return dt.timedelta(hours=settings.XIAOQU_VOTE_REMINDER_HOURS)


def non_voters(vote: Vote) -> list[Recipient]:
    """The persons of the vote's electorate whose owner (elector) has not voted: one query."""
    voted = Ballot.objects.filter(vote_id=vote.pk, elector_id=OuterRef("elector_id"))
    person_ids = (
        Elector.persons.through.objects.filter(elector__vote_id=vote.pk)
        .filter(~Exists(voted))
        .values_list("person_id", flat=True)
        .distinct()
    )
    return [Recipient(person_id=p) for p in person_ids]


def vote_remind(*, vote: Vote, actor: User | None = None, now: dt.datetime | None = None) -> int:
    """Remind the vote's owners who have not voted yet, now; how many were reminded.

    Each owner is reminded once per vote whoever asks (the sweep, or staff with
    ``decisions.manage_votes`` as ``actor``): asking again reminds only owners who were not
    reminded before. Written with an audit row.
    """
    if actor is not None:
        MANAGE_VOTES.require(actor, vote)
    now = now or timezone.now()
    if vote.status != VoteStatus.OPEN or not (vote.opens_at <= now < vote.closes_at):
        raise DomainError(_("表决不在投票时间内，不能发提醒。"), code="not_open")
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        reminded = notify_send(
            recipients=non_voters(vote),
            kind=Kind.VOTE_REMINDER,
            key=f"vote:{vote.pk}:reminder",
            title=_("投票提醒：%(title)s") % {"title": vote.title},
            body=_(
                "投票将在 %(closes)s 截止，您家还没有投票。请点链接投票，或找社区工作人员投纸质票。"
            )
            % {"closes": when(vote.closes_at)},
            url=reverse("decisions:ballot", kwargs={"vote_id": vote.pk}),
            estate_id=vote.estate_id,
            now=now,
        )
        if reminded:
            audit_record(
                actor=actor, action="decisions.vote_remind", obj=vote, after={"reminded": reminded}
            )
    return reminded


def vote_reminders_queue(*, now: dt.datetime | None = None) -> int:
    """Remind the non-voters of every open vote now inside its reminder window (and that
    opened before the window began); how many owners were reminded in all. Idempotent."""
    now = now or timezone.now()
    window = reminder_window()
    due = Vote.objects.filter(
        status=VoteStatus.OPEN,
        opens_at__lte=now,
        closes_at__gt=now,
        closes_at__lte=now + window,
        opened_at__lte=F("closes_at") - window,
    ).order_by("closes_at", "pk")
    return sum(vote_remind(vote=vote, now=now) for vote in due)


def reminders_schedule(vote: Vote) -> None:
    """Queue the reminder sweep for the moment the vote's window begins, when the task
    backend can run a task later (the database backend of ``xiaoqu serve`` can); cron's
    ``xiaoqu vote remind`` covers the rest. Called once the vote's opening has committed."""
    from xiaoqu.decisions.tasks import remind_votes

    at = vote.closes_at - reminder_window()
    if vote.opened_at is not None and vote.opened_at > at:
        return
    try:
        backend = remind_votes.get_backend()
        if not backend.supports_defer:
            return
        remind_votes.using(run_after=max(at, timezone.now())).enqueue()
    except Exception:
        logger.exception("the reminders of vote %s could not be scheduled", vote.pk)
