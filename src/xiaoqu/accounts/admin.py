"""Admin for accounts: users log in by phone; roles are edited inline on the user."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xiaoqu.accounts.models import ApiToken, RoleAssignment, SmsCode, User
from xiaoqu.accounts.services import role_assign
from xiaoqu.core.audit import audit_record
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
    autocomplete_fields = ["region", "estate", "grid"]
    fields = ["role", "region", "estate", "grid"]


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

    def save_formset(self, request, form, formset, change):
        if formset.model is not RoleAssignment:
            return super().save_formset(request, form, formset, change)
        _save_roles_audited(request, formset)
        return None


def _role_state(a: RoleAssignment) -> dict[str, object]:
    return {
        "user": a.user_id,
        "role": a.role,
        "region": a.region_id,
        "estate": a.estate_id,
        "grid": a.grid_id,
    }


def _save_roles_audited(request, formset) -> None:
    """Role changes made in the admin leave audit rows like those made by the service."""
    with transaction.atomic():
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit_record(actor=request.user, action="role_revoke", obj=obj, before=_role_state(obj))
            obj.delete()
        for obj in instances:
            _save_role_audited(request, obj)


def _save_role_audited(request, obj: RoleAssignment) -> None:
    if obj.pk is None:
        role_assign(
            user=obj.user,
            role=obj.role,
            region=obj.region,
            estate=obj.estate,
            grid=obj.grid,
            actor=request.user,
        )
        return
    before = RoleAssignment.objects.get(pk=obj.pk)
    obj.save()
    audit_record(
        actor=request.user,
        action="role_change",
        obj=obj,
        before=_role_state(before),
        after=_role_state(obj),
    )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "estate", "grid", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "region", "estate", "grid"]
    search_fields = ["user__phone", "user__name", "region__name", "estate__name", "grid__name"]
    autocomplete_fields = ["user", "region", "estate", "grid"]

    def save_model(self, request, obj, form, change) -> None:
        with transaction.atomic():
            _save_role_audited(request, obj)

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            audit_record(actor=request.user, action="role_revoke", obj=obj, before=_role_state(obj))
            obj.delete()

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


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
