"""Writing audit rows: every state change a person makes is a row with the actor, the time
and what changed."""

from __future__ import annotations

from typing import Any

from django.db import models

from xiaoqu.core.models import AuditLog


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        actor=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )
