"""Progress on site: schedules, progress reports (stage and clearance gates, percent rules,
idempotent resend), the site diary, photos with their EXIF time and place, hidden works and
their signatures."""

from __future__ import annotations

import datetime as dt
import math
import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from tests.factories import (
    make_estate,
    make_jpeg,
    make_owner,
    make_person,
    make_project,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.registry.models import Residency
from xiaoqu.renovation.models import (
    DiaryEntry,
    HiddenWork,
    PhotoPlace,
    ProgressUpdate,
    ProjectEvent,
    ProjectStage,
    SitePhoto,
)
from xiaoqu.renovation.services import progress
from xiaoqu.renovation.sitephotos import haversine_m, read_facts

pytestmark = pytest.mark.django_db

# 金仓社区, Guiyang (WGS-84).
ESTATE_LAT, ESTATE_LON = 26.5801, 106.7135


@pytest.fixture
def project(estate, staff, contractor, supervisor):
    """In 施工: the sewer and the sidewalk are cleared, the elevator waits for its vote."""
    return make_project(estate, staff, stage=ProjectStage.WORKS, members=(contractor, supervisor))


@pytest.fixture
def sewer(project):
    return project.items.get(title="雨污分流管网改造")


@pytest.fixture
def elevator(project):
    return project.items.get(title="加装电梯")


def report(item, actor, percent, note="", *, key=None, at=None, **kwargs):
    return progress.progress_report(
        item=item,
        percent=percent,
        note=note,
        client_id=key or uuid.uuid4(),
        reported_at=at or timezone.now(),
        actor=actor,
        **kwargs,
    )


def jpeg(name="site.jpg", **exif) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_jpeg(**exif), content_type="image/jpeg")


# --- the pure part ----------------------------------------------------------------------------


def test_haversine_is_zero_at_the_same_point_and_symmetric():
    assert haversine_m(ESTATE_LAT, ESTATE_LON, ESTATE_LAT, ESTATE_LON) == 0
    a = haversine_m(26.58, 106.71, 26.59, 106.72)
    assert a == pytest.approx(haversine_m(26.59, 106.72, 26.58, 106.71))


def test_haversine_matches_a_known_distance():
    """A degree of latitude is 111.2 km; a degree of longitude shrinks with cos(latitude);
    the antipode is half the circumference."""
    assert haversine_m(26.0, 106.0, 27.0, 106.0) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(60.0, 10.0, 60.0, 11.0) == pytest.approx(111_195 / 2, rel=1e-2)
    assert haversine_m(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * 6_371_008.8)


def test_exif_time_and_gps_are_read_from_a_jpeg():
    """DateTimeOriginal, its offset, and the GPS IFD's degrees/minutes/seconds with S and W."""
    facts = read_facts(
        SimpleUploadedFile(
            "a.jpg",
            make_jpeg(latitude=-26.5801, longitude=-106.7135, taken="2026:03:14 09:30:05"),
        )
    )
    assert facts.taken_at == dt.datetime(2026, 3, 14, 9, 30, 5)
    assert facts.latitude == pytest.approx(-26.5801, abs=1e-5)
    assert facts.longitude == pytest.approx(-106.7135, abs=1e-5)
    with_offset = read_facts(
        SimpleUploadedFile("b.jpg", make_jpeg(taken="2026:03:14 09:30:05", offset="+08:00"))
    )
    assert with_offset.taken_at.utcoffset() == dt.timedelta(hours=8)
    assert not with_offset.has_position


def test_a_file_without_exif_or_not_an_image_gives_no_facts():
    assert read_facts(SimpleUploadedFile("a.jpg", make_jpeg())).taken_at is None
    facts = read_facts(SimpleUploadedFile("x.jpg", b"\xff\xd8\xff not really"))
    assert facts.taken_at is None and not facts.has_position


# --- schedule ---------------------------------------------------------------------------------


def test_contractor_schedules_an_item_and_dates_must_be_in_order(sewer, contractor):
    start, finish = dt.date(2026, 4, 1), dt.date(2026, 5, 30)
    progress.item_schedule(item=sewer, planned_start=start, planned_finish=finish, actor=contractor)
    sewer.refresh_from_db()
    assert (sewer.planned_start, sewer.planned_finish) == (start, finish)
    assert ProjectEvent.objects.filter(item=sewer, kind="schedule").count() == 1
    with pytest.raises(DomainError) as error:
        progress.item_schedule(
            item=sewer, planned_start=finish, planned_finish=start, actor=contractor
        )
    assert error.value.code == "order"
    sewer.refresh_from_db()
    assert (sewer.planned_start, sewer.planned_finish) == (start, finish)


def test_a_viewer_who_neither_manages_nor_reports_cannot_schedule(sewer, estate):
    bureau = make_user(Role.HOUSING_BUREAU, region=region_chain()[2], password=None)
    with pytest.raises(DomainError) as error:
        progress.item_schedule(
            item=sewer, planned_start=dt.date(2026, 4, 1), planned_finish=None, actor=bureau
        )
    assert error.value.code == "out_of_scope"


# --- progress reports: gates ------------------------------------------------------------------


def test_progress_is_taken_only_in_works(estate, staff, contractor):
    """A project still being tendered takes no progress."""
    project = make_project(estate, staff, stage=ProjectStage.TENDERING, members=(contractor,))
    item = project.items.first()
    with pytest.raises(DomainError) as error:
        report(item, contractor, 10)
    assert error.value.code == "stage"
    assert ProgressUpdate.objects.count() == 0


def test_an_item_waiting_for_its_owners_vote_takes_no_progress(elevator, contractor):
    with pytest.raises(DomainError) as error:
        report(elevator, contractor, 10)
    assert error.value.code == "not_cleared"
    assert "表决" in error.value.message
    elevator.refresh_from_db()
    assert elevator.percent == 0 and ProgressUpdate.objects.count() == 0


def test_a_contractor_not_on_the_project_cannot_report(sewer, estate):
    other = make_user(Role.CONTRACTOR, estate=estate, password=None)
    with pytest.raises(DomainError) as error:
        report(sewer, other, 10)
    assert error.value.code == "out_of_scope"


def test_the_supervisor_does_not_report_progress(sewer, supervisor):
    with pytest.raises(DomainError):
        report(sewer, supervisor, 10)


# --- progress reports: the percent ------------------------------------------------------------


def test_first_report_above_zero_starts_the_item_and_100_finishes_it(sewer, contractor):
    day1 = timezone.now() - dt.timedelta(days=20)
    day2 = timezone.now() - dt.timedelta(days=2)
    report(sewer, contractor, 0, at=day1 - dt.timedelta(days=1))
    sewer.refresh_from_db()
    assert sewer.actual_start is None
    result = report(sewer, contractor, 30, at=day1)
    assert result.created
    sewer.refresh_from_db()
    assert (sewer.percent, sewer.actual_start, sewer.actual_finish) == (
        30,
        timezone.localdate(day1),
        None,
    )
    report(sewer, contractor, 100, at=day2)
    sewer.refresh_from_db()
    assert (sewer.percent, sewer.actual_start, sewer.actual_finish) == (
        100,
        timezone.localdate(day1),
        timezone.localdate(day2),
    )
    events = ProjectEvent.objects.filter(item=sewer, kind="progress").order_by("pk")
    assert [e.note for e in events] == ["0%", "30%", "100%"]
    assert AuditLog.objects.filter(action="renovation.progress_report").count() == 3


@pytest.mark.parametrize("percent", [-1, 101, 1000, "50", 5.5, True, None])
def test_a_percent_outside_0_to_100_or_not_an_integer_is_refused(sewer, contractor, percent):
    with pytest.raises(DomainError) as error:
        report(sewer, contractor, percent)
    assert error.value.code == "percent"
    assert ProgressUpdate.objects.count() == 0
    assert AuditLog.objects.filter(action="renovation.progress_report").count() == 0


def test_a_lower_percent_needs_a_note(sewer, contractor):
    """Progress does not go back without a reason (rework); with one it does, and a finished
    item is open again."""
    report(sewer, contractor, 100)
    with pytest.raises(DomainError) as error:
        report(sewer, contractor, 80, "  ")
    assert error.value.code == "lower"
    assert "100%" in error.value.message
    sewer.refresh_from_db()
    assert sewer.percent == 100 and sewer.actual_finish is not None
    report(sewer, contractor, 80, "检查井渗水，返工")
    sewer.refresh_from_db()
    assert (sewer.percent, sewer.actual_finish) == (80, None)


def test_a_late_arriving_older_report_stays_history(sewer, contractor):
    """A report made earlier but received later (it waited offline) does not move the item's
    percent back, and is checked against the report before it in time."""
    now = timezone.now()
    report(sewer, contractor, 60, at=now - dt.timedelta(hours=1))
    result = report(sewer, contractor, 40, at=now - dt.timedelta(hours=3))
    assert result.created
    sewer.refresh_from_db()
    assert sewer.percent == 60
    assert sewer.actual_start == timezone.localdate(now - dt.timedelta(hours=3))


def test_a_report_from_the_future_is_refused(sewer, contractor):
    with pytest.raises(DomainError) as error:
        report(sewer, contractor, 10, at=timezone.now() + dt.timedelta(hours=2))
    assert error.value.code == "reported_at"


def test_a_long_note_is_refused(sewer, contractor):
    with pytest.raises(DomainError) as error:
        report(sewer, contractor, 10, "字" * 501)
    assert error.value.code == "note"


# --- progress reports: resent -----------------------------------------------------------------


def test_an_offline_resend_of_a_progress_update_is_stored_once(sewer, contractor):
    """The phone sends the same report again (its answer was lost): the stored report is
    answered, nothing is written twice, the item is unchanged."""
    key = uuid.uuid4()
    at = timezone.now() - dt.timedelta(minutes=5)
    first = report(sewer, contractor, 40, "管沟开挖", key=key, at=at, photo=jpeg())
    events = ProjectEvent.objects.count()
    audits = AuditLog.objects.count()
    again = report(sewer, contractor, 40, "管沟开挖", key=key, at=at, photo=jpeg())
    assert first.created and not again.created
    assert again.update.pk == first.update.pk
    assert ProgressUpdate.objects.count() == 1
    assert SitePhoto.objects.count() == 1
    assert (ProjectEvent.objects.count(), AuditLog.objects.count()) == (events, audits)


def test_a_resend_is_answered_even_after_the_stage_moved_on(sewer, contractor, project):
    key = uuid.uuid4()
    first = report(sewer, contractor, 40, key=key)
    type(project).objects.filter(pk=project.pk).update(stage=ProjectStage.ACCEPTANCE)
    sewer.refresh_from_db()
    assert report(sewer, contractor, 40, key=key).update == first.update


def test_another_persons_key_is_refused(sewer, contractor, staff):
    key = uuid.uuid4()
    report(sewer, contractor, 40, key=key)
    with pytest.raises(DomainError) as error:
        report(sewer, staff, 50, key=key)
    assert error.value.code == "key_taken"
    assert ProgressUpdate.objects.count() == 1


def test_a_race_lost_on_the_unique_key_answers_the_stored_report(sewer, contractor, monkeypatch):
    """Two resends pass the first look-up together; the second insert breaks the unique key
    and is answered with the first one's report."""
    key = uuid.uuid4()
    stored = report(sewer, contractor, 40, key=key).update
    real = progress._sent_before
    calls = {"n": 0}

    def blind_first_look(client_id, actor, item):
        calls["n"] += 1
        return None if calls["n"] <= 2 else real(client_id, actor, item)

    monkeypatch.setattr(progress, "_sent_before", blind_first_look)
    result = report(sewer, contractor, 40, key=key)
    assert not result.created and result.update.pk == stored.pk
    assert ProgressUpdate.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_store_one_update(sewer, contractor):
    """Two threads send the same report at once: one stores it, the other gets it back."""
    key = uuid.uuid4()
    at = timezone.now()
    results: list = []
    barrier = threading.Barrier(2)

    def send():
        try:
            barrier.wait()
            results.append(report(sewer, contractor, 30, key=key, at=at))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.update.pk for r in results}) == 1
    assert ProgressUpdate.objects.count() == 1


# --- the site diary ---------------------------------------------------------------------------


def test_one_diary_entry_per_day_rewritten_the_same_day(project, contractor):
    today = timezone.localdate()
    progress.diary_write(project=project, date=today, text="开挖管沟", actor=contractor, workers=8)
    entry = progress.diary_write(
        project=project, date=today, text="开挖管沟 60 米", weather="晴", actor=contractor
    )
    assert DiaryEntry.objects.count() == 1
    assert (entry.text, entry.weather) == ("开挖管沟 60 米", "晴")
    rewrite = AuditLog.objects.filter(action="renovation.diary_write").order_by("pk").last()
    assert rewrite.before["text"] == "开挖管沟"


def test_an_earlier_days_diary_is_final(project, contractor):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    type(project).objects.filter(pk=project.pk).update(started_on=yesterday)
    project.refresh_from_db()
    progress.diary_write(project=project, date=yesterday, text="进场", actor=contractor)
    with pytest.raises(DomainError) as error:
        progress.diary_write(project=project, date=yesterday, text="改写", actor=contractor)
    assert error.value.code == "diary_final"
    assert DiaryEntry.objects.get().text == "进场"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"text": " "}, "text"),
        ({"text": "x", "date": "future"}, "future"),
        ({"text": "x", "date": "before"}, "before_start"),
        ({"text": "x", "workers": -1}, "workers"),
        ({"text": "x", "weather": "晴" * 33}, "weather"),
    ],
)
def test_bad_diary_input_changes_nothing(project, contractor, kwargs, code):
    today = timezone.localdate()
    dates = {"future": today + dt.timedelta(days=1), "before": project.started_on - dt.timedelta(1)}
    kwargs = dict(kwargs)
    day = dates.get(kwargs.pop("date", None), today)
    with pytest.raises(DomainError) as error:
        progress.diary_write(project=project, date=day, actor=contractor, **kwargs)
    assert error.value.code == code
    assert DiaryEntry.objects.count() == 0


def test_no_diary_before_the_works(estate, staff, contractor):
    project = make_project(estate, staff, stage=ProjectStage.APPROVED, members=(contractor,))
    with pytest.raises(DomainError) as error:
        progress.diary_write(project=project, date=timezone.localdate(), text="x", actor=contractor)
    assert error.value.code == "stage"


# --- photos -----------------------------------------------------------------------------------


def test_exif_time_and_position_are_recorded_and_win_over_the_phone(project, sewer, contractor):
    photo = progress.photo_add(
        project=project,
        item=sewer,
        file=jpeg(latitude=26.5810, longitude=106.7140, taken="2026:03:14 09:30:05"),
        latitude=30.0,
        longitude=110.0,
        actor=contractor,
    )
    assert photo.place_source == PhotoPlace.EXIF
    assert float(photo.latitude) == pytest.approx(26.5810, abs=1e-5)
    assert timezone.localtime(photo.taken_at).replace(tzinfo=None) == dt.datetime(
        2026, 3, 14, 9, 30, 5
    )
    expected = haversine_m(26.5810, 106.7140, ESTATE_LAT, ESTATE_LON)
    assert photo.distance_m == round(expected) and 100 < expected < 150
    assert not photo.far


def test_without_exif_position_the_phones_counts(project, contractor):
    photo = progress.photo_add(
        project=project, file=jpeg(), latitude=26.5802, longitude=106.7136, actor=contractor
    )
    assert photo.place_source == PhotoPlace.PHONE
    assert photo.taken_at is None
    assert photo.distance_m is not None and photo.distance_m < 20 and not photo.far


def test_a_photo_far_from_the_estate_is_flagged(project, sewer, contractor, settings):
    """About 1.1 km north: far at the default 500 m, not at 2,000 m."""
    photo = progress.photo_add(
        project=project,
        item=sewer,
        file=jpeg(latitude=26.5901, longitude=106.7135),
        actor=contractor,
    )
    assert photo.far and 1_050 < photo.distance_m < 1_150
    settings.XIAOQU_PHOTO_FAR_METRES = 2000
    near_enough = progress.photo_add(
        project=project,
        item=sewer,
        file=jpeg(latitude=26.5901, longitude=106.7135),
        actor=contractor,
    )
    assert not near_enough.far
    assert ProjectEvent.objects.filter(kind="photo").first().note.startswith("远离小区")


def test_a_photo_without_any_position_has_no_distance(project, contractor):
    photo = progress.photo_add(project=project, file=jpeg(), actor=contractor)
    assert (photo.place_source, photo.distance_m, photo.far) == ("", None, False)


def test_an_estate_without_coordinates_gives_no_distance(project, contractor, estate):
    type(estate).objects.filter(pk=estate.pk).update(latitude=None, longitude=None)
    photo = progress.photo_add(
        project=project, file=jpeg(latitude=40.0, longitude=116.0), actor=contractor
    )
    assert photo.place_source == PhotoPlace.EXIF and photo.distance_m is None and not photo.far


@pytest.mark.parametrize(
    ("file", "lat", "lon", "code"),
    [
        (None, None, None, "no_photo"),
        (SimpleUploadedFile("a.txt", b"hello world!"), None, None, "photo_type"),
        ("jpeg", 91.0, 10.0, "position"),
        ("jpeg", 26.5, None, "position"),
        ("jpeg", math.nan, 106.0, "position"),
    ],
)
def test_bad_photo_input_changes_nothing(project, contractor, file, lat, lon, code):
    if file == "jpeg":
        file = jpeg()
    with pytest.raises(DomainError) as error:
        progress.photo_add(
            project=project, file=file, latitude=lat, longitude=lon, actor=contractor
        )
    assert error.value.code == code
    assert SitePhoto.objects.count() == 0
    assert not ProjectEvent.objects.filter(kind="photo").exists()


def test_an_item_of_another_project_is_refused(project, contractor, staff):
    other = make_project(make_estate(), staff)
    with pytest.raises(DomainError) as error:
        progress.photo_add(project=project, item=other.items.first(), file=jpeg(), actor=contractor)
    assert error.value.code == "item"


# --- the resident supervisor ------------------------------------------------------------------


def test_the_resident_supervisor_owns_or_lives_in_the_estate(project, estate, staff):
    dwellings = list(estate.dwellings.order_by("pk"))
    owner = make_owner(dwellings[0], "王大爷")
    progress.project_set_resident_supervisor(project=project, person=owner, actor=staff)
    project.refresh_from_db()
    assert project.resident_supervisor == owner
    tenant = make_person("李阿姨")
    Residency.objects.create(person=tenant, dwelling=dwellings[1], relation="tenant")
    progress.project_set_resident_supervisor(project=project, person=tenant, actor=staff)
    outsider = make_owner(make_estate().dwellings.first(), "外人")
    with pytest.raises(DomainError) as error:
        progress.project_set_resident_supervisor(project=project, person=outsider, actor=staff)
    assert error.value.code == "not_resident"
    project.refresh_from_db()
    assert project.resident_supervisor == tenant


def test_a_contractor_cannot_name_the_resident_supervisor(project, estate, contractor):
    owner = make_owner(estate.dwellings.first())
    with pytest.raises(DomainError):
        progress.project_set_resident_supervisor(project=project, person=owner, actor=contractor)


# --- hidden works -----------------------------------------------------------------------------


@pytest.fixture
def resident_supervisor(project, estate, staff):
    """王大爷, an owner of the estate, with his own account, named resident supervisor."""
    person = make_owner(estate.dwellings.order_by("pk").first(), "王大爷")
    progress.project_set_resident_supervisor(project=project, person=person, actor=staff)
    project.refresh_from_db()
    return make_user(person=person, password=None)


@pytest.fixture
def hidden(sewer, contractor):
    return progress.hidden_work_record(
        item=sewer, description="DN300 雨水管，埋深 1.2 米，回填前", actor=contractor
    )


def test_a_hidden_work_is_recorded_on_an_item_under_works_with_a_photo(sewer, contractor):
    hidden = progress.hidden_work_record(
        item=sewer,
        description="防水层",
        photo=jpeg(latitude=26.5802, longitude=106.7136),
        actor=contractor,
    )
    assert hidden.photo is not None and hidden.photo.item == sewer
    assert hidden.photo.place_source == PhotoPlace.EXIF
    assert ProjectEvent.objects.filter(kind="hidden_work", item=sewer).exists()


def test_no_hidden_work_on_a_held_item_or_without_a_description(elevator, sewer, contractor):
    with pytest.raises(DomainError) as error:
        progress.hidden_work_record(item=elevator, description="井道基础", actor=contractor)
    assert error.value.code == "not_cleared"
    with pytest.raises(DomainError) as error:
        progress.hidden_work_record(item=sewer, description="  ", actor=contractor)
    assert error.value.code == "description"
    assert HiddenWork.objects.count() == 0


def test_covering_needs_both_signatures_and_says_who_is_missing(
    hidden, contractor, supervisor, resident_supervisor
):
    with pytest.raises(DomainError) as error:
        progress.hidden_work_cover(hidden=hidden, actor=contractor)
    assert error.value.code == "unsigned"
    assert "监理单位" in error.value.message and "居民监督员" in error.value.message
    progress.hidden_work_sign(
        hidden=hidden, actor=resident_supervisor, capacity=progress.SIGN_RESIDENT
    )
    with pytest.raises(DomainError) as error:
        progress.hidden_work_cover(hidden=hidden, actor=contractor)
    assert "监理单位" in error.value.message and "居民监督员" not in error.value.message
    hidden.refresh_from_db()
    assert hidden.covered_at is None
    progress.hidden_work_sign(hidden=hidden, actor=supervisor, capacity=progress.SIGN_SUPERVISOR)
    progress.hidden_work_cover(hidden=hidden, actor=contractor)
    hidden.refresh_from_db()
    assert hidden.covered_at is not None
    assert (hidden.supervisor_signed_by, hidden.resident_signed_by) == (
        supervisor,
        resident_supervisor,
    )
    kinds = list(
        ProjectEvent.objects.filter(kind__startswith="hidden").values_list("kind", flat=True)
    )
    assert kinds == ["hidden_work", "hidden_sign", "hidden_sign", "hidden_cover"]


def test_no_signature_after_covering(hidden, contractor, supervisor, resident_supervisor):
    progress.hidden_work_sign(hidden=hidden, actor=supervisor, capacity=progress.SIGN_SUPERVISOR)
    progress.hidden_work_sign(
        hidden=hidden, actor=resident_supervisor, capacity=progress.SIGN_RESIDENT
    )
    progress.hidden_work_cover(hidden=hidden, actor=contractor)
    with pytest.raises(DomainError) as error:
        progress.hidden_work_sign(
            hidden=hidden, actor=supervisor, capacity=progress.SIGN_SUPERVISOR
        )
    assert error.value.code == "covered"
    with pytest.raises(DomainError):
        progress.hidden_work_cover(hidden=hidden, actor=contractor)


def test_each_signs_once(hidden, supervisor):
    progress.hidden_work_sign(hidden=hidden, actor=supervisor, capacity=progress.SIGN_SUPERVISOR)
    first = hidden.supervisor_signed_at
    with pytest.raises(DomainError) as error:
        progress.hidden_work_sign(
            hidden=hidden, actor=supervisor, capacity=progress.SIGN_SUPERVISOR
        )
    assert error.value.code == "signed"
    hidden.refresh_from_db()
    assert hidden.supervisor_signed_at == first


def test_only_the_supervisors_staff_on_the_project_sign_as_supervisor(
    hidden, contractor, staff, estate
):
    """Neither the builder's staff, community staff, an administrator, nor a supervisor not on
    the project."""
    admin = make_user(Role.ADMIN, password=None)
    stranger = make_user(Role.SUPERVISOR, estate=estate, password=None)
    for who in (contractor, staff, admin, stranger):
        with pytest.raises(DomainError) as error:
            progress.hidden_work_sign(hidden=hidden, actor=who, capacity=progress.SIGN_SUPERVISOR)
        assert error.value.code == "not_supervisor"
    hidden.refresh_from_db()
    assert hidden.supervisor_signed_at is None


def test_only_the_resident_supervisor_signs_as_resident(
    hidden, estate, supervisor, resident_supervisor
):
    neighbour_person = make_owner(estate.dwellings.order_by("pk").last(), "邻居")
    neighbour = make_user(person=neighbour_person, password=None)
    for who in (neighbour, supervisor):
        with pytest.raises(DomainError) as error:
            progress.hidden_work_sign(hidden=hidden, actor=who, capacity=progress.SIGN_RESIDENT)
        assert error.value.code == "not_resident"
    hidden.refresh_from_db()
    assert hidden.resident_signed_at is None


def test_without_a_resident_supervisor_nobody_signs_as_resident(hidden, estate):
    person = make_owner(estate.dwellings.first(), "业主")
    with pytest.raises(DomainError) as error:
        progress.hidden_work_sign(
            hidden=hidden,
            actor=make_user(person=person, password=None),
            capacity=progress.SIGN_RESIDENT,
        )
    assert error.value.code == "no_resident_supervisor"


def test_a_resident_supervisor_who_moved_away_no_longer_signs(hidden, resident_supervisor):
    resident_supervisor.person.ownerships.all().delete()
    with pytest.raises(DomainError) as error:
        progress.hidden_work_sign(
            hidden=hidden, actor=resident_supervisor, capacity=progress.SIGN_RESIDENT
        )
    assert error.value.code == "moved"


def test_one_person_cannot_sign_in_both_capacities(hidden, project, supervisor, estate, staff):
    """A supervisor's staff member who lives in the estate and is its resident supervisor
    signs once only."""
    person = make_owner(estate.dwellings.order_by("pk").first(), "两重身份")
    supervisor.person = person
    supervisor.save()
    progress.project_set_resident_supervisor(project=project, person=person, actor=staff)
    progress.hidden_work_sign(hidden=hidden, actor=supervisor, capacity=progress.SIGN_SUPERVISOR)
    with pytest.raises(DomainError) as error:
        progress.hidden_work_sign(hidden=hidden, actor=supervisor, capacity=progress.SIGN_RESIDENT)
    assert error.value.code == "same"


def test_an_unknown_capacity_is_refused(hidden, supervisor):
    with pytest.raises(DomainError) as error:
        progress.hidden_work_sign(hidden=hidden, actor=supervisor, capacity="mayor")
    assert error.value.code == "capacity"
