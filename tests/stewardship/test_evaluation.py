"""The monthly evaluation of the managing body (业委评议) and the monthly reports
(stewardship.services.evaluation): who evaluates, the form's rules, months, the figures of
real work orders, publication and freezing, the monthly command and the street ranking."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.factories import (
    last_month,
    make_estate,
    make_meeting,
    make_owner,
    make_property_body,
    make_report,
    make_user,
    make_work_order,
    region_chain,
)
from xiaoqu.accounts.models import RoleAssignment
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.stewardship import evaluation_score as score
from xiaoqu.stewardship import evaluation_selectors as selectors
from xiaoqu.stewardship.models import (
    Evaluation,
    EvaluationCriterion,
    MonthlyReport,
    PartySeat,
    WorkOrderEvent,
)
from xiaoqu.stewardship.services import bodies
from xiaoqu.stewardship.services import evaluation as ev

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = last_month()
FULL_MARKS = {"cleaning": 20, "facilities": 20, "safety": 20, "response": 15}
GOOD = {**FULL_MARKS, "manner": 8, "disclosure": 12}  # 95 of 100


@pytest.fixture(autouse=True)
def criteria():
    ev.criteria_ensure()


@pytest.fixture
def admin():
    return make_user("admin", password=None)


@pytest.fixture
def estate():
    return make_estate(name="阳光新城", buildings=1, floors=1, per_floor=4)


@pytest.fixture
def company(estate, admin):
    return make_property_body(estate, admin, started_on=TODAY - dt.timedelta(days=400))


@pytest.fixture
def committee_user(estate):
    return make_user("owners_committee", estate=estate, password=None)


@pytest.fixture
def community(estate):
    return make_user("community_staff", region=estate.community, password=None)


@pytest.fixture
def street_staff(estate):
    return make_user("street_staff", region=estate.community.parent, password=None)


def dwellings(estate):
    return list(estate.dwellings.order_by("pk"))


def self_committee(estate, admin, started_on, *member_dwellings):
    """A 自管会 managing the estate from ``started_on`` with a member (主任) per dwelling
    given; returns the body and the members' users (no role: residents)."""
    body = bodies.body_start(
        estate=estate,
        kind="self_committee",
        name="四通街自管会",
        started_on=started_on,
        elected_at=make_meeting(estate, "council", held_on=started_on - dt.timedelta(days=3)),
        term_end=started_on + dt.timedelta(days=3 * 365),
        actor=admin,
    )
    users = []
    for i, dwelling in enumerate(member_dwellings):
        person = make_owner(dwelling, f"委员{i}")
        bodies.member_add(estate=estate, person=person, role="委员", actor=admin)
        users.append(make_user(person=person, password=None))
    return body, users


def submit(estate, actor, scores=GOOD, month=LAST_MONTH, comment="保洁到位"):
    return ev.evaluation_submit(
        estate=estate, month=month, scores=scores, comment=comment, actor=actor
    )


def nothing_written(audits_before: int) -> bool:
    return (
        not Evaluation.objects.exists()
        and not MonthlyReport.objects.exists()
        and AuditLog.objects.count() == audits_before
    )


# --- the criteria ----------------------------------------------------------------------------


def test_the_usual_criteria_make_100_points_and_are_created_once():
    assert ev.criteria_ensure() == 0
    criteria = list(EvaluationCriterion.objects.order_by("order"))
    assert [c.name for c in criteria] == [
        "环境卫生",
        "设施设备维护",
        "秩序与安全",
        "工单响应",
        "服务态度",
        "收支与信息公开",
    ]
    assert sum(c.points for c in criteria) == 100
    assert all(c.description for c in criteria)


# --- who evaluates ---------------------------------------------------------------------------


def test_the_owners_committee_scores_the_company_for_last_month(estate, company, committee_user):
    evaluation = submit(estate, committee_user)
    assert (evaluation.month, evaluation.body, evaluation.total, evaluation.full) == (
        LAST_MONTH,
        company,
        95,
        100,
    )
    assert evaluation.scores["manner"] == {"name": "服务态度", "full": 10, "score": 8, "order": 5}
    assert evaluation.evaluated_by == committee_user and evaluation.comment == "保洁到位"
    audit = AuditLog.objects.get(action="stewardship.evaluation_submit")
    assert audit.after["party"] == "owners" and audit.after["total"] == 95
    report = MonthlyReport.objects.get()
    assert report.evaluation == evaluation and report.body == company
    assert report.score == Decimal("95.00")  # no work orders: the evaluation alone


def test_the_members_of_the_current_self_committee_evaluate_the_company_before_them(
    estate, admin, company
):
    """The 自管会 took over this month: last month's body is the company, which the owners'
    side evaluates — the committee's members, who hold no role."""
    body, (member,) = self_committee(estate, admin, THIS_MONTH, dwellings(estate)[0])
    assert selectors.month_body(estate, LAST_MONTH) == company
    evaluation = submit(estate, member)
    assert evaluation.body == company
    with pytest.raises(DomainError) as refused:
        submit(estate, member, month=THIS_MONTH)
    assert refused.value.code == "not_evaluator" and "委员会不评议自己" in refused.value.message


def test_a_self_managed_estate_is_evaluated_by_the_community(estate, admin, community):
    """A committee does not score itself: when the 自管会 manages, 社区落实 evaluates; its
    members and the owners' committee role are refused."""
    start = LAST_MONTH - dt.timedelta(days=40)
    body, (member,) = self_committee(estate, admin, start, dwellings(estate)[0])
    owners_role = make_user("owners_committee", estate=estate, password=None)
    audits = AuditLog.objects.count()
    for user in (member, owners_role):
        with pytest.raises(DomainError) as refused:
            submit(estate, user)
        assert refused.value.code == "not_evaluator"
    assert nothing_written(audits)
    with pytest.raises(DomainError) as refused:
        submit(estate, owners_role)
    assert "社区落实" in refused.value.message
    evaluation = submit(estate, community)
    assert evaluation.body == body
    assert AuditLog.objects.get(action="stewardship.evaluation_submit").after["party"] == (
        "community"
    )


def test_a_community_worker_who_sits_on_the_committee_may_not_evaluate_it(estate, admin):
    start = LAST_MONTH - dt.timedelta(days=40)
    body, (member,) = self_committee(estate, admin, start, dwellings(estate)[0])
    RoleAssignment.objects.create(user=member, role="community_staff", region=estate.community)
    with pytest.raises(DomainError) as refused:
        submit(estate, member)
    assert "委员会不评议自己" in refused.value.message


def test_a_seat_without_the_role_any_more_does_not_let_one_evaluate(
    estate, company, admin, committee_user
):
    """Seated for 业委评议 while holding the role; the role taken away, the seat alone is not
    enough."""
    bodies.seat_add(estate=estate, party="owners", user=committee_user, actor=admin)
    assert submit(estate, committee_user).total == 95
    RoleAssignment.objects.filter(user=committee_user).delete()
    committee_user = type(committee_user).objects.get(pk=committee_user.pk)
    assert PartySeat.objects.filter(user=committee_user).exists()
    with pytest.raises(DomainError) as refused:
        submit(estate, committee_user)
    assert refused.value.code == "out_of_scope"


@pytest.mark.parametrize(
    "who", ["resident", "property_manager", "street_staff", "admin", "outside_committee"]
)
def test_others_may_not_evaluate_and_nothing_is_written(estate, company, admin, who):
    users = {
        "resident": lambda: make_user(person=make_owner(dwellings(estate)[1]), password=None),
        "property_manager": lambda: make_user("property_manager", estate=estate, password=None),
        "street_staff": lambda: make_user(
            "street_staff", region=estate.community.parent, password=None
        ),
        "admin": lambda: admin,
        "outside_committee": lambda: make_user(
            "owners_committee", estate=make_estate(name="别的小区"), password=None
        ),
    }
    user = users[who]()
    audits = AuditLog.objects.count()
    with pytest.raises(DomainError) as refused:
        submit(estate, user)
    assert refused.value.code in ("out_of_scope", "not_evaluator")
    assert nothing_written(audits)


# --- the form's rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "code", "words"),
    [
        ({k: v for k, v in GOOD.items() if k != "manner"}, "missing_score", "请为“服务态度”打分"),
        ({**GOOD, "manner": ""}, "missing_score", "0 到 10 分"),
        ({**GOOD, "manner": 11}, "bad_score", "“服务态度”的得分应为 0 到 10 之间的整数"),
        ({**GOOD, "manner": -1}, "bad_score", "服务态度"),
        ({**GOOD, "manner": "7.5"}, "bad_score", "整数"),
        ({**GOOD, "manner": "８"}, "bad_score", "整数"),  # a full-width digit
        ({**GOOD, "manner": True}, "bad_score", "整数"),
        ({**GOOD, "manner": 7.0}, "bad_score", "整数"),
        ({**GOOD, "speed": 5}, "unknown_criterion", "speed"),
    ],
)
def test_bad_scores_are_refused_with_a_clear_message_and_nothing_written(
    estate, company, committee_user, scores, code, words
):
    audits = AuditLog.objects.count()
    with pytest.raises(DomainError) as refused:
        submit(estate, committee_user, scores=scores)
    assert refused.value.code == code and words in refused.value.message
    assert nothing_written(audits)


def test_scores_typed_as_digits_are_accepted(estate, company, committee_user):
    evaluation = submit(estate, committee_user, scores={k: f" {v} " for k, v in GOOD.items()})
    assert evaluation.total == 95


def test_a_comment_over_2000_characters_is_refused(estate, company, committee_user):
    with pytest.raises(DomainError) as refused:
        submit(estate, committee_user, comment="好" * 2001)
    assert refused.value.code == "comment"


def test_inactive_criteria_are_not_asked_and_the_full_marks_follow(estate, company, committee_user):
    EvaluationCriterion.objects.filter(code="disclosure").update(active=False)
    scores = {k: v for k, v in GOOD.items() if k != "disclosure"}
    evaluation = submit(estate, committee_user, scores=scores)
    assert (evaluation.total, evaluation.full) == (83, 85)
    with pytest.raises(DomainError) as refused:
        submit(estate, committee_user, scores=GOOD)
    assert refused.value.code == "unknown_criterion"


# --- months ----------------------------------------------------------------------------------


def test_a_future_month_is_refused(estate, company, committee_user):
    next_month = score.next_month(THIS_MONTH)
    with pytest.raises(DomainError) as refused:
        submit(estate, committee_user, month=next_month)
    assert refused.value.code == "month_future"


def test_a_month_without_a_managing_body_is_refused(estate, committee_user, admin):
    make_property_body(estate, admin, started_on=THIS_MONTH)
    with pytest.raises(DomainError) as refused:
        submit(estate, committee_user, month=LAST_MONTH)
    assert refused.value.code == "no_body" and score.month_key(LAST_MONTH) in refused.value.message


def test_the_current_month_can_be_evaluated_and_any_day_means_its_month(
    estate, company, committee_user
):
    evaluation = submit(estate, committee_user, month=TODAY)
    assert evaluation.month == THIS_MONTH


def test_the_body_evaluated_is_the_one_managing_at_the_months_end(estate, admin):
    """A company until the 10th of last month, then another: the second one is evaluated; a
    body that ended mid-month with no successor is still that month's body."""
    first = make_property_body(estate, admin, started_on=LAST_MONTH - dt.timedelta(days=90))
    second = make_property_body(
        estate, admin, started_on=LAST_MONTH + dt.timedelta(days=9), name="新物业"
    )
    assert selectors.month_body(estate, LAST_MONTH) == second
    assert selectors.month_body(estate, score.previous_month(LAST_MONTH)) == first
    other = make_estate(name="无人接手小区")
    ended = make_property_body(other, admin, started_on=LAST_MONTH - dt.timedelta(days=90))
    bodies.body_end(estate=other, ended_on=LAST_MONTH + dt.timedelta(days=5), actor=admin)
    assert selectors.month_body(other, LAST_MONTH) == ended
    assert selectors.month_body(other, THIS_MONTH) is None


# --- resubmission and freezing ---------------------------------------------------------------


def test_a_resubmission_replaces_the_months_evaluation(estate, company, committee_user):
    colleague = make_user("owners_committee", estate=estate, password=None)
    first = submit(estate, committee_user)
    second = submit(estate, colleague, scores={**GOOD, "manner": 2}, comment="态度差")
    assert first.pk == second.pk and Evaluation.objects.count() == 1
    second.refresh_from_db()
    assert (second.total, second.evaluated_by, second.comment) == (89, colleague, "态度差")
    audits = AuditLog.objects.filter(action="stewardship.evaluation_submit").order_by("pk")
    assert [a.before for a in audits] == [
        None,
        {"body": company.pk, "total": 95, "full": 100, "by": committee_user.pk},
    ]
    assert MonthlyReport.objects.get().score == Decimal("89.00")


def test_after_publication_the_evaluation_and_report_are_frozen(
    estate, company, committee_user, community
):
    submit(estate, committee_user)
    report = ev.report_publish(report=MonthlyReport.objects.get(), actor=community)
    assert report.published_at is not None and report.published_by == community
    audits = AuditLog.objects.count()
    with pytest.raises(DomainError) as refused:
        submit(estate, committee_user, scores={**GOOD, "manner": 0})
    assert refused.value.code == "published" and "已向居民公开" in refused.value.message
    with pytest.raises(DomainError):
        ev.report_compute(estate=estate, month=LAST_MONTH)
    with pytest.raises(DomainError):
        ev.report_publish(report=report, actor=community)
    assert AuditLog.objects.count() == audits
    assert Evaluation.objects.get().total == 95


def test_publishing_is_for_community_and_street_staff_after_the_month(
    estate, company, committee_user, community, street_staff
):
    report = make_report(estate)
    for user in (committee_user, make_user("property_manager", estate=estate, password=None)):
        with pytest.raises(DomainError) as refused:
            ev.report_publish(report=report, actor=user)
        assert refused.value.code == "out_of_scope"
    current = make_report(estate, THIS_MONTH)
    with pytest.raises(DomainError) as refused:
        ev.report_publish(report=current, actor=street_staff)
    assert refused.value.code == "month_open"
    published = ev.report_publish(report=report, actor=street_staff)
    assert published.published_by == street_staff
    audit = AuditLog.objects.get(action="stewardship.report_publish")
    assert audit.after["month"] == score.month_key(LAST_MONTH) and audit.after["score"] is None


def test_publication_recomputes_the_figures_first(estate, company, community):
    report = make_report(estate)
    assert report.orders_received == 0
    in_month = timezone.make_aware(dt.datetime.combine(LAST_MONTH, dt.time(10)))
    make_work_order(estate, created_at=in_month, due_at=in_month + dt.timedelta(hours=8))
    published = ev.report_publish(report=report, actor=community)
    assert published.orders_received == 1


# --- the figures of real work orders ---------------------------------------------------------


def at(day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(LAST_MONTH, dt.time(hour))) + dt.timedelta(
        days=day - 1
    )


def event(order, kind: str, when: dt.datetime) -> None:
    WorkOrderEvent.objects.create(order=order, kind=kind, party=order.party, at=when)


def test_the_reports_figures_come_from_the_months_orders_and_events(
    estate, company, committee_user
):
    """Hand-made orders of last month (see test_evaluation_score for the definitions)."""
    on_time = make_work_order(
        estate, created_at=at(2), due_at=at(3), resolved_at=at(2, 15), status="confirmed", rating=5
    )
    event(on_time, "rated", at(2, 16))
    make_work_order(estate, created_at=at(4), due_at=at(5), resolved_at=at(6), status="resolved")
    escalated = make_work_order(
        estate,
        created_at=at(7),
        due_at=at(12),
        resolved_at=at(10),
        status="resolved",
        party="community",
    )
    event(escalated, "escalated", at(8))
    reopened = make_work_order(estate, created_at=at(1), due_at=at(9), status="reopened")
    event(reopened, "reopen", at(6))
    make_work_order(estate, created_at=at(1) - dt.timedelta(days=40), due_at=at(1))  # old, open
    make_work_order(make_estate(name="隔壁小区"), created_at=at(3), due_at=at(4))  # elsewhere
    submit(estate, committee_user)
    report = MonthlyReport.objects.get(estate=estate)
    figures = (
        report.orders_received,
        report.orders_closed,
        report.orders_on_time,
        report.orders_overdue,
        report.orders_escalated,
        report.orders_reopened,
        report.ratings,
        report.rating_average,
    )
    assert figures == (4, 3, 1, 2, 1, 1, 1, Decimal("5.00"))
    # 60×0.95 + 20×(1/3) + 10×(1 − 1/4) + 10×(5/5) = 57 + 6.667 + 7.5 + 10 = 81.17
    assert report.score == Decimal("81.17")
    assert selectors.report_composite(report).renormalised is False


def test_a_report_is_recomputed_until_it_is_published(estate, company):
    report = make_report(estate)
    assert (report.orders_received, report.score) == (0, None)
    make_work_order(
        estate, created_at=at(3), due_at=at(4), resolved_at=at(3, 15), status="resolved"
    )
    again = ev.report_compute(estate=estate, month=LAST_MONTH)
    assert again.pk == report.pk and MonthlyReport.objects.count() == 1
    assert (again.orders_received, again.orders_closed, again.orders_on_time) == (1, 1, 1)
    assert again.score == Decimal("100.00")  # on time and not reopened, renormalised


def test_an_evaluation_of_another_body_does_not_count_in_the_report(
    estate, admin, company, committee_user
):
    """A body registered afterwards as starting in that month takes the month over: the
    report leaves the old evaluation out until the month is evaluated again."""
    submit(estate, committee_user)
    make_property_body(estate, admin, started_on=LAST_MONTH + dt.timedelta(days=9), name="新物业")
    report = ev.report_compute(estate=estate, month=LAST_MONTH)
    assert report.evaluation is None and report.body.name == "新物业"


# --- the monthly command ---------------------------------------------------------------------


def test_the_monthly_command_computes_every_managed_estate_and_leaves_published_ones(
    estate, company, admin, community
):
    other = make_estate(name="第二小区")
    make_property_body(other, admin, started_on=TODAY - dt.timedelta(days=100))
    make_estate(name="无人管理小区")
    published = make_report(other)
    ev.report_publish(report=published, actor=make_user("admin", password=None))
    out = io.StringIO()
    call_command("reports", "month", stdout=out)
    assert json.loads(out.getvalue()) == {
        "month": score.month_key(LAST_MONTH),
        "computed": 1,
        "published": 1,
    }
    assert MonthlyReport.objects.filter(estate=estate, month=LAST_MONTH).exists()
    out = io.StringIO()
    call_command("reports", "month", "--month", score.month_key(THIS_MONTH), stdout=out)
    assert json.loads(out.getvalue())["computed"] == 2


def test_the_monthly_command_refuses_a_bad_or_future_month():
    for bad in ("2026-13", "November", score.month_key(score.next_month(THIS_MONTH))):
        with pytest.raises(CommandError) as refused:
            call_command("reports", "month", "--month", bad)
        assert refused.value.returncode == 2


def test_the_criteria_command_creates_the_missing_ones():
    EvaluationCriterion.objects.filter(code="manner").delete()
    out = io.StringIO()
    call_command("reports", "criteria", stdout=out)
    assert json.loads(out.getvalue()) == {"created": 1}


# --- the street's ranking --------------------------------------------------------------------


def test_the_street_ranks_its_estates_by_score_with_ties_and_unscored_last(admin):
    street = region_chain()[3]
    other_community = region_chain(("贵州省", "贵阳市", "云岩区", "盐务街街道", "东山社区"))[-1]
    estates = [
        make_estate(name="甲小区"),
        make_estate(other_community, name="乙小区"),
        make_estate(name="丙小区"),
        make_estate(name="丁小区"),
        make_estate(name="戊小区"),
    ]
    make_estate(region_chain(("贵州省", "贵阳市", "南明区", "花果园街道", "一社区"))[-1])
    scores = {"甲小区": 80, "乙小区": 90, "丙小区": 80, "丁小区": None}
    for e in estates[:4]:
        make_property_body(e, admin)
        user = make_user("owners_committee", estate=e, password=None)
        total = scores[e.name]
        if total is not None:
            submit(e, user, scores={**FULL_MARKS, "manner": 0, "disclosure": total - 75})
        else:
            make_report(e)
    rows = selectors.ranking(street, LAST_MONTH)
    assert [(r.estate.name, r.rank) for r in rows] == [
        ("乙小区", 1),
        ("丙小区", 2),  # a tie: by name
        ("甲小区", 2),
        ("丁小区", None),
        ("戊小区", None),
    ]
    assert rows[0].report.score == Decimal("90.00") and rows[4].report is None
