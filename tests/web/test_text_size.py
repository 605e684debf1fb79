"""The large-text switch (大字): a cookie set by a plain form, read by the layout."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_user
from xiaoqu.web import text_size

pytestmark = pytest.mark.django_db

SWITCH = reverse("web:set_text_size")


def test_large_text_sets_a_cookie_and_returns_to_the_page():
    """Choosing large text keeps the choice for a year in this browser and goes back."""
    client = Client()
    response = client.post(SWITCH, {"size": "large", "next": "/needs/mine/?page=2"})
    assert response.status_code == 302
    assert response["Location"] == "/needs/mine/?page=2"
    cookie = response.cookies[text_size.COOKIE]
    assert cookie.value == text_size.LARGE
    assert cookie["max-age"] == 365 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_standard_text_removes_the_cookie():
    """Going back to standard text deletes the cookie rather than storing a second value."""
    client = Client()
    client.cookies[text_size.COOKIE] = text_size.LARGE
    response = client.post(SWITCH, {"size": "standard", "next": "/"})
    assert response.cookies[text_size.COOKIE].value == ""
    assert response.cookies[text_size.COOKIE]["max-age"] == 0


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_the_switch_never_sends_a_visitor_to_another_site(target):
    """A `next` (or a Referer) on another host falls back to the home page."""
    response = Client().post(SWITCH, {"size": "large", "next": target}, HTTP_REFERER=target)
    assert response["Location"] == "/"


def test_without_next_the_referring_page_of_this_site_is_used():
    response = Client().post(SWITCH, {"size": "large"}, HTTP_REFERER="http://testserver/a/b/")
    assert response["Location"] == "http://testserver/a/b/"


def test_the_switch_takes_only_posts():
    """A link could be followed by a prefetcher; the switch is a form."""
    assert Client().get(SWITCH).status_code == 405


def test_the_layout_marks_large_text_and_offers_the_way_back():
    """With the cookie the page's root element carries `text-large` and the header offers
    "标准字"; without it, no class and "大字". Anonymous visitors have the switch too."""
    client = Client()
    login = reverse("accounts:login")
    plain = client.get(login).content.decode()
    assert 'class="text-large"' not in plain
    assert ">大字</button>" in plain
    client.cookies[text_size.COOKIE] = text_size.LARGE
    large = client.get(login).content.decode()
    assert '<html lang="zh-hans" class="text-large">' in large
    assert ">标准字</button>" in large
    client.force_login(make_user())
    assert 'class="text-large"' in client.get(reverse("needs:my_opinions")).content.decode()


def test_an_unknown_cookie_value_is_standard_text():
    client = Client()
    client.cookies[text_size.COOKIE] = "huge"
    assert 'class="text-large"' not in client.get(reverse("accounts:login")).content.decode()
