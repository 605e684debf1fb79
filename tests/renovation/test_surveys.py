"""The satisfaction survey: opened per estate after a passed acceptance, one answer per
dwelling (online by its resident or on paper by staff; the database decides under races),
closed and published with exact counts, response rate and satisfied share; the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    make_estate,
    make_owner,
    make_passed_acceptance,
    make_project_in_acceptance,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.registry.models import Residency
from xiaoqu.renovation.models import Survey, SurveyAnswer, SurveyResponse, SurveyStatus
from xiaoqu.renovation.services import surveys

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1], password=None)


@pytest.fixture
def estate():
    return make_estate(name="金仓小区", floors=3, per_floor=2)


@pytest.fixture
def project(estate, staff):
    project = make_project_in_acceptance(estate, staff)
    make_passed_acceptance(project, staff)
    return project


@pytest.fixture
def survey(project, estate, staff):
    today = timezone.localdate()
    return surveys.survey_open(
        project=project,
        estate=estate,
        opens_on=today,
        closes_on=today + dt.timedelta(days=14),
        actor=staff,
    )


@pytest.fixture
def homes(estate):
    """Each dwelling of the estate with a user who owns it."""
    return [
        (d, make_user(person=make_owner(d, f"业主{i}"), password=None))
        for i, d in enumerate(estate.dwellings.order_by("pk"))
    ]


def _items(survey):
    return {i.title: i.pk for i in surveys.survey_items(survey)}


def _answer(survey, dwelling, user, overall="satisfied", **kwargs):
    return surveys.survey_answer(
        survey=survey, dwelling=dwelling, overall=overall, actor=user, **kwargs
    )


# --- opening ---------------------------------------------------------------------------------


def test_the_survey_counts_the_estates_dwellings_and_asks_about_the_accepted_items(survey):
    assert survey.households == 6 and survey.status == SurveyStatus.OPEN
    assert list(_items(survey)) == ["雨污分流管网改造", "人行道铺设透水砖"]
    assert AuditLog.objects.filter(action="renovation.survey_open").count() == 1


def test_no_survey_before_the_acceptance_passed(estate, staff):
    project = make_project_in_acceptance(estate, staff)
    today = timezone.localdate()
    with pytest.raises(DomainError) as refused:
        surveys.survey_open(
            project=project, estate=estate, opens_on=today, closes_on=today, actor=staff
        )
    assert refused.value.code == "not_accepted"
    assert not Survey.objects.exists()


def test_opening_refuses_bad_dates_other_estates_and_a_second_survey(project, estate, staff):
    today = timezone.localdate()
    cases = [
        (estate, today, today - dt.timedelta(days=1), "dates"),
        (estate, today - dt.timedelta(days=10), today - dt.timedelta(days=1), "dates"),
        (estate, today, today + dt.timedelta(days=91), "dates"),
        (make_estate(), today, today, "estate"),
    ]
    for where, opens, closes, code in cases:
        with pytest.raises(DomainError) as refused:
            surveys.survey_open(
                project=project, estate=where, opens_on=opens, closes_on=closes, actor=staff
            )
        assert refused.value.code == code
    assert not Survey.objects.exists()
    surveys.survey_open(
        project=project, estate=estate, opens_on=today, closes_on=today, actor=staff
    )
    with pytest.raises(DomainError) as twice:
        surveys.survey_open(
            project=project, estate=estate, opens_on=today, closes_on=today, actor=staff
        )
    assert twice.value.code == "duplicate"
    assert Survey.objects.count() == 1


def test_only_those_who_manage_projects_open_it(project, estate):
    today = timezone.localdate()
    for role in (Role.GRID_WORKER, Role.HOUSING_BUREAU):
        user = make_user(role, estate=estate, password=None)
        with pytest.raises(DomainError):
            surveys.survey_open(
                project=project, estate=estate, opens_on=today, closes_on=today, actor=user
            )
    assert not Survey.objects.exists()


# --- answers ---------------------------------------------------------------------------------


def test_a_resident_answers_for_their_dwelling_once(survey, homes):
    (home, owner), *_rest = homes
    items = _items(survey)
    ratings = {items["雨污分流管网改造"]: "satisfied", items["人行道铺设透水砖"]: ""}
    response = _answer(survey, home, owner, "basic", ratings=ratings, comment="挺好")
    assert (response.overall, response.paper, response.entered_by) == ("basic", False, owner)
    assert list(response.answers.values_list("rating", flat=True)) == ["satisfied"]
    family = make_user(password=None, person=make_owner(homes[1][0], "家人"))
    Residency.objects.create(person=family.person, dwelling=home, relation="family")
    for user in (owner, family):
        with pytest.raises(DomainError) as again:
            _answer(survey, home, user, "unsatisfied")
        assert again.value.code == "already"
    assert SurveyResponse.objects.get().overall == "basic"
    assert SurveyAnswer.objects.count() == 1


def test_not_for_someone_elses_dwelling_nor_staff(survey, homes, staff):
    (home, owner), (other, _neighbour) = homes[0], homes[1]
    for dwelling, user in ((other, owner), (home, staff)):
        with pytest.raises(DomainError) as refused:
            _answer(survey, dwelling, user)
        assert refused.value.code == "out_of_scope"
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    ("overall", "ratings", "comment", "code"),
    [
        ("great", {}, "", "overall"),
        ("", {}, "", "overall"),
        ("satisfied", {"sewer": "great"}, "", "rating"),
        ("satisfied", {"elevator": "satisfied"}, "", "item"),
        ("satisfied", {}, "好" * 1001, "comment"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(
    survey, project, homes, overall, ratings, comment, code
):
    (home, owner), *_rest = homes
    ids = {
        "sewer": _items(survey)["雨污分流管网改造"],
        "elevator": project.items.get(title="加装电梯").pk,
    }
    chosen = {ids[key]: value for key, value in ratings.items()}
    with pytest.raises(DomainError) as refused:
        _answer(survey, home, owner, overall, ratings=chosen, comment=comment)
    assert refused.value.code == code
    assert not SurveyResponse.objects.exists() and not SurveyAnswer.objects.exists()


def test_online_answers_only_between_the_dates_and_while_open(survey, homes, staff):
    (home, owner), *_rest = homes
    before = timezone.now() - dt.timedelta(days=1)
    after = timezone.now() + dt.timedelta(days=15)
    for now in (before, after):
        with pytest.raises(DomainError) as refused:
            _answer(survey, home, owner, now=now)
        assert refused.value.code == "not_open"
    surveys.survey_close(survey=survey, actor=staff)
    survey.refresh_from_db()
    with pytest.raises(DomainError):
        _answer(survey, home, owner)
    with pytest.raises(DomainError):
        surveys.survey_paper_entry(survey=survey, dwelling=home, overall="basic", actor=staff)
    assert not SurveyResponse.objects.exists()


def test_staff_enter_paper_forms_once_per_dwelling_too(survey, homes, staff, estate):
    (home, owner), *_rest = homes
    response = surveys.survey_paper_entry(
        survey=survey, dwelling=home, overall="unsatisfied", actor=staff
    )
    assert response.paper and response.entered_by == staff
    with pytest.raises(DomainError) as online:
        _answer(survey, home, owner)
    assert online.value.code == "already"
    contractor = make_user(Role.CONTRACTOR, estate=estate, password=None)
    with pytest.raises(DomainError) as refused:
        surveys.survey_paper_entry(
            survey=survey, dwelling=homes[1][0], overall="basic", actor=contractor
        )
    assert refused.value.code == "out_of_scope"
    assert SurveyResponse.objects.count() == 1


# --- results ---------------------------------------------------------------------------------


def test_results_are_exact_counts_rates_and_shares(survey, homes, staff):
    items = _items(survey)
    sewer, sidewalk = items["雨污分流管网改造"], items["人行道铺设透水砖"]
    plan = [
        ("satisfied", {sewer: "satisfied", sidewalk: "basic"}),
        ("satisfied", {sewer: "satisfied"}),
        ("basic", {sewer: "unsatisfied", sidewalk: "satisfied"}),
        ("unsatisfied", {sewer: "unsatisfied", sidewalk: "unsatisfied"}),
    ]
    for (home, owner), (overall, ratings) in zip(homes, plan, strict=False):
        _answer(survey, home, owner, overall, ratings=ratings)
    surveys.survey_paper_entry(
        survey=survey, dwelling=homes[4][0], overall="satisfied", actor=staff
    )
    results = surveys.survey_results(survey)
    assert (results.households, results.responses, results.paper) == (6, 5, 1)
    assert results.rate == Decimal("83.3")  # 5 / 6
    assert results.overall.counts == {"satisfied": 3, "basic": 1, "unsatisfied": 1}
    assert results.share == Decimal("80.0")  # (3 + 1) / 5
    by_title = {t.label: t for t in results.items}
    assert by_title["雨污分流管网改造"].counts == {"satisfied": 2, "basic": 0, "unsatisfied": 2}
    assert by_title["雨污分流管网改造"].share == Decimal("50.0")
    assert by_title["人行道铺设透水砖"].counts == {"satisfied": 1, "basic": 1, "unsatisfied": 1}
    assert by_title["人行道铺设透水砖"].share == Decimal("66.7")  # 2 / 3, half up
    assert [row[1:] for row in results.overall.rows] == [
        (3, Decimal("60.0")),
        (1, Decimal("20.0")),
        (1, Decimal("20.0")),
    ]


def test_an_empty_survey_has_no_share_rather_than_zero(survey):
    results = surveys.survey_results(survey)
    assert results.rate == Decimal("0.0") and results.share is None


def test_percent_rounds_half_up():
    assert surveys.percent(1, 8) == Decimal("12.5")
    assert surveys.percent(1, 16) == Decimal("6.3")  # 6.25
    assert surveys.percent(2, 3) == Decimal("66.7")
    assert surveys.percent(0, 0) is None


def test_published_only_after_closing_and_then_on_the_estate(survey, homes, staff, estate):
    (home, owner), *_rest = homes
    _answer(survey, home, owner, "basic")
    with pytest.raises(DomainError) as early:
        surveys.survey_publish(survey=survey, actor=staff)
    assert early.value.code == "not_closed"
    assert surveys.estate_satisfaction(estate) is None
    surveys.survey_close(survey=survey, actor=staff)
    with pytest.raises(DomainError):
        surveys.survey_close(survey=survey, actor=staff)
    surveys.survey_publish(survey=survey, actor=staff)
    with pytest.raises(DomainError) as twice:
        surveys.survey_publish(survey=survey, actor=staff)
    assert twice.value.code == "published"
    shown = surveys.estate_satisfaction(estate)
    assert shown is not None and shown.share == Decimal("100.0") and shown.responses == 1


# --- pages -----------------------------------------------------------------------------------


def test_the_resident_answers_on_the_phone_page(client, survey, homes):
    (home, owner), *_rest = homes
    client.force_login(owner)
    url = reverse("renovation:survey_answer", kwargs={"survey_id": survey.pk})
    page = client.get(url).content.decode()
    assert 'id="survey-form"' in page and "人行道铺设透水砖" in page
    missing = client.post(url, {"dwelling": home.pk}, follow=True)
    assert "请选择总体评价" in missing.content.decode()
    assert not SurveyResponse.objects.exists()
    sewer = _items(survey)["雨污分流管网改造"]
    done = client.post(
        url, {"dwelling": home.pk, "overall": "satisfied", f"item-{sewer}": "basic"}, follow=True
    )
    body = done.content.decode()
    assert "感谢您参加满意度调查" in body and 'id="answered"' in body
    assert 'id="survey-form"' not in body
    assert SurveyResponse.objects.get().answers.get().rating == "basic"
    forged = client.post(url, {"dwelling": homes[1][0].pk, "overall": "unsatisfied"}, follow=True)
    assert "请选择房屋" in forged.content.decode()
    assert SurveyResponse.objects.count() == 1


def test_staff_enter_a_paper_form_found_by_room(client, survey, homes, staff):
    client.force_login(staff)
    url = reverse("renovation:survey_paper", kwargs={"survey_id": survey.pk})
    home = homes[0][0]
    found = client.get(url, {"q": f"{home.building.number}-{home.entrance.number}-{home.number}"})
    assert home.label in found.content.decode()
    client.post(url, {"dwelling": home.pk, "overall": "basic"})
    response = SurveyResponse.objects.get()
    assert response.paper and response.dwelling == home
    again = client.post(url, {"dwelling": home.pk, "overall": "satisfied"}, follow=True)
    assert "每户只能答一次" in again.content.decode()
    assert SurveyResponse.objects.get().overall == "basic"


def test_the_staff_tab_opens_closes_and_publishes(client, project, estate, homes, staff):
    client.force_login(staff)
    tab = reverse("renovation:project_surveys", kwargs={"project_id": project.pk})
    assert 'class="survey-open-form"' in client.get(tab).content.decode()
    open_url = reverse("renovation:survey_open", kwargs={"project_id": project.pk})
    today = timezone.localdate()
    bad = client.post(
        open_url,
        {"estate": estate.pk, "opens_on": today.isoformat(), "closes_on": "x"},
        follow=True,
    )
    assert "请填写正确的截止日期" in bad.content.decode()
    assert not Survey.objects.exists()
    client.post(
        open_url,
        {
            "estate": estate.pk,
            "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=7)).isoformat(),
        },
    )
    survey = Survey.objects.get()
    _answer(survey, *homes[0], "satisfied")
    client.post(reverse("renovation:survey_close", kwargs={"survey_id": survey.pk}))
    client.post(reverse("renovation:survey_publish", kwargs={"survey_id": survey.pk}))
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CLOSED and survey.published_at is not None
    body = client.get(tab).content.decode()
    assert 'id="share">100.0%' in body and "1 / 6" in body


def test_published_results_reach_residents_the_estate_page_and_the_project_page(
    client, survey, project, homes, staff, estate
):
    (home, owner), *_rest = homes
    _answer(survey, home, owner, "basic")
    results_url = reverse("renovation:survey_results", kwargs={"survey_id": survey.pk})
    estate_url = reverse("registry:estate_detail", kwargs={"estate_id": estate.pk})
    public_url = reverse("renovation:project_public", kwargs={"project_id": project.pk})
    client.force_login(owner)
    assert 'id="not-published"' in client.get(results_url).content.decode()
    invite = reverse("renovation:survey_answer", kwargs={"survey_id": survey.pk})
    public = client.get(public_url).content.decode()
    assert invite not in public and "您家已参加" in public
    client.force_login(staff)
    assert 'id="satisfaction"' not in client.get(estate_url).content.decode()
    surveys.survey_close(survey=survey, actor=staff)
    surveys.survey_publish(survey=survey, actor=staff)
    estate_page = client.get(estate_url).content.decode()
    assert 'id="satisfaction-share">100.0%' in estate_page and "1 / 6" in estate_page
    client.force_login(owner)
    assert 'id="share">100.0%' in client.get(results_url).content.decode()
    assert "满意和基本满意 100.0%" in client.get(public_url).content.decode()


def test_the_project_page_invites_residents_to_an_open_survey(client, survey, project, homes):
    client.force_login(homes[1][1])
    body = client.get(
        reverse("renovation:project_public", kwargs={"project_id": project.pk})
    ).content.decode()
    assert reverse("renovation:survey_answer", kwargs={"survey_id": survey.pk}) in body


# --- races -------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_leave_one_per_dwelling():
    """On PostgreSQL, 48 attempts (online and paper) for 12 dwellings leave 12 responses."""
    import random
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    staff = make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1], password=None)
    estate = make_estate(name="并发小区", floors=6, per_floor=2)
    project = make_project_in_acceptance(estate, staff)
    make_passed_acceptance(project, staff)
    today = timezone.localdate()
    survey = surveys.survey_open(
        project=project, estate=estate, opens_on=today, closes_on=today, actor=staff
    )
    owners = {
        d.pk: (d, make_user(person=make_owner(d), password=None)) for d in estate.dwellings.all()
    }
    attempts = [(pk, paper) for pk in owners for paper in (False, True, False, True)]
    random.Random(7).shuffle(attempts)

    def attempt(args):
        pk, paper = args
        dwelling, owner = owners[pk]
        try:
            if paper:
                surveys.survey_paper_entry(
                    survey=survey, dwelling=dwelling, overall="basic", actor=staff
                )
            else:
                surveys.survey_answer(
                    survey=survey, dwelling=dwelling, overall="satisfied", actor=owner
                )
            return "saved"
        except DomainError as error:
            return error.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, attempts))
    assert outcomes.count("saved") == 12 and set(outcomes) == {"saved", "already"}
    assert SurveyResponse.objects.filter(survey=survey).count() == 12
