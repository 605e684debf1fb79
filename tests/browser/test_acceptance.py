"""The joint acceptance in a browser: staff open it, fail an item with a defect and a
deadline, re-inspect it as passed; the resident supervisor signs on a phone; staff conclude
验收通过, print the A4 record and complete the project. Then an owner answers the satisfaction
survey on a phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import (
    ACCEPTANCE_NAMES,
    make_estate,
    make_owner,
    make_passed_acceptance,
    make_project,
    make_project_in_acceptance,
    make_resident_supervisor,
    make_user,
)
from xiaoqu.renovation.models import (
    Acceptance,
    AcceptanceCheck,
    AcceptanceStatus,
    Complaint,
    ProjectStage,
    SurveyResponse,
)
from xiaoqu.renovation.services import acceptance as acceptance_services
from xiaoqu.renovation.services import surveys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, url: str, user, next_path: str) -> None:
    page.goto(f"{url}/accounts/login/?next={next_path}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def _password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


def test_joint_acceptance_from_failure_to_completion(live_server, chromium, shoot):
    estate = make_estate(name="金仓小区", floors=3, per_floor=2)
    staff = make_user("community_staff", estate=estate, password=PASSWORD)
    project = make_project_in_acceptance(estate, staff)
    supervisor = _password(make_resident_supervisor(project))
    sewer, sidewalk = acceptance_services.cleared_items(project)
    deadline = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    tab = f"/renovation/projects/{project.pk}/acceptance/"
    desk = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    phone = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page, mobile = desk.new_page(), phone.new_page()
    problems_desk, problems_phone = watch(page), watch(mobile)
    try:
        _login(page, live_server.url, staff, tab)
        assets_loaded(page)
        for key, names in ACCEPTANCE_NAMES.items():
            page.fill(f"#party-{key}", names)
        page.click("#acceptance-open")
        page.wait_for_selector("#verdicts")
        assert Acceptance.objects.get().status == AcceptanceStatus.OPEN

        row = page.locator(f"#item-{sewer.pk}")
        row.locator(".check-form input[value=fail]").check()
        row.locator(".check-form textarea[name=defects]").fill("3号检查井井盖松动，路面沉降")
        row.locator(".check-form input[name=rectify_by]").fill(deadline)
        row.locator(".check-form button").click()
        page.wait_for_selector(f"#item-{sewer.pk} .reinspect-form")
        check = AcceptanceCheck.objects.get(item=sewer)
        assert not check.passed and check.rectify_by.isoformat() == deadline

        other = page.locator(f"#item-{sidewalk.pk}")
        other.locator(".check-form input[value=pass]").check()
        other.locator(".check-form button").click()
        page.wait_for_selector(f"#item-{sidewalk.pk} .badge.ok")
        shoot(page, "browser-acceptance-failed-item")

        row = page.locator(f"#item-{sewer.pk}")
        row.locator(".reinspect-form input[value=pass]").check()
        row.locator(".reinspect-form button").click()
        page.wait_for_selector(f"#item-{sewer.pk} >> text=复验合格")
        assert AcceptanceCheck.objects.get(item=sewer).reinspection_passed is True

        # The resident supervisor signs on a phone.
        acceptance = Acceptance.objects.get()
        record = f"/renovation/acceptances/{acceptance.pk}/"
        _login(mobile, live_server.url, supervisor, record)
        fits_width(mobile)
        shoot(mobile, "browser-acceptance-sign-phone")
        mobile.click("#sign-button")
        mobile.wait_for_selector("#signed")
        acceptance.refresh_from_db()
        assert acceptance.resident_signed_by == supervisor

        page.goto(f"{live_server.url}{tab}")
        page.click("#conclude-button")
        page.wait_for_selector("#acceptance-status.ok")
        assert Acceptance.objects.get().status == AcceptanceStatus.PASSED
        assets_loaded(page)
        shoot(page, "browser-acceptance-tab")

        page.click("#link-print")
        page.wait_for_selector("#print-items")
        assert "井盖松动" in page.locator("#print-items").inner_text()
        assert "验收通过" in page.locator("#print-conclusion").inner_text()
        shoot(page, "browser-acceptance-print")
        pdf = page.pdf(format="A4")
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert pages == 1, f"the record takes {pages} A4 pages"

        # With the acceptance passed, the project can be completed.
        page.goto(f"{live_server.url}/renovation/projects/{project.pk}/")
        page.click("#advance-form button")
        page.wait_for_selector("text=项目已进入“完成”阶段")
        project.refresh_from_db()
        assert project.stage == ProjectStage.COMPLETED
    finally:
        desk.close()
        phone.close()
    assert problems_desk == [] and problems_phone == []


def test_an_owner_answers_the_satisfaction_survey_on_a_phone(live_server, chromium, shoot):
    estate = make_estate(name="金仓小区", floors=3, per_floor=2)
    staff = make_user("community_staff", estate=estate, password=None)
    project = make_project_in_acceptance(estate, staff)
    make_passed_acceptance(project, staff)
    today = timezone.localdate()
    survey = surveys.survey_open(
        project=project,
        estate=estate,
        opens_on=today,
        closes_on=today + dt.timedelta(days=14),
        actor=staff,
    )
    home = estate.dwellings.order_by("pk").first()
    owner = make_user(person=make_owner(home, "王大妈"), password=PASSWORD)
    sewer = surveys.survey_items(survey)[0]
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        _login(page, live_server.url, owner, f"/renovation/projects/{project.pk}/public/")
        page.click("text=参加满意度调查")
        page.wait_for_selector("#survey-form")
        assets_loaded(page)
        fits_width(page)
        shoot(page, "browser-survey-phone")
        page.click("label[for=overall-satisfied]")
        page.click(f"label[for=item-{sewer.pk}-basic]")
        page.fill("#comment", "雨污分流后下雨不积水了")
        shoot(page, "browser-survey-filled-phone")
        page.click("#survey-submit")
        page.wait_for_selector("#answered")
        fits_width(page)
        shoot(page, "browser-survey-answered-phone")
    finally:
        context.close()
    response = SurveyResponse.objects.get()
    assert (response.dwelling, response.overall, response.paper) == (home, "satisfied", False)
    assert list(response.answers.values_list("item", "rating")) == [(sewer.pk, "basic")]
    assert problems == []


def test_a_resident_reports_noise_on_a_phone_and_reads_the_answer(live_server, chromium, shoot):
    """During the works a resident reports a problem; staff answer; the resident reads it."""
    from xiaoqu.renovation.services import complaints

    estate = make_estate(name="金仓小区", floors=3, per_floor=2)
    staff = make_user("community_staff", estate=estate, password=None)
    project = make_project(estate, staff, stage=ProjectStage.WORKS)
    owner = make_user(
        person=make_owner(estate.dwellings.order_by("pk").first(), "王大妈"), password=PASSWORD
    )
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    try:
        _login(page, live_server.url, owner, f"/renovation/projects/{project.pk}/public/")
        page.click("#link-complain")
        page.wait_for_selector("#complaint-form")
        page.click("#kind-noise")
        page.fill("#text", "晚上十点以后还在切割钢管，老人睡不着")
        page.fill("#place", "1栋北侧")
        fits_width(page)
        shoot(page, "browser-complaint-phone")
        page.click("#complaint-submit")
        page.wait_for_selector(".complaint")
        complaint = Complaint.objects.get()
        complaints.complaint_answer(
            complaint=complaint, answer="已要求施工方晚上八点后停止切割作业。", actor=staff
        )
        page.reload()
        page.wait_for_selector(".complaint .answer")
        fits_width(page)
        shoot(page, "browser-complaint-answered-phone")
        page.click(".complaint button")
        page.wait_for_selector("text=已办结，感谢您的监督")
    finally:
        context.close()
    assert Complaint.objects.get().status == "closed"
    assert problems == []
