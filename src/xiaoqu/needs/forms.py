"""Forms of the needs pages (opinions part): filters, hotline, import, residents.

Forms parse and check what a person typed; the rules about opinions themselves (length,
emoji only, dwelling in the estate) stay in the services, whose messages the forms reuse.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.errors import DomainError
from xiaoqu.needs.categories import category_choices
from xiaoqu.needs.models import OPINION_MAX_CHARS, Channel
from xiaoqu.needs.services import clean_opinion_text


def _opinion_text_field(label: Any, rows: int = 5) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": OPINION_MAX_CHARS}),
        error_messages={"required": _("请写下意见内容。")},
    )


def _clean_text(value: str) -> str:
    try:
        return clean_opinion_text(value)
    except DomainError as error:
        raise forms.ValidationError(error.message, code=error.code) from None


def not_future(value: dt.date | None) -> dt.date | None:
    if value is not None and value > timezone.localdate():
        raise forms.ValidationError(_("日期不能晚于今天。"), code="date_future")
    return value


class OpinionFilterForm(forms.Form):
    """Filters of the staff opinion list, read from the query string (bad values are dropped)."""

    channel = forms.ChoiceField(
        label=_("渠道"), required=False, choices=[("", _("全部"))] + list(Channel.choices)
    )
    category = forms.ChoiceField(label=_("类别"), required=False)
    date_from = forms.DateField(
        label=_("日期起"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("日期止"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    q = forms.CharField(label=_("内容包含"), required=False, max_length=100)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", gettext("全部"))] + category_choices()
        self.fields["q"].widget.attrs.update({"placeholder": gettext("例如：漏水")})

    def filters(self) -> tuple[dict[str, Any], list[str]]:
        """The valid filters and a note per ignored one."""
        self.is_valid()
        values: dict[str, Any] = {}
        notes: list[str] = []
        for name, f in self.fields.items():
            if name in self.errors:
                notes.append(
                    gettext("已忽略无效的筛选条件：%(label)s“%(value)s”")
                    % {"label": f.label, "value": str(self.data.get(name, ""))[:40]}
                )
                continue
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                values[name] = value
        return values, notes


class CategoryForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = category_choices()


class HotlineForm(forms.Form):
    """What a caller said, with where they live if they told."""

    text = _opinion_text_field(_("来电内容"))
    building = forms.ChoiceField(label=_("楼栋"), required=False)
    entrance = forms.CharField(
        label=_("单元号"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "1"}),
    )
    room = forms.CharField(
        label=_("房号"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "301"}),
    )
    urgent = forms.BooleanField(label=_("紧急（如漏水、断电、安全隐患）"), required=False)
    heard_on = forms.DateField(
        label=_("来电日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )

    def __init__(self, *args: Any, buildings: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.buildings = {str(b.pk): b for b in buildings}
        field = self.fields["building"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", gettext("不清楚 / 整个小区"))] + [
            (str(b.pk), f"{b.number}栋") for b in buildings
        ]

    def clean_text(self) -> str:
        return _clean_text(self.cleaned_data["text"])

    def clean_heard_on(self) -> dt.date | None:
        return not_future(self.cleaned_data.get("heard_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("room") or data.get("entrance")) and not data.get("building"):
            self.add_error("building", gettext("填写单元号或房号时，请先选择楼栋。"))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("表格文件（.xlsx 或 .csv，最大 5 MB）"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.csv,application/vnd.openxmlformats-officedocument"
                ".spreadsheetml.sheet,text/csv"
            }
        ),
        error_messages={
            "required": _("请选择要上传的表格文件。"),
            "empty": _("上传的文件是空的。"),
        },
    )


class ResidentOpinionForm(forms.Form):
    """A resident's own opinion from their phone."""

    estate = forms.ChoiceField(label=_("小区"))
    dwelling = forms.ChoiceField(label=_("我家（可不选）"), required=False)
    text = _opinion_text_field(_("您的意见"), rows=6)
    photo = forms.FileField(
        label=_("照片（可不拍）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    client_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, estates: list[Any], dwellings: list[Any], **kwargs: Any):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("client_key", uuid.uuid4())
        if len(estates) == 1:
            kwargs["initial"].setdefault("estate", str(estates[0].pk))
        super().__init__(*args, **kwargs)
        self.estates = {str(e.pk): e for e in estates}
        self.dwellings = {str(d.pk): d for d in dwellings}
        estate_field = self.fields["estate"]
        dwelling_field = self.fields["dwelling"]
        assert isinstance(estate_field, forms.ChoiceField)
        assert isinstance(dwelling_field, forms.ChoiceField)
        estate_field.choices = [(str(e.pk), e.name) for e in estates]
        estate_field.error_messages["invalid_choice"] = gettext("只能为自己居住的小区提意见。")
        if len(estates) == 1:
            estate_field.widget = forms.HiddenInput()
        dwelling_field.choices = [("", gettext("不选（说的是整个小区的事）"))] + [
            (str(d.pk), f"{d.estate.name} {d.label}" if len(estates) > 1 else d.label)
            for d in dwellings
        ]
        dwelling_field.error_messages["invalid_choice"] = gettext("只能选择您自己的房屋。")
        self.fields["text"].widget.attrs["placeholder"] = gettext(
            "例如：3栋楼道的灯坏了，晚上上下楼看不见。"
        )

    def clean_text(self) -> str:
        return _clean_text(self.cleaned_data["text"])

    def _coordinate(self, name: str, limit: int) -> Decimal | None:
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(gettext("位置不正确，请重新获取或不填。")) from None
        if not value.is_finite() or not -limit <= value <= limit:
            raise forms.ValidationError(gettext("位置不正确，请重新获取或不填。"))
        return value.quantize(Decimal("0.000001"))

    def clean_latitude(self) -> Decimal | None:
        return self._coordinate("latitude", 90)

    def clean_longitude(self) -> Decimal | None:
        return self._coordinate("longitude", 180)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        estate = self.estates.get(data.get("estate") or "")
        dwelling = self.dwellings.get(data.get("dwelling") or "")
        if estate is not None and dwelling is not None and dwelling.estate_id != estate.pk:
            self.add_error("dwelling", gettext("所选房屋不在这个小区。"))
        data["estate_obj"] = estate
        data["dwelling_obj"] = dwelling
        return data
