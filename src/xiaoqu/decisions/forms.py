"""Forms of the vote and plan pages: parsing and field checks only; rules live in services."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xiaoqu.decisions.matters import matter_choices
from xiaoqu.decisions.models import FUNDING_SOURCES, BallotChannel, Choice, VoteScope
from xiaoqu.needs.models import Demand, DemandClass
from xiaoqu.registry.importing import values


class VoteForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    matter = forms.TypedChoiceField(
        label=_("表决事项（民法典第二百七十八条）"),
        coerce=int,
        choices=matter_choices(),
    )
    scope = forms.ChoiceField(label=_("表决范围"), choices=VoteScope.choices)
    target = forms.IntegerField(label=_("楼栋或单元"), required=False)
    opens_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label=_("截止时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    description = forms.CharField(
        label=_("说明"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class PaperBallotForm(forms.Form):
    elector = forms.IntegerField(label=_("业主（房屋）"))
    choice = forms.ChoiceField(label=_("选择"), choices=Choice.choices, widget=forms.RadioSelect)
    channel = forms.ChoiceField(
        label=_("方式"),
        choices=[(c.value, c.label) for c in BallotChannel if c != BallotChannel.ONLINE],
    )
    scan = forms.FileField(label=_("选票扫描件或照片"), required=False)
    proxy_name = forms.CharField(label=_("代理人姓名"), required=False, max_length=64)
    authorisation = forms.FileField(label=_("授权委托书"), required=False)


class OnlineBallotForm(forms.Form):
    choice = forms.ChoiceField(choices=Choice.choices)
    confirmed = forms.BooleanField(required=False)


class ReceiptForm(forms.Form):
    receipt = forms.CharField(label=_("回执码"), max_length=40)


# --- renovation plans ------------------------------------------------------------------------

# "216,000" and "1,234.5": commas only between groups of three digits.
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def parse_number(value: str, label: str) -> Decimal | None:
    """A number as people type it: full-width digits and commas, thousands separators, a
    trailing 元 or %; empty is None."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    text = text.removesuffix("元").removesuffix("%").strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise forms.ValidationError(gettext("%(f)s不是数字。") % {"f": label}, code="number")
    return number


class NumberField(forms.CharField):
    """A number typed as people type it (``parse_number``), that an item's column holds:
    at most two decimals and 12 digits; a quantity above 0, an amount not below 0; empty is 0
    where the field is not required."""

    def __init__(self, *, positive: bool = False, **kwargs: Any) -> None:
        self.positive = positive
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Decimal:
        label = str(self.label)
        number = parse_number(super().clean(value), label)
        if number is None:
            return Decimal(0)
        try:
            number = values.decimal(str(number), 2, 12, positive=self.positive)
        except values.Bad as bad:
            raise forms.ValidationError(
                gettext("%(f)s：%(why)s。") % {"f": label, "why": str(bad)}, code="bounds"
            ) from None
        if number < 0:
            raise forms.ValidationError(
                gettext("%(f)s不能是负数。") % {"f": label}, code="negative"
            )
        return number


class PlanTitleForm(forms.Form):
    """A new plan, or the next version of the estate's plan."""

    title = forms.CharField(
        label=_("方案名称"),
        max_length=200,
        error_messages={"required": _("请填写方案名称。")},
    )


class PlanItemForm(forms.Form):
    """One item of a plan: from a demand of the list, or with the reason it is done. The
    demand is found by the page (in the user's scope), the rest is checked by the service."""

    demand = forms.CharField(label=_("对应需求"), required=False)
    reason = forms.CharField(label=_("列入理由"), required=False, max_length=500)
    klass = forms.ChoiceField(
        label=_("分类（不来自需求时）"),
        required=False,
        choices=[("", ""), *DemandClass.choices],
    )
    title = forms.CharField(
        label=_("改造内容"), max_length=200, error_messages={"required": _("请填写改造内容。")}
    )
    quantity = NumberField(
        label=_("数量"), positive=True, error_messages={"required": _("请填写数量。")}
    )
    unit = forms.CharField(
        label=_("单位"),
        max_length=16,
        error_messages={"required": _("请填写单位（如 m²、处、台）。")},
    )
    cost = NumberField(label=_("估算造价"), error_messages={"required": _("请填写估算造价。")})
    fund_central = NumberField(label=_("中央补助"), required=False)
    fund_local = NumberField(label=_("地方财政"), required=False)
    fund_owners = NumberField(label=_("居民出资"), required=False)
    fund_utilities = NumberField(label=_("管线单位"), required=False)
    fund_other = NumberField(label=_("其他"), required=False)

    def funding_fields(self) -> list[forms.BoundField]:
        return [self[f"fund_{source}"] for source in FUNDING_SOURCES]

    def funding_errors(self) -> list[str]:
        """The errors of the split as a whole (it does not add up to the cost)."""
        return [
            message
            for error in self.errors.as_data().get(NON_FIELD_ERRORS, [])
            if error.code == "funding_sum"
            for message in error.messages
        ]

    def other_errors(self) -> list[str]:
        return [
            message
            for error in self.errors.as_data().get(NON_FIELD_ERRORS, [])
            if error.code != "funding_sum"
            for message in error.messages
        ]


class ConsultationForm(forms.Form):
    """The dates of the residents' consultation on a draft."""

    starts = forms.DateField(
        label=_("开始日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写开始日期。"), "invalid": _("开始日期不是日期。")},
    )
    ends = forms.DateField(
        label=_("截止日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写截止日期。"), "invalid": _("截止日期不是日期。")},
    )


class ConsultationChangeForm(ConsultationForm):
    """New dates for an opened consultation, with the reason (residents are told it)."""

    reason = forms.CharField(
        label=_("调整原因"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请写明调整征求意见期的原因。")},
    )


FUNDING_LABELS = {
    "central": _("中央补助"),
    "local": _("地方财政"),
    "owners": _("居民出资"),
    "utilities": _("管线单位"),
    "other": _("其他"),
}


class PlanBatchForm(forms.Form):
    """Items for several demands at once: per demand its work, quantity, unit and cost, and
    one funding split in percent for them all (``services.plan_items_add``)."""

    def __init__(self, *args: Any, demands: list[Demand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.demands = demands
        self.row_errors: dict[int, list[str]] = {}
        for source, label in FUNDING_LABELS.items():
            self.fields[f"split_{source}"] = NumberField(label=label, required=False)
        for d in demands:
            self.fields[f"title_{d.pk}"] = forms.CharField(
                label=_("改造内容"),
                max_length=200,
                initial=d.title[:200],
                error_messages={"required": _("请填写改造内容。")},
            )
            self.fields[f"quantity_{d.pk}"] = NumberField(
                label=_("数量"), positive=True, initial="1"
            )
            self.fields[f"unit_{d.pk}"] = forms.CharField(
                label=_("单位"), max_length=16, initial="项"
            )
            self.fields[f"cost_{d.pk}"] = NumberField(
                label=_("估算造价"), error_messages={"required": _("请填写估算造价。")}
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shares = [data.get(f"split_{source}") for source in FUNDING_SOURCES]
        total = sum(share for share in shares if share is not None)
        # Only when every share was read: a share that is no number has its own message.
        if None not in shares and total != 100:
            self.add_error(
                None,
                forms.ValidationError(
                    gettext("资金比例合计 %(sum)s%%，应为 100%%。") % {"sum": total},
                    code="split_sum",
                ),
            )
        return data

    def split_fields(self) -> list[forms.BoundField]:
        return [self[f"split_{source}"] for source in FUNDING_SOURCES]

    def split(self) -> dict[str, Decimal]:
        return {source: self.cleaned_data[f"split_{source}"] for source in FUNDING_SOURCES}

    def rows(self) -> list[tuple[Demand, list[forms.BoundField], list[str]]]:
        """Each demand with its fields and the errors of the row as a whole."""
        return [
            (
                d,
                [self[f"{name}_{d.pk}"] for name in ("title", "quantity", "unit", "cost")],
                self.row_errors.get(d.pk, []),
            )
            for d in self.demands
        ]
