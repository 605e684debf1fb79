"""Writes of the monthly evaluation of the managing body (业委评议) and the monthly reports
(docs/stewardship.md).

* :func:`criteria_ensure` creates the usual criteria of the form (an administrator edits
  them in the admin).
* :func:`evaluation_submit`: the evaluating party scores the body that managed the estate in
  a month, criterion by criterion. The body is the one managing on the month's last day (for
  the current month, today; if none then, the last one of the month). The evaluating party is
  **业委评议** — a user holding the owners' committee role at the estate, seated for 业委评议,
  or a member of the estate's current 自管会 or 业委会 — except when the body evaluated is
  itself a 自管会 or 业委会 (a self-managed estate): a committee does not score itself, so
  **社区落实** evaluates it (community staff of the estate, or seated for it), and a member of
  that committee may not, whatever other role they hold. The month is the current one or a
  past one in which a body managed the estate. One evaluation per estate and month: a second
  submission (by any user of the evaluating party) replaces the first until the month's report
  is published; then it is frozen.
* :func:`report_compute` stores the month's report — the work-order figures and the
  composite score of ``stewardship.evaluation_score`` — and recomputes it on every call until
  it is published; :func:`report_publish` freezes it and shows it to residents (community and
  street staff, for a month that is over). ``xiaoqu reports month`` computes last month's
  reports of every managed estate.

Each write checks its permission, locks the estate's row (so a submission and a publication
cannot cross), writes in one transaction and records an audit row; computing a report is
derived data and writes none (like the escalation sweep). Bad input raises a
:class:`DomainError` before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Actor
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.registry.models import Estate
from xiaoqu.stewardship import evaluation_score as score
from xiaoqu.stewardship import evaluation_selectors as selectors
from xiaoqu.stewardship.evaluation_selectors import evaluating_party
from xiaoqu.stewardship.models import (
    Evaluation,
    EvaluationCriterion,
    ManagementBody,
    MonthlyReport,
    Party,
    PartySeat,
)
from xiaoqu.stewardship.rules import EVALUATE, PUBLISH_REPORTS
from xiaoqu.stewardship.services.bodies import (
    COMMITTEE_KINDS,
    PARTY_ROLE,
    committee_member_user,
    holds_role_at,
)

COMMENT_MAX = 2000

# The usual criteria: code, name, full points, what they cover (100 points in all).
USUAL_CRITERIA: tuple[tuple[str, str, int, str], ...] = (
    (
        "cleaning",
        "环境卫生",
        20,
        "楼道、院落和绿地的清扫保洁，垃圾分类和及时清运，无乱堆乱放、小广告",
    ),
    (
        "facilities",
        "设施设备维护",
        20,
        "电梯、供水供电、照明、消防、门禁等共用设施设备的巡查、保养和维修",
    ),
    (
        "safety",
        "秩序与安全",
        20,
        "门岗值守和巡逻，车辆停放有序，消防通道畅通，安全隐患及时排查",
    ),
    (
        "response",
        "工单响应",
        15,
        "居民报修、投诉的受理和处理是否及时、结果是否满意，有无回访",
    ),
    ("manner", "服务态度", 10, "工作人员文明礼貌、耐心沟通，便民服务"),
    (
        "disclosure",
        "收支与信息公开",
        15,
        "物业费和公共收益的收支公开，服务标准、收费标准、联系方式和重大事项公示",
    ),
)


def criteria_ensure() -> int:
    """Create the usual criteria that are missing (by code); how many were created."""
    have = set(EvaluationCriterion.objects.values_list("code", flat=True))
    missing = [
        EvaluationCriterion(code=code, name=name, points=points, description=text, order=i)
        for i, (code, name, points, text) in enumerate(USUAL_CRITERIA, start=1)
        if code not in have
    ]
    EvaluationCriterion.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


# --- who evaluates --------------------------------------------------------------------------


def _member_of(user: Any, body: ManagementBody) -> bool:
    person_id = getattr(user, "person_id", None)
    return bool(
        person_id
        and body.kind in COMMITTEE_KINDS
        and body.members.filter(person_id=person_id).exists()
    )


def may_evaluate(user: Any, estate: Estate, body: ManagementBody) -> bool:
    """Whether the user acts for the party that evaluates ``body`` in this estate."""
    if not EVALUATE.has(user, estate) or _member_of(user, body):
        return False
    party = evaluating_party(body)
    if PartySeat.objects.filter(estate=estate, party=party, user=user).exists():
        return True
    if holds_role_at(user, PARTY_ROLE[party], estate):
        return True
    return party == Party.OWNERS and committee_member_user(user, estate)


def refusal(user: Any, estate: Estate, body: ManagementBody) -> str:
    """Why the user may not evaluate ``body`` (for the form and the service)."""
    if _member_of(user, body):
        return _("您是被评议的“%(body)s”的成员，委员会不评议自己。") % {"body": body.name}
    return _("这个月由“%(party)s”评议“%(body)s”，您不能提交。") % {
        "party": Party(evaluating_party(body)).label,
        "body": body.name,
    }


# --- months --------------------------------------------------------------------------------


def _month(month: dt.date) -> dt.date:
    month = score.first_day(month)
    if month > selectors.this_month():
        raise DomainError(_("不能评议或统计还没到的月份。"), code="month_future")
    return month


def _body(estate: Estate, month: dt.date) -> ManagementBody:
    body = selectors.month_body(estate, month)
    if body is None:
        raise DomainError(
            _("%(month)s 本小区没有管理主体，没有可评议的对象。")
            % {"month": score.month_key(month)},
            code="no_body",
        )
    return body


def _lock(estate: Estate) -> None:
    Estate.objects.select_for_update().filter(pk=estate.pk).first()


def _frozen(report: MonthlyReport | None) -> None:
    if report is not None and report.published_at is not None:
        raise DomainError(
            _("%(month)s 的管理报告已向居民公开，不能再修改。")
            % {"month": score.month_key(report.month)},
            code="published",
        )


# --- the evaluation ------------------------------------------------------------------------


def _points(value: Any) -> int | None:
    """A score as typed (an integer, or its digits); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    return None


def _check_scores(
    criteria: list[EvaluationCriterion], scores: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    known = {c.code for c in criteria}
    unknown = sorted(set(scores) - known)
    if unknown:
        raise DomainError(
            _("评分表中没有这些项目：%(codes)s。") % {"codes": "、".join(unknown)},
            code="unknown_criterion",
        )
    lines: dict[str, dict[str, Any]] = {}
    for i, criterion in enumerate(criteria, start=1):
        raw = scores.get(criterion.code)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise DomainError(
                _("请为“%(name)s”打分（0 到 %(full)s 分）。")
                % {"name": criterion.name, "full": criterion.points},
                code="missing_score",
            )
        points = _points(raw)
        if points is None or not 0 <= points <= criterion.points:
            raise DomainError(
                _("“%(name)s”的得分应为 0 到 %(full)s 之间的整数。")
                % {"name": criterion.name, "full": criterion.points},
                code="bad_score",
            )
        lines[criterion.code] = {
            "name": criterion.name,
            "full": criterion.points,
            "score": points,
            "order": i,
        }
    return lines


def evaluation_submit(
    *,
    estate: Estate,
    month: dt.date,
    scores: Mapping[str, Any],
    comment: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Evaluation:
    """The month's evaluation of the body that managed the estate, by the evaluating party;
    replaces an earlier one of the month until the report is published. ``scores`` maps each
    active criterion's code to its points (an integer 0..full, or its digits)."""
    EVALUATE.require(actor, estate)
    month = _month(month)
    body = _body(estate, month)
    if not may_evaluate(actor, estate, body):
        raise DomainError(refusal(actor, estate, body), code="not_evaluator")
    criteria = selectors.active_criteria()
    if not criteria:
        raise DomainError(_("还没有设置评议项目，请联系系统管理员。"), code="no_criteria")
    lines = _check_scores(criteria, scores)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError(_("评议意见太长了，最多 2000 字。"), code="comment")
    total = sum(line["score"] for line in lines.values())
    full = sum(line["full"] for line in lines.values())
    now = now or timezone.now()
    with transaction.atomic():
        _lock(estate)
        _frozen(MonthlyReport.objects.filter(estate=estate, month=month).first())
        evaluation = Evaluation.objects.filter(estate=estate, month=month).first()
        before = None
        if evaluation is not None:
            before = {
                "body": evaluation.body_id,
                "total": evaluation.total,
                "full": evaluation.full,
                "by": evaluation.evaluated_by_id,
            }
        else:
            evaluation = Evaluation(estate=estate, month=month)
        evaluation.body = body
        evaluation.scores = lines
        evaluation.total, evaluation.full = total, full
        evaluation.comment = comment
        evaluation.evaluated_by = actor
        evaluation.at = now
        evaluation.save()
        audit_record(
            actor=actor,
            action="stewardship.evaluation_submit",
            obj=evaluation,
            before=before,
            after={
                "estate": estate.pk,
                "month": score.month_key(month),
                "body": body.pk,
                "party": evaluating_party(body),
                "scores": {code: line["score"] for code, line in lines.items()},
                "total": total,
                "full": full,
            },
        )
        report_compute(estate=estate, month=month, now=now)
    return evaluation


# --- the monthly report --------------------------------------------------------------------


def report_compute(
    *, estate: Estate, month: dt.date, now: dt.datetime | None = None
) -> MonthlyReport:
    """Store the month's report of the estate, or recompute it (until it is published): the
    work-order figures, the month's evaluation of the same body, the composite score."""
    month = _month(month)
    body = _body(estate, month)
    now = now or timezone.now()
    with transaction.atomic():
        _lock(estate)
        report = MonthlyReport.objects.filter(estate=estate, month=month).first()
        _frozen(report)
        figures = selectors.month_figures(estate, month)
        evaluation = Evaluation.objects.filter(estate=estate, month=month, body=body).first()
        result = score.composite(
            evaluation_total=evaluation.total if evaluation else None,
            evaluation_full=evaluation.full if evaluation else None,
            closed=figures.closed,
            on_time=figures.on_time,
            reopened=figures.reopened,
            ratings=figures.ratings,
            rating_average=figures.rating_average,
        )
        if report is None:
            report = MonthlyReport(estate=estate, month=month)
        report.body = body
        report.evaluation = evaluation
        report.orders_received = figures.received
        report.orders_closed = figures.closed
        report.orders_on_time = figures.on_time
        report.orders_overdue = figures.overdue
        report.orders_escalated = figures.escalated
        report.orders_reopened = figures.reopened
        report.ratings = figures.ratings
        report.rating_average = figures.rating_average
        report.score = result.score
        report.computed_at = now
        report.save()
    return report


def report_publish(
    *, report: MonthlyReport, actor: Actor, now: dt.datetime | None = None
) -> MonthlyReport:
    """Recompute the report one last time and publish it to the estate's residents; from then
    on it and the month's evaluation are frozen. Only for a month that is over."""
    PUBLISH_REPORTS.require(actor, report)
    if report.month >= selectors.this_month():
        raise DomainError(_("这个月还没有结束，月底之后才能公开报告。"), code="month_open")
    now = now or timezone.now()
    with transaction.atomic():
        _lock(report.estate)
        current = MonthlyReport.objects.select_for_update().get(pk=report.pk)
        _frozen(current)
        current = report_compute(estate=current.estate, month=current.month, now=now)
        current.published_at = now
        current.published_by = actor
        current.save(update_fields=["published_at", "published_by"])
        audit_record(
            actor=actor,
            action="stewardship.report_publish",
            obj=current,
            after={
                "estate": current.estate_id,
                "month": score.month_key(current.month),
                "body": current.body_id,
                "evaluation": current.evaluation_id,
                "score": None if current.score is None else str(current.score),
                "received": current.orders_received,
                "closed": current.orders_closed,
                "on_time": current.orders_on_time,
                "reopened": current.orders_reopened,
                "ratings": current.ratings,
            },
        )
    return current


def reports_compute_month(*, month: dt.date) -> dict[str, Any]:
    """Compute (or recompute) the month's report of every estate some body managed in it;
    published reports are left as they are. For ``xiaoqu reports month``."""
    month = _month(month)
    computed = published = 0
    done_ids = set(
        MonthlyReport.objects.filter(month=month, published_at__isnull=False).values_list(
            "estate_id", flat=True
        )
    )
    for estate in list(selectors.estates_managed_in(month)):
        if estate.pk in done_ids:
            published += 1
            continue
        report_compute(estate=estate, month=month)
        computed += 1
    return {"month": score.month_key(month), "computed": computed, "published": published}
