"""Login (phone + password or SMS code) and logout pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from xiaoqu.accounts import throttle
from xiaoqu.accounts.forms import LoginForm
from xiaoqu.accounts.models import Role, User
from xiaoqu.accounts.services import sms_code_send
from xiaoqu.core.client import client_address
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


def _go(target: str) -> HttpResponse:
    """To ``target`` (a checked ``next``), else home. Not ``redirect(target)``: it reads a
    bare word such as "0" as a URL name to reverse and fails."""
    return HttpResponseRedirect(target) if target else redirect("web:home")


@requires(PUBLIC)
def login_view(request):
    target = _safe_next(request)
    if request.user.is_authenticated and request.method != "POST":
        return _go(target)
    initial = {"phone": request.session.get(SESSION_LOGIN_PHONE, "")}
    form = LoginForm(request, data=request.POST or None, initial=initial)
    if request.method == "POST":
        refusal = throttle.login_refusal(
            phone=normalize_phone(request.POST.get("phone", "")),
            address=client_address(request),
        )
        if refusal is not None:
            return _login_refused(request, form, target, refusal)
        if form.is_valid():
            request.session.pop(SESSION_LOGIN_PHONE, None)
            login(request, form.user)
            if form.user is not None and _is_staff(form.user):
                # Staff reach many people's data: their session ends sooner (docs/security.md).
                request.session.set_expiry(settings.XIAOQU_STAFF_SESSION_SECONDS)
            return _go(target)
    return render(request, "accounts/login.html", {"form": form, "next": target})


def _is_staff(user: User) -> bool:
    """Holds a role other than resident and owner (or is a Django staff account)."""
    if user.is_staff or user.is_superuser:
        return True
    return user.roles.exclude(role__in=(Role.RESIDENT, Role.OWNER)).exists()


def _login_refused(request, form: LoginForm, target: str, refusal: throttle.Refusal):
    """429 with the login page and a message saying how long to wait."""
    form.errors.clear()
    form.add_error(
        None,
        _("登录失败次数过多，请 %(minutes)d 分钟后再试，或联系社区重置密码。")
        % {"minutes": refusal.minutes},
    )
    response = render(request, "accounts/login.html", {"form": form, "next": target}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


@require_POST
@requires(PUBLIC)
def sms_code_view(request):
    phone = normalize_phone(request.POST.get("phone", ""))
    try:
        sms_code_send(phone=phone, address=client_address(request))
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
