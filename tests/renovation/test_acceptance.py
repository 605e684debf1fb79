"""The joint acceptance: six parties named, a verdict per item cleared for works, failed items
re-inspected, the resident supervisor's signature, and 验收通过 only when all of it holds (the
rule "no 完成 without a passed joint acceptance"); bad input changes nothing; the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ACCEPTANCE_NAMES,
    make_estate,
    make_owner,
    make_project,
    make_project_in_acceptance,
    make_resident_supervisor,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.renovation.models import (
    Acceptance,
    AcceptanceCheck,
    AcceptanceStatus,
    ProjectEvent,
    ProjectStage,
)
from xiaoqu.renovation.services import acceptance as services
from xiaoqu.renovation.services import projects

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1], password=None)


@pytest.fixture
def estate():
    return make_estate(name="金仓小区", floors=2, per_floor=2)


@pytest.fixture
def project(estate, staff):
    return make_project_in_acceptance(estate, staff)


@pytest.fixture
def supervisor(project):
    return make_resident_supervisor(project)


@pytest.fixture
def opened(project, staff):
    return services.acceptance_open(
        project=project, held_on=timezone.localdate(), participants=ACCEPTANCE_NAMES, actor=staff
    )


def _items(project):
    """The items cleared for works (the sewer and the sidewalk; the elevator awaits a vote)."""
    return services.cleared_items(project)


def _pass_all(acceptance, actor):
    for item in _items(acceptance.project):
        services.acceptance_check(acceptance=acceptance, item=item, passed=True, actor=actor)


def test_the_items_to_check_are_those_cleared_for_works(project):
    titles = [i.title for i in _items(project)]
    assert titles == ["雨污分流管网改造", "人行道铺设透水砖"]
    assert project.items.count() == 3


# --- opening ---------------------------------------------------------------------------------


def test_opening_names_the_six_parties_and_is_an_event(opened, project):
    assert opened.status == AcceptanceStatus.OPEN
    assert opened.participants == ACCEPTANCE_NAMES
    assert ProjectEvent.objects.filter(project=project, kind="acceptance_open").count() == 1


@pytest.mark.parametrize("missing", sorted(ACCEPTANCE_NAMES))
def test_every_party_must_be_named(project, staff, missing):
    names = dict(ACCEPTANCE_NAMES, **{missing: "  "})
    with pytest.raises(DomainError) as refused:
        services.acceptance_open(
            project=project, held_on=timezone.localdate(), participants=names, actor=staff
        )
    assert refused.value.code == "participants"
    assert not Acceptance.objects.exists()


def test_an_acceptance_only_in_the_acceptance_stage(estate, staff):
    project = make_project(estate, staff, stage=ProjectStage.WORKS)
    with pytest.raises(DomainError) as refused:
        services.acceptance_open(
            project=project,
            held_on=timezone.localdate(),
            participants=ACCEPTANCE_NAMES,
            actor=staff,
        )
    assert refused.value.code == "stage"
    assert not Acceptance.objects.exists()


def test_one_acceptance_at_a_time_and_none_in_the_future(opened, project, staff):
    for held_on, code in (
        (timezone.localdate(), "in_progress"),
        (timezone.localdate() + dt.timedelta(days=1), "held_on"),
    ):
        with pytest.raises(DomainError) as refused:
            services.acceptance_open(
                project=project, held_on=held_on, participants=ACCEPTANCE_NAMES, actor=staff
            )
        assert refused.value.code == code
    assert Acceptance.objects.count() == 1


def test_only_those_who_manage_projects_open_it(project, estate):
    for role in (Role.GRID_WORKER, Role.CONTRACTOR, Role.HOUSING_BUREAU):
        user = make_user(role, estate=estate, password=None)
        with pytest.raises(DomainError) as refused:
            services.acceptance_open(
                project=project,
                held_on=timezone.localdate(),
                participants=ACCEPTANCE_NAMES,
                actor=user,
            )
        assert refused.value.code == "out_of_scope"
    assert not Acceptance.objects.exists()


# --- verdicts --------------------------------------------------------------------------------


def test_a_failed_item_needs_defects_and_a_deadline_not_before_the_acceptance(opened, staff):
    sewer = _items(opened.project)[0]
    today = timezone.localdate()
    for defects, deadline, code in (
        ("", today + dt.timedelta(days=10), "defects"),
        ("井盖松动", None, "date"),
        ("井盖松动", today - dt.timedelta(days=1), "date"),
    ):
        with pytest.raises(DomainError) as refused:
            services.acceptance_check(
                acceptance=opened,
                item=sewer,
                passed=False,
                defects=defects,
                rectify_by=deadline,
                actor=staff,
            )
        assert refused.value.code == code
    assert not AcceptanceCheck.objects.exists()


def test_an_item_not_cleared_for_works_or_of_another_project_is_not_checked(opened, project, staff):
    elevator = project.items.get(title="加装电梯")
    other = make_project(make_estate(), staff).items.first()
    for item in (elevator, other):
        with pytest.raises(DomainError) as refused:
            services.acceptance_check(acceptance=opened, item=item, passed=True, actor=staff)
        assert refused.value.code == "item"
    assert not AcceptanceCheck.objects.exists()


def test_fail_reinspect_sign_conclude_passes_and_lets_the_project_complete(
    opened, project, staff, supervisor
):
    sewer, sidewalk = _items(project)
    today = timezone.localdate()
    services.acceptance_check(
        acceptance=opened,
        item=sewer,
        passed=False,
        defects="3号检查井井盖松动",
        rectify_by=today + dt.timedelta(days=7),
        actor=staff,
    )
    services.acceptance_check(acceptance=opened, item=sidewalk, passed=True, actor=staff)
    verdict = services.acceptance_conclude(acceptance=opened, actor=staff)
    assert not verdict.passed
    opened.refresh_from_db()
    assert opened.status == AcceptanceStatus.RECTIFYING
    assert "雨污分流管网改造" in opened.conclusion and "居民监督员尚未签字" in opened.conclusion
    assert projects.stage_blockers(project) == ["联合验收通过后项目才能完成。"]
    services.acceptance_reinspect(acceptance=opened, item=sewer, passed=True, on=today, actor=staff)
    services.acceptance_sign_resident(acceptance=opened, actor=supervisor)
    verdict = services.acceptance_conclude(acceptance=opened, actor=staff)
    assert verdict.passed and verdict.missing == []
    opened.refresh_from_db()
    assert opened.status == AcceptanceStatus.PASSED and opened.passed_at is not None
    kinds = list(
        ProjectEvent.objects.filter(project=project, kind__startswith="acceptance").values_list(
            "kind", flat=True
        )
    )
    assert kinds == [
        "acceptance_open",
        "acceptance_check",
        "acceptance_check",
        "acceptance_conclude",
        "acceptance_reinspect",
        "acceptance_sign",
        "acceptance_conclude",
    ]
    assert AuditLog.objects.filter(action__startswith="renovation.acceptance").count() == 7
    project = projects.project_advance(project=project, actor=staff)
    assert project.stage == ProjectStage.COMPLETED


def test_no_pass_with_an_item_unchecked(opened, project, staff, supervisor):
    sewer, _sidewalk = _items(project)
    services.acceptance_check(acceptance=opened, item=sewer, passed=True, actor=staff)
    with pytest.raises(DomainError) as early:
        services.acceptance_sign_resident(acceptance=opened, actor=supervisor)
    assert early.value.code == "unchecked"
    verdict = services.acceptance_conclude(acceptance=opened, actor=staff)
    assert not verdict.passed and "人行道铺设透水砖" in verdict.missing[0]
    assert Acceptance.objects.get().status == AcceptanceStatus.RECTIFYING


def test_no_pass_while_a_reinspection_failed(opened, project, staff, supervisor):
    sewer, sidewalk = _items(project)
    today = timezone.localdate()
    services.acceptance_check(
        acceptance=opened, item=sewer, passed=False, defects="渗漏", rectify_by=today, actor=staff
    )
    services.acceptance_check(acceptance=opened, item=sidewalk, passed=True, actor=staff)
    later = today + dt.timedelta(days=5)
    services.acceptance_reinspect(
        acceptance=opened, item=sewer, passed=False, on=today, rectify_by=later, actor=staff
    )
    check = AcceptanceCheck.objects.get(item=sewer)
    assert check.reinspection_passed is False and check.rectify_by == later and not check.ok
    services.acceptance_sign_resident(acceptance=opened, actor=supervisor)
    assert not services.acceptance_conclude(acceptance=opened, actor=staff).passed
    with pytest.raises(DomainError):
        projects.project_advance(project=project, actor=staff)


def test_no_pass_without_the_resident_supervisors_signature(opened, project, staff):
    _pass_all(opened, staff)
    verdict = services.acceptance_conclude(acceptance=opened, actor=staff)
    assert verdict.missing == ["本项目还没有确定居民监督员。"]
    make_resident_supervisor(project)
    opened.refresh_from_db()
    verdict = services.acceptance_conclude(acceptance=opened, actor=staff)
    assert verdict.missing == ["居民监督员尚未签字。"]


def test_only_the_projects_resident_supervisor_signs(opened, project, staff, supervisor, estate):
    _pass_all(opened, staff)
    neighbour = make_user(person=make_owner(estate.dwellings.first(), "邻居"), password=None)
    for actor in (staff, neighbour):
        with pytest.raises(DomainError) as refused:
            services.acceptance_sign_resident(acceptance=opened, actor=actor)
        assert refused.value.code == "not_supervisor"
    services.acceptance_sign_resident(acceptance=opened, actor=supervisor)
    with pytest.raises(DomainError) as twice:
        services.acceptance_sign_resident(acceptance=opened, actor=supervisor)
    assert twice.value.code == "signed"


def test_a_verdict_changed_after_the_signature_voids_it(opened, project, staff, supervisor):
    _pass_all(opened, staff)
    services.acceptance_sign_resident(acceptance=opened, actor=supervisor)
    sewer = _items(project)[0]
    services.acceptance_check(
        acceptance=opened,
        item=sewer,
        passed=False,
        defects="路面塌陷",
        rectify_by=timezone.localdate(),
        actor=staff,
    )
    opened.refresh_from_db()
    assert opened.resident_signed_at is None and opened.resident_signed_by is None
    event = ProjectEvent.objects.filter(kind="acceptance_check").last()
    assert "重新签字" in event.note


def test_a_passed_acceptance_is_final(opened, project, staff, supervisor):
    _pass_all(opened, staff)
    services.acceptance_sign_resident(acceptance=opened, actor=supervisor)
    assert services.acceptance_conclude(acceptance=opened, actor=staff).passed
    sewer = _items(project)[0]
    with pytest.raises(DomainError) as refused:
        services.acceptance_check(acceptance=opened, item=sewer, passed=True, actor=staff)
    assert refused.value.code == "passed"
    with pytest.raises(DomainError):
        services.acceptance_conclude(acceptance=opened, actor=staff)
    with pytest.raises(DomainError) as another:
        services.acceptance_open(
            project=project,
            held_on=timezone.localdate(),
            participants=ACCEPTANCE_NAMES,
            actor=staff,
        )
    assert another.value.code == "passed"


def test_reinspection_rules(opened, project, staff):
    sewer, sidewalk = _items(project)
    today = timezone.localdate()
    services.acceptance_check(acceptance=opened, item=sidewalk, passed=True, actor=staff)
    with pytest.raises(DomainError) as passed_item:
        services.acceptance_reinspect(
            acceptance=opened, item=sidewalk, passed=True, on=today, actor=staff
        )
    assert passed_item.value.code == "not_failed"
    services.acceptance_check(
        acceptance=opened, item=sewer, passed=False, defects="渗漏", rectify_by=today, actor=staff
    )
    for on in (today + dt.timedelta(days=1), today - dt.timedelta(days=1)):
        with pytest.raises(DomainError) as bad_date:
            services.acceptance_reinspect(
                acceptance=opened, item=sewer, passed=True, on=on, actor=staff
            )
        assert bad_date.value.code == "date"
    assert AcceptanceCheck.objects.get(item=sewer).reinspected_on is None
    services.acceptance_reinspect(acceptance=opened, item=sewer, passed=True, on=today, actor=staff)
    with pytest.raises(DomainError) as twice:
        services.acceptance_reinspect(
            acceptance=opened, item=sewer, passed=True, on=today, actor=staff
        )
    assert twice.value.code == "reinspected"
    with pytest.raises(DomainError) as rewrite:
        services.acceptance_check(acceptance=opened, item=sewer, passed=True, actor=staff)
    assert rewrite.value.code == "reinspected"


# --- pages -----------------------------------------------------------------------------------


def test_the_acceptance_through_the_forms(client, project, staff, supervisor):
    client.force_login(staff)
    tab = reverse("renovation:project_acceptance", kwargs={"project_id": project.pk})
    assert 'id="acceptance-open-form"' in client.get(tab).content.decode()
    open_url = reverse("renovation:acceptance_open", kwargs={"project_id": project.pk})
    today = timezone.localdate().isoformat()
    bad = client.post(open_url, dict(ACCEPTANCE_NAMES, held_on=today, street=""), follow=True)
    assert "请填写街道的参加人员" in bad.content.decode()
    bad_date = client.post(open_url, dict(ACCEPTANCE_NAMES, held_on="昨天"), follow=True)
    assert "请填写正确的验收日期" in bad_date.content.decode()
    assert not Acceptance.objects.exists()
    client.post(open_url, dict(ACCEPTANCE_NAMES, held_on=today))
    acceptance = Acceptance.objects.get()
    sewer, sidewalk = _items(project)
    check = reverse("renovation:acceptance_check", kwargs={"acceptance_id": acceptance.pk})
    no_verdict = client.post(check, {"item": sewer.pk}, follow=True)
    assert "请选择合格或不合格" in no_verdict.content.decode()
    client.post(
        check, {"item": sewer.pk, "verdict": "fail", "defects": "井盖松动", "rectify_by": today}
    )
    client.post(check, {"item": sidewalk.pk, "verdict": "pass"})
    page = client.get(tab).content.decode()
    assert "井盖松动" in page and 'class="reinspect-form"' in page
    client.post(
        reverse("renovation:acceptance_reinspect", kwargs={"acceptance_id": acceptance.pk}),
        {"item": sewer.pk, "verdict": "pass", "on": today},
    )
    conclude = reverse("renovation:acceptance_conclude", kwargs={"acceptance_id": acceptance.pk})
    rectifying = client.post(conclude, follow=True).content.decode()
    assert "居民监督员尚未签字" in rectifying
    client.force_login(supervisor)
    record = reverse("renovation:acceptance_view", kwargs={"acceptance_id": acceptance.pk})
    assert 'id="sign-form"' in client.get(record).content.decode()
    client.post(reverse("renovation:acceptance_sign", kwargs={"acceptance_id": acceptance.pk}))
    assert 'id="signed"' in client.get(record).content.decode()
    client.force_login(staff)
    passed = client.post(conclude, follow=True).content.decode()
    assert "联合验收通过" in passed
    assert Acceptance.objects.get().status == AcceptanceStatus.PASSED
    printed = client.get(
        reverse("renovation:acceptance_print", kwargs={"acceptance_id": acceptance.pk})
    ).content.decode()
    assert "@page { size: A4" in printed and "井盖松动" in printed and "验收通过" in printed
    assert 'id="draft"' not in printed


def test_residents_read_the_record_but_cannot_sign_or_change_it(
    client, opened, project, estate, supervisor
):
    neighbour = make_user(person=make_owner(estate.dwellings.first(), "邻居"), password=None)
    client.force_login(neighbour)
    record = reverse("renovation:acceptance_view", kwargs={"acceptance_id": opened.pk})
    body = client.get(record).content.decode()
    assert "住建局王科长" in body and 'id="sign-form"' not in body
    sign = client.post(
        reverse("renovation:acceptance_sign", kwargs={"acceptance_id": opened.pk}), follow=True
    )
    assert "只有本项目的居民监督员可以签字" in sign.content.decode()
    check = reverse("renovation:acceptance_check", kwargs={"acceptance_id": opened.pk})
    assert client.post(check, {"item": 1, "verdict": "pass"}).status_code == 404
    assert Acceptance.objects.get().resident_signed_at is None
    assert not AcceptanceCheck.objects.exists()
    print_page = client.get(
        reverse("renovation:acceptance_print", kwargs={"acceptance_id": opened.pk})
    ).content.decode()
    assert 'id="draft"' in print_page
