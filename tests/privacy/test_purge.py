"""Retention: `xiaoqu privacy purge` deletes visit photos (files too), access-log rows and
access-control events past their periods; idempotent, with a dry run and an audit row."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.factories import make_estate, make_needs_world, make_user, make_watch_world, tiny_image
from xiaoqu.core.access_log import access_record
from xiaoqu.core.models import AccessEvent, AuditLog
from xiaoqu.needs.models import Visit
from xiaoqu.privacy.services import privacy_purge
from xiaoqu.stewardship.models import AccessEvent as DoorEvent

pytestmark = pytest.mark.django_db

RETENTION = {
    "XIAOQU_RETENTION_VISIT_PHOTOS_DAYS": 30,
    "XIAOQU_RETENTION_ACCESS_EVENTS_DAYS": 60,
    "XIAOQU_ACCESS_RETENTION_DAYS": 90,
}


@pytest.fixture
def world():
    estate = make_estate(floors=1, per_floor=2)
    admin = make_user("admin")
    homes = list(estate.dwellings.order_by("pk"))
    for dwelling in homes:
        from tests.factories import make_owner

        make_owner(dwelling)
    needs = make_needs_world(estate, homes, admin)
    make_watch_world(estate, admin)
    now = timezone.now()
    old_visit = needs["visit"]
    old_visit.photo.save("old.png", ContentFile(tiny_image()), save=False)
    old_visit.visited_at = now - dt.timedelta(days=31)
    old_visit.save()
    new_visit = Visit.objects.create(
        campaign=old_visit.campaign,
        estate=estate,
        dwelling=homes[1],
        visitor=admin,
        visited_at=now - dt.timedelta(days=2),
        outcome="met",
    )
    new_visit.photo.save("new.png", ContentFile(tiny_image()), save=True)
    old_log = access_record(actor=admin, action="view", field="record", subjects=[1])
    AccessEvent.objects.filter(pk=old_log.pk).update(at=now - dt.timedelta(days=61))
    access_record(actor=admin, action="view", field="record", subjects=[2])
    DoorEvent.objects.filter(pk=DoorEvent.objects.order_by("pk").first().pk).update(
        at=now - dt.timedelta(days=91)
    )
    return {"old_visit": old_visit, "new_visit": new_visit, "old_name": old_visit.photo.name}


@override_settings(**RETENTION)
def test_purge_deletes_what_is_past_its_period_and_keeps_the_rest(world):
    storage = Visit._meta.get_field("photo").storage
    assert storage.exists(world["old_name"])
    done = privacy_purge()
    assert done == {"visit_photos": 1, "access_log": 1, "door_events": 1, "door_anomalies": 0}
    world["old_visit"].refresh_from_db()
    assert world["old_visit"].photo.name == ""
    assert not storage.exists(world["old_name"])
    assert Visit.objects.filter(pk=world["old_visit"].pk).exists()  # the visit itself stays
    assert storage.exists(world["new_visit"].photo.name)
    assert AccessEvent.objects.count() == 1
    assert DoorEvent.objects.count() == 1


@override_settings(**RETENTION)
def test_purge_is_idempotent_and_audited_each_run(world):
    privacy_purge()
    assert privacy_purge() == {
        "visit_photos": 0,
        "access_log": 0,
        "door_events": 0,
        "door_anomalies": 0,
    }
    audits = AuditLog.objects.filter(action="privacy.purge").order_by("pk")
    assert [a.after["visit_photos"] for a in audits] == [1, 0]
    assert audits[0].after["access_log_days"] == 60


@override_settings(**RETENTION)
def test_a_dry_run_counts_and_changes_nothing(world):
    assert privacy_purge(dry_run=True) == {
        "visit_photos": 1,
        "access_log": 1,
        "door_events": 1,
        "dry_run": 1,
    }
    world["old_visit"].refresh_from_db()
    assert world["old_visit"].photo.name == world["old_name"]
    assert AccessEvent.objects.count() == 2
    assert not AuditLog.objects.filter(action="privacy.purge").exists()


@override_settings(
    XIAOQU_RETENTION_VISIT_PHOTOS_DAYS=0,
    XIAOQU_RETENTION_ACCESS_EVENTS_DAYS=0,
    XIAOQU_ACCESS_RETENTION_DAYS=0,
)
def test_zero_days_keeps_everything(world):
    assert privacy_purge()["visit_photos"] == 0
    assert AccessEvent.objects.count() == 2


@override_settings(**RETENTION)
def test_a_photo_whose_file_is_already_gone_is_cleared(world):
    """A run killed between deleting the file and clearing the reference is finished by the
    next run."""
    Visit._meta.get_field("photo").storage.delete(world["old_name"])
    assert privacy_purge()["visit_photos"] == 1
    world["old_visit"].refresh_from_db()
    assert world["old_visit"].photo.name == ""


@override_settings(**RETENTION)
def test_the_command_prints_the_counts_as_json(world):
    out = StringIO()
    call_command("privacy", "purge", "--dry-run", stdout=out)
    assert json.loads(out.getvalue())["visit_photos"] == 1
    out = StringIO()
    call_command("privacy", "purge", stdout=out)
    assert json.loads(out.getvalue())["access_log"] == 1


@override_settings(**RETENTION)
def test_the_task_runs_the_same_purge(world):
    from xiaoqu.privacy.tasks import purge

    result = purge.enqueue()
    assert result.return_value["visit_photos"] == 1
