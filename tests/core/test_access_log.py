"""The personal-information access log (core.access_log): who revealed, viewed or exported
whose data, written in one bulk insert per request."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_estate, make_owner, make_user
from xiaoqu.core.access_log import (
    AccessLogMiddleware,
    access_note,
    access_record,
    watermark_text,
    xlsx_watermark,
)
from xiaoqu.core.models import AccessAction, AccessEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate_with_owners():
    estate = make_estate(floors=3, per_floor=2)
    owners = []
    for i, dwelling in enumerate(estate.dwellings.order_by("pk")):
        person = make_owner(dwelling, name=f"业主{i}")
        person.id_last4 = f"{i:04d}"
        person.save()
        owners.append(person)
    return estate, owners


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _inserts(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith("INSERT") and "core_accessevent" in q["sql"]
    ]


def test_estate_page_logs_the_revealed_phones_and_id_tails_in_one_insert(estate_with_owners):
    """A community worker opening the estate page reveals every owner's full phone and ID
    tail: two rows (one per field) naming all the owners, written in a single INSERT."""
    estate, owners = estate_with_owners
    staff = make_user("community_staff", region=estate.community)
    client = _client(staff)
    url = reverse("registry:estate_detail", kwargs={"estate_id": estate.pk})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(_inserts(queries.captured_queries)) == 1
    rows = {e.field: e for e in AccessEvent.objects.all()}
    assert set(rows) == {"phone", "id_last4"}
    ids = sorted(p.pk for p in owners)
    assert rows["phone"].subjects == ids
    assert rows["phone"].subject_count == len(owners)
    assert rows["phone"].action == AccessAction.REVEAL
    assert rows["phone"].actor == staff
    assert rows["phone"].path == url
    assert rows["phone"].address == "127.0.0.1"
    assert rows["phone"].description == estate.name


@override_settings(XIAOQU_CLIENT_IP_HEADER="X-Forwarded-For")
def test_behind_a_load_balancer_the_log_records_the_clients_address(estate_with_owners):
    """With XIAOQU_CLIENT_IP_HEADER set, the address is the header's last entry (the one the
    load balancer added), not the load balancer's; a value that is no address is left out."""
    estate, _owners = estate_with_owners
    client = _client(make_user("community_staff", region=estate.community))
    url = reverse("registry:estate_detail", kwargs={"estate_id": estate.pk})
    assert client.get(url, HTTP_X_FORWARDED_FOR="1.2.3.4, 10.20.30.40").status_code == 200
    assert set(AccessEvent.objects.values_list("address", flat=True)) == {"10.20.30.40"}
    AccessEvent.objects.all().delete()
    assert client.get(url, HTTP_X_FORWARDED_FOR="1.2.3.4, not-an-address").status_code == 200
    assert set(AccessEvent.objects.values_list("address", flat=True)) == {None}


def test_a_masked_viewer_reveals_no_phone(estate_with_owners):
    """A Party member sees names and ID tails but masked phones: no phone row is written."""
    estate, _owners = estate_with_owners
    member = make_user("party_member", region=estate.community)
    _client(member).get(reverse("registry:estate_detail", kwargs={"estate_id": estate.pk}))
    assert list(AccessEvent.objects.values_list("field", flat=True)) == ["id_last4"]


def test_the_insert_count_does_not_grow_with_the_rows(estate_with_owners):
    """A larger estate costs the same single INSERT (one per request, never one per row)."""
    big = make_estate(floors=6, per_floor=4)
    for dwelling in big.dwellings.all():
        make_owner(dwelling)
    staff = make_user("community_staff", region=big.community)
    with CaptureQueriesContext(connection) as queries:
        _client(staff).get(reverse("registry:estate_detail", kwargs={"estate_id": big.pk}))
    assert len(_inserts(queries.captured_queries)) == 1
    assert AccessEvent.objects.get(field="phone").subject_count == 24


def test_an_error_response_writes_nothing():
    """Notes of a request that ends in an error are dropped: nothing was shown."""
    user = make_user("admin")
    request = RequestFactory().get("/x/")
    request.user = user

    def view(req):
        access_note(req, action=AccessAction.VIEW, field="record", subjects=[1])
        from django.http import HttpResponseNotFound

        return HttpResponseNotFound()

    AccessLogMiddleware(view)(request)
    assert AccessEvent.objects.count() == 0


def test_a_note_without_subjects_is_dropped():
    request = RequestFactory().get("/x/")
    request.user = make_user("admin")

    def view(req):
        access_note(req, action=AccessAction.REVEAL, field="phone", subjects=[])
        from django.http import HttpResponse

        return HttpResponse("ok")

    AccessLogMiddleware(view)(request)
    assert AccessEvent.objects.count() == 0


def test_an_unknown_action_is_a_programming_error():
    request = RequestFactory().get("/x/")
    request.user = make_user("admin")
    with pytest.raises(ValueError):
        access_note(request, action="peek", subjects=[1])


def test_commands_write_at_once_and_name_the_command_line():
    """Without a request (a command, a task) the row is written at once, actor 命令行."""
    event = access_record(actor=None, action=AccessAction.EXPORT, count=12, description="导出")
    assert event.pk and event.actor is None and event.actor_label == "命令行"
    assert event.subject_count == 12 and event.subjects == []


def test_opening_a_person_in_the_admin_is_a_view_of_their_record(estate_with_owners):
    """The admin's person page shows the full phone: a view row names that person."""
    _estate, owners = estate_with_owners
    steward = make_user("admin")
    steward.is_staff = steward.is_superuser = True
    steward.save()
    url = reverse("admin:registry_person_change", args=[owners[0].pk])
    assert _client(steward).get(url).status_code == 200
    event = AccessEvent.objects.get()
    assert (event.action, event.field, event.subjects) == ("view", "record", [owners[0].pk])


def test_the_admin_shows_the_log_read_only():
    """The Django admin lists the log and offers no add, change or delete."""
    steward = make_user("admin")
    steward.is_staff = steward.is_superuser = True
    steward.save()
    event = access_record(actor=steward, action=AccessAction.EXPORT, count=3)
    client = _client(steward)
    assert client.get(reverse("admin:core_accessevent_changelist")).status_code == 200
    assert client.get(reverse("admin:core_accessevent_add")).status_code == 403
    page = client.get(reverse("admin:core_accessevent_change", args=[event.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content


def test_xlsx_watermark_names_the_exporter_in_properties_header_and_footer():
    from openpyxl import Workbook, load_workbook

    user = make_user("admin")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("表")
    text = xlsx_watermark(book, [sheet], user=user, title="名单")
    sheet.append([text])
    out = io.BytesIO()
    book.save(out)
    read = load_workbook(io.BytesIO(out.getvalue()))
    assert read.properties.creator == str(user)
    assert read.properties.description == text
    assert str(user) in read["表"].oddHeader.right.text
    assert read["表"]["A1"].value.startswith("导出人：")
    assert text == watermark_text(user)[: len(text)]


def test_core_knows_no_app():
    """The log names subjects by integer ids: core's model has no foreign key to the register."""
    relations = [f.related_model for f in AccessEvent._meta.get_fields() if f.is_relation]
    assert all(m._meta.app_label in {"accounts"} for m in relations)


def test_the_register_api_logs_one_row_per_field_for_a_page_of_dwellings(estate_with_owners):
    """The dwellings API shows every owner's ID tail (and full phones to the phone roles):
    one row per field for the whole page, the owners merged, in one INSERT."""
    estate, owners = estate_with_owners
    staff = make_user("community_staff", region=estate.community)
    url = reverse("api-1.0.0:estate_dwellings", kwargs={"estate_id": estate.pk})
    with CaptureQueriesContext(connection) as queries:
        assert _client(staff).get(url).status_code == 200
    assert len(_inserts(queries.captured_queries)) == 1
    rows = {e.field: e.subjects for e in AccessEvent.objects.all()}
    assert rows == {"phone": sorted(p.pk for p in owners), "id_last4": sorted(p.pk for p in owners)}


def test_a_resident_reading_their_own_dwelling_reveals_only_co_owners(estate_with_owners):
    """An owner's own record is not a reveal; nobody else's phone is shown to them in full."""
    estate, owners = estate_with_owners
    me = owners[0]
    user = make_user(person=me)
    dwelling = me.ownerships.get().dwelling
    url = reverse("api-1.0.0:dwelling_detail", kwargs={"dwelling_id": dwelling.pk})
    assert _client(user).get(url).status_code == 200
    assert not AccessEvent.objects.filter(subject_ids__contains=f",{me.pk},").exists()
    assert not AccessEvent.objects.filter(field="phone").exists()


def test_a_work_order_shown_with_the_callers_phone_is_logged():
    """A work order whose caller agreed to be called back shows the phone: a reveal row."""
    from tests.factories import make_work_order

    estate = make_estate(floors=1, per_floor=1)
    order = make_work_order(estate, reporter_phone="13912345678", contact_ok=True)
    staff = make_user("community_staff", region=estate.community)
    url = reverse("stewardship:order_detail", kwargs={"order_id": order.pk})
    assert _client(staff).get(url).status_code == 200
    event = AccessEvent.objects.get()
    assert (event.field, event.subject_count) == ("phone", 1)
    assert str(order.pk) in event.description
