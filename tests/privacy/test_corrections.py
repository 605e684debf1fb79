"""A resident asks for a correction; the community's staff see and answer it, in scope."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_correction, make_estate, make_owner, make_user, region_chain
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.privacy.models import CorrectionRequest
from xiaoqu.privacy.services import correction_request, correction_resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    estate = make_estate(floors=1, per_floor=1)
    person = make_owner(estate.dwellings.get(), name="王小明")
    resident = make_user(person=person)
    staff = make_user("community_staff", region=estate.community)
    other_community = region_chain(("贵州省", "贵阳市", "南明区", "遵义路街道", "四通街社区"))[-1]
    stranger = make_user("community_staff", region=other_community)
    return {"estate": estate, "resident": resident, "staff": staff, "stranger": stranger}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_resident_files_a_request_from_their_page(world):
    response = _client(world["resident"]).post(
        reverse("privacy:my_data"), {"text": "我的手机号换了"}
    )
    assert response.status_code == 302
    request = CorrectionRequest.objects.get()
    assert (request.estate, request.status, request.text) == (
        world["estate"],
        "open",
        "我的手机号换了",
    )
    assert AuditLog.objects.filter(action="privacy.correction_request").count() == 1


@pytest.mark.parametrize("text", ["", "   ", "字" * 1001])
def test_an_empty_or_overlong_request_is_refused_and_nothing_stored(world, text):
    response = _client(world["resident"]).post(reverse("privacy:my_data"), {"text": text})
    assert response.status_code == 200
    assert CorrectionRequest.objects.count() == 0


def test_a_login_without_a_home_cannot_file_one():
    with pytest.raises(DomainError) as error:
        correction_request(user=make_user(), text="改名")
    assert error.value.code == "no_person"


def test_at_most_five_open_requests_per_person(world):
    for _ in range(5):
        make_correction(world["resident"])
    with pytest.raises(DomainError) as error:
        make_correction(world["resident"])
    assert error.value.code == "too_many"


def test_the_communitys_staff_see_it_and_others_do_not(world):
    make_correction(world["resident"])
    page = _client(world["staff"]).get(reverse("privacy:corrections"))
    assert "王小明".encode() in page.content
    other = _client(world["stranger"]).get(reverse("privacy:corrections"))
    assert other.status_code == 200 and "王小明".encode() not in other.content


def test_staff_answer_it_once_with_an_audit_row(world):
    request = make_correction(world["resident"])
    url = reverse("privacy:correction_resolve", kwargs={"correction_id": request.pk})
    response = _client(world["staff"]).post(url, {"status": "done", "answer": "已在档案中更正"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.resolved_by) == ("done", world["staff"])
    assert AuditLog.objects.filter(action="privacy.correction_resolve").count() == 1
    with pytest.raises(DomainError) as error:
        correction_resolve(request=request, status="declined", answer="x", actor=world["staff"])
    assert error.value.code == "resolved"


def test_declining_needs_a_reason(world):
    request = make_correction(world["resident"])
    with pytest.raises(DomainError) as error:
        correction_resolve(request=request, status="declined", answer="", actor=world["staff"])
    assert error.value.code == "answer"
    request.refresh_from_db()
    assert request.status == "open"


def test_staff_of_another_community_get_404_and_change_nothing(world):
    request = make_correction(world["resident"])
    url = reverse("privacy:correction_resolve", kwargs={"correction_id": request.pk})
    assert _client(world["stranger"]).post(url, {"status": "done"}).status_code == 404
    assert _client(world["resident"]).post(url, {"status": "done"}).status_code == 404
    request.refresh_from_db()
    assert request.status == "open"


def test_the_resident_reads_the_answer_on_their_page(world):
    request = make_correction(world["resident"])
    correction_resolve(
        request=request, status="declined", answer="与房产证一致", actor=world["staff"]
    )
    page = _client(world["resident"]).get(reverse("privacy:my_data"))
    assert "与房产证一致".encode() in page.content


def test_open_requests_are_on_the_communitys_to_do_workbench(world):
    """The to-do workbench lists an open request for the community's staff, not after it
    is answered, and never for staff elsewhere."""
    from xiaoqu.daily import todo

    request = make_correction(world["resident"], text="门牌号登记错了")
    groups = {g.key: g for g in todo.todo_groups(world["staff"])}
    assert groups["corrections"].total == 1
    assert groups["corrections"].lines[0].title == "门牌号登记错了"
    assert "corrections" not in {g.key for g in todo.todo_groups(world["stranger"])}
    correction_resolve(request=request, status="done", answer="", actor=world["staff"])
    assert "corrections" not in {g.key for g in todo.todo_groups(world["staff"])}


def test_the_list_page_logs_a_view_of_the_people_it_names(world):
    from xiaoqu.core.models import AccessEvent

    request = make_correction(world["resident"])
    _client(world["staff"]).get(reverse("privacy:corrections"))
    event = AccessEvent.objects.get()
    assert (event.action, event.subjects) == ("view", [request.person_id])
