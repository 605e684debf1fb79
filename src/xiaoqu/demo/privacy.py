"""The demo's personal-information records (docs/personal-information.md), in 金仓路市政宿舍.

* an elderly owner of the estate (the first owner after the demo owner) gave separate
  consent to her health and mobility being recorded for door-step help; the community worker
  (13800000005) recorded it, so the estate page shows 需上门协助 by her name;
* the demo resident (13800000001) asked for a correction of her record, not answered yet: it
  is on the community worker's to-do workbench;
* the access log holds what the demo's staff read the day before: the community worker and
  the grid worker (13800000003) opened the estate page (full phones and ID tails of its
  owners), the administrator (13800000011) exported the register from the command line.

Idempotent: nothing is added when the correction request is already there.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from xiaoqu.accounts.models import User
from xiaoqu.core.access_log import actor_label
from xiaoqu.core.models import AccessAction, AccessEvent
from xiaoqu.privacy.models import CorrectionRequest
from xiaoqu.privacy.services import correction_request
from xiaoqu.registry.models import ConsentKind, Estate, Ownership, Person
from xiaoqu.registry.services import consent_record, person_assistance_set

ESTATE_CODE = "520103006001-01"  # 金仓路市政宿舍
RESIDENT_PHONE = "13800000001"
OWNER_REF = "P000001"  # the demo owner: not the one who gave consent
STAFF_PHONE = "13800000005"
GRID_PHONE = "13800000003"
ADMIN_PHONE = "13800000011"
CORRECTION_TEXT = "我已换了手机号，档案里还是旧号码，请更正为我现在登录用的号码。"


def load_demo_privacy() -> dict[str, int]:
    """Record the consent, the request and the log rows as the module says."""
    resident = User.objects.filter(phone=RESIDENT_PHONE).first()
    staff = User.objects.filter(phone=STAFF_PHONE).first()
    estate = Estate.objects.filter(code=ESTATE_CODE).first()
    if resident is None or staff is None or estate is None or resident.person_id is None:
        return {}
    if CorrectionRequest.objects.filter(person_id=resident.person_id).exists():
        return {}
    now = timezone.now()
    with transaction.atomic():
        owners = list(
            Ownership.objects.filter(dwelling__estate=estate)
            .order_by("dwelling_id", "pk")
            .values_list("person_id", flat=True)
        )
        elder = Person.objects.filter(pk__in=owners).exclude(ref=OWNER_REF).order_by("pk").first()
        if elder is not None:
            consent_record(
                person=elder,
                kind=ConsentKind.ASSISTANCE,
                purpose="入户走访和表决时上门协助（本人签字的同意书存社区）",
                given_on=timezone.localdate() - dt.timedelta(days=20),
                actor=staff,
            )
            person_assistance_set(
                person=elder, needs_assistance=True, note="腿脚不便，上下楼需人搀扶", actor=staff
            )
        correction_request(user=resident, text=CORRECTION_TEXT)
        ids = "," + ",".join(map(str, sorted(set(owners)))) + "," if owners else ""
        events = []
        readers = User.objects.filter(phone__in=[STAFF_PHONE, GRID_PHONE]).order_by("phone")
        for i, reader in enumerate(readers):
            path = f"/registry/estates/{estate.pk}/"
            for field in ("phone", "id_last4"):
                events.append(
                    AccessEvent(
                        at=now - dt.timedelta(days=1, hours=2 - i),
                        actor=reader,
                        actor_label=actor_label(reader),
                        action=AccessAction.REVEAL,
                        field=field,
                        subject_ids=ids,
                        subject_count=len(set(owners)),
                        description=estate.name,
                        path=path,
                        address="127.0.0.1",
                    )
                )
        admin = User.objects.filter(phone=ADMIN_PHONE).first()
        events.append(
            AccessEvent(
                at=now - dt.timedelta(days=3),
                actor=None,
                actor_label="命令行",
                action=AccessAction.EXPORT,
                field="record",
                subject_count=Person.objects.count(),
                description="房屋档案全量导出：var/register-backup.xlsx",
                path="xiaoqu export",
            )
        )
        if admin is not None:
            events.append(
                AccessEvent(
                    at=now - dt.timedelta(hours=5),
                    actor=admin,
                    actor_label=actor_label(admin),
                    action=AccessAction.VIEW,
                    field="record",
                    subject_ids=f",{resident.person_id},",
                    subject_count=1,
                    description="后台人员档案",
                    path=f"/admin/registry/person/{resident.person_id}/change/",
                    address="127.0.0.1",
                )
            )
        AccessEvent.objects.bulk_create(events)
    return {"events": len(events), "corrections": 1, "consents": int(elder is not None)}
