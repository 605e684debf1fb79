"""Forms of the vote pages: parsing and field checks only; rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoqu.decisions.models import BallotChannel, Choice, VoteScope
from xiaoqu.decisions.rules_engine import MATTERS


class VoteForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    matter = forms.TypedChoiceField(
        label=_("表决事项（民法典第二百七十八条）"),
        coerce=int,
        choices=[(k, f"{k}. {v}") for k, v in MATTERS.items()],
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
