"""The duty and access pages: the week's roster with its gaps and one form per action, who is
on duty now on the residents' and the staff's management pages, one's own shifts and their
handover, the access page with keys and generated codes shown once, the event log with people
masked for those who do not manage, the anomalies, and a resident's own credentials."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    make_estate,
    make_owner,
    make_person,
    make_self_committee,
    make_user,
    region_chain,
)
from xiaoqu.registry.models import Ownership
from xiaoqu.stewardship.models import (
    AccessAnomaly,
    AccessCredential,
    AccessDevice,
    AccessEvent,
    AccessPoint,
    DutyHandover,
    DutyShift,
)
from xiaoqu.stewardship.services import access, duty

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def estate():
    return make_estate(name="四通街8号院落", buildings=1, floors=2, per_floor=2)


@pytest.fixture
def chair(estate):
    return make_owner(estate.dwellings.order_by("pk")[0], "李主任")


@pytest.fixture
def watcher(estate):
    person = make_owner(estate.dwellings.order_by("pk")[1], "王值班")
    person.phone = "13912345678"
    person.save()
    return person


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community, password=None)


@pytest.fixture
def street(estate):
    return make_user("street_staff", region=estate.community.parent, password=None)


@pytest.fixture
def committee(estate, staff, chair):
    return make_self_committee(estate, staff, [chair])


@pytest.fixture
def chair_user(chair, committee):
    return make_user(person=chair, password=None)


@pytest.fixture
def watcher_user(watcher):
    return make_user(person=watcher, password=None)


@pytest.fixture
def shift(estate, staff, watcher, committee):
    return duty.shift_add(
        estate=estate,
        person=watcher,
        post="值班室",
        phone="0851-8888001",
        starts_at=NOW - dt.timedelta(hours=2),
        ends_at=NOW + dt.timedelta(hours=10),
        actor=staff,
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, estate, **query) -> str:
    base = reverse(f"stewardship:{name}", kwargs={"estate_id": estate.pk})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the roster -------------------------------------------------------------------------------


def test_the_roster_shows_the_week_who_is_on_duty_and_the_gaps(estate, staff, shift):
    response = client_for(staff).get(url("duty_roster", estate))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王值班" in html and "0851-8888001" in html and 'id="shift-form"' in html
    assert "无人值班" in html  # the rest of the week is not covered
    assert 'id="on-duty"' in html


def test_a_committee_member_without_a_role_manages_the_roster(estate, chair_user, watcher):
    """The 自管会's members reach the roster from 谁在管理 and put people on duty."""
    public = client_for(chair_user).get(url("estate_manager_public", estate)).content.decode()
    assert url("duty_roster", estate) in public and url("estate_access", estate) in public
    start = (timezone.localtime(NOW) + dt.timedelta(days=1)).replace(hour=8, minute=0)
    response = client_for(chair_user).post(
        url("shift_add", estate),
        {
            "person": watcher.pk,
            "post": "门岗",
            "phone": "0851-8888002",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302 and "?week=" in response["Location"]
    assert messages_of(response) == ["已排班。"]
    assert DutyShift.objects.get().created_by == chair_user


def test_street_staff_read_the_roster_without_forms_and_cannot_post(estate, street, shift):
    html = client_for(street).get(url("duty_roster", estate)).content.decode()
    assert "王值班" in html and 'id="shift-form"' not in html
    response = client_for(street).post(url("shift_add", estate), {"person": shift.person_id})
    assert response.status_code == 404


def test_a_resident_does_not_reach_the_roster(estate, watcher_user, shift):
    assert client_for(watcher_user).get(url("duty_roster", estate)).status_code == 404


def test_an_overlapping_shift_is_refused_with_a_message_and_nothing_is_added(
    estate, staff, shift, chair
):
    start = timezone.localtime(NOW)
    response = client_for(staff).post(
        url("shift_add", estate),
        {
            "person": chair.pk,
            "post": "值班室",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    assert "重叠" in messages_of(response)[0]
    assert DutyShift.objects.count() == 1


@pytest.mark.parametrize(
    ("person", "starts", "message"),
    [("stranger", "2026-05-04T08:00", "值班人员应是"), ("chair", "tomorrow", "格式不对")],
)
def test_bad_shift_forms_get_a_message(estate, staff, chair, committee, person, starts, message):
    who = make_person("外人").pk if person == "stranger" else chair.pk
    response = client_for(staff).post(
        url("shift_add", estate),
        {"person": who, "post": "值班室", "starts_at": starts, "ends_at": "2026-05-04T20:00"},
    )
    assert message in messages_of(response)[0]
    assert not DutyShift.objects.exists()


def test_a_future_shift_is_removed_a_started_one_is_kept(estate, staff, shift, chair):
    later = duty.shift_add(
        estate=estate,
        person=chair,
        post="值班室",
        starts_at=NOW + dt.timedelta(hours=20),
        ends_at=NOW + dt.timedelta(hours=30),
        actor=staff,
    )
    client = client_for(staff)
    client.post(url("shift_remove", estate), {"shift": later.pk})
    response = client.post(url("shift_remove", estate), {"shift": shift.pk})
    assert "不能删除" in messages_of(response)[-1]
    assert list(DutyShift.objects.all()) == [shift]


def test_a_shift_of_another_estate_is_not_found_from_this_one(estate, staff, shift):
    """Through a neighbouring estate in the same scope: "not found" as bad input; through an
    estate outside the scope: 404."""
    neighbour = make_estate(estate.community, name="隔壁小区")
    response = client_for(staff).post(url("shift_remove", neighbour), {"shift": shift.pk})
    assert messages_of(response) == ["班次不存在。"]
    far = make_estate(
        region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1]
    )
    assert client_for(staff).post(url("shift_remove", far), {"shift": shift.pk}).status_code == 404
    assert DutyShift.objects.get() == shift


# --- on duty now ------------------------------------------------------------------------------


def test_residents_see_who_is_on_duty_now_with_the_duty_phone_not_the_private_one(
    estate, chair_user, shift
):
    """谁在管理: the name, the post and the duty phone in full (a duty line to call); the
    person's own phone in the register is never shown."""
    resident = make_user(person=make_owner(estate.dwellings.last(), "居民"), password=None)
    html = client_for(resident).get(url("estate_manager_public", estate)).content.decode()
    assert "现在值班" in html and "王值班" in html and "值班室" in html
    assert 'href="tel:0851-8888001"' in html
    assert "13912345678" not in html and "139****5678" not in html
    assert url("duty_roster", estate) not in html  # residents do not reach the roster


def test_a_shift_without_a_duty_phone_shows_no_number(estate, staff, watcher, committee):
    duty.shift_add(
        estate=estate,
        person=watcher,
        post="巡逻",
        starts_at=NOW - dt.timedelta(hours=1),
        ends_at=NOW + dt.timedelta(hours=1),
        actor=staff,
    )
    resident = make_user(person=make_owner(estate.dwellings.last(), "居民"), password=None)
    html = client_for(resident).get(url("estate_manager_public", estate)).content.decode()
    assert "王值班" in html and "13912345678" not in html and "tel:" not in html.split("duty")[1]


def test_the_staff_management_page_shows_who_is_on_duty_and_links_to_roster_and_gates(
    estate, staff, shift
):
    html = client_for(staff).get(url("estate_management", estate)).content.decode()
    assert "王值班" in html and "0851-8888001" in html
    assert url("duty_roster", estate) in html and url("estate_access", estate) in html


def test_nobody_on_duty_is_said_plainly(estate, staff):
    html = client_for(staff).get(url("estate_management", estate)).content.decode()
    assert "现在没有排班" in html


# --- my duty and the handover -----------------------------------------------------------------


def test_the_person_on_duty_writes_the_handover_from_their_own_page(estate, watcher_user, shift):
    client = client_for(watcher_user)
    html = client.get(reverse("stewardship:my_duty")).content.decode()
    assert "四通街8号院落 · 值班室" in html and "handover-form" in html
    response = client.post(
        reverse("stewardship:handover_write", kwargs={"shift_id": shift.pk}),
        {"note": "东门灯坏了，已报修", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("stewardship:my_duty")
    assert DutyHandover.objects.get().note == "东门灯坏了，已报修"
    public = client.get(url("estate_manager_public", estate)).content.decode()
    assert reverse("stewardship:my_duty") in public


def test_someone_else_cannot_write_a_shifts_handover(estate, street, shift):
    neighbour = make_user(person=make_owner(estate.dwellings.last(), "邻居"), password=None)
    for user in (neighbour, street):
        response = client_for(user).post(
            reverse("stewardship:handover_write", kwargs={"shift_id": shift.pk}), {"note": "x"}
        )
        assert response.status_code == 404
    assert not DutyHandover.objects.exists()


def test_the_roster_offers_a_handover_to_those_who_manage(estate, chair_user, shift):
    client = client_for(chair_user)
    roster = url("duty_roster", estate)
    assert "写交接记录" in client.get(roster).content.decode()
    response = client.post(
        reverse("stewardship:handover_write", kwargs={"shift_id": shift.pk}),
        {"note": "交接：正常", "next": roster},
    )
    assert response["Location"] == roster
    assert "交接：正常" in client.get(roster).content.decode()


# --- access: points, devices, credentials -----------------------------------------------------


@pytest.fixture
def manager(estate):
    return make_user("property_manager", estate=estate, password=None)


@pytest.fixture
def gate(estate, manager):
    return access.point_add(estate=estate, name="大门", kind="gate", actor=manager)


@pytest.fixture
def device(gate, manager):
    return access.device_add(point=gate, name="大门读卡器", actor=manager)[0]


@pytest.fixture
def card(estate, watcher, manager):
    return access.credential_issue(
        estate=estate,
        person=watcher,
        dwelling=estate.dwellings.order_by("pk")[1],
        kind="card",
        value="AB120001",
        actor=manager,
    )[0]


def test_a_new_devices_key_is_shown_once_on_the_answer_and_never_again(estate, manager, gate):
    client = client_for(manager)
    response = client.post(url("access_device_add", estate), {"point": gate.pk, "name": "读卡器"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    key = html.split('id="secret"')[1].split(">")[1].split("<")[0]
    assert key.startswith("dev_")
    assert AccessDevice.objects.get().digest == hashlib.sha256(key.encode()).hexdigest()
    assert messages_of(response) == []
    assert key not in client.get(url("estate_access", estate)).content.decode()


def test_a_generated_code_is_shown_once_a_card_is_confirmed_by_its_tail(estate, manager, watcher):
    client = client_for(manager)
    holder = f"{watcher.pk}:{estate.dwellings.order_by('pk')[1].pk}"
    response = client.post(url("credential_issue", estate), {"holder": holder, "kind": "code"})
    assert response.status_code == 200
    code = response.content.decode().split('id="secret"')[1].split(">")[1].split("<")[0]
    assert code.isdigit() and len(code) == 6
    assert AccessCredential.objects.get().digest == access.credential_digest("code", code)
    response = client.post(
        url("credential_issue", estate), {"holder": holder, "kind": "card", "value": "ab12-9876"}
    )
    assert response.status_code == 302
    assert messages_of(response) == ["已为 王值班 发放门禁卡 ****9876。"]


def test_a_credential_for_someone_not_of_the_dwelling_is_refused(estate, manager):
    stranger = make_person("外人")
    response = client_for(manager).post(
        url("credential_issue", estate),
        {"holder": f"{stranger.pk}:{estate.dwellings.first().pk}", "kind": "card", "value": "1234"},
    )
    assert "请选择本小区的业主或居住人" in messages_of(response)[0]
    assert not AccessCredential.objects.exists()


def test_the_access_page_for_those_who_manage_and_for_street_staff(
    estate, manager, street, device, card
):
    mine = client_for(manager).get(url("estate_access", estate)).content.decode()
    assert "大门读卡器" in mine and "王值班" in mine and "门禁卡 ****0001" in mine
    assert 'id="credential-form"' in mine
    theirs = client_for(street).get(url("estate_access", estate)).content.decode()
    assert "大门读卡器" in theirs
    assert "王值班" not in theirs and 'id="credential-form"' not in theirs


def test_points_devices_and_credentials_are_added_and_revoked_by_form(
    estate, manager, device, card
):
    client = client_for(manager)
    client.post(
        url("access_point_add", estate),
        {"name": "车库", "kind": "garage", "opens_at": "06:00", "closes_at": "23:00"},
    )
    garage = AccessPoint.objects.get(name="车库")
    assert garage.opens_at == dt.time(6)
    response = client.post(
        url("access_point_add", estate), {"name": "坏门", "kind": "gate", "opens_at": "6点"}
    )
    assert "格式不对" in messages_of(response)[-1]
    client.post(url("access_device_revoke", estate), {"device": device.pk})
    device.refresh_from_db()
    assert device.revoked_at is not None
    response = client.post(url("credential_revoke", estate), {"credential": card.pk, "reason": ""})
    assert "注销原因" in messages_of(response)[-1]
    client.post(url("credential_revoke", estate), {"credential": card.pk, "reason": "遗失"})
    card.refresh_from_db()
    assert card.revoke_reason == "遗失"


def test_the_sweep_button_revokes_moved_out_credentials(estate, manager, watcher, card):
    Ownership.objects.filter(person=watcher).delete()
    response = client_for(manager).post(url("credentials_sweep", estate))
    assert messages_of(response) == ["已注销 1 张迁出人员的凭证。"]


def test_access_actions_are_404_for_staff_who_only_read(estate, street, gate, device, card):
    client = client_for(street)
    for name, data in (
        ("access_point_add", {"name": "x", "kind": "gate"}),
        ("access_device_add", {"point": gate.pk, "name": "x"}),
        ("access_device_revoke", {"device": device.pk}),
        ("credential_revoke", {"credential": card.pk, "reason": "x"}),
        ("anomaly_resolve", {"anomaly": 1}),
    ):
        assert client.post(url(name, estate), data).status_code == 404, name
    assert AccessDevice.objects.get().revoked_at is None


# --- the event log and the anomalies ----------------------------------------------------------


def swipe(device, key, seconds_ago, value="AB120001"):
    access.events_ingest(
        device=device,
        events=[
            access.EventIn(
                key=key,
                at=NOW - dt.timedelta(seconds=seconds_ago),
                method="card",
                granted=True,
                credential=value,
            )
        ],
    )


def test_the_event_log_names_people_only_for_those_who_manage(
    estate, manager, street, device, card
):
    swipe(device, "1", 60)
    mine = client_for(manager).get(url("access_events", estate)).content.decode()
    assert "王值班" in mine and "门禁卡 ****0001" in mine and "AB120001" not in mine
    theirs = client_for(street).get(url("access_events", estate)).content.decode()
    assert "王**" in theirs and "王值班" not in theirs and "门禁卡 ****0001" in theirs


def test_the_event_log_pages_and_filters(estate, manager, device, card, staff):
    access.events_ingest(
        device=device,
        events=[
            access.EventIn(
                key=str(i),
                at=NOW - dt.timedelta(minutes=i + 1),
                method="card",
                granted=True,
                credential="AB120001",
            )
            for i in range(55)
        ],
    )
    client = client_for(manager)
    first = client.get(url("access_events", estate)).content.decode()
    assert first.count('<tr id="event-') == 50 and "第 1 / 2 页" in first
    second = client.get(url("access_events", estate, page=2)).content.decode()
    assert second.count('<tr id="event-') == 5
    other = access.point_add(estate=estate, name="侧门", kind="gate", actor=staff)
    only_other = client.get(url("access_events", estate, point=other.pk)).content.decode()
    assert only_other.count('<tr id="event-') == 0
    yesterday = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    assert (
        client.get(url("access_events", estate, day=yesterday))
        .content.decode()
        .count('<tr id="event-')
        == 0
    )
    assert client.get(url("access_events", estate, point="x", day="y")).status_code == 200


def test_anomalies_are_listed_and_handled(estate, manager, street, device):
    swipe(device, "u", 30, value="FFFF0000")
    anomaly = AccessAnomaly.objects.get()
    html = client_for(street).get(url("access_anomalies", estate)).content.decode()
    assert "未登记的凭证" in html and "****0000" in html and "处理完毕" not in html
    client = client_for(manager)
    assert "处理完毕" in client.get(url("access_anomalies", estate)).content.decode()
    response = client.post(url("anomaly_resolve", estate), {"anomaly": anomaly.pk})
    assert response["Location"] == url("access_anomalies", estate)
    anomaly.refresh_from_db()
    assert anomaly.resolved_by == manager
    assert "没有待处理的异常" in client.get(url("access_anomalies", estate)).content.decode()
    assert "已处理" in client.get(url("access_anomalies", estate, all=1)).content.decode()


def test_staff_of_another_estate_reach_none_of_its_pages(estate, device, card):
    outsider = make_user("property_manager", estate=make_estate(name="别的小区"), password=None)
    client = client_for(outsider)
    for name in ("duty_roster", "estate_access", "access_events", "access_anomalies"):
        assert client.get(url(name, estate)).status_code == 404, name


# --- the resident's own -----------------------------------------------------------------------


def test_a_resident_sees_their_own_credentials_and_passes_only(
    estate, watcher_user, device, card, chair
):
    swipe(device, "1", 60)
    other = make_user(person=chair, password=None)
    mine = client_for(watcher_user).get(reverse("stewardship:my_access")).content.decode()
    assert "门禁卡 ****0001" in mine and "大门" in mine and "有效" in mine
    theirs = client_for(other).get(reverse("stewardship:my_access")).content.decode()
    assert "****0001" not in theirs and "还没有门禁凭证" in theirs
    home = client_for(watcher_user).get(reverse("registry:resident_home")).content.decode()
    assert reverse("stewardship:my_access") in home


def test_a_revoked_credential_shows_why(estate, watcher_user, manager, card):
    access.credential_revoke(credential=card, reason="遗失", actor=manager)
    html = client_for(watcher_user).get(reverse("stewardship:my_access")).content.decode()
    assert "注销（遗失）" in html
    assert AccessEvent.objects.count() == 0


def test_the_admin_lists_access_points_to_change_their_hours(estate, gate):
    admin = make_user(password=None)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = client_for(admin)
    listing = client.get(reverse("admin:stewardship_accesspoint_changelist"))
    assert listing.status_code == 200 and "大门" in listing.content.decode()
    change = client.get(reverse("admin:stewardship_accesspoint_change", args=[gate.pk]))
    assert change.status_code == 200
