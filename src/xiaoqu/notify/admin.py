"""Notifications in the admin: readable, never editable (what was sent is a record)."""

from __future__ import annotations

from django.contrib import admin

from xiaoqu.core.admin import ReadOnlyMixin
from xiaoqu.notify.models import Delivery, Notification, Preference


class DeliveryInline(ReadOnlyMixin, admin.TabularInline):
    model = Delivery
    extra = 0
    fields = readonly_fields = (
        "channel",
        "status",
        "reason",
        "attempts",
        "queued_at",
        "sent_at",
        "delivered_at",
    )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "title", "estate", "person", "user", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["estate", "person", "user"]
    search_fields = ["key", "title"]
    date_hierarchy = "created_at"
    raw_id_fields = ["person", "user", "estate"]
    inlines = [DeliveryInline]
    show_full_result_count = False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["queued_at", "channel", "status", "attempts", "sent_at", "delivered_at"]
    list_filter = ["channel", "status"]
    search_fields = ["notification__key", "reference"]
    # The address (a phone number or an openid) is personal information: not listed.
    exclude = ["address"]
    raw_id_fields = ["notification"]
    show_full_result_count = False


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "sms", "wechat", "reminders", "opted_out", "updated_at"]
    list_filter = ["sms", "wechat", "reminders", "opted_out"]
    raw_id_fields = ["person", "user"]
    exclude = ["wechat_openid"]
