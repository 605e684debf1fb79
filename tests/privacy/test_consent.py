"""Sensitive information (health, mobility) only with a current, separate consent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_owner, make_user
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.registry.models import Consent, Person
from xiaoqu.registry.selectors import assistance_of
from xiaoqu.registry.services import consent_record, consent_withdraw, person_assistance_set

pytestmark = pytest.mark.django_db

PURPOSE = "走访和催票时上门协助"


@pytest.fixture
def world():
    estate = make_estate(floors=1, per_floor=1)
    person = make_owner(estate.dwellings.get(), name="陈奶奶")
    staff = make_user("community_staff", region=estate.community)
    return {"estate": estate, "person": person, "staff": staff}


def _consent(world) -> Consent:
    return consent_record(
        person=world["person"],
        kind="assistance",
        purpose=PURPOSE,
        given_on=dt.date(2026, 11, 1),
        actor=world["staff"],
    )


def _estate_page(world) -> str:
    client = Client()
    client.force_login(world["staff"])
    url = reverse("registry:estate_detail", kwargs={"estate_id": world["estate"].pk})
    return client.get(url).content.decode()


def test_the_fields_cannot_be_set_without_consent(world):
    with pytest.raises(DomainError) as error:
        person_assistance_set(
            person=world["person"], needs_assistance=True, note="坐轮椅", actor=world["staff"]
        )
    assert error.value.code == "no_consent"
    world["person"].refresh_from_db()
    assert not world["person"].needs_assistance


def test_with_consent_the_note_is_shown_to_staff_on_the_estate_page(world):
    consent = _consent(world)
    assert consent.recorded_by == world["staff"] and consent.current
    person_assistance_set(
        person=world["person"], needs_assistance=True, note="坐轮椅", actor=world["staff"]
    )
    assert "坐轮椅" in _estate_page(world)
    assert assistance_of([world["person"].pk]) == {world["person"].pk: "需上门协助；坐轮椅"}
    assert AuditLog.objects.filter(action="registry.consent_record").count() == 1
    audit = AuditLog.objects.get(action="registry.person_assistance_set")
    assert "坐轮椅" not in str(audit.after)


def test_values_held_without_consent_are_never_shown(world):
    """Even if a value got in some other way (an old row, a bulk update), no consent: hidden."""
    Person.objects.filter(pk=world["person"].pk).update(
        needs_assistance=True, assistance_note="心脏病"
    )
    assert "心脏病" not in _estate_page(world)
    assert assistance_of([world["person"].pk]) == {}


def test_withdrawal_hides_and_deletes_the_information(world):
    consent = _consent(world)
    person_assistance_set(
        person=world["person"], needs_assistance=True, note="坐轮椅", actor=world["staff"]
    )
    consent_withdraw(consent=consent, actor=world["staff"])
    world["person"].refresh_from_db()
    assert (world["person"].needs_assistance, world["person"].assistance_note) == (False, "")
    assert "坐轮椅" not in _estate_page(world)
    consent.refresh_from_db()
    assert consent.withdrawn_at and consent.withdrawn_by == world["staff"]
    with pytest.raises(DomainError):
        consent_withdraw(consent=consent, actor=world["staff"])


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"purpose": ""}, "purpose"),
        ({"kind": "religion"}, "kind"),
        ({"given_on": dt.date.today() + dt.timedelta(days=2)}, "given_on"),
    ],
)
def test_a_consent_needs_a_purpose_a_known_kind_and_a_past_date(world, kwargs, code):
    args = {
        "person": world["person"],
        "kind": "assistance",
        "purpose": PURPOSE,
        "given_on": dt.date(2026, 1, 1),
        "actor": world["staff"],
    } | kwargs
    with pytest.raises(DomainError) as error:
        consent_record(**args)
    assert error.value.code == code
    assert Consent.objects.count() == 0


def test_one_current_consent_of_a_kind(world):
    _consent(world)
    with pytest.raises(DomainError) as error:
        _consent(world)
    assert error.value.code == "exists"


def test_the_register_export_never_carries_the_fields(world, tmp_path):
    """The export's people sheet has no health column, whatever consent there is."""
    from xiaoqu.registry.exporter import export_register

    _consent(world)
    person_assistance_set(
        person=world["person"], needs_assistance=True, note="坐轮椅", actor=world["staff"]
    )
    export_register(tmp_path / "out")
    text = "".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "out").glob("*.csv"))
    assert "坐轮椅" not in text and "陈奶奶" in text


def test_the_admin_shows_the_fields_only_with_consent(world):
    steward = make_user("admin")
    steward.is_staff = steward.is_superuser = True
    steward.save()
    client = Client()
    client.force_login(steward)
    url = reverse("admin:registry_person_change", args=[world["person"].pk])
    assert b"assistance_note" not in client.get(url).content
    _consent(world)
    assert b"assistance_note" in client.get(url).content


def test_consent_is_recorded_and_withdrawn_in_the_admin(world):
    steward = make_user("admin")
    steward.is_staff = steward.is_superuser = True
    steward.save()
    client = Client()
    client.force_login(steward)
    response = client.post(
        reverse("admin:registry_consent_add"),
        {
            "person": world["person"].pk,
            "kind": "assistance",
            "purpose": PURPOSE,
            "given_on": "2026-11-01",
        },
    )
    assert response.status_code == 302, response.content[:500]
    consent = Consent.objects.get()
    assert consent.recorded_by == steward
    client.post(
        reverse("admin:registry_consent_changelist"),
        {"action": "withdraw", "_selected_action": [consent.pk]},
    )
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
