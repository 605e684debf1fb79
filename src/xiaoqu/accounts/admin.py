"""Admin for accounts: users log in by phone; roles are edited inline on the user."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from xiaoqu.accounts.models import ApiToken, RoleAssignment, SmsCode, User
from xiaoqu.core.pii import mask_phone, normalize_phone, phone_is_valid


def _clean_phone(value: str) -> str:
    phone = normalize_phone(value or "")
    if not phone_is_valid(phone):
        raise forms.ValidationError(_("请输入11位手机号"))
    return phone


class UserAddForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("phone", "name")

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("phone", ""))


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("phone", ""))


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["region", "estate"]
    fields = ["role", "region", "estate"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    list_display = ["phone", "name", "person", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "roles__role"]
    list_select_related = ["person"]
    search_fields = ["phone", "name"]
    ordering = ["phone"]
    autocomplete_fields = ["person"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [RoleAssignmentInline]
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        (_("个人信息"), {"fields": ("name", "person")}),
        (
            _("权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("phone", "name", "usable_password", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ("groups", "user_permissions")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "estate", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "region", "estate"]
    search_fields = ["user__phone", "user__name", "region__name", "estate__name"]
    autocomplete_fields = ["user", "region", "estate"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with ``xiaoqu token create`` (the raw token is shown once there)."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__phone", "user__name"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked"]
    exclude = ["digest"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SmsCode)
class SmsCodeAdmin(admin.ModelAdmin):
    """Read-only view of recent login codes (hashed; for tracing delivery problems)."""

    list_display = ["masked_phone", "created_at", "expires_at", "attempts", "used"]
    list_filter = ["used"]
    exclude = ["digest", "phone"]
    readonly_fields = ["masked_phone", "created_at", "expires_at", "attempts", "used"]
    search_fields = ["phone"]

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: SmsCode) -> str:
        return mask_phone(obj.phone)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
