from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoqu.accounts.forms import LoginForm
from xiaoqu.accounts.services import sms_code_send
from xiaoqu.core.errors import DomainError


def login_view(request):
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        target = request.GET.get("next") or request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = ""
        return redirect(target or "web:home")
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def sms_code_view(request):
    try:
        sms_code_send(phone=request.POST.get("phone", ""))
        messages.info(request, _("如该手机号已注册，验证码已发送"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:login")


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")
