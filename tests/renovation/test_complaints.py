"""Residents' complaints during the works: raised from the resident's home while the estate's
project is in 施工 or 验收, routed to the site manager and the zone's Party member, answered
and closed with a deadline; bad input changes nothing; the pages and their scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    make_estate,
    make_member,
    make_owner,
    make_project,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.organization.models import ResponsibilityZone
from xiaoqu.renovation.models import Complaint, ComplaintStatus, ProjectMember, ProjectStage
from xiaoqu.renovation.services import complaints

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1], password=None)


@pytest.fixture
def estate():
    return make_estate(name="金仓小区", buildings=2, floors=2, per_floor=2)


@pytest.fixture
def project(estate, staff):
    return make_project(estate, staff, stage=ProjectStage.WORKS)


@pytest.fixture
def home(estate):
    return estate.dwellings.order_by("pk").first()


@pytest.fixture
def resident(home):
    return make_user(person=make_owner(home, "王大妈"), password=None)


def _zones(project, home):
    """An estate-wide zone and one over the resident's building, both of the project."""
    community = project.estates.first().community
    wide = ResponsibilityZone.objects.create(
        region=community, number=1, name="全院", leader=make_member(name="党员甲")
    )
    wide.estates.add(home.estate)
    near = ResponsibilityZone.objects.create(
        region=community, number=2, name="一栋", leader=make_member(name="党员乙")
    )
    near.buildings.add(home.building)
    project.zones.add(wide, near)
    return wide, near


def _raise(resident, home, **kwargs):
    values = {"kind": "noise", "text": "晚上十点还在切割钢管", "place": "1栋北侧"}
    values.update(kwargs)
    return complaints.complaint_raise(dwelling=home, actor=resident, **values)


# --- raising ---------------------------------------------------------------------------------


def test_a_complaint_goes_to_the_zone_over_the_residents_building_with_a_48_hour_deadline(
    project, home, resident
):
    """The zone covering the building wins over the estate-wide one; due 48 hours after."""
    wide, near = _zones(project, home)
    now = timezone.now()
    complaint = _raise(resident, home, now=now)
    assert complaint.project == project and complaint.estate == home.estate
    assert complaint.zone == near
    assert complaint.due_at == now + dt.timedelta(hours=48)
    assert complaint.status == ComplaintStatus.OPEN
    routing = complaints.routing_of(complaint)
    assert (routing.site_manager_name, routing.site_manager_phone) == ("李工", "13900001111")
    assert routing.leader_name == "党员乙"
    assert AuditLog.objects.filter(action="renovation.complaint_raise").count() == 1


def test_the_estate_wide_zone_answers_for_a_building_no_zone_covers(project, estate, resident):
    home = estate.dwellings.order_by("pk").first()
    wide, _near = _zones(project, home)
    other = estate.dwellings.exclude(building=home.building).first()
    neighbour = make_user(person=make_owner(other, "邻居"), password=None)
    assert _raise(neighbour, other).zone == wide


def test_without_a_zone_of_the_project_the_complaint_has_none(project, home, resident):
    """Zones of the estate that are not the project's are not used."""
    wide = ResponsibilityZone.objects.create(
        region=home.estate.community, number=3, name="别的", leader=make_member()
    )
    wide.estates.add(home.estate)
    complaint = _raise(resident, home)
    assert complaint.zone is None
    assert complaints.routing_of(complaint).leader_name == ""


@override_settings(XIAOQU_COMPLAINT_ANSWER_HOURS=24)
def test_the_deadline_follows_the_setting(project, home, resident):
    now = timezone.now()
    assert _raise(resident, home, now=now).due_at == now + dt.timedelta(hours=24)


@pytest.mark.parametrize("stage", [ProjectStage.TENDERING, ProjectStage.COMPLETED])
def test_no_complaints_outside_the_works_and_acceptance(estate, staff, home, resident, stage):
    project = make_project(estate, staff, stage=ProjectStage.TENDERING)
    if stage == ProjectStage.COMPLETED:
        project.stage = stage
        project.save()
    with pytest.raises(DomainError) as refused:
        _raise(resident, home)
    assert refused.value.code == "not_in_works"
    assert not Complaint.objects.exists()


def test_complaints_are_taken_during_the_acceptance_too(project, home, resident):
    project.stage = ProjectStage.ACCEPTANCE
    project.save()
    assert _raise(resident, home).project == project


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"kind": "loud"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"text": "   "}, "empty"),
        ({"text": "吵" * 2001}, "too_long"),
        ({"place": "楼" * 201}, "place_too_long"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(project, home, resident, values, code):
    with pytest.raises(DomainError) as refused:
        _raise(resident, home, **values)
    assert refused.value.code == code
    assert not Complaint.objects.exists()
    assert not AuditLog.objects.filter(action="renovation.complaint_raise").exists()


def test_only_for_ones_own_home(project, estate, home, resident, staff):
    """Another resident's dwelling, or staff (who live nowhere here): refused."""
    other = estate.dwellings.exclude(pk=home.pk).first()
    for actor, dwelling in ((resident, other), (staff, home)):
        with pytest.raises(DomainError) as refused:
            _raise(actor, dwelling)
        assert refused.value.code == "out_of_scope"
    assert not Complaint.objects.exists()


# --- answering and closing -------------------------------------------------------------------


def test_staff_answer_then_close_and_the_resident_sees_it(project, home, resident, staff):
    complaint = _raise(resident, home)
    with pytest.raises(DomainError) as early:
        complaints.complaint_close(complaint=complaint, actor=staff)
    assert early.value.code == "not_answered"
    with pytest.raises(DomainError):
        complaints.complaint_answer(complaint=complaint, answer="  ", actor=staff)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.OPEN and complaint.answer == ""
    complaints.complaint_answer(complaint=complaint, answer="已要求晚上八点后停工。", actor=staff)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED
    assert complaint.answered_by == staff and complaint.answered_at is not None
    complaints.complaint_close(complaint=complaint, actor=staff)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED and complaint.closed_at is not None
    with pytest.raises(DomainError) as again:
        complaints.complaint_answer(complaint=complaint, answer="补充", actor=staff)
    assert again.value.code == "closed"


def test_the_author_may_close_their_own_at_any_time_and_nobody_else_of_the_estate(
    project, estate, home, resident
):
    complaint = _raise(resident, home)
    other = estate.dwellings.exclude(pk=home.pk).first()
    neighbour = make_user(person=make_owner(other, "邻居"), password=None)
    with pytest.raises(DomainError):
        complaints.complaint_close(complaint=complaint, actor=neighbour)
    complaints.complaint_close(complaint=complaint, actor=resident)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    with pytest.raises(DomainError) as again:
        complaints.complaint_close(complaint=complaint, actor=resident)
    assert again.value.code == "closed"


def test_the_contractor_answers_only_on_its_own_project(project, estate, home, resident):
    complaint = _raise(resident, home)
    idle = make_user(Role.CONTRACTOR, estate=estate, password=None)
    with pytest.raises(DomainError):
        complaints.complaint_answer(complaint=complaint, answer="收到", actor=idle)
    member = make_user(Role.CONTRACTOR, estate=estate, password=None)
    ProjectMember.objects.create(project=project, user=member, company=project.builder)
    complaints.complaint_answer(complaint=complaint, answer="收到，马上整改", actor=member)
    assert Complaint.objects.get().status == ComplaintStatus.ANSWERED


def test_staff_out_of_scope_cannot_answer(project, home, resident):
    outside = make_user(
        Role.COMMUNITY_STAFF,
        region=region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1],
        password=None,
    )
    complaint = _raise(resident, home)
    with pytest.raises(DomainError) as refused:
        complaints.complaint_answer(complaint=complaint, answer="收到", actor=outside)
    assert refused.value.code == "out_of_scope"
    assert Complaint.objects.get().answer == ""


def test_overdue_means_still_unanswered_past_the_deadline(project, home, resident, staff):
    complaint = _raise(resident, home)
    later = complaint.due_at + dt.timedelta(minutes=1)
    assert not complaints.is_overdue(complaint, complaint.due_at - dt.timedelta(minutes=1))
    assert complaints.is_overdue(complaint, later)
    complaint = complaints.complaint_answer(complaint=complaint, answer="已处理", actor=staff)
    assert not complaints.is_overdue(complaint, later)


# --- pages -----------------------------------------------------------------------------------


def test_the_resident_raises_a_complaint_on_the_phone_page(client, project, home, resident):
    client.force_login(resident)
    url = reverse("renovation:complaint_new")
    page = client.get(url).content.decode()
    assert 'id="complaint-form"' in page and project.name in page
    bad = client.post(url, {"dwelling": home.pk, "kind": "noise", "text": ""}, follow=True)
    assert "请写下您遇到的问题或建议" in bad.content.decode()
    assert not Complaint.objects.exists()
    forged = client.post(url, {"dwelling": home.pk + 1, "kind": "noise", "text": "吵"})
    assert forged.status_code == 200 and not Complaint.objects.exists()
    done = client.post(
        url, {"dwelling": home.pk, "kind": "dust", "text": "扬尘太大", "place": "大门口"}
    )
    assert done["Location"] == reverse("renovation:my_complaints")
    assert Complaint.objects.get().kind == "dust"
    mine = client.get(done["Location"]).content.decode()
    assert "扬尘太大" in mine and "李工" in mine


def test_without_works_the_phone_page_says_so(client, estate, staff, home, resident):
    make_project(estate, staff)
    client.force_login(resident)
    page = client.get(reverse("renovation:complaint_new")).content.decode()
    assert 'id="no-works"' in page and 'id="complaint-form"' not in page


def test_staff_see_deadlines_answer_and_close_then_the_resident_reads_the_answer(
    client, project, home, resident, staff
):
    _zones(project, home)
    complaint = _raise(resident, home)
    Complaint.objects.filter(pk=complaint.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    client.force_login(staff)
    tab = client.get(reverse("renovation:project_complaints", kwargs={"project_id": project.pk}))
    body = tab.content.decode()
    assert "晚上十点还在切割钢管" in body and 'class="overdue"' in body
    overdue = client.get(
        reverse("renovation:project_complaints", kwargs={"project_id": project.pk}),
        {"status": "overdue"},
    ).content.decode()
    assert "晚上十点还在切割钢管" in overdue
    detail_url = reverse("renovation:complaint_detail", kwargs={"complaint_id": complaint.pk})
    detail = client.get(detail_url).content.decode()
    assert "党员乙" in detail and "李工" in detail and 'id="overdue"' in detail
    answer_url = reverse("renovation:complaint_answer", kwargs={"complaint_id": complaint.pk})
    empty = client.post(answer_url, {"answer": ""}, follow=True)
    assert "请填写答复内容" in empty.content.decode()
    client.post(answer_url, {"answer": "已要求夜间停工"})
    client.post(reverse("renovation:complaint_close", kwargs={"complaint_id": complaint.pk}))
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    client.force_login(resident)
    assert "已要求夜间停工" in client.get(reverse("renovation:my_complaints")).content.decode()


def test_the_author_confirms_on_the_phone_another_resident_gets_404(
    client, project, estate, home, resident
):
    complaint = _raise(resident, home)
    url = reverse("renovation:complaint_confirm", kwargs={"complaint_id": complaint.pk})
    other = estate.dwellings.exclude(pk=home.pk).first()
    client.force_login(make_user(person=make_owner(other, "邻居"), password=None))
    assert client.post(url).status_code == 404
    client.force_login(resident)
    client.post(url)
    assert Complaint.objects.get().status == ComplaintStatus.CLOSED


def test_the_staff_pages_mask_the_residents_phone_for_the_contractor(
    client, project, estate, home, resident
):
    complaint = _raise(resident, home)
    member = make_user(Role.CONTRACTOR, estate=estate, password=None)
    ProjectMember.objects.create(project=project, user=member, company=project.builder)
    client.force_login(member)
    url = reverse("renovation:complaint_detail", kwargs={"complaint_id": complaint.pk})
    body = client.get(url).content.decode()
    assert resident.phone not in body and resident.phone[-4:] in body
    assert 'id="answer-form"' in body
