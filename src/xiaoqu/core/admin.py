"""Admin helpers shared by the apps, and the audit log: readable, never editable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xiaoqu.core.models import AccessEvent, AuditLog


class ReadOnlyMixin:
    """View-only: no add, change or delete, whoever asks."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    list_select_related = ["actor"]
    search_fields = ["action", "object_type", "object_id", "actor__phone", "actor__name"]
    date_hierarchy = "at"
    readonly_fields = ["at", "actor", "action", "object_type", "object_id", "before", "after"]
    show_full_result_count = False


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The personal-information access log (docs/personal-information.md): read-only."""

    list_display = ["at", "actor_label", "action", "field", "subject_count", "path"]
    list_filter = ["action", "field"]
    search_fields = ["actor_label", "actor__phone", "path", "description", "subject_ids"]
    date_hierarchy = "at"
    readonly_fields = [
        "at",
        "actor",
        "actor_label",
        "action",
        "field",
        "subject_ids",
        "subject_count",
        "description",
        "path",
        "address",
    ]
    show_full_result_count = False
