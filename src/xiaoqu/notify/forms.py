"""The form of a person's choice of channels."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PreferenceForm(forms.Form):
    sms = forms.BooleanField(label=_("接收短信通知"), required=False)
    wechat = forms.BooleanField(label=_("接收微信通知"), required=False)
    reminders = forms.BooleanField(label=_("表决快截止时提醒我"), required=False)
    opted_out = forms.BooleanField(label=_("不要给我发任何短信和微信"), required=False)
