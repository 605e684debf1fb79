"""The 进度 tab, its one-form actions, the photos served in scope, the residents' hidden-works
page where the resident supervisor signs, and the contractor's phone page with its JSON
endpoint; bad input changes nothing and every action checks scope."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    make_estate,
    make_jpeg,
    make_owner,
    make_project,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.renovation.models import (
    DiaryEntry,
    HiddenWork,
    ProgressUpdate,
    ProjectStage,
    SitePhoto,
)
from xiaoqu.renovation.services import progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(estate, staff, contractor, supervisor):
    return make_project(estate, staff, stage=ProjectStage.WORKS, members=(contractor, supervisor))


@pytest.fixture
def sewer(project):
    return project.items.get(title="雨污分流管网改造")


@pytest.fixture
def elevator(project):
    return project.items.get(title="加装电梯")


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, **kwargs) -> str:
    return reverse(f"renovation:{name}", kwargs=kwargs or None)


def text(response) -> str:
    return response.content.decode()


def jpeg(**exif) -> SimpleUploadedFile:
    return SimpleUploadedFile("site.jpg", make_jpeg(**exif), content_type="image/jpeg")


# --- the 进度 tab ------------------------------------------------------------------------------


def test_the_tab_shows_the_timeline_data_and_the_table(project, sewer, contractor, staff):
    """The chart's data goes through json_script; the same data is in the table; an overdue
    item is marked in both."""
    today = timezone.localdate()
    progress.item_schedule(
        item=sewer,
        planned_start=today - dt.timedelta(days=30),
        planned_finish=today - dt.timedelta(days=1),
        actor=staff,
    )
    progress.progress_report(
        item=sewer,
        percent=40,
        client_id=uuid.uuid4(),
        reported_at=timezone.now(),
        actor=contractor,
    )
    page = as_user(staff).get(url("project_progress", project_id=project.pk))
    assert page.status_code == 200
    body = text(page)
    assert 'id="gantt-data"' in body and "vendor/echarts.min.js" in body
    assert 'aria-current="page"' in body and "进度" in body
    chart = page.context["page"].chart
    row = next(r for r in chart["rows"] if r["id"] == sewer.pk)
    assert row["overdue"] and row["percent"] == 40 and row["as"] == today.isoformat()
    assert row["ae"] == today.isoformat()
    assert chart["today"] == today.isoformat()
    held = next(r for r in chart["rows"] if r["name"] == "加装电梯")
    assert held["held"]
    assert f'class="overdue" data-item="{sewer.pk}"' in body
    assert 'id="stat-overdue">1<' in body


def test_forms_appear_for_who_may_use_them(project, sewer, contractor, supervisor, staff):
    progress.hidden_work_record(item=sewer, description="回填前", actor=contractor)
    for_contractor = text(as_user(contractor).get(url("project_progress", project_id=project.pk)))
    assert 'id="report-form"' in for_contractor and 'id="diary-form"' in for_contractor
    assert 'id="hidden-form"' in for_contractor and "sign-supervisor" not in for_contractor
    assert 'id="resident-form"' not in for_contractor
    for_supervisor = text(as_user(supervisor).get(url("project_progress", project_id=project.pk)))
    assert "sign-supervisor" in for_supervisor and 'id="report-form"' not in for_supervisor
    for_staff = text(as_user(staff).get(url("project_progress", project_id=project.pk)))
    assert 'id="resident-form"' in for_staff and "sign-supervisor" not in for_staff


def test_the_tab_is_404_out_of_scope_and_for_residents(project, estate, staff):
    other_project = make_project(make_estate(), staff)
    contractor_elsewhere = make_user(Role.CONTRACTOR, estate=estate, password=None)
    client = as_user(contractor_elsewhere)
    assert client.get(url("project_progress", project_id=project.pk)).status_code == 404
    assert client.get(url("project_progress", project_id=other_project.pk)).status_code == 404
    resident = make_user(person=make_owner(estate.dwellings.first()), password=None)
    assert as_user(resident).get(url("project_progress", project_id=project.pk)).status_code == 404


# --- actions ----------------------------------------------------------------------------------


def test_schedule_through_the_form_and_bad_dates_change_nothing(project, sewer, contractor):
    client = as_user(contractor)
    target = url("item_schedule", project_id=project.pk)
    ok = client.post(
        target,
        {"item": sewer.pk, "planned_start": "2026-04-01", "planned_finish": "2026-05-01"},
        follow=True,
    )
    assert "已保存" in text(ok)
    bad = client.post(
        target,
        {"item": sewer.pk, "planned_start": "2026-05-02", "planned_finish": "2026-05-01"},
        follow=True,
    )
    assert "计划完成日期不能早于计划开始日期" in text(bad)
    junk = client.post(target, {"item": sewer.pk, "planned_start": "2026-02-30"}, follow=True)
    assert "不是正确的日期" in text(junk)
    sewer.refresh_from_db()
    assert (sewer.planned_start, sewer.planned_finish) == (dt.date(2026, 4, 1), dt.date(2026, 5, 1))


def test_an_item_of_another_project_is_refused_like_a_missing_one(project, contractor, staff):
    other = make_project(make_estate(), staff, stage=ProjectStage.WORKS)
    foreign = other.items.first()
    response = as_user(contractor).post(
        url("item_schedule", project_id=project.pk),
        {"item": foreign.pk, "planned_start": "2026-04-01"},
        follow=True,
    )
    assert "条目不存在" in text(response)
    foreign.refresh_from_db()
    assert foreign.planned_start is None


def test_the_tab_form_reports_progress_once_per_page(project, sewer, contractor):
    """The form's client_id comes from the page: a double submit stores one report."""
    client = as_user(contractor)
    page = client.get(url("project_progress", project_id=project.pk))
    key = str(page.context["client_id"])
    data = {"item": sewer.pk, "percent": "35", "note": "", "client_id": key}
    first = client.post(url("progress_report", project_id=project.pk), data, follow=True)
    again = client.post(url("progress_report", project_id=project.pk), data, follow=True)
    assert "35%" in text(first) and "35%" in text(again)
    assert ProgressUpdate.objects.count() == 1
    sewer.refresh_from_db()
    assert sewer.percent == 35


@pytest.mark.parametrize(
    ("percent", "message"),
    [("abc", "0 到 100"), ("101", "0 到 100"), ("²", "0 到 100"), ("", "0 到 100")],
)
def test_bad_percent_in_the_form_changes_nothing(project, sewer, contractor, percent, message):
    response = as_user(contractor).post(
        url("progress_report", project_id=project.pk),
        {"item": sewer.pk, "percent": percent, "client_id": str(uuid.uuid4())},
        follow=True,
    )
    assert message in text(response)
    assert ProgressUpdate.objects.count() == 0


def test_the_supervisor_cannot_post_a_report(project, sewer, supervisor):
    response = as_user(supervisor).post(
        url("progress_report", project_id=project.pk),
        {"item": sewer.pk, "percent": "10", "client_id": str(uuid.uuid4())},
    )
    assert response.status_code == 404
    assert ProgressUpdate.objects.count() == 0


def test_diary_through_the_form(project, contractor):
    client = as_user(contractor)
    target = url("diary_write", project_id=project.pk)
    today = timezone.localdate().isoformat()
    client.post(target, {"date": today, "text": "开挖", "workers": "6", "weather": "阴"})
    response = client.post(target, {"date": today, "text": "", "workers": "6"}, follow=True)
    assert "请填写当天的施工内容" in text(response)
    bad = client.post(target, {"date": today, "text": "x", "workers": "-3"}, follow=True)
    assert "作业人数" in text(bad)
    entry = DiaryEntry.objects.get()
    assert (entry.text, entry.workers, entry.weather) == ("开挖", 6, "阴")
    page = text(client.get(url("project_progress", project_id=project.pk)))
    assert "开挖" in page and "6 人作业" in page


def test_photo_upload_is_flagged_far_and_served_only_in_scope(project, sewer, contractor, staff):
    client = as_user(contractor)
    response = client.post(
        url("photo_add", project_id=project.pk),
        {"item": sewer.pk, "photo": jpeg(latitude=26.5901, longitude=106.7135), "caption": "沟"},
        follow=True,
    )
    assert "远离小区" in text(response)
    photo = SitePhoto.objects.get()
    assert photo.far and photo.place_source == "exif"
    page = text(client.get(url("project_progress", project_id=project.pk)))
    assert f"远离小区 {photo.distance_m} 米" in page
    served = client.get(url("site_photo", photo_id=photo.pk))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content).startswith(b"\xff\xd8\xff")
    assert photo.image.url.startswith("/media/")  # the storage's URL, which nothing serves
    outsider = make_user(Role.COMMUNITY_STAFF, region=make_estate_elsewhere(), password=None)
    assert as_user(outsider).get(url("site_photo", photo_id=photo.pk)).status_code == 404
    resident = make_user(person=make_owner(project.estates.first().dwellings.first()))
    assert as_user(resident).get(url("site_photo", photo_id=photo.pk)).status_code == 404


def make_estate_elsewhere():
    return region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1]


def test_a_bad_photo_or_position_changes_nothing(project, contractor):
    client = as_user(contractor)
    not_image = SimpleUploadedFile("a.jpg", b"hello, not a photo")
    r1 = client.post(url("photo_add", project_id=project.pk), {"photo": not_image}, follow=True)
    assert "照片格式不支持" in text(r1)
    r2 = client.post(
        url("photo_add", project_id=project.pk),
        {"photo": jpeg(), "latitude": "abc", "longitude": "1"},
        follow=True,
    )
    assert "经纬度不正确" in text(r2)
    assert SitePhoto.objects.count() == 0


def test_resident_supervisor_by_phone_and_signing_on_the_residents_page(
    project, sewer, estate, staff, contractor, supervisor
):
    owner = make_owner(estate.dwellings.first(), "王大爷")
    staff_client = as_user(staff)
    bad = staff_client.post(
        url("resident_supervisor", project_id=project.pk), {"phone": "13900000000"}, follow=True
    )
    assert "没有这个手机号" in text(bad)
    ok = staff_client.post(
        url("resident_supervisor", project_id=project.pk), {"phone": owner.phone}, follow=True
    )
    assert "居民监督员：王大爷" in text(ok) and "还没有平台账号" in text(ok)
    project.refresh_from_db()
    assert project.resident_supervisor == owner
    tab = text(staff_client.get(url("project_progress", project_id=project.pk)))
    assert owner.phone not in tab and owner.phone[-4:] in tab  # masked

    hidden = progress.hidden_work_record(item=sewer, description="DN300 回填前", actor=contractor)
    wang = as_user(make_user(person=owner, password=None))
    public = text(wang.get(url("project_hidden_works", project_id=project.pk)))
    assert "DN300 回填前" in public and "签字确认" in public
    neighbour = as_user(make_user(person=make_owner(estate.dwellings.last()), password=None))
    page = text(neighbour.get(url("project_hidden_works", project_id=project.pk)))
    assert "DN300 回填前" in page and "签字确认" not in page
    refused = neighbour.post(url("hidden_work_resident_sign", hidden_id=hidden.pk), follow=True)
    assert "只有本项目的居民监督员" in text(refused)
    wang.post(url("hidden_work_resident_sign", hidden_id=hidden.pk))
    as_user(contractor).post(url("hidden_work_cover", hidden_id=hidden.pk))
    hidden.refresh_from_db()
    assert hidden.resident_signed_at is not None and hidden.covered_at is None
    as_user(supervisor).post(url("hidden_work_sign", hidden_id=hidden.pk))
    done = as_user(contractor).post(url("hidden_work_cover", hidden_id=hidden.pk), follow=True)
    assert "已记录覆盖" in text(done)
    hidden.refresh_from_db()
    assert hidden.supervisor_signed_by == supervisor and hidden.covered_at is not None


def test_cover_before_signatures_says_who_is_missing(project, sewer, contractor):
    hidden = progress.hidden_work_record(item=sewer, description="防水层", actor=contractor)
    response = as_user(contractor).post(url("hidden_work_cover", hidden_id=hidden.pk), follow=True)
    assert "监理单位、居民监督员尚未签字" in text(response)


def test_hidden_work_form_records_with_a_photo(project, sewer, contractor):
    response = as_user(contractor).post(
        url("hidden_work_record", project_id=project.pk),
        {"item": sewer.pk, "description": "电缆穿管", "photo": jpeg()},
        follow=True,
    )
    assert "等待监理和居民监督员签字" in text(response)
    hidden = HiddenWork.objects.get()
    assert hidden.photo is not None


def test_sign_and_cover_are_404_for_roles_without_them(project, sewer, contractor, staff):
    hidden = progress.hidden_work_record(item=sewer, description="x", actor=contractor)
    assert as_user(contractor).post(url("hidden_work_sign", hidden_id=hidden.pk)).status_code == 404
    bureau = make_user(Role.HOUSING_BUREAU, region=region_chain()[2], password=None)
    assert as_user(bureau).post(url("hidden_work_cover", hidden_id=hidden.pk)).status_code == 404
    outsider = make_user(Role.SUPERVISOR, estate=make_estate(), password=None)
    assert as_user(outsider).post(url("hidden_work_sign", hidden_id=hidden.pk)).status_code == 404
    hidden.refresh_from_db()
    assert hidden.supervisor_signed_at is None


# --- the phone page and its endpoint ----------------------------------------------------------


def test_the_phone_page_lists_the_items_under_works_the_user_reports_on(
    project, sewer, elevator, contractor, staff
):
    make_project(make_estate(), staff, stage=ProjectStage.WORKS)  # not the contractor's
    page = as_user(contractor).get(url("site"))
    assert page.status_code == 200
    body = text(page)
    assert project.name in body and f'data-item="{sewer.pk}"' in body
    data = page.context["site_data"]
    assert set(data["items"]) == {str(i.pk) for i in project.items.exclude(pk=elevator.pk)}
    assert "暂缓" in body  # the elevator, waiting for its vote
    assert "renovation/site.js" in body


def test_the_phone_page_is_404_for_roles_that_do_not_report(supervisor):
    assert as_user(supervisor).get(url("site")).status_code == 404


def post_report(client, target, **fields):
    data = {
        "client_id": str(uuid.uuid4()),
        "item": str(target.pk),
        "percent": "20",
        "note": "",
        "reported_at": timezone.localtime().isoformat(),
    }
    data.update(fields)
    return client.post(url("site_report"), data, HTTP_X_REQUESTED_WITH="XMLHttpRequest")


def test_the_endpoint_stores_a_report_once_by_client_id(project, sewer, contractor):
    client = as_user(contractor)
    key = str(uuid.uuid4())
    photo = make_jpeg()
    first = post_report(
        client,
        sewer,
        client_id=key,
        percent="45",
        latitude="26.5802",
        longitude="106.7136",
        photo=SimpleUploadedFile("p.jpg", photo, content_type="image/jpeg"),
    )
    assert first.status_code == 201
    body = json.loads(first.content)
    assert body["created"] is True and body["percent"] == 45
    again = post_report(
        client,
        sewer,
        client_id=key,
        percent="45",
        photo=SimpleUploadedFile("p.jpg", photo, content_type="image/jpeg"),
    )
    assert again.status_code == 200 and json.loads(again.content)["id"] == body["id"]
    assert ProgressUpdate.objects.count() == 1
    photo_row = SitePhoto.objects.get()
    assert photo_row.place_source == "phone" and photo_row.item == sewer and not photo_row.far


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"percent": "120"}, "percent"),
        ({"percent": "x"}, "percent"),
        ({"reported_at": "2026-02-30T10:00:00"}, "reported_at"),
        ({"latitude": "inf", "longitude": "1"}, "position"),
        ({"item": "999999"}, "item"),
        ({"item": "abc"}, "item"),
    ],
)
def test_bad_reports_get_a_400_with_a_message(project, sewer, contractor, fields, code):
    response = post_report(as_user(contractor), sewer, **fields)
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == code
    assert ProgressUpdate.objects.count() == 0


def test_a_held_item_or_lower_percent_is_refused_by_the_endpoint(
    project, sewer, elevator, contractor
):
    client = as_user(contractor)
    held = post_report(client, elevator)
    assert held.status_code == 400 and json.loads(held.content)["code"] == "not_cleared"
    post_report(client, sewer, percent="50")
    lower = post_report(client, sewer, percent="40")
    assert json.loads(lower.content)["code"] == "lower"
    assert ProgressUpdate.objects.count() == 1


def test_the_endpoint_checks_scope_and_csrf(project, sewer, estate, staff):
    stranger = make_user(Role.CONTRACTOR, estate=estate, password=None)
    response = post_report(as_user(stranger), sewer)
    assert response.status_code == 400 and json.loads(response.content)["code"] == "item"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    refused = post_report(strict, sewer)
    assert refused.status_code == 403 and json.loads(refused.content)["code"] == "csrf"
    assert ProgressUpdate.objects.count() == 0


def test_an_oversized_report_is_answered_in_json(project, sewer, contractor):
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (9 * 1024 * 1024 + 10))
    response = post_report(as_user(contractor), sewer, photo=big)
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "too_large"
