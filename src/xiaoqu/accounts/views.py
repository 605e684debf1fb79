"""Login (phone + password or SMS code) and logout pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from xiaoqu.accounts.forms import LoginForm
from xiaoqu.accounts.services import sms_code_send
from xiaoqu.core.errors import DomainError
from xiaoqu.core.pii import normalize_phone
from xiaoqu.core.policy import AUTHENTICATED, PUBLIC, requires

# Messages of the SMS service's domain errors, listed so they get translated when shown.
_SMS_ERRORS = (gettext_noop("手机号格式不正确"), gettext_noop("验证码发送过于频繁，请稍后再试"))
# The phone number typed before asking for a code, so the login form can show it again.
SESSION_LOGIN_PHONE = "login_phone"


def _safe_next(request) -> str:
    """The ``next`` target if it stays on this site, else an empty string."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@requires(PUBLIC)
def login_view(request):
    target = _safe_next(request)
    if request.user.is_authenticated and request.method != "POST":
        return redirect(target or "web:home")
    initial = {"phone": request.session.get(SESSION_LOGIN_PHONE, "")}
    form = LoginForm(request, data=request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        request.session.pop(SESSION_LOGIN_PHONE, None)
        login(request, form.user)
        return redirect(target or "web:home")
    return render(request, "accounts/login.html", {"form": form, "next": target})


@require_POST
@requires(PUBLIC)
def sms_code_view(request):
    phone = normalize_phone(request.POST.get("phone", ""))
    try:
        sms_code_send(phone=phone)
        request.session[SESSION_LOGIN_PHONE] = phone
        messages.info(request, _("如该手机号已注册，验证码已发送，5分钟内有效"))
    except DomainError as exc:
        messages.error(request, _(exc.message))
    target = _safe_next(request)
    response = redirect("accounts:login")
    if target:
        response["Location"] += "?" + urlencode({"next": target})
    return response


@require_POST
@requires(AUTHENTICATED)
def logout_view(request):
    logout(request)
    messages.info(request, _("您已安全退出"))
    return redirect("accounts:login")
