"""Reads for the resident's feed (今天): what concerns a resident now, in the estates where they
live or own — a vote waiting for their ballot, a plan open for comments, published minutes
and vote results, what became of their opinions and repair reports, whom to call — and
their unread messages (docs/daily.md, "The resident's feed").

Everything is read for the user's own person: the estates are those of the dwellings they own
or live in (the residents' scope of ``registry.scope``), so the feed shows nothing a resident
could not open on the pages it links to. The number of queries is fixed: one or two per kind
of item, whatever the number of items (tests/daily/test_feed.py counts them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from xiaoqu.accounts.models import Role, RoleAssignment, User
from xiaoqu.decisions.models import (
    Ballot,
    Elector,
    Plan,
    PlanComment,
    PlanItem,
    PlanStatus,
    Vote,
    VoteStatus,
)
from xiaoqu.meetings.models import Meeting
from xiaoqu.needs.models import Demand, DemandStatus, Opinion
from xiaoqu.needs.rules import own_opinions_q
from xiaoqu.notify import selectors as notify_selectors
from xiaoqu.notify.models import Notification
from xiaoqu.organization.models import GridWorkerAssignment, LiaisonHousehold
from xiaoqu.registry.models import Estate, Region
from xiaoqu.registry.selectors import HomeDwelling, resident_dwellings
from xiaoqu.stewardship.models import (
    OPEN_STATUSES,
    ManagementBody,
    OrderStatus,
    Party,
    PartySeat,
    WorkOrder,
)

# How far back published minutes and vote results count as news, and how many of each kind
# the feed shows (the pages it links to list the rest).
RECENT_DAYS = 90
CLOSED_ORDER_DAYS = 14
SHOWN = 5
SHOWN_OPINIONS = 3
SHOWN_MESSAGES = 3
# A vote closing within this many hours is marked urgent.
URGENT_HOURS = 48


# --- items ----------------------------------------------------------------------------------


@dataclass
class VoteCard:
    """A vote of the user's estate in whose frozen electorate the user is."""

    vote: Vote
    ballot: Ballot | None
    time_left: str
    urgent: bool


@dataclass
class PlanCard:
    plan: Plan
    days_left: str
    commented: bool


@dataclass
class ResultCard:
    vote: Vote
    passed: bool
    objection_open: bool
    ballot: Ballot | None


@dataclass
class OpinionNews:
    """What became of one of the user's opinions, in a resident's words."""

    opinion: Opinion
    demand: Demand | None
    status: str
    words: str
    reason: str
    plan: Plan | None
    changed_at: dt.datetime


@dataclass
class Contact:
    """Someone to call, with the number the platform shows residents (docs/daily.md)."""

    post: str
    name: str
    phone: str
    note: str = ""


@dataclass
class EstateContacts:
    estate: Estate
    contacts: list[Contact] = field(default_factory=list)
    has_manager: bool = False


@dataclass
class Messages:
    unread: int
    recent: list[Notification]


@dataclass
class Feed:
    has_person: bool
    dwellings: list[HomeDwelling]
    estates: list[Estate]
    messages: Messages
    to_vote: list[VoteCard]
    voted: list[VoteCard]
    plans: list[PlanCard]
    minutes: list[Meeting]
    results: list[ResultCard]
    opinions: list[OpinionNews]
    orders: list[WorkOrder]
    contacts: list[EstateContacts]

    @property
    def many_estates(self) -> bool:
        return len(self.estates) > 1

    @property
    def news(self) -> bool:
        """Whether anything but the contacts and the dwellings is in the feed."""
        return bool(
            self.messages.recent
            or self.to_vote
            or self.voted
            or self.plans
            or self.minutes
            or self.results
            or self.opinions
            or self.orders
        )


# --- the feed -------------------------------------------------------------------------------


def resident_feed(*, user: User, now: dt.datetime | None = None) -> Feed:
    """The feed of the signed-in user: the items of their home estates, most urgent first."""
    now = now or timezone.now()
    dwellings = resident_dwellings(user=user)
    estates = _unique_estates(dwellings)
    estate_ids = [e.pk for e in estates]
    votes = _votes(user, estate_ids, now)
    return Feed(
        has_person=bool(user.person_id),
        dwellings=dwellings,
        estates=estates,
        messages=unread_messages(user=user),
        to_vote=[c for c in votes if c.vote.status == VoteStatus.OPEN and c.ballot is None],
        voted=[c for c in votes if c.vote.status == VoteStatus.OPEN and c.ballot is not None],
        plans=_plans(user, estate_ids, now),
        minutes=_minutes(estate_ids, now),
        results=_results(user, estate_ids, now),
        opinions=_opinions(user, now) if user.person_id else [],
        orders=_orders(user, now),
        contacts=_contacts(dwellings, estates),
    )


def _unique_estates(dwellings: list[HomeDwelling]) -> list[Estate]:
    seen: dict[int, Estate] = {}
    for home in dwellings:
        seen.setdefault(home.dwelling.estate_id, home.dwelling.estate)
    return sorted(seen.values(), key=lambda e: e.name)


def time_left(until: dt.datetime, now: dt.datetime) -> str:
    """The time left before a deadline ahead, in words: 还剩 3 天, 还剩 5 小时, 不到 1 小时."""
    seconds = (until - now).total_seconds()
    days = int(seconds // 86400)
    if days >= 1:
        return ngettext("还剩 %(n)d 天", "还剩 %(n)d 天", days) % {"n": days}
    hours = int(seconds // 3600)
    if hours >= 1:
        return ngettext("还剩 %(n)d 小时", "还剩 %(n)d 小时", hours) % {"n": hours}
    return _("不到 1 小时")


# --- messages -------------------------------------------------------------------------------


def unread_messages(*, user: User) -> Messages:
    """The user's unread in-app messages (to their login or their person), newest first."""
    recent = list(notify_selectors.unread_for(user)[:SHOWN_MESSAGES])
    for n in recent:
        # Only a path of this site is linked: a message never sends a resident elsewhere.
        local = n.url.startswith("/") and url_has_allowed_host_and_scheme(
            n.url, allowed_hosts=set()
        )
        n.link = n.url if local else ""  # type: ignore[attr-defined]
    count = len(recent) if len(recent) < SHOWN_MESSAGES else notify_selectors.unread_count(user)
    return Messages(unread=count, recent=recent)


# --- votes, plans, minutes, results ---------------------------------------------------------


def _votes(user: User, estate_ids: list[int], now: dt.datetime) -> list[VoteCard]:
    """Open votes of the estates in whose frozen electorate the user is, closing first; each
    with the user's ballot if cast."""
    if not estate_ids or not user.person_id:
        return []
    votes = list(
        Vote.objects.filter(
            estate_id__in=estate_ids,
            status=VoteStatus.OPEN,
            opens_at__lte=now,
            closes_at__gt=now,
            electors__persons=user.person_id,
        )
        .select_related("estate", "building", "entrance__building")
        .distinct()
        .order_by("closes_at", "pk")
    )
    ballots = _ballots(user, [v.pk for v in votes])
    return [
        VoteCard(
            vote=v,
            ballot=ballots.get(v.pk),
            time_left=time_left(v.closes_at, now),
            urgent=(v.closes_at - now) <= dt.timedelta(hours=URGENT_HOURS),
        )
        for v in votes
    ]


def _ballots(user: User, vote_ids: list[int]) -> dict[int, Ballot]:
    """The user's ballots in these votes, by vote (one query)."""
    if not vote_ids or not user.person_id:
        return {}
    electors = Elector.objects.filter(vote_id__in=vote_ids, persons=user.person_id)
    return {b.vote_id: b for b in Ballot.objects.filter(elector__in=electors)}


def _plans(user: User, estate_ids: list[int], now: dt.datetime) -> list[PlanCard]:
    """Plans whose consultation runs today, ending first; whether the user has commented."""
    if not estate_ids:
        return []
    today = timezone.localdate(now)
    plans = list(
        Plan.objects.filter(
            estate_id__in=estate_ids,
            status=PlanStatus.CONSULTATION,
            consultation_starts__lte=today,
            consultation_ends__gte=today,
        )
        .select_related("estate")
        .order_by("consultation_ends", "pk")
    )
    commented = set(
        PlanComment.objects.filter(plan__in=plans, author=user).values_list("plan_id", flat=True)
    )
    cards = []
    for plan in plans:
        days = ((plan.consultation_ends or today) - today).days
        left = (
            ngettext("还剩 %(n)d 天", "还剩 %(n)d 天", days) % {"n": days}
            if days
            else _("今天截止")
        )
        cards.append(PlanCard(plan=plan, days_left=left, commented=plan.pk in commented))
    return cards


def _minutes(estate_ids: list[int], now: dt.datetime) -> list[Meeting]:
    """Meetings of the estates whose minutes were published lately, newest first."""
    if not estate_ids:
        return []
    return list(
        Meeting.objects.filter(
            estate_id__in=estate_ids,
            minutes_published_at__gte=now - dt.timedelta(days=RECENT_DAYS),
        )
        .select_related("estate")
        .order_by("-held_on", "-pk")[:SHOWN]
    )


def _results(user: User, estate_ids: list[int], now: dt.datetime) -> list[ResultCard]:
    """Vote results published lately (or still in their objection period), newest first."""
    if not estate_ids:
        return []
    votes = list(
        Vote.objects.filter(estate_id__in=estate_ids, result_published_at__isnull=False)
        .filter(
            Q(result_published_at__gte=now - dt.timedelta(days=RECENT_DAYS))
            | Q(objection_until__gt=now)
        )
        .select_related("estate")
        .order_by("-result_published_at", "-pk")[:SHOWN]
    )
    ballots = _ballots(user, [v.pk for v in votes])
    return [
        ResultCard(
            vote=v,
            passed=bool((v.result or {}).get("passed")),
            objection_open=v.objection_until is not None and now < v.objection_until,
            ballot=ballots.get(v.pk),
        )
        for v in votes
    ]


# --- opinions and repair reports ------------------------------------------------------------

# What a demand's status means for the resident who asked, in their words.
STATUS_NEWS: dict[str, Any] = {
    DemandStatus.COLLECTED: gettext_lazy("和邻居们的同类意见合在一起，正在汇总。"),
    DemandStatus.ASSESSED: gettext_lazy("社区已经研究过，正在考虑列入改造方案。"),
    DemandStatus.PLANNED: gettext_lazy("已列入改造方案，会按方案施工。"),
    DemandStatus.DONE: gettext_lazy("已经办好了。"),
    DemandStatus.DECLINED: gettext_lazy("这件事暂时不做。"),
}


def _opinions(user: User, now: dt.datetime) -> list[OpinionNews]:
    """The user's opinions whose news is latest (a demand that moved, or a new opinion), each
    with its demand (the one it was joined into, if merged) and the plan answering it."""
    opinions = list(
        Opinion.objects.filter(own_opinions_q(user))
        .select_related("estate", "demand", "demand__merged_into")
        .annotate(
            changed=Greatest(
                Coalesce("demand__merged_into__updated_at", "demand__updated_at", "created_at"),
                "created_at",
            )
        )
        .order_by("-changed", "-pk")[:SHOWN_OPINIONS]
    )
    demands = {}
    for o in opinions:
        demand = o.demand
        if demand is not None and demand.merged_into_id is not None:
            demand = demand.merged_into
        demands[o.pk] = demand
    plans: dict[int, Plan] = {}
    for item in (
        PlanItem.objects.filter(demand_id__in=[d.pk for d in demands.values() if d is not None])
        .exclude(plan__status=PlanStatus.DRAFT)
        .select_related("plan")
        .order_by("plan__version")
    ):
        if item.demand_id is not None:
            plans[item.demand_id] = item.plan  # the latest version wins
    news = []
    for o in opinions:
        demand = demands[o.pk]
        status = demand.status if demand is not None else "received"
        news.append(
            OpinionNews(
                opinion=o,
                demand=demand,
                status=status,
                words=(
                    str(STATUS_NEWS.get(status, ""))
                    if demand is not None
                    else _("已收到，正在整理归类。")
                ),
                reason=demand.declined_reason if demand is not None else "",
                plan=plans.get(demand.pk) if demand is not None else None,
                changed_at=o.changed,
            )
        )
    return news


def _orders(user: User, now: dt.datetime) -> list[WorkOrder]:
    """The user's repair reports still open, waiting for their confirmation, or closed in the
    last two weeks; each with ``last_at``, the time of its latest event."""
    return list(
        WorkOrder.objects.filter(reporter=user)
        .filter(
            Q(status__in=[*OPEN_STATUSES, OrderStatus.RESOLVED])
            | Q(closed_at__gte=now - dt.timedelta(days=CLOSED_ORDER_DAYS))
        )
        .select_related("category", "estate")
        .annotate(last_at=Max("events__at"))
        .order_by("-created_at", "-pk")[:SHOWN]
    )


# --- whom to call ---------------------------------------------------------------------------


def _contacts(dwellings: list[HomeDwelling], estates: list[Estate]) -> list[EstateContacts]:
    """For each home estate: the grid worker of the user's buildings, the liaison Party member
    (联户) of each of their dwellings, the community's staff for the estate and the managing
    body, with the numbers the platform shows residents (docs/daily.md)."""
    if not estates:
        return []
    estate_ids = [e.pk for e in estates]
    by_estate = {e.pk: EstateContacts(estate=e) for e in estates}
    building_ids = {h.dwelling.building_id for h in dwellings}
    # Grid workers: of the user's own buildings first, else of a grid in the estate.
    workers = list(
        GridWorkerAssignment.objects.filter(
            ended_on__isnull=True, grid__grid_buildings__building__estate_id__in=estate_ids
        )
        .annotate(
            building_id=F("grid__grid_buildings__building_id"),
            estate_id=F("grid__grid_buildings__building__estate_id"),
        )
        .select_related("person", "grid", "user")
        .order_by("pk")
    )
    for estate_id, entry in by_estate.items():
        in_estate = [w for w in workers if w.estate_id == estate_id]
        own = [w for w in in_estate if w.building_id in building_ids]
        chosen: dict[int, Any] = {}
        for w in own or in_estate[:1]:
            chosen.setdefault(w.pk, w)
        for w in chosen.values():
            # The register's number, else the worker's login (their work phone).
            phone = w.person.phone or (w.user.phone if w.user is not None else "")
            entry.contacts.append(Contact(_("网格员"), w.person.name, phone, w.grid.name))
    # Liaison Party members of the user's dwellings.
    for link in (
        LiaisonHousehold.objects.filter(dwelling_id__in=[h.dwelling.pk for h in dwellings])
        .select_related("member__person", "dwelling__building", "dwelling__entrance")
        .order_by("dwelling_id")
    ):
        person = link.member.person
        by_estate[link.dwelling.estate_id].contacts.append(
            Contact(_("联户党员"), person.name, person.phone, link.dwelling.label)
        )
    _community_contacts(by_estate, estates)
    # The managing body, as its public page shows it (stewardship:estate_manager_public).
    for body in ManagementBody.objects.filter(estate_id__in=estate_ids, ended_on__isnull=True):
        entry = by_estate[body.estate_id]
        entry.has_manager = True
        entry.contacts.append(
            Contact(
                str(body.get_kind_display()),
                body.contact_name or body.name,
                body.contact_phone,
                body.name if body.contact_name else "",
            )
        )
    return list(by_estate.values())


def _community_contacts(by_estate: dict[int, EstateContacts], estates: list[Estate]) -> None:
    """The community's staff for each estate: those seated for 社区落实 in the estate's five
    parties, else the community staff assigned to the estate or its community (at most two)."""
    communities = {r.pk: r for r in Region.objects.filter(pk__in={e.community_id for e in estates})}
    seated: dict[int, list[User]] = {}
    for seat in (
        PartySeat.objects.filter(estate__in=estates, party=Party.COMMUNITY, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    ):
        seated.setdefault(seat.estate_id, []).append(seat.user)
    assigned: dict[tuple[str, int], list[User]] = {}
    for a in (
        RoleAssignment.objects.filter(role=Role.COMMUNITY_STAFF, user__is_active=True)
        .filter(Q(estate__in=estates) | Q(region_id__in=list(communities)))
        .select_related("user")
        .order_by("pk")
    ):
        key = ("estate", a.estate_id) if a.estate_id else ("region", a.region_id or 0)
        assigned.setdefault(key, []).append(a.user)
    for estate in estates:
        staff = (
            seated.get(estate.pk)
            or assigned.get(("estate", estate.pk))
            or assigned.get(("region", estate.community_id))
            or []
        )
        community = communities.get(estate.community_id)
        note = community.name if community else ""
        for user in _unique_users(staff)[:2]:
            by_estate[estate.pk].contacts.append(
                Contact(_("社区工作人员"), user.name or note, user.phone, note)
            )


def _unique_users(users: list[User]) -> list[User]:
    seen: dict[int, User] = {}
    for u in users:
        seen.setdefault(u.pk, u)
    return list(seen.values())
