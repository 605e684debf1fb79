from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from xiaoqu.core.pii import normalize_phone, phone_is_valid


class LoginForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        error_messages={"required": _("请输入手机号"), "max_length": _("请输入11位手机号")},
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "username", "placeholder": "13800000000"}
        ),
    )
    password = forms.CharField(
        label=_("密码"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    sms_code = forms.CharField(
        label=_("短信验证码"),
        required=False,
        max_length=6,
        error_messages={"max_length": _("验证码为6位数字")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data["phone"])
        if not phone_is_valid(phone):
            raise forms.ValidationError(_("请输入11位手机号"))
        return phone

    def clean(self):
        data = super().clean() or {}
        phone = data.get("phone")
        if not phone:
            return data
        if data.get("password"):
            self.user = authenticate(self.request, phone=phone, password=data["password"])
        elif data.get("sms_code"):
            self.user = authenticate(self.request, phone=phone, sms_code=data["sms_code"])
        else:
            raise forms.ValidationError(_("请输入密码或短信验证码"))
        if self.user is None:
            raise forms.ValidationError(_("手机号或密码（验证码）不正确"))
        return data
