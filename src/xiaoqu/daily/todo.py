"""The staff to-do workbench: what needs the user now, in their scope, by urgency.

See docs/daily.md ("To-do workbench"). Nine kinds of line, each read from the state of the
app that holds it — nothing is stored, so a line disappears as soon as the work is done:

* ``orders`` — open work orders past their deadline or escalated (stewardship);
* ``works`` — items of works past their planned finish and not finished (renovation);
* ``votes`` — open owner votes closing within ``XIAOQU_TODO_VOTE_DAYS`` days, with the turnout
  against the Art. 278 quorum (decisions);
* ``objections`` — owners' objections to a published result, in its objection period;
* ``opinions`` — urgent opinions whose demand awaits an answer, and opinions in no demand
  (needs);
* ``plans`` — plans whose consultation has ended and which are not published;
* ``meetings`` — meetings held whose minutes are not published;
* ``demands`` — demands waiting for an answer (still 已收集);
* ``corrections`` — residents' requests to correct their personal information, not answered
  yet (privacy).

A user sees a kind when they hold the permission its work needs somewhere (the apps'
``rules.py``), and its lines in that permission's scope (``scoped()``): a grid worker the
grid's buildings, street staff the street's estates. Each kind is one query — the scoped rows
as plain values, ordered by urgency, with their total, pressing count and first and last
estate as window aggregates, cut to the lines shown — and one more for the kinds whose lines
show figures of other rows (a demand's households, a vote's turnout, a plan's comments); the
ids of the estates in scope are read once beforehand, so that the database starts from them
(``scope_estates``). The page costs the same number of queries for one estate as for a
street, and its time grows with the work in scope, not with the province's.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from xiaoqu.accounts.roles import assignments, is_global_admin
from xiaoqu.core.policy import Permission, scope_path_of
from xiaoqu.decisions.models import (
    Ballot,
    Elector,
    Objection,
    Plan,
    PlanComment,
    PlanStatus,
    Vote,
    VoteScope,
    VoteStatus,
)
from xiaoqu.decisions.rules import MANAGE_PLANS, MANAGE_VOTES
from xiaoqu.decisions.rules_engine import Count as Tally
from xiaoqu.decisions.rules_engine import consent_class, quorum_shortfall
from xiaoqu.meetings.models import Meeting, MeetingKind
from xiaoqu.meetings.rules import HOLD_MEETINGS
from xiaoqu.needs.models import Channel, Demand, DemandSource, DemandStatus, Opinion
from xiaoqu.needs.rules import MANAGE_DEMANDS, RECORD_OPINIONS
from xiaoqu.privacy.models import CorrectionRequest, CorrectionStatus
from xiaoqu.privacy.rules import RESOLVE_CORRECTIONS
from xiaoqu.registry.models import Estate
from xiaoqu.registry.scope import NOTHING, roles_q
from xiaoqu.renovation.models import ProjectItem
from xiaoqu.renovation.rules import PARTY_ROLES as PROJECT_PARTY_ROLES
from xiaoqu.renovation.rules import REPORT_PROGRESS, ProjectPermission
from xiaoqu.stewardship import order_flow
from xiaoqu.stewardship.models import OPEN_STATUSES, Party, WorkOrder
from xiaoqu.stewardship.rules import HANDLE_ORDERS
from xiaoqu.stewardship.services.orders import PARTY_ROLES

# Lines shown per kind on the workbench, and per page of one kind's full list.
LINES = 20
PAGE_LINES = 50
# A vote closing within this many days, or past its closing time, is pressing.
VOTE_PRESSING_DAYS = 2
# An objection whose period ends within this many days is pressing.
OBJECTION_PRESSING_DAYS = 2

OVERDUE = "overdue"
URGENT = "urgent"


@dataclass(frozen=True)
class Moment:
    """The time the page is computed for."""

    now: dt.datetime
    today: dt.date
    vote_days: int

    @classmethod
    def current(cls) -> Moment:
        return cls(timezone.now(), timezone.localdate(), settings.XIAOQU_TODO_VOTE_DAYS)


@dataclass(frozen=True)
class Turnout:
    """An open vote's participation so far against the quorum of Art. 278: owners and area
    that have voted, out of the frozen electorate's, what each still lacks for two thirds
    (``rules_engine.quorum_shortfall``), and so whether the quorum is met.
    Never how anyone voted: the consent a special matter needs (three quarters of those taking
    part) is counted when the vote closes."""

    owners: int
    total_owners: int
    area: Decimal
    total_area: Decimal
    owners_short: int
    area_short: Decimal
    quorum_met: bool
    special: bool

    @property
    def owners_pct(self) -> float:
        return _pct(self.owners, self.total_owners)

    @property
    def area_pct(self) -> float:
        return _pct(self.area, self.total_area)


@dataclass
class Line:
    """One thing to do: what, where, how pressing, and the page where it is done."""

    title: str
    url: str
    estate: str
    when: str = ""
    detail: str = ""
    level: str = ""  # OVERDUE, URGENT or "" (waiting)
    badge: str = ""
    turnout: Turnout | None = None


@dataclass
class Group:
    """The lines of one kind: the most pressing first, with the kind's totals."""

    key: str
    label: str
    total: int
    pressing: int
    pressing_label: str
    lines: list[Line] = field(default_factory=list)
    more_url: str = ""  # the full list, when not every line is shown

    @property
    def anchor(self) -> str:
        return f"todo-{self.key}"

    @property
    def urgent(self) -> bool:
        """Whether anything of the kind is overdue or urgent (its lines come first)."""
        return self.pressing > 0 or any(line.level for line in self.lines)


@dataclass(frozen=True)
class Kind:
    """How one kind of line is found and shown.

    ``rows``: the user's rows of the kind (scoped by ``permission``), most pressing first;
    ``fields``: the columns the lines are made from (read as plain values, not model objects:
    cheaper to build and to load); ``lines``: the lines of the rows shown (at most one more
    query); ``pressing``: which rows are pressing (counted over all of them); ``unit``: the
    field whose single value lets ``unit_url`` give the app's own list page for the full list;
    ``estate``: the path to a row's estate id.
    """

    key: str
    label: Promise
    permission: Permission
    rows: Callable[[Any, Moment], QuerySet[Any]]
    lines: Callable[[list[dict[str, Any]], Moment], list[Line]]
    fields: tuple[str, ...]
    pressing: Callable[[Moment], Q] | None = None
    pressing_label: Promise = gettext_lazy("紧急")
    unit: str = "estate_id"
    unit_url: Callable[[int], str] | None = None
    estate: str = "estate_id"


# --- words ----------------------------------------------------------------------------------


def _pct(part: Decimal | int, whole: Decimal | int) -> float:
    return round(float(part) * 100 / float(whole), 1) if whole else 0.0


def _days(n: int) -> str:
    return ngettext("%(n)d 天", "%(n)d 天", n) % {"n": n}


def _span(delta: dt.timedelta) -> str:
    """A duration in days, or in hours below a day (a work order's deadline is in hours)."""
    if delta >= dt.timedelta(days=1):
        return _days(delta.days)
    hours = max(int(delta.total_seconds() // 3600), 1)
    return ngettext("%(n)d 小时", "%(n)d 小时", hours) % {"n": hours}


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def _short(text: str, chars: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


_SENTINEL = 2_147_483_647


@functools.cache
def _pattern(name: str, kwarg: str) -> tuple[str, str]:
    """A URL of ``name`` around its id, reversed once (a page lists up to 160 lines)."""
    head, _sep, tail = reverse(name, kwargs={kwarg: _SENTINEL}).partition(str(_SENTINEL))
    return head, tail


def _link(name: str, kwarg: str, pk: int) -> str:
    head, tail = _pattern(name, kwarg)
    return f"{head}{pk}{tail}"


def _place(row: dict[str, Any]) -> str:
    """Where in the estate, from a row's ``dwelling__…`` and ``building__number`` columns."""
    if row.get("dwelling__number"):
        return _("%(b)s栋%(e)s单元%(n)s") % {
            "b": row["dwelling__building__number"],
            "e": row["dwelling__entrance__number"],
            "n": row["dwelling__number"],
        }
    if row.get("building__number"):
        return _("%(n)s栋") % {"n": row["building__number"]}
    return ""


PLACE = (
    "building__number",
    "dwelling__number",
    "dwelling__building__number",
    "dwelling__entrance__number",
)


def _joined(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


# --- work orders (stewardship) --------------------------------------------------------------


def _handled_q(user: Any) -> Q | None:
    """The orders the user may act on now (None: all): those of a party they act for in the
    order's scope, or of a party lower on the ladder (``stewardship.order_flow.may_handle``:
    the community, the street and the housing bureau step in on the orders they oversee).

    The roles of the parties are among those of ``stewardship.handle_orders``, so this is that
    permission's scope (``roles_q``, what its ``scoped()`` filters by) narrowed to the ladder.
    """
    if is_global_admin(user):
        return None
    path = scope_path_of(WorkOrder)
    q = NOTHING
    for acting, roles in PARTY_ROLES.items():
        where = roles_q(user, roles, path)
        if where is NOTHING:
            continue
        parties = [acting] + [
            p
            for p, level in order_flow.LEVEL.items()
            if acting != order_flow.OWNERS and level < order_flow.LEVEL[acting]
        ]
        mine = Q(party__in=parties)
        q |= mine if where is None else mine & where
    return q


def _order_rows(user: Any, m: Moment) -> QuerySet[WorkOrder]:
    due = WorkOrder.objects.filter(status__in=OPEN_STATUSES).filter(
        Q(due_at__lt=m.now) | Q(escalations__gt=0)
    )
    handled = _handled_q(user)
    return (due if handled is None else due.filter(handled)).order_by("due_at", "pk")


def _order_lines(orders: list[dict[str, Any]], m: Moment) -> list[Line]:
    lines = []
    for o in orders:
        overdue = o["due_at"] < m.now
        if overdue:
            when = _("逾期 %(t)s") % {"t": _span(m.now - o["due_at"])}
        else:
            when = _("时限 %(t)s") % {"t": _local(o["due_at"]).strftime("%m-%d %H:%M")}
        escalated = (
            _("已升级至%(party)s") % {"party": Party(o["party"]).label}
            if o["escalations"] and o["party"] in Party.values
            else ""
        )
        lines.append(
            Line(
                title=f"#{o['pk']} {o['category__name']}",
                url=_link("stewardship:order_detail", "order_id", o["pk"]),
                estate=o["estate__name"],
                when=_joined(when, escalated),
                detail=_joined(_place(o), _short(o["text"])),
                level=OVERDUE if overdue else URGENT,
                badge=_("逾期") if overdue else _("已升级"),
            )
        )
    return lines


# --- items of works (renovation) ------------------------------------------------------------


def _overdue_items_q(m: Moment) -> Q:
    """Past the planned finish and not finished: ``renovation.selectors.is_overdue``."""
    return Q(planned_finish__lt=m.today, percent__lt=100)


def _item_rows(user: Any, m: Moment) -> QuerySet[ProjectItem]:
    items = ProjectItem.objects.filter(_overdue_items_q(m))
    return REPORT_PROGRESS.scoped(user, items).order_by("planned_finish", "pk")


def _item_lines(items: list[dict[str, Any]], m: Moment) -> list[Line]:
    return [
        Line(
            title=item["title"],
            url=_link("renovation:project_progress", "project_id", item["project_id"]),
            estate=item["estate__name"],
            when=_("计划 %(d)s 完成，逾期 %(n)s")
            % {"d": item["planned_finish"], "n": _days((m.today - item["planned_finish"]).days)},
            detail=_joined(item["project__name"], _("已完成 %(p)d%%") % {"p": item["percent"]}),
            level=OVERDUE,
            badge=_("逾期"),
        )
        for item in items
    ]


# --- votes closing soon (decisions) ---------------------------------------------------------


def _vote_rows(user: Any, m: Moment) -> QuerySet[Vote]:
    closing = Vote.objects.filter(
        status=VoteStatus.OPEN, closes_at__lte=m.now + dt.timedelta(days=m.vote_days)
    )
    return MANAGE_VOTES.scoped(user, closing).order_by("closes_at", "pk")


def _m2(hundredths: int | None) -> Decimal:
    return (Decimal(hundredths or 0) / 100).quantize(Decimal("0.01"))


def turnouts(votes: list[tuple[int, int]]) -> dict[int, Turnout]:
    """The turnout of each vote (id, matter), in one query: its electors, and those with a
    ballot, counted and their area summed as ``decisions.selectors.participation`` does; the
    quorum's shortfall is the rules engine's (``rules_engine.quorum_shortfall``)."""
    ids = [pk for pk, _matter in votes]
    if not ids:
        return {}
    voted = Q(pk__in=Ballot.objects.filter(vote__in=ids).values("elector_id"))
    sums: dict[int, dict[str, Any]] = {
        row["vote"]: dict(row)
        for row in Elector.objects.filter(vote__in=ids)
        .values("vote")
        .annotate(
            n=Count("pk"),
            a=Sum("area_hundredths"),
            vn=Count("pk", filter=voted),
            va=Sum("area_hundredths", filter=voted),
        )
        .order_by()
    }
    found = {}
    for pk, matter in votes:
        row = sums.get(pk, {})
        found[pk] = _turnout(matter, row.get("n", 0), row.get("a"), row.get("vn", 0), row.get("va"))
    return found


def _turnout(matter: int, n: int, a: int | None, vn: int, va: int | None) -> Turnout:
    total, part = Tally(_m2(a), n), Tally(_m2(va), vn)
    short = quorum_shortfall(total, part)
    return Turnout(
        owners=vn,
        total_owners=n,
        area=part.area,
        total_area=total.area,
        owners_short=short.owners,
        area_short=short.area,
        # Met when neither half of it lacks anything (the engine's ``decide`` tests the same).
        quorum_met=n > 0 and not short.owners and not short.area,
        special=consent_class(matter) == "special",
    )


def _vote_when(closes_at: dt.datetime, m: Moment) -> tuple[str, str, str]:
    if closes_at <= m.now:
        return _("已过截止时间，请结束投票"), OVERDUE, _("已截止")
    left = closes_at - m.now
    when = _("%(t)s后截止（%(at)s）") % {
        "t": _span(left),
        "at": _local(closes_at).strftime("%m-%d %H:%M"),
    }
    pressing = left <= dt.timedelta(days=VOTE_PRESSING_DAYS)
    return when, URGENT if pressing else "", _("即将截止") if pressing else _("进行中")


def _vote_scope(vote: dict[str, Any]) -> str:
    if vote["entrance__number"]:
        return _("%(b)s栋%(e)s单元") % {
            "b": vote["entrance__building__number"],
            "e": vote["entrance__number"],
        }
    if vote["building__number"]:
        return _("%(b)s栋") % {"b": vote["building__number"]}
    return str(VoteScope(vote["scope"]).label)


def _vote_lines(votes: list[dict[str, Any]], m: Moment) -> list[Line]:
    figures = turnouts([(v["pk"], v["matter"]) for v in votes])
    lines = []
    for vote in votes:
        when, level, badge = _vote_when(vote["closes_at"], m)
        lines.append(
            Line(
                title=vote["title"],
                url=_link("decisions:vote_detail", "vote_id", vote["pk"]),
                estate=vote["estate__name"],
                when=when,
                detail=_joined(_("第 %(n)d 项事项") % {"n": vote["matter"]}, _vote_scope(vote)),
                level=level,
                badge=badge,
                turnout=figures[vote["pk"]],
            )
        )
    return lines


# --- objections to a published result (decisions) ------------------------------------------


def _objection_rows(user: Any, m: Moment) -> QuerySet[Objection]:
    # Objections have no place of their own: they are scoped through their vote. There is no
    # answer to record yet (docs/daily.md), so an objection is listed while its period runs.
    votes = MANAGE_VOTES.scoped(user, Vote.objects.filter(objection_until__gt=m.now))
    return Objection.objects.filter(vote__in=votes.values("pk")).order_by(
        "vote__objection_until", "raised_at", "pk"
    )


def _objection_lines(objections: list[dict[str, Any]], m: Moment) -> list[Line]:
    lines = []
    for o in objections:
        until = o["vote__objection_until"]
        pressing = until - m.now <= dt.timedelta(days=OBJECTION_PRESSING_DAYS)
        lines.append(
            Line(
                title=_("对“%(vote)s”的异议") % {"vote": o["vote__title"]},
                url=_link("decisions:vote_result", "vote_id", o["vote_id"]) + "#objections",
                estate=o["vote__estate__name"],
                when=_("%(at)s 提出，异议期还剩 %(t)s")
                % {"at": _local(o["raised_at"]).strftime("%m-%d"), "t": _span(until - m.now)},
                detail=_short(o["text"], 60),
                level=URGENT if pressing else "",
                badge=_("待答复"),
            )
        )
    return lines


# --- opinions (needs) -----------------------------------------------------------------------


def _opinion_rows(user: Any, m: Moment) -> QuerySet[Opinion]:
    waiting = Opinion.objects.filter(
        Q(demand__isnull=True) | Q(urgent=True, demand__status=DemandStatus.COLLECTED)
    )
    return RECORD_OPINIONS.scoped(user, waiting).order_by("-urgent", "heard_on", "pk")


def _opinion_lines(opinions: list[dict[str, Any]], m: Moment) -> list[Line]:
    lines = []
    for o in opinions:
        if o["demand_id"] is not None:
            url = _link("needs:demand_detail", "demand_id", o["demand_id"])
            state = _("所在需求“%(d)s”待答复") % {"d": _short(o["demand__title"], 20)}
        else:
            url = _link("needs:opinion_list", "estate_id", o["estate_id"])
            state = _("还未归入需求")
        lines.append(
            Line(
                title=_short(o["text"]),
                url=url,
                estate=o["estate__name"],
                when=_("%(d)s 收集，已过 %(n)s")
                % {"d": o["heard_on"], "n": _days(max((m.today - o["heard_on"]).days, 0))},
                detail=_joined(_place(o), str(Channel(o["channel"]).label), state),
                level=URGENT if o["urgent"] else "",
                badge=_("紧急") if o["urgent"] else _("未归类"),
            )
        )
    return lines


# --- plans whose consultation has ended (decisions) ----------------------------------------


def _plan_rows(user: Any, m: Moment) -> QuerySet[Plan]:
    ended = Plan.objects.filter(status=PlanStatus.CONSULTATION, consultation_ends__lt=m.today)
    return MANAGE_PLANS.scoped(user, ended).order_by("consultation_ends", "pk")


def _plan_lines(plans: list[dict[str, Any]], m: Moment) -> list[Line]:
    comments = dict(
        PlanComment.objects.filter(plan__in=[p["pk"] for p in plans])
        .values("plan")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("plan", "n")
    )
    lines = []
    for plan in plans:
        ended = plan["consultation_ends"]
        n = comments.get(plan["pk"], 0)
        lines.append(
            Line(
                title=_("%(t)s（v%(v)d）") % {"t": plan["title"], "v": plan["version"]},
                url=_link("decisions:plan_detail", "plan_id", plan["pk"]),
                estate=plan["estate__name"],
                when=_("征求意见 %(d)s 截止，已过 %(n)s，方案待公布")
                % {"d": ended, "n": _days((m.today - ended).days)},
                detail=ngettext("收到 %(n)d 条居民意见", "收到 %(n)d 条居民意见", n) % {"n": n},
                level=OVERDUE,
                badge=_("待公布"),
            )
        )
    return lines


# --- minutes not published (meetings) ------------------------------------------------------


def _meeting_rows(user: Any, m: Moment) -> QuerySet[Meeting]:
    held = Meeting.objects.filter(minutes_published_at__isnull=True, held_on__lte=m.today)
    return (
        HOLD_MEETINGS.scoped(user, held)
        .annotate(todo_written=ExpressionWrapper(~Q(minutes=""), output_field=BooleanField()))
        .order_by("held_on", "pk")
    )


def _meeting_lines(meetings: list[dict[str, Any]], m: Moment) -> list[Line]:
    return [
        Line(
            title=_joined(
                str(MeetingKind(meeting["kind"]).label), str(meeting["held_on"]), meeting["place"]
            ),
            url=_link("meetings:meeting_record", "meeting_id", meeting["pk"]),
            estate=meeting["estate__name"],
            when=_("会后 %(n)s 未公布纪要") % {"n": _days((m.today - meeting["held_on"]).days)},
            detail=_("纪要已写好，待公布") if meeting["todo_written"] else _("纪要还没写"),
            badge=_("待公布"),
        )
        for meeting in meetings
    ]


# --- demands waiting for an answer (needs) -------------------------------------------------


def _demand_rows(user: Any, m: Moment) -> QuerySet[Demand]:
    # Live demands still 已收集: staff have not yet assessed or declined them, which is how a
    # demand is answered (residents read it on "我的意见"). A demand made from opinions that
    # has none left is not listed (as on the demand board).
    heard = Exists(Opinion.objects.filter(demand=OuterRef("pk")))
    waiting = (
        Demand.objects.filter(
            Q(source__in=[DemandSource.ANALYSIS, DemandSource.STAFF]) | Q(heard),
            status=DemandStatus.COLLECTED,
        )
        # Not merged into another. Read through a function so that a database without
        # statistics (SQLite) does not pick the index of ``merged_into`` — nearly every demand
        # is unmerged — over the estate's.
        .alias(todo_merged=Coalesce("merged_into", 0))
        .filter(todo_merged=0)
    )
    return MANAGE_DEMANDS.scoped(user, waiting).order_by("-urgent", "created_at", "pk")


def _demand_lines(demands: list[dict[str, Any]], m: Moment) -> list[Line]:
    counts: dict[int, dict[str, Any]] = {
        row["demand"]: dict(row)
        for row in Opinion.objects.filter(demand__in=[d["pk"] for d in demands])
        .values("demand")
        .annotate(o=Count("pk"), h=Count("dwelling", distinct=True), first=Min("heard_on"))
        .order_by()
    }
    lines = []
    for d in demands:
        row = counts.get(d["pk"], {})
        households, opinions = int(row.get("h") or 0), int(row.get("o") or 0)
        figures = (
            ngettext("%(h)d 户提出", "%(h)d 户提出", households) % {"h": households}
            + " · "
            + ngettext("%(o)d 条意见", "%(o)d 条意见", opinions) % {"o": opinions}
            if opinions
            else str(DemandSource(d["source"]).label)
        )
        # Residents have waited since the first of them asked (a demand staff added: since
        # it was added).
        first: dt.date | None = row.get("first")
        since = first or timezone.localdate(d["created_at"])
        lines.append(
            Line(
                title=d["title"],
                url=_link("needs:demand_detail", "demand_id", d["pk"]),
                estate=d["estate__name"],
                when=_("%(d)s 提出，已等 %(n)s")
                % {"d": since, "n": _days(max((m.today - since).days, 0))},
                detail=figures,
                level=URGENT if d["urgent"] else "",
                badge=_("紧急") if d["urgent"] else _("待答复"),
            )
        )
    return lines


# --- residents' correction requests (privacy) ------------------------------------------------

# Answer within 15 days (GB/T 35273-2020 §8.7); pressing from the tenth day.
CORRECTION_PRESSING_DAYS = 10


def _correction_rows(user: Any, m: Moment) -> QuerySet[CorrectionRequest]:
    waiting = CorrectionRequest.objects.filter(status=CorrectionStatus.OPEN)
    return RESOLVE_CORRECTIONS.scoped(user, waiting).order_by("created_at", "pk")


def _correction_lines(requests: list[dict[str, Any]], m: Moment) -> list[Line]:
    lines = []
    for r in requests:
        age = max((m.today - _local(r["created_at"]).date()).days, 0)
        lines.append(
            Line(
                title=_short(r["text"]),
                url=reverse("privacy:corrections"),
                estate=r["estate__name"],
                when=_("%(d)s 提出，已过 %(n)s")
                % {"d": _local(r["created_at"]).date(), "n": _days(age)},
                level=URGENT if age >= CORRECTION_PRESSING_DAYS else "",
                badge=_("待答复"),
            )
        )
    return lines


# --- the kinds, in the order the page shows them --------------------------------------------


def _url(name: str, kwarg: str, query: dict[str, str] | None = None) -> Callable[[int], str]:
    def url(pk: int) -> str:
        base = reverse(name, kwargs={kwarg: pk})
        return f"{base}?{urlencode(query)}" if query else base

    return url


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            "orders",
            gettext_lazy("逾期和升级的工单"),
            HANDLE_ORDERS,
            _order_rows,
            _order_lines,
            ("pk", "estate__name", "category__name", "text", "due_at", "escalations", "party")
            + PLACE,
            pressing=lambda m: Q(due_at__lt=m.now),
            pressing_label=gettext_lazy("逾期"),
        ),
        Kind(
            "works",
            gettext_lazy("逾期的改造条目"),
            REPORT_PROGRESS,
            _item_rows,
            _item_lines,
            ("title", "estate__name", "project_id", "project__name", "planned_finish", "percent"),
            pressing=_overdue_items_q,
            pressing_label=gettext_lazy("逾期"),
            unit="project_id",
            unit_url=_url("renovation:project_progress", "project_id"),
        ),
        Kind(
            "votes",
            gettext_lazy("即将截止的表决"),
            MANAGE_VOTES,
            _vote_rows,
            _vote_lines,
            (
                "pk",
                "title",
                "estate__name",
                "matter",
                "closes_at",
                "scope",
                "building__number",
                "entrance__number",
                "entrance__building__number",
            ),
            pressing=lambda m: Q(closes_at__lte=m.now + dt.timedelta(days=VOTE_PRESSING_DAYS)),
            pressing_label=gettext_lazy("两天内截止"),
            unit_url=_url("decisions:vote_list", "estate_id"),
        ),
        Kind(
            "objections",
            gettext_lazy("待答复的异议"),
            MANAGE_VOTES,
            _objection_rows,
            _objection_lines,
            (
                "text",
                "raised_at",
                "vote_id",
                "vote__title",
                "vote__objection_until",
                "vote__estate__name",
            ),
            pressing=lambda m: Q(
                vote__objection_until__lte=m.now + dt.timedelta(days=OBJECTION_PRESSING_DAYS)
            ),
            pressing_label=gettext_lazy("异议期将满"),
            unit="vote_id",
            estate="vote__estate_id",
            unit_url=lambda pk: (
                reverse("decisions:vote_result", kwargs={"vote_id": pk}) + "#objections"
            ),
        ),
        Kind(
            "opinions",
            gettext_lazy("紧急和未归类的意见"),
            RECORD_OPINIONS,
            _opinion_rows,
            _opinion_lines,
            (
                "text",
                "urgent",
                "heard_on",
                "channel",
                "estate_id",
                "estate__name",
                "demand_id",
                "demand__title",
            )
            + PLACE,
            pressing=lambda m: Q(urgent=True),
            unit_url=_url("needs:opinion_list", "estate_id"),
        ),
        Kind(
            "plans",
            gettext_lazy("征求意见已结束的方案"),
            MANAGE_PLANS,
            _plan_rows,
            _plan_lines,
            ("pk", "title", "version", "estate__name", "consultation_ends"),
            pressing=lambda m: Q(pk__isnull=False),
            pressing_label=gettext_lazy("待公布"),
            unit_url=_url("decisions:plan_list", "estate_id"),
        ),
        Kind(
            "meetings",
            gettext_lazy("待公布的会议纪要"),
            HOLD_MEETINGS,
            _meeting_rows,
            _meeting_lines,
            ("pk", "kind", "held_on", "place", "estate__name", "todo_written"),
            unit_url=_url("meetings:meeting_list", "estate_id"),
        ),
        Kind(
            "demands",
            gettext_lazy("待答复的需求"),
            MANAGE_DEMANDS,
            _demand_rows,
            _demand_lines,
            ("pk", "title", "urgent", "created_at", "source", "estate__name"),
            pressing=lambda m: Q(urgent=True),
            unit_url=_url("needs:demand_board", "estate_id", {"status": DemandStatus.COLLECTED}),
        ),
        Kind(
            "corrections",
            gettext_lazy("待处理的个人信息更正申请"),
            RESOLVE_CORRECTIONS,
            _correction_rows,
            _correction_lines,
            ("pk", "text", "created_at", "estate__name"),
            pressing=lambda m: Q(
                created_at__lt=m.now - dt.timedelta(days=CORRECTION_PRESSING_DAYS)
            ),
            pressing_label=gettext_lazy("已超过10天"),
        ),
    )
}


# --- reading them ---------------------------------------------------------------------------


def kinds_for(user: Any) -> list[Kind]:
    """The kinds the user can act on: those whose permission they hold somewhere."""
    return [kind for kind in KINDS.values() if kind.permission.has(user)]


def scope_estates(user: Any, permission: Permission) -> list[int] | None:
    """The ids of the estates ``permission`` reaches for the user (None: all), read once per
    request for each set of assignments that carry it (street staff: one query for every
    kind)."""
    if is_global_admin(user):
        return None
    roles: frozenset[str] = getattr(permission, "roles", frozenset())
    mine = [a for a in assignments(user) if a.role in roles]
    # The works' permissions reach estates through projects for contractors and supervisors
    # (renovation.rules); for everyone else the same assignments reach the same estates.
    by_project = isinstance(permission, ProjectPermission) and any(
        a.role in PROJECT_PARTY_ROLES for a in mine
    )
    key = (by_project, frozenset(a.pk for a in mine))
    cache: dict[Any, list[int]] = user.__dict__.setdefault("_xiaoqu_todo_estates", {})
    if key not in cache:
        estates = permission.scoped(user, Estate.objects.all())
        cache[key] = list(estates.order_by("pk").values_list("pk", flat=True))
    return cache[key]


def _windowed(kind: Kind, user: Any, m: Moment) -> QuerySet[Any]:
    """The kind's rows as the values of ``kind.fields`` with, on each, the total, the pressing
    count and the first and last value of ``kind.unit`` over all of them (window aggregates:
    one query gives both the lines and the figures).

    The rows are the permission's (``scoped()``); they are also narrowed to the ids of the
    estates it reaches, which changes nothing of the result but lets the database start from
    the estates' indexes instead of reading a province's rows to test each one's place."""
    pressing = kind.pressing(m) if kind.pressing else Q(pk__isnull=True)
    rows = kind.rows(user, m)
    estates = scope_estates(user, kind.permission)
    if estates is not None:
        rows = rows.filter(**{f"{kind.estate}__in": estates})
    return rows.annotate(
        todo_total=Window(Count("pk")),
        todo_pressing=Window(Count("pk", filter=pressing)),
        todo_unit_min=Window(Min(kind.unit)),
        todo_unit_max=Window(Max(kind.unit)),
    ).values(*kind.fields, "todo_total", "todo_pressing", "todo_unit_min", "todo_unit_max")


def group(kind: Kind, user: Any, m: Moment, *, offset: int = 0, limit: int = LINES) -> Group:
    """Lines ``offset`` to ``offset + limit`` of one kind, with the kind's totals."""
    rows: list[dict[str, Any]] = list(_windowed(kind, user, m)[offset : offset + limit])
    found = Group(kind.key, str(kind.label), 0, 0, str(kind.pressing_label))
    if not rows:
        found.total = kind.rows(user, m).count() if offset else 0
        return found
    first = rows[0]
    found.total, found.pressing = first["todo_total"], first["todo_pressing"]
    found.lines = kind.lines(rows, m)
    if found.total > len(rows):
        unit = first["todo_unit_min"]
        one = unit == first["todo_unit_max"] and kind.unit_url is not None
        found.more_url = (
            kind.unit_url(unit)  # type: ignore[misc]
            if one
            else f"{reverse('daily:todo')}?{urlencode({'kind': kind.key})}"
        )
    return found


def todo_groups(user: Any, m: Moment | None = None) -> list[Group]:
    """What needs the user, kind by kind: the kinds with pressing lines first, then the
    others in their order; kinds with nothing to do are left out."""
    m = m or Moment.current()
    groups = [g for g in (group(kind, user, m) for kind in kinds_for(user)) if g.total]
    return sorted(groups, key=lambda g: not g.urgent)
