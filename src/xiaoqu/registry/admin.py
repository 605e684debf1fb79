"""Admin for the register, for data stewards.

Foreign keys to big tables use autocomplete or raw ids, so no form renders a select of
every dwelling (a province holds about 900,000); big lists skip the full count.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.access_log import FIELD_RECORD, access_note
from xiaoqu.core.audit import audit_record
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AccessAction
from xiaoqu.registry.models import (
    Building,
    Consent,
    ConsentKind,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    Person,
    Region,
    Residency,
)
from xiaoqu.registry.services import consent_is_current, consent_record, consent_withdraw


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent", "depth"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0
    fields = ["number", "storeys", "has_elevator", "structure"]
    show_change_link = True


@admin.register(Estate)
class EstateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community", "year_built", "households", "stage"]
    list_filter = ["stage", "management_mode"]
    list_select_related = ["community"]
    search_fields = ["code", "name", "address"]
    autocomplete_fields = ["community"]
    readonly_fields = ["region_path", "households"]
    inlines = [BuildingInline]
    show_full_result_count = False


class EntranceInline(admin.TabularInline):
    model = Entrance
    extra = 0
    show_change_link = True


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "estate", "storeys", "has_elevator", "structure"]
    list_filter = ["structure", "has_elevator"]
    list_select_related = ["estate"]
    search_fields = ["estate__name", "estate__code", "number"]
    autocomplete_fields = ["estate"]
    inlines = [EntranceInline]
    show_full_result_count = False


@admin.register(Entrance)
class EntranceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "building", "estate_name"]
    list_select_related = ["building__estate"]
    search_fields = ["building__estate__name", "building__estate__code", "number"]
    raw_id_fields = ["building"]
    show_full_result_count = False

    @admin.display(description=_("小区"), ordering="building__estate__name")
    def estate_name(self, obj: Entrance) -> str:
        return obj.building.estate.name


class OwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    autocomplete_fields = ["person"]


class ResidencyInline(admin.TabularInline):
    model = Residency
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Dwelling)
class DwellingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "estate", "building", "entrance", "floor", "area", "use", "status"]
    list_filter = ["use", "status"]
    list_select_related = ["estate", "building", "entrance"]
    search_fields = ["estate__code", "estate__name", "number"]
    raw_id_fields = ["entrance"]
    inlines = [OwnershipInline, ResidencyInline]
    show_full_result_count = False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """The ID number is never shown or entered here: only its last four are displayed.

    Opening a person's page is a view of their record (and reveals the full phone): it is
    written to the personal-information access log. The health-and-mobility fields appear
    only while the person's consent is current (record it under 敏感信息同意 first)."""

    list_display = ["name", "ref", "masked_phone", "id_last4"]
    search_fields = ["name", "ref", "phone"]
    fields = ["ref", "name", "phone", "id_last4"]
    readonly_fields = ["id_last4"]
    exclude = ["id_hash"]
    show_full_result_count = False

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj: Person) -> str:
        return obj.phone_masked

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if obj is not None and consent_is_current(person=obj, kind=ConsentKind.ASSISTANCE):
            fields += ["needs_assistance", "assistance_note"]
        return fields

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "GET" and str(object_id).isdigit():
            access_note(
                request,
                action=AccessAction.VIEW,
                field=FIELD_RECORD,
                subjects=[int(object_id)],
                description=str(_("后台人员档案")),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        sensitive = {"needs_assistance", "assistance_note"} & set(form.changed_data)
        if sensitive:
            audit_record(
                actor=request.user,
                action="registry.person_assistance_set",
                obj=obj,
                after={"fields": sorted(sensitive)},
            )


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """Separate consents to sensitive information (PIPL Art. 29), entered from the signed
    form; never edited or deleted — withdraw with the action, which clears the fields."""

    list_display = ["person", "kind", "purpose", "given_on", "recorded_by", "withdrawn_at"]
    list_filter = ["kind", ("withdrawn_at", admin.EmptyFieldListFilter)]
    list_select_related = ["person", "recorded_by"]
    search_fields = ["person__name", "purpose"]
    autocomplete_fields = ["person"]
    fields = ["person", "kind", "purpose", "given_on"]
    actions = ["withdraw"]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return ["person", "kind", "purpose", "given_on", "recorded_by", "withdrawn_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return list(self.fields)
        return self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Consent, form: Any, change: bool) -> None:
        if change:
            return
        try:
            saved = consent_record(
                person=obj.person,
                kind=obj.kind,
                purpose=obj.purpose,
                given_on=obj.given_on,
                actor=request.user,
            )
        except DomainError as error:
            raise ValidationError(error.message) from error
        obj.pk = saved.pk

    @admin.action(description=_("撤回所选同意（并删除相应信息）"))
    def withdraw(self, request: HttpRequest, queryset: Any) -> None:
        done = 0
        for consent in queryset.filter(withdrawn_at__isnull=True):
            consent_withdraw(consent=consent, actor=request.user)
            done += 1
        self.message_user(request, _("已撤回 %(n)d 份同意。") % {"n": done})


@admin.register(Ownership)
class OwnershipAdmin(admin.ModelAdmin):
    list_display = ["person", "dwelling", "estate_name", "share"]
    list_select_related = ["person", "dwelling__estate"]
    search_fields = ["person__name", "dwelling__estate__name", "dwelling__number"]
    autocomplete_fields = ["person"]
    raw_id_fields = ["dwelling"]
    show_full_result_count = False

    @admin.display(description=_("小区"))
    def estate_name(self, obj: Ownership) -> str:
        return obj.dwelling.estate.name


@admin.register(Residency)
class ResidencyAdmin(admin.ModelAdmin):
    list_display = ["person", "dwelling", "estate_name", "relation", "since"]
    list_filter = ["relation"]
    list_select_related = ["person", "dwelling__estate"]
    search_fields = ["person__name", "dwelling__estate__name", "dwelling__number"]
    autocomplete_fields = ["person"]
    raw_id_fields = ["dwelling"]
    show_full_result_count = False

    @admin.display(description=_("小区"))
    def estate_name(self, obj: Residency) -> str:
        return obj.dwelling.estate.name
