"""Authentication backends: phone + password, phone + SMS code."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from xiaoqu.accounts import throttle
from xiaoqu.accounts.models import User
from xiaoqu.core.pii import normalize_phone


class PhonePasswordBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, phone=None, **kwargs):
        phone = normalize_phone(phone or username or "")
        if not phone or password is None:
            return None
        # A locked number or address is refused before the password is looked at (Django's
        # authenticate() stops at PermissionDenied); docs/security.md.
        throttle.login_check(request, phone)
        try:
            user = User.objects.get(phone=phone)
        except User.DoesNotExist:
            User().set_password(password)  # same work either way, against timing probes
            throttle.login_failed(request, phone)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            throttle.login_succeeded(phone)
            return user
        throttle.login_failed(request, phone)
        return None


class SmsCodeBackend(ModelBackend):
    # Django's backends are asked with whatever credentials a form passes; this one answers
    # to a phone number and an SMS code, not to a username and password.
    def authenticate(  # type: ignore[override]
        self, request, phone=None, sms_code=None, **kwargs
    ):
        if not phone or not sms_code:
            return None
        from xiaoqu.accounts.services import sms_code_check

        phone = normalize_phone(phone)
        throttle.login_check(request, phone)
        user = User.objects.filter(phone=phone).first()
        if user is None or not self.user_can_authenticate(user):
            throttle.login_failed(request, phone)
            return None
        if sms_code_check(phone=phone, code=sms_code):
            throttle.login_succeeded(phone)
            return user
        throttle.login_failed(request, phone)
        return None
