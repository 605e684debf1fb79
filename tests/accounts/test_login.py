"""Logging in: phone and password, phone and SMS code, and what is refused."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import make_user
from xiaoqu.accounts.models import SmsCode
from xiaoqu.accounts.services import SMS_MAX_ATTEMPTS, sms_code_check, sms_code_send
from xiaoqu.accounts.sms import MemorySmsBackend
from xiaoqu.core.errors import DomainError

pytestmark = pytest.mark.django_db


PASSWORD = "pass-1234-word"


@pytest.fixture
def outbox(settings):
    settings.SMS_BACKEND = "xiaoqu.accounts.sms.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


def sent_code(outbox) -> str:
    return re.search(r"\d{6}", outbox[-1][1]).group(0)


def login(client: Client, **data):
    return client.post(reverse("accounts:login"), data)


def test_phone_and_password_log_in():
    """The right password logs in and lands on the home page."""
    user = make_user("admin")
    client = Client()
    response = login(client, phone=user.phone, password=PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_phone_may_carry_country_code_and_spaces():
    """+86 and spaces are stripped before the phone is looked up."""
    user = make_user()
    phone = f"+86 {user.phone[:3]} {user.phone[3:7]} {user.phone[7:]}"
    assert authenticate(None, phone=phone, password=PASSWORD) == user


def test_wrong_password_is_refused_with_a_message():
    """A wrong password re-shows the form with a message in Chinese."""
    user = make_user()
    response = login(Client(), phone=user.phone, password="wrong-password")
    assert response.status_code == 200
    assert "手机号或密码（验证码）不正确" in response.content.decode()


def test_unknown_phone_is_refused_like_a_wrong_password():
    """An unregistered phone gets the same answer as a wrong password."""
    assert authenticate(None, phone="13900000000", password=PASSWORD) is None


def test_inactive_user_cannot_log_in_with_password():
    """A deactivated account is refused even with the right password."""
    user = make_user()
    user.is_active = False
    user.save()
    assert authenticate(None, phone=user.phone, password=PASSWORD) is None


def test_sms_code_logs_in(outbox):
    """The six-digit code sent by SMS logs the user in."""
    user = make_user()
    client = Client()
    client.post(reverse("accounts:sms_code"), {"phone": user.phone})
    assert outbox and outbox[-1][0] == user.phone
    response = login(client, phone=user.phone, sms_code=sent_code(outbox))
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sms_code_works_once(outbox):
    """A code that has been used cannot log in again."""
    user = make_user()
    sms_code_send(phone=user.phone)
    code = sent_code(outbox)
    assert authenticate(None, phone=user.phone, sms_code=code) == user
    assert authenticate(None, phone=user.phone, sms_code=code) is None


def test_wrong_codes_are_limited(outbox):
    """After the allowed number of wrong codes, even the right code is refused."""
    user = make_user()
    sms_code_send(phone=user.phone)
    code = sent_code(outbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(SMS_MAX_ATTEMPTS):
        assert sms_code_check(phone=user.phone, code=wrong) is False
    assert SmsCode.objects.get(phone=user.phone).attempts == SMS_MAX_ATTEMPTS
    assert authenticate(None, phone=user.phone, sms_code=code) is None


def test_sms_code_for_unknown_phone_sends_nothing_but_says_the_same(outbox):
    """Asking a code for an unregistered phone sends nothing and reveals nothing."""
    client = Client()
    response = client.post(reverse("accounts:sms_code"), {"phone": "13912345678"}, follow=True)
    assert outbox == []
    assert "如该手机号已注册，验证码已发送" in response.content.decode()


def test_sms_codes_are_not_sent_too_often(outbox):
    """A second code within the minimum interval is refused."""
    user = make_user()
    sms_code_send(phone=user.phone)
    with pytest.raises(DomainError) as caught:
        sms_code_send(phone=user.phone)
    assert caught.value.code == "sms_too_often"
    assert len(outbox) == 1


def test_sms_code_is_stored_hashed(outbox):
    """The database never holds the code itself."""
    user = make_user()
    sms_code_send(phone=user.phone)
    code = sent_code(outbox)
    stored = SmsCode.objects.get(phone=user.phone)
    assert code not in stored.digest


def test_inactive_user_gets_no_code_and_cannot_use_one(outbox):
    """A deactivated user is sent no code, and a code sent before deactivation fails."""
    user = make_user()
    sms_code_send(phone=user.phone)
    code = sent_code(outbox)
    user.is_active = False
    user.save()
    assert authenticate(None, phone=user.phone, sms_code=code) is None
    SmsCode.objects.all().delete()
    cache.clear()  # the minute between two requests for one number (accounts.throttle)
    outbox.clear()
    sms_code_send(phone=user.phone)
    assert outbox == []


def test_login_without_password_or_code_asks_for_one():
    """Submitting only a phone asks for a password or a code."""
    user = make_user()
    response = login(Client(), phone=user.phone)
    assert "请输入密码或短信验证码" in response.content.decode()


def test_login_redirects_only_to_this_site():
    """A ?next= pointing to another site is ignored."""
    user = make_user()
    response = Client().post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"phone": user.phone, "password": PASSWORD},
    )
    assert response["Location"] == reverse("web:home")
