"""Login and SMS-code throttling: per number, per address, and for SMS the whole site."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_owner, make_user
from xiaoqu.accounts.services import sms_code_send
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


def login(client: Client, phone: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        reverse("accounts:login"), {"phone": phone, "password": password}, REMOTE_ADDR=address
    )


def test_forty_wrong_passwords_then_the_right_one_is_refused_for_a_while():
    """After the per-number limit of wrong passwords, even the right password is refused with
    429, a Retry-After and a Chinese message saying how long to wait; nobody is logged in."""
    user = make_user("admin")
    client = Client()
    answers = [login(client, user.phone, f"wrong-{i}").status_code for i in range(40)]
    assert answers[:4] == [200] * 4  # the form again, "wrong password"
    assert set(answers[5:]) == {429}
    response = login(client, user.phone, PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_locked_number_is_refused_from_another_address_too(settings):
    """The per-number lock holds whatever address the next attempt comes from."""
    user = make_user()
    for i in range(settings.XIAOQU_LOGIN_MAX_FAILURES_PER_PHONE):
        login(Client(), user.phone, "wrong", address=f"10.0.1.{i}")
    assert login(Client(), user.phone, PASSWORD, address="10.9.9.9").status_code == 429


def test_the_lock_ends_after_the_cooling_period(settings, monkeypatch):
    """When the cooling period has passed the right password logs in again."""
    import time

    user = make_user()
    for _ in range(settings.XIAOQU_LOGIN_MAX_FAILURES_PER_PHONE):
        login(Client(), user.phone, "wrong")
    assert login(Client(), user.phone, PASSWORD).status_code == 429
    later = time.time() + settings.XIAOQU_LOGIN_LOCKOUT_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    # The memory cache expires by its own clock; drop the lock as an expired entry would be.
    from django.core.cache import cache, caches
    from django.core.cache.backends.locmem import LocMemCache

    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        for key in [k for k in backend._cache if "login-lock" in k]:
            backend._cache.pop(key)
    else:  # Redis expires by its own clock too: drop everything, as the expiry would
        cache.clear()
    assert login(Client(), user.phone, PASSWORD).status_code == 302


def test_one_address_trying_many_numbers_is_refused(settings):
    """Wrong passwords for many numbers from one address lock that address (any number),
    while the same numbers still log in from elsewhere."""
    settings.XIAOQU_LOGIN_MAX_FAILURES_PER_ADDRESS = 6
    users = [make_user() for _ in range(7)]
    for user in users[:6]:
        login(Client(), user.phone, "wrong", address="10.0.0.66")
    assert login(Client(), users[6].phone, PASSWORD, address="10.0.0.66").status_code == 429
    assert login(Client(), users[6].phone, PASSWORD, address="10.0.0.67").status_code == 302


def test_logging_in_to_ones_own_account_does_not_clear_the_address_count(settings):
    """An attacker's own successful login does not reset the count of the address they probe
    other accounts from."""
    settings.XIAOQU_LOGIN_MAX_FAILURES_PER_ADDRESS = 6
    mine = make_user()
    victims = [make_user() for _ in range(6)]
    for victim in victims[:3]:
        login(Client(), victim.phone, "wrong", address="10.0.0.70")
    assert login(Client(), mine.phone, PASSWORD, address="10.0.0.70").status_code == 302
    for victim in victims[3:]:
        login(Client(), victim.phone, "wrong", address="10.0.0.70")
    assert login(Client(), mine.phone, PASSWORD, address="10.0.0.70").status_code == 429


def test_a_right_password_clears_the_numbers_own_count(settings):
    """Below the limit, a successful login starts the number's count again."""
    user = make_user()
    limit = settings.XIAOQU_LOGIN_MAX_FAILURES_PER_PHONE
    for _ in range(limit - 1):
        login(Client(), user.phone, "wrong")
    assert login(Client(), user.phone, PASSWORD).status_code == 302
    for _ in range(limit - 1):
        login(Client(), user.phone, "wrong")
    assert login(Client(), user.phone, PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(settings):
    """Django's admin login goes through the same backends: a locked number is refused there."""
    user = make_user("admin")
    user.is_staff = True
    user.is_superuser = True
    user.save()
    for _ in range(settings.XIAOQU_LOGIN_MAX_FAILURES_PER_PHONE):
        Client().post("/admin/login/", {"username": user.phone, "password": "wrong"})
    client = Client()
    client.post("/admin/login/", {"username": user.phone, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_staff_sessions_are_shorter_than_residents(settings):
    """Staff get the staff session age, residents the ordinary one."""
    staff = make_user("community_staff", estate=make_estate(name="甲小区"))
    estate = make_estate(name="乙小区")
    resident = make_user(person=make_owner(estate.dwellings.first(), "业主甲"))
    staff_client, resident_client = Client(), Client()
    assert login(staff_client, staff.phone, PASSWORD).status_code == 302
    assert login(resident_client, resident.phone, PASSWORD, address="10.0.0.2").status_code == 302
    assert staff_client.session.get_expiry_age() == settings.XIAOQU_STAFF_SESSION_SECONDS
    assert resident_client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


# --- SMS codes -------------------------------------------------------------------------------


def sms(client: Client, phone: str, address: str = "10.0.0.1"):
    response = client.post(reverse("accounts:sms_code"), {"phone": phone}, REMOTE_ADDR=address)
    page = client.get(reverse("accounts:login"))
    return response.status_code, re.findall(r'class="msg-[a-z]+">([^<]*)<', page.content.decode())


def test_resend_limit_answers_the_same_for_registered_and_unregistered_numbers(outbox):
    """Asking twice within the minute gives the same answers whether or not the number is
    registered; only the registered number receives an SMS."""
    user = make_user()
    unknown = "13900001111"
    assert user.phone != unknown
    registered = [sms(Client(), user.phone, "10.0.0.3") for _ in range(2)]
    unregistered = [sms(Client(), unknown, "10.0.0.4") for _ in range(2)]
    assert registered == unregistered
    assert "过于频繁" in registered[1][1][0]
    assert [phone for phone, _ in outbox] == [user.phone]


def test_sms_codes_are_limited_per_number_per_hour(settings, outbox, monkeypatch):
    """Past the hourly limit for one number, a request is refused with a message, sent to
    nobody, also after the one-minute interval has passed."""
    from xiaoqu.accounts import services

    monkeypatch.setattr(services, "SMS_MIN_INTERVAL", services.timedelta(seconds=0.001))
    settings.XIAOQU_SMS_MAX_PER_PHONE_HOUR = 3
    user = make_user()
    for i in range(3):
        sms_code_send(phone=user.phone, address=f"10.1.0.{i}")
    with pytest.raises(DomainError) as refused:
        sms_code_send(phone=user.phone, address="10.1.0.9")
    assert refused.value.code == "sms_throttled"
    assert "分钟后再试" in refused.value.message
    assert len(outbox) == 3


def test_sms_codes_are_limited_per_address_and_for_the_site(settings, outbox, monkeypatch):
    """One address asking for many numbers is refused past its limit; so is the whole site
    past the global limit, whoever asks."""
    settings.XIAOQU_SMS_MAX_PER_ADDRESS_HOUR = 4
    settings.XIAOQU_SMS_MAX_PER_HOUR = 5
    for i in range(4):
        sms_code_send(phone=f"1390000{i:04d}", address="10.2.0.1")
    with pytest.raises(DomainError) as by_address:
        sms_code_send(phone="13900009999", address="10.2.0.1")
    assert by_address.value.code == "sms_throttled"
    sms_code_send(phone="13900008888", address="10.2.0.2")
    with pytest.raises(DomainError) as global_limit:
        sms_code_send(phone="13900007777", address="10.2.0.3")
    assert global_limit.value.code == "sms_throttled"


def test_the_client_address_comes_from_the_load_balancers_header_when_configured(settings):
    """With XIAOQU_CLIENT_IP_HEADER set, the last entry of that header is the address."""
    from django.test import RequestFactory

    from xiaoqu.accounts.throttle import client_address

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    assert client_address(request) == "127.0.0.1"
    settings.XIAOQU_CLIENT_IP_HEADER = "X-Forwarded-For"
    assert client_address(request) == "5.6.7.8"
