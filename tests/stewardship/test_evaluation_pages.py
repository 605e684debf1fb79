"""The evaluation's pages: the scoring form, the estate's reports for staff (compute,
publish), one report, the street ranking, and the published reports on the residents'
谁在管理 page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
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
from xiaoqu.stewardship import evaluation_score as score
from xiaoqu.stewardship.models import Evaluation, MonthlyReport
from xiaoqu.stewardship.services import bodies
from xiaoqu.stewardship.services import evaluation as ev

pytestmark = pytest.mark.django_db

LAST = last_month()
LAST_KEY = score.month_key(LAST)
GOOD = {"cleaning": 18, "facilities": 16, "safety": 19, "response": 12, "manner": 9}
GOOD_FORM = {f"score-{k}": str(v) for k, v in {**GOOD, "disclosure": 11}.items()}  # 85


@pytest.fixture
def admin():
    return make_user("admin", password=None)


@pytest.fixture
def estate(admin):
    estate = make_estate(name="阳光新城", buildings=1, floors=1, per_floor=4)
    make_property_body(estate, admin, name="红旗物业")
    return estate


@pytest.fixture
def committee(estate):
    return make_user("owners_committee", estate=estate, password=None)


@pytest.fixture
def community(estate):
    return make_user("community_staff", region=estate.community, password=None)


@pytest.fixture
def resident(estate):
    return make_user(person=make_owner(estate.dwellings.order_by("pk").first()), password=None)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_url(estate, month: str | None = None) -> str:
    url = reverse("stewardship:evaluation_form", kwargs={"estate_id": estate.pk})
    return f"{url}?month={month}" if month else url


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def evaluate(estate, user, **changes):
    return client_for(user).post(
        form_url(estate), {"month": LAST_KEY, **GOOD_FORM, "comment": "楼道干净", **changes}
    )


# --- the form --------------------------------------------------------------------------------


def test_the_form_lists_the_criteria_with_their_full_points_for_last_month(estate, committee):
    response = client_for(committee).get(form_url(estate))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="evaluation-form"' in html and "红旗物业" in html
    assert f'<option value="{LAST_KEY}" selected>' in html
    for name in (
        "环境卫生",
        "设施设备维护",
        "秩序与安全",
        "工单响应",
        "服务态度",
        "收支与信息公开",
    ):
        assert name in html
    assert 'name="score-manner"' in html and 'max="10"' in html and 'inputmode="numeric"' in html


def test_submitting_the_form_scores_the_month_and_shows_it_for_changes(estate, committee):
    response = evaluate(estate, committee)
    assert response.status_code == 302 and response["Location"] == form_url(estate, LAST_KEY)
    assert any("已提交" in t for t in texts(response))
    evaluation = Evaluation.objects.get()
    assert (evaluation.total, evaluation.comment) == (85, "楼道干净")
    html = client_for(committee).get(form_url(estate, LAST_KEY)).content.decode()
    assert 'id="submitted"' in html and 'value="9"' in html and "修改评议" in html


def test_a_bad_score_is_refused_on_the_form_with_what_was_typed_kept(estate, committee):
    response = evaluate(estate, committee, **{"score-manner": "12"}, comment="再接再厉")
    assert response.status_code == 400
    html = response.content.decode()
    assert "“服务态度”的得分应为 0 到 10 之间的整数" in html
    assert "再接再厉" in html and 'value="12"' in html and 'value="18"' in html
    assert not Evaluation.objects.exists() and not MonthlyReport.objects.exists()
    missing = evaluate(estate, committee, **{"score-safety": ""})
    assert missing.status_code == 400 and "请为“秩序与安全”打分" in missing.content.decode()
    no_month = evaluate(estate, committee, month="下个月")
    assert no_month.status_code == 400 and "请选择评议的月份" in no_month.content.decode()


def test_a_user_who_is_not_the_evaluating_party_sees_why_and_no_form(estate, community):
    html = client_for(community).get(form_url(estate)).content.decode()
    assert 'id="not-evaluator"' in html and "业委评议" in html
    assert 'id="evaluation-form"' not in html
    response = evaluate(estate, community)
    assert response.status_code == 400 and not Evaluation.objects.exists()


def test_a_month_without_a_body_says_so(admin, committee):
    estate = make_estate(name="新接管小区")
    make_property_body(estate, admin, started_on=timezone.localdate().replace(day=1))
    user = make_user("owners_committee", estate=estate, password=None)
    html = client_for(user).get(form_url(estate, LAST_KEY)).content.decode()
    assert 'id="no-body"' in html and 'id="evaluation-form"' not in html


def test_a_published_month_is_frozen_on_the_form(estate, committee, community):
    evaluate(estate, committee)
    ev.report_publish(report=MonthlyReport.objects.get(), actor=community)
    html = client_for(committee).get(form_url(estate, LAST_KEY)).content.decode()
    assert 'id="frozen"' in html and 'id="evaluation-form"' not in html
    response = evaluate(estate, committee, **{"score-manner": "1"})
    assert response.status_code == 400
    assert Evaluation.objects.get().total == 85


def test_a_committee_member_without_a_role_finds_the_form_on_the_residents_page(admin):
    """A self-managed estate's committee member reaches the form from 谁在管理; the community
    evaluates the committee, so the member is told why they may not."""
    estate = make_estate(name="四通街8号院落", buildings=1, floors=1, per_floor=2)
    start = LAST - dt.timedelta(days=30)
    bodies.body_start(
        estate=estate,
        kind="self_committee",
        name="四通街8号院落自管会",
        started_on=start,
        elected_at=make_meeting(estate, "council", held_on=start),
        term_end=start + dt.timedelta(days=1000),
        actor=admin,
    )
    person = make_owner(estate.dwellings.first(), "李主任")
    bodies.member_add(estate=estate, person=person, role="主任", actor=admin)
    member = make_user(person=person, password=None)
    public = reverse("stewardship:estate_manager_public", kwargs={"estate_id": estate.pk})
    assert 'id="link-evaluate"' in client_for(member).get(public).content.decode()
    html = client_for(member).get(form_url(estate)).content.decode()
    assert "委员会不评议自己" in html and 'id="evaluation-form"' not in html
    staff = make_user("community_staff", region=estate.community, password=None)
    assert 'id="evaluation-form"' in client_for(staff).get(form_url(estate)).content.decode()


# --- staff: the reports ----------------------------------------------------------------------


def reports_url(estate) -> str:
    return reverse("stewardship:estate_reports", kwargs={"estate_id": estate.pk})


def test_the_management_page_links_to_the_reports(estate, community):
    url = reverse("stewardship:estate_management", kwargs={"estate_id": estate.pk})
    assert reports_url(estate) in client_for(community).get(url).content.decode()


def test_staff_list_the_reports_and_community_staff_compute_one(estate, committee, community):
    evaluate(estate, committee)
    manager = make_user("property_manager", estate=estate, password=None)
    html = client_for(manager).get(reports_url(estate)).content.decode()
    assert f'id="report-{LAST_KEY}"' in html and "85.00" in html
    assert 'id="compute-form"' not in html
    compute = reverse("stewardship:report_compute", kwargs={"estate_id": estate.pk})
    assert client_for(manager).post(compute, {"month": LAST_KEY}).status_code == 404
    assert 'id="compute-form"' in client_for(community).get(reports_url(estate)).content.decode()
    this_month = score.month_key(timezone.localdate().replace(day=1))
    response = client_for(community).post(compute, {"month": this_month})
    report = MonthlyReport.objects.get(month=timezone.localdate().replace(day=1))
    assert response["Location"] == reverse(
        "stewardship:report_detail", kwargs={"report_id": report.pk}
    )
    future = score.month_key(score.next_month(timezone.localdate().replace(day=1)))
    refused = client_for(community).post(compute, {"month": future})
    assert refused["Location"] == reports_url(estate)
    assert any("还没到的月份" in t for t in texts(refused))


def test_the_report_page_shows_the_figures_and_publishes(estate, committee, community):
    in_month = timezone.make_aware(dt.datetime.combine(LAST, dt.time(10)))
    make_work_order(
        estate,
        created_at=in_month,
        due_at=in_month + dt.timedelta(hours=8),
        resolved_at=in_month + dt.timedelta(hours=2),
        status="resolved",
    )
    evaluate(estate, committee)
    report = MonthlyReport.objects.get()
    url = reverse("stewardship:report_detail", kwargs={"report_id": report.pk})
    html = client_for(community).get(url).content.decode()
    assert 'id="fig-received">1<' in html and 'id="fig-on-time">1<' in html
    assert 'id="part-ratings"' in html and "本月无数据" in html and 'id="renormalised"' in html
    assert committee.name in html  # staff see who evaluated
    assert 'id="publish"' in html
    response = client_for(community).post(
        reverse("stewardship:report_publish", kwargs={"report_id": report.pk})
    )
    assert response["Location"] == url
    report.refresh_from_db()
    assert report.published_at is not None
    html = client_for(community).get(url).content.decode()
    assert 'id="published"' in html and 'id="publish"' not in html
    again = client_for(community).post(
        reverse("stewardship:report_publish", kwargs={"report_id": report.pk})
    )
    assert any("不能再修改" in t for t in texts(again))


def test_the_current_month_cannot_be_published_from_its_page(estate, community):
    report = make_report(estate, timezone.localdate().replace(day=1))
    url = reverse("stewardship:report_detail", kwargs={"report_id": report.pk})
    html = client_for(community).get(url).content.decode()
    assert 'id="publish"' not in html and "本月结束后才能公开" in html


# --- residents -------------------------------------------------------------------------------


def test_residents_see_only_published_reports_with_the_party_not_the_person(
    estate, committee, community, resident, admin
):
    evaluate(estate, committee)
    public = reverse("stewardship:estate_manager_public", kwargs={"estate_id": estate.pk})
    html = client_for(resident).get(public).content.decode()
    assert "还没有公开的月度管理报告" in html and f"public-report-{LAST_KEY}" not in html
    ev.report_publish(report=MonthlyReport.objects.get(), actor=community)
    earlier = make_report(estate, score.previous_month(LAST))  # computed, not published
    html = client_for(resident).get(public).content.decode()
    assert f'id="public-report-{LAST_KEY}"' in html and "85.00" in html
    assert "业委评议对“红旗物业”的评议" in html and "楼道干净" in html
    assert committee.name not in html and committee.phone not in html
    assert f"public-report-{score.month_key(earlier.month)}" not in html
    assert 'id="link-evaluate"' not in html


# --- the street ranking ----------------------------------------------------------------------


def ranking_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("stewardship:street_ranking") + (f"?{query}" if query else "")


def test_street_staff_see_their_streets_estates_ranked(estate, committee, admin):
    street = estate.community.parent
    second = make_estate(name="金桥小区")
    make_property_body(second, admin)
    evaluate(estate, committee)
    make_report(second)
    staff = make_user("street_staff", region=street, password=None)
    response = client_for(staff).get(ranking_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("阳光新城") < html.index("金桥小区")
    assert f'id="rank-{estate.pk}"' in html and "85.00" in html
    elsewhere = region_chain(("贵州省", "贵阳市", "南明区", "花果园街道", "一社区"))[3]
    assert client_for(staff).get(ranking_url(street=elsewhere.pk)).status_code == 404
    assert client_for(staff).get(ranking_url(street="abc")).status_code == 404
    earlier = client_for(staff).get(ranking_url(street=street.pk, month="2020-01"))
    assert earlier.status_code == 200 and "本月未统计" in earlier.content.decode()


def test_the_housing_bureau_picks_among_its_streets(estate, admin):
    district = estate.community.parent.parent
    other_street = region_chain(("贵州省", "贵阳市", "云岩区", "中华北路街道", "环城社区"))[3]
    bureau = make_user("housing_bureau", region=district, password=None)
    html = client_for(bureau).get(ranking_url()).content.decode()
    assert 'id="street"' in html and "中华北路街道" in html and "盐务街街道" in html
    response = client_for(bureau).get(ranking_url(street=other_street.pk))
    assert response.status_code == 200


def test_community_staff_and_estate_scoped_staff_have_no_ranking(estate, community):
    assert client_for(community).get(ranking_url()).status_code == 404
    street_staff_of_estate = make_user("street_staff", estate=estate, password=None)
    html = client_for(street_staff_of_estate).get(ranking_url()).content.decode()
    assert 'id="no-street"' in html
