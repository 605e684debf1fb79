"""Writes for a vote's result: its public notice (公示) and the owners' objections."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import User
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions.models import Objection, Vote, VoteStatus
from xiaoqu.decisions.rules import MANAGE_VOTES, RAISE_OBJECTIONS
from xiaoqu.decisions.selectors import tally
from xiaoqu.decisions.services.notices import vote_result_notify
from xiaoqu.decisions.services.votes import elector_for

OBJECTION_DAYS_DEFAULT = 7
OBJECTION_DAYS_ALTERATION_DEFAULT = 15  # item 7 (alterations such as adding an elevator)


def objection_days_for(matter: int) -> int:
    """The default objection period in days; settings may change both."""
    if matter == 7:
        return int(
            getattr(settings, "XIAOQU_OBJECTION_DAYS_ALTERATION", OBJECTION_DAYS_ALTERATION_DEFAULT)
        )
    return int(getattr(settings, "XIAOQU_OBJECTION_DAYS", OBJECTION_DAYS_DEFAULT))


def vote_publish_result(
    *, vote: Vote, actor: User, objection_days: int | None = None, now: dt.datetime | None = None
) -> Vote:
    """Publish the closed vote's result (公示): the tally is frozen and the objection period
    starts. Names never appear in it: counts and areas only.
    """
    MANAGE_VOTES.require(actor, vote)
    days = objection_days if objection_days is not None else objection_days_for(vote.matter)
    if not 1 <= days <= 60:
        raise DomainError(_("异议期应为 1 到 60 天。"), code="objection_days")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Vote.objects.select_for_update().get(pk=vote.pk)
        if locked.status != VoteStatus.CLOSED:
            raise DomainError(_("表决结束后才能公示结果。"), code="not_closed")
        if locked.result_published_at is not None:
            raise DomainError(_("结果已经公示。"), code="published")
        result = tally(vote=locked)
        locked.result = {**result.as_dict(), "matter": locked.matter}
        locked.result_published_at = now
        locked.objection_until = now + dt.timedelta(days=days)
        locked.save(update_fields=["result", "result_published_at", "objection_until"])
        audit_record(
            actor=actor,
            action="decisions.vote_publish_result",
            obj=locked,
            after={"passed": result.passed, "objection_days": days},
        )
        vote_result_notify(vote=locked, now=now)
    return locked


def objection_raise(
    *, vote: Vote, user: User, text: str, now: dt.datetime | None = None
) -> Objection:
    """An owner of the vote's frozen electorate objects to the published result within the
    period: the user must hold ``decisions.raise_objections`` for the vote and be one of its
    electors. One objection per owner: co-owners of a unit are one owner, so the second
    objection of any of them is refused (``already_objected``)."""
    RAISE_OBJECTIONS.require(user, vote)
    elector = elector_for(vote=vote, person_id=user.person_id)
    if elector is None:
        raise DomainError(_("只有本次表决名册中的业主可以提出异议。"), code="not_elector")
    now = now or timezone.now()
    if vote.result_published_at is None or vote.objection_until is None:
        raise DomainError(_("结果尚未公示。"), code="not_published")
    if now >= vote.objection_until:
        raise DomainError(_("异议期已过。"), code="too_late")
    text = (text or "").strip()
    if not text:
        raise DomainError(_("请写明异议的内容和理由。"), code="text_empty")
    if len(text) > 2000:
        raise DomainError(_("异议最长 2000 字。"), code="text_too_long")
    if Objection.objects.filter(vote=vote, elector=elector).exists():
        raise _already_objected()
    try:
        with transaction.atomic():
            objection = Objection.objects.create(
                vote=vote, elector=elector, raised_by=user, text=text
            )
            audit_record(actor=user, action="decisions.objection_raise", obj=objection)
    except IntegrityError:  # a second objection sent at the same moment
        raise _already_objected() from None
    return objection


def _already_objected() -> DomainError:
    return DomainError(
        _(
            "您已经对这次表决的结果提出过异议，每位业主只能提出一次。"
            "如需补充，请联系社区或业主委员会。"
        ),
        code="already_objected",
    )
