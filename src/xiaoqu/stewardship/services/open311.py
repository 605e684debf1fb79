"""Writes of Open311 keys: an outside system (a city's 12345 hotline, an app) gets a key to
post work orders (``xiaoqu open311 key``); only the key's SHA-256 digest is stored, and a key
can be revoked. The posts themselves are work orders: ``services.orders.order_post_open311``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.keys import key_new
from xiaoqu.registry.models import Region
from xiaoqu.stewardship.models import Open311Key

KEY_PREFIX = "o311_"
NAME_MAX = 100


def open311_key_create(
    *, name: str, region: Region | None = None, actor: Any = None
) -> tuple[Open311Key, str]:
    """A new key for the outside system ``name``, limited to ``region`` and everything under
    it when given; the key itself is returned this once and never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写密钥的名称（使用它的系统，如“12345热线”）。"), code="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("名称太长了，最多 100 字。"), code="name_long")
    raw, digest = key_new(KEY_PREFIX)
    with transaction.atomic():
        key = Open311Key.objects.create(name=name, region=region, digest=digest)
        audit_record(
            actor=actor,
            action="stewardship.open311_key_create",
            obj=key,
            after={"name": name, "region": region.pk if region else None},
        )
    return key, raw


def open311_key_revoke(
    *, key: Open311Key, actor: Any = None, now: dt.datetime | None = None
) -> Open311Key:
    """Revoke a key at once; revoking twice changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        if Open311Key.objects.filter(pk=key.pk, revoked_at=None).update(revoked_at=now):
            audit_record(
                actor=actor,
                action="stewardship.open311_key_revoke",
                obj=key,
                before={"revoked_at": None},
                after={"revoked_at": now.isoformat()},
            )
    key.refresh_from_db()
    return key
