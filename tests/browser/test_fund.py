"""Street staff approve an emergency use of the maintenance fund on the estate's fund page; an
owner reads their dwelling's statement on a phone."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.helpers import PASSWORD, assets_loaded, fits_width, watch
from tests.factories import make_estate, make_owner, make_user, region_chain
from xiaoqu.accounts.models import Role
from xiaoqu.stewardship.models import FundWithdrawal
from xiaoqu.stewardship.services import fund

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, url: str, user, next_path: str) -> None:
    page.goto(f"{url}/accounts/login/?next={next_path}")
    page.fill("#id_phone", user.phone)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(re.escape(next_path) + r"(\?.*)?$"))


def test_an_emergency_use_approved_and_an_owners_statement(live_server, chromium, shoot):
    estate = make_estate(name="金仓小区", entrances=2, floors=3, per_floor=2)
    street = make_user(Role.STREET_STAFF, region=region_chain()[-2])
    manager = make_user(Role.PROPERTY_MANAGER, estate=estate)
    today = timezone.localdate()
    fund.deposits_record(estate=estate, rate_yuan_per_m2="48.5", on=today, actor=street)
    fund.interest_record(estate=estate, amount="123.45", on=today, actor=street)
    fund.withdrawal_emergency_apply(
        estate=estate, title="2号单元电梯主板更换", amount="2400", reason="电梯故障", actor=manager
    )
    mine = estate.dwellings.order_by("pk").first()
    owner = make_user(person=make_owner(mine, name="业主甲"))

    page_path = f"/stewardship/estates/{estate.pk}/fund/"
    with chromium.new_context(viewport=DESKTOP, locale="zh-CN") as context:
        page = context.new_page()
        problems = watch(page)
        _login(page, live_server.url, street, page_path)
        assets_loaded(page)
        page.select_option(".approve-form select[name=target]", index=0)
        page.click(".approve-form button")
        page.wait_for_selector("text=已审核同意应急使用")
        assert FundWithdrawal.objects.get().shares.count() == 12
        shoot(page, "fund-staff")
        assert not problems, problems

    statement = f"/stewardship/estates/{estate.pk}/fund/statement/"
    with chromium.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True) as context:
        page = context.new_page()
        problems = watch(page)
        _login(page, live_server.url, owner, statement)
        assert page.locator(f"#dwelling-{mine.pk}").is_visible()
        fits_width(page)
        shoot(page, "fund-statement")
        assert not problems, problems
