"""A resident's opinions are limited per time window (XIAOQU_OPINION_RATE): the probe sent 98
in 150 seconds. The one over the limit is answered 429 with a message, on the phone form and
through the API, and nothing is stored."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_user, region_chain
from xiaoqu.core.rates import RateLimited
from xiaoqu.needs import services
from xiaoqu.needs.models import Opinion
from xiaoqu.needs.services import OpinionInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return make_estate(region_chain()[-1], name="东风小区", buildings=1, floors=2, per_floor=2)


@pytest.fixture
def resident(estate):
    return make_user(person=make_owner(estate.dwellings.order_by("pk").first(), name="王秀英"))


def _submit(resident, estate, text="楼道灯坏了", key=None):
    return services.opinion_submit(
        user=resident, estate=estate, item=OpinionInput(text=text, client_key=key)
    )


def _form(estate, text="楼道灯坏了，晚上看不见"):
    return {
        "estate": str(estate.pk),
        "dwelling": "",
        "text": text,
        "latitude": "",
        "longitude": "",
        "client_key": str(uuid.uuid4()),
    }


@override_settings(XIAOQU_OPINION_RATE="3/h")
def test_the_opinion_over_the_limit_is_refused_on_the_form_with_429(estate, resident):
    client = Client()
    client.force_login(resident)
    for i in range(3):
        response = client.post(reverse("needs:opinion_new"), _form(estate, f"第{i}条意见"))
        assert response.status_code == 302
    response = client.post(reverse("needs:opinion_new"), _form(estate, "第四条意见"))
    body = response.content.decode()
    assert response.status_code == 429
    assert "1 小时内已提交 3 条意见" in body and "达到上限" in body
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Opinion.objects.count() == 3


@override_settings(XIAOQU_OPINION_RATE="3/h")
def test_the_opinion_over_the_limit_is_refused_by_the_api_with_429(estate, resident):
    client = Client()
    client.force_login(resident)
    url = reverse("api-1.0.0:needs_opinion_create")
    statuses = []
    for i in range(4):
        body = {
            "estate_id": estate.pk,
            "text": f"第{i}条：电梯坏了",
            "client_key": str(uuid.uuid4()),
        }
        response = client.post(url, json.dumps(body), content_type="application/json")
        statuses.append(response.status_code)
    assert statuses == [201, 201, 201, 429]
    assert response.json()["code"] == "rate_limited" and "达到上限" in response.json()["detail"]
    assert Opinion.objects.count() == 3


@override_settings(XIAOQU_OPINION_RATE="2/h")
def test_a_resend_with_the_same_key_is_not_counted_and_still_answers(estate, resident):
    """Resending an opinion already stored (a phone that lost the answer) returns it even
    at the limit: it is not a new opinion."""
    key = uuid.uuid4()
    first, created = _submit(resident, estate, key=key)
    _submit(resident, estate, text="第二条")
    again, created_again = _submit(resident, estate, key=key)
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(RateLimited):
        _submit(resident, estate, text="第三条")


@override_settings(XIAOQU_OPINION_RATE="2/h")
def test_the_window_moves_on(estate, resident):
    """Opinions older than the window no longer count."""
    _submit(resident, estate, text="第一条")
    _submit(resident, estate, text="第二条")
    Opinion.objects.update(created_at=timezone.now() - dt.timedelta(hours=1, seconds=1))
    _submit(resident, estate, text="第三条")
    assert Opinion.objects.count() == 3


@override_settings(XIAOQU_OPINION_RATE="2/h")
def test_the_limit_is_per_resident_and_not_for_staff(estate, resident):
    """A neighbour is not held back by the first resident's opinions, and staff recording the
    hotline's calls are not residents submitting."""
    _submit(resident, estate, text="第一条")
    _submit(resident, estate, text="第二条")
    neighbour = make_user(person=make_owner(estate.dwellings.order_by("pk")[1], name="李大爷"))
    _submit(neighbour, estate, text="邻居的意见")
    staff = make_user("community_staff", region=estate.community)
    for i in range(3):
        services.opinions_record(
            estate=estate, items=[OpinionInput(text=f"热线{i}")], channel="hotline", actor=staff
        )
    assert Opinion.objects.count() == 6


@override_settings(XIAOQU_OPINION_RATE="off")
def test_the_limit_can_be_switched_off(estate, resident):
    for i in range(12):
        _submit(resident, estate, text=f"意见{i}")
    assert Opinion.objects.count() == 12


def test_the_default_is_ten_an_hour(estate, resident):
    for i in range(10):
        _submit(resident, estate, text=f"意见{i}")
    with pytest.raises(RateLimited) as error:
        _submit(resident, estate, text="第十一条")
    assert error.value.code == "rate_limited"
    assert Opinion.objects.count() == 10
