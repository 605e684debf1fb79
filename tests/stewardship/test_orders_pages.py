"""The work-order pages: the resident's phone form, their orders and the confirm / reopen /
rate forms; the staff list with its filters, the order page with one form per move, the
hotline form; photos and notices; every POST-only action in and out of scope."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    make_estate,
    make_jpeg,
    make_person,
    make_user,
    make_work_order,
    region_chain,
)
from xiaoqu.registry.models import Residency
from xiaoqu.stewardship.models import Notice, WorkOrder, WorkOrderCategory
from xiaoqu.stewardship.services import orders

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    orders.categories_ensure()
    return make_estate(region_chain()[-1], name="幸福小区", buildings=2, floors=1, per_floor=2)


@pytest.fixture
def resident(estate):
    person = make_person("居民丙")
    Residency.objects.create(person=person, dwelling=estate.dwellings.first(), relation="owner")
    return make_user(person=person, password=None)


@pytest.fixture
def manager(estate):
    return make_user("property_manager", estate=estate, password=None)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def light() -> WorkOrderCategory:
    return WorkOrderCategory.objects.get(code="stair-light")


def test_resident_reports_from_the_phone_form_with_a_photo(estate, resident, manager):
    client = client_for(resident)
    page = client.get(reverse("stewardship:order_new"))
    assert page.status_code == 200 and "楼道灯不亮" in page.content.decode()
    key = uuid.uuid4()
    data = {
        "client_key": str(key),
        "estate": estate.pk,
        "category": light().pk,
        "text": "2楼楼道灯不亮",
        "building": estate.buildings.first().pk,
        "place": "1单元2楼",
        "contact_ok": "1",
        "photos": SimpleUploadedFile("p.jpg", make_jpeg(), content_type="image/jpeg"),
    }
    response = client.post(reverse("stewardship:order_new"), data)
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("stewardship:my_order", args=[order.pk])
    assert (order.reporter, order.place, order.contact_ok) == (resident, "1单元2楼", True)
    # The same form sent again (a retry) makes no second order.
    data["photos"] = SimpleUploadedFile("p.jpg", make_jpeg(), content_type="image/jpeg")
    client.post(reverse("stewardship:order_new"), data)
    assert WorkOrder.objects.count() == 1
    mine = client.get(reverse("stewardship:my_order", args=[order.pk])).content.decode()
    assert "2楼楼道灯不亮" in mine and "办理时限" in mine
    photo = order.photos.get()
    url = reverse("stewardship:order_photo", args=[order.pk, photo.pk])
    assert url in mine
    assert client.get(url).status_code == 200
    assert client_for(manager).get(url).status_code == 200
    assert client_for(make_user(password=None)).get(url).status_code == 404


def test_bad_report_shows_the_message_and_saves_nothing(estate, resident):
    client = client_for(resident)
    response = client.post(
        reverse("stewardship:order_new"),
        {"client_key": str(uuid.uuid4()), "estate": estate.pk, "category": light().pk, "text": ""},
    )
    assert response.status_code == 400
    assert "请说明是什么问题" in response.content.decode()
    response = client.post(
        reverse("stewardship:order_new"),
        {"estate": estate.pk, "category": "99999", "text": "灯不亮"},
    )
    assert response.status_code == 400 and "请选择问题类别" in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_a_person_without_a_home_cannot_report(estate):
    assert (
        client_for(make_user(password=None)).get(reverse("stewardship:order_new")).status_code
        == 404
    )


def test_resident_sees_only_their_own_orders(estate, resident):
    mine = make_work_order(estate, resident)
    other = make_work_order(estate, None)
    client = client_for(resident)
    listing = client.get(reverse("stewardship:my_orders")).content.decode()
    assert f"#{mine.pk}" in listing and f"#{other.pk} " not in listing
    assert client.get(reverse("stewardship:my_order", args=[other.pk])).status_code == 404
    assert client.post(reverse("stewardship:my_order_confirm", args=[other.pk])).status_code == 404


def test_resident_confirms_and_rates_through_the_forms(estate, resident, manager):
    order = make_work_order(estate, resident, status="resolved")
    client = client_for(resident)
    page = client.get(reverse("stewardship:my_order", args=[order.pk])).content.decode()
    assert 'id="confirm-form"' in page and 'id="reopen-form"' in page
    client.post(reverse("stewardship:my_order_confirm", args=[order.pk]))
    page = client.get(reverse("stewardship:my_order", args=[order.pk])).content.decode()
    assert 'id="rate-form"' in page
    response = client.post(reverse("stewardship:my_order_rate", args=[order.pk]), {"rating": "9"})
    assert "评价请选 1 到 5 星。" in said(response)
    client.post(reverse("stewardship:my_order_rate", args=[order.pk]), {"rating": "4"})
    order.refresh_from_db()
    assert (order.status, order.rating) == ("confirmed", 4)


def test_resident_reopens_with_a_reason(estate, resident):
    order = make_work_order(estate, resident, status="resolved")
    client = client_for(resident)
    response = client.post(reverse("stewardship:my_order_reopen", args=[order.pk]), {"reason": ""})
    assert "请说明哪里还没解决。" in said(response)
    client.post(reverse("stewardship:my_order_reopen", args=[order.pk]), {"reason": "还是不亮"})
    order.refresh_from_db()
    assert order.status == "reopened"
    page = client.get(reverse("stewardship:my_order", args=[order.pk])).content.decode()
    assert "还是不亮" in page


def test_staff_list_filters(estate, manager):
    late = make_work_order(estate, None, due_at=timezone.now() - dt.timedelta(hours=1))
    drain = make_work_order(estate, None, code="drain", party="community")
    closed = make_work_order(estate, None, status="confirmed")
    client = client_for(manager)
    url = reverse("stewardship:order_list")

    def listed(query: str) -> set[int]:
        body = client.get(url + query).content.decode()
        return {o.pk for o in (late, drain, closed) if f">#{o.pk}<" in body}

    assert listed("") == {late.pk, drain.pk, closed.pk}
    assert listed("?overdue=1") == {late.pk}
    assert listed("?status=open") == {late.pk, drain.pk}
    assert listed("?category=drain") == {drain.pk}
    assert listed("?party=community") == {drain.pk}
    assert listed("?status=bogus&party=bogus") == {late.pk, drain.pk, closed.pk}
    elsewhere = make_user("property_manager", estate=make_estate(), password=None)
    assert client_for(elsewhere).get(url + "?status=open").content.decode().count(">#") == 0


def test_staff_order_page_moves_the_order_one_form_each(estate, resident, manager):
    order = make_work_order(estate, resident)
    client = client_for(manager)
    page = client.get(reverse("stewardship:order_detail", args=[order.pk])).content.decode()
    assert 'id="accept-form"' in page and 'id="reject-form"' in page
    assert resident.phone not in page  # no contact permission
    client.post(reverse("stewardship:order_accept", args=[order.pk]))
    client.post(reverse("stewardship:order_dispatch", args=[order.pk]), {"assignee": manager.pk})
    client.post(reverse("stewardship:order_start", args=[order.pk]))
    response = client.post(reverse("stewardship:order_resolve", args=[order.pk]), {"note": ""})
    assert "请写明处理结果。" in said(response)
    client.post(reverse("stewardship:order_resolve", args=[order.pk]), {"note": "已换灯泡"})
    order.refresh_from_db()
    assert (order.status, order.assignee) == ("resolved", manager)
    # A resident's own order is theirs to confirm.
    response = client.post(reverse("stewardship:order_confirm", args=[order.pk]))
    assert "这张工单现在不由您处理。" in said(response)
    page = client.get(reverse("stewardship:order_detail", args=[order.pk])).content.decode()
    for kind in ("受理", "派单", "开始处理", "处理完成", "已换灯泡"):
        assert kind in page


def test_staff_reject_and_merge_forms(estate, manager):
    first = make_work_order(estate, None)
    second = make_work_order(estate, None)
    client = client_for(manager)
    page = client.get(reverse("stewardship:order_detail", args=[second.pk])).content.decode()
    assert f'<option value="{first.pk}">' in page  # suggested duplicate
    response = client.post(reverse("stewardship:order_merge", args=[second.pk]), {"target": "x"})
    assert "只能合并到同一小区、同一类别、尚未办结的工单。" in said(response)
    client.post(reverse("stewardship:order_merge", args=[second.pk]), {"target": first.pk})
    response = client.post(reverse("stewardship:order_reject", args=[first.pk]), {"reason": ""})
    assert said(response)
    client.post(reverse("stewardship:order_reject", args=[first.pk]), {"reason": "非物业范围"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.status, second.merged_into_id) == ("merged", first.pk)
    assert (first.status, first.reject_reason) == ("rejected", "非物业范围")


def test_staff_confirm_a_hotline_order_on_the_callers_behalf(estate, manager):
    order = make_work_order(estate, None, status="resolved")
    client_for(manager).post(
        reverse("stewardship:order_confirm", args=[order.pk]), {"note": "回访满意"}
    )
    order.refresh_from_db()
    assert order.status == "confirmed"


ACTIONS = (
    "order_accept",
    "order_dispatch",
    "order_start",
    "order_resolve",
    "order_confirm",
    "order_reject",
    "order_merge",
)


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_outside_scope_are_404_and_change_nothing(estate, action):
    order = make_work_order(estate, None)
    outsider = make_user("property_manager", estate=make_estate(), password=None)
    response = client_for(outsider).post(reverse(f"stewardship:{action}", args=[order.pk]))
    assert response.status_code == 404
    assert WorkOrder.objects.get(pk=order.pk).status == "submitted"
    resident_only = make_user(password=None)
    assert (
        client_for(resident_only)
        .post(reverse(f"stewardship:{action}", args=[order.pk]))
        .status_code
        == 404
    )


@pytest.mark.parametrize("action", ("my_order_confirm", "my_order_reopen", "my_order_rate"))
def test_resident_actions_need_get_to_be_refused(estate, resident, action):
    order = make_work_order(estate, resident)
    assert (
        client_for(resident).get(reverse(f"stewardship:{action}", args=[order.pk])).status_code
        == 405
    )


def test_hotline_form_records_an_order(estate, manager):
    client = client_for(manager)
    assert client.get(reverse("stewardship:order_record")).status_code == 200
    response = client.post(
        reverse("stewardship:order_record"),
        {
            "client_key": str(uuid.uuid4()),
            "channel": "hotline",
            "estate": estate.pk,
            "category": light().pk,
            "text": "楼道灯坏了",
            "building": "1",
            "reporter_name": "李大爷",
            "reporter_phone": "13800001111",
            "contact_ok": "1",
        },
    )
    order = WorkOrder.objects.get()
    assert response["Location"] == reverse("stewardship:order_detail", args=[order.pk])
    assert (order.channel, order.building.number, order.reporter_phone) == (
        "hotline",
        "1",
        "13800001111",
    )
    bad = client.post(
        reverse("stewardship:order_record"),
        {
            "channel": "hotline",
            "estate": estate.pk,
            "category": light().pk,
            "text": "x",
            "building": "99",
        },
    )
    assert bad.status_code == 400 and "这个小区没有这个楼栋号。" in bad.content.decode()
    assert WorkOrder.objects.count() == 1


def test_notices_page_lists_and_marks_read(estate, resident, manager):
    order = make_work_order(estate, resident)
    orders.order_accept(order=order, actor=manager)
    client = client_for(resident)
    page = client.get(reverse("stewardship:notices")).content.decode()
    assert "已受理" in page and "1 条未读" in page
    client.post(reverse("stewardship:notices_read"))
    assert not Notice.objects.filter(user=resident, read_at=None).exists()


def test_a_digest_notice_links_to_the_partys_open_orders(manager):
    """A digest (many orders of one sweep) shows its text and links to the open orders of
    the party they reached, with no order number."""
    Notice.objects.create(
        user=manager, orders=40, party="community", text="40 件工单逾期未办结", at=timezone.now()
    )
    page = client_for(manager).get(reverse("stewardship:notices")).content.decode()
    assert "40 件工单逾期未办结" in page
    assert f"{reverse('stewardship:order_list')}?status=open&amp;party=community" in page


def test_resident_home_links_to_orders_and_staff_nav_has_orders(estate, resident, manager):
    home = client_for(resident).get(reverse("registry:resident_home")).content.decode()
    assert reverse("stewardship:my_orders") in home
    workbench = client_for(manager).get(reverse("stewardship:order_list")).content.decode()
    assert f'href="{reverse("stewardship:order_list")}"' in workbench


def test_an_administrator_adds_a_routing_rule_for_an_estate_or_a_region_not_both(estate):
    """派单规则 in the admin: a rule for an estate is saved; one naming both an estate and a
    region is refused with a message and nothing is saved."""
    from xiaoqu.stewardship.models import RoutingRule, WorkOrderCategory
    from xiaoqu.stewardship.services.orders import categories_ensure

    categories_ensure()
    admin_user = make_user("admin", password=None)
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    drain = WorkOrderCategory.objects.get(code="drain")
    url = "/admin/stewardship/routingrule/add/"
    both = {"category": drain.pk, "estate": estate.pk, "region": estate.community_id}
    page = client.post(url, {**both, "party": "community"}).content.decode()
    assert "不能同时选" in page and not RoutingRule.objects.exists()
    client.post(url, {"category": drain.pk, "estate": estate.pk, "party": "community"})
    assert RoutingRule.objects.get().party == "community"
