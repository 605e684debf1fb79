"""Correction requests in the Django admin: readable; answered on the staff page, which
checks scope and writes the audit row."""

from __future__ import annotations

from django.contrib import admin

from xiaoqu.core.admin import ReadOnlyMixin
from xiaoqu.privacy.models import CorrectionRequest


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "estate", "person", "status", "resolved_by", "resolved_at"]
    list_filter = ["status"]
    list_select_related = ["estate", "person", "resolved_by"]
    search_fields = ["person__name", "estate__name", "text"]
    date_hierarchy = "created_at"
    show_full_result_count = False
