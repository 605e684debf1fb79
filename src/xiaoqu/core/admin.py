"""The audit log in the admin: readable, never editable."""

from __future__ import annotations

from django.contrib import admin

from xiaoqu.core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    list_select_related = ["actor"]
    search_fields = ["action", "object_type", "object_id", "actor__phone", "actor__name"]
    date_hierarchy = "at"
    readonly_fields = ["at", "actor", "action", "object_type", "object_id", "before", "after"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
