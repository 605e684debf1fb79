"""An estate's plans and votes as residents see them (/decisions/estates/<id>/public/)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import (
    make_estate,
    make_open_vote,
    make_owner,
    make_passed_vote,
    make_plan_in_consultation,
    make_user,
    region_chain,
)
from xiaoqu.decisions import services

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_residents_see_plans_in_consultation_open_votes_and_published_results():
    """Drafts (plans and votes) are for staff; the rest is listed with links to its page."""
    estate = make_estate(name="金仓小区")
    staff = make_user("community_staff", region=estate.community)
    plan = make_plan_in_consultation(estate, staff)
    draft_plan = services.plan_create(estate=estate, title="草拟中的方案", actor=staff)
    vote = make_open_vote(estate, staff)
    result = make_passed_vote(estate, staff)
    resident = make_user(person=make_owner(estate.dwellings.first(), "业主甲"))

    body = (
        login(resident)
        .get(reverse("decisions:estate_public", kwargs={"estate_id": estate.pk}))
        .content.decode()
    )

    assert reverse("decisions:plan_public", kwargs={"plan_id": plan.pk}) in body
    assert reverse("decisions:plan_public", kwargs={"plan_id": draft_plan.pk}) not in body
    assert reverse("decisions:ballot", kwargs={"vote_id": vote.pk}) in body
    assert reverse("decisions:vote_result", kwargs={"vote_id": result.pk}) in body


def test_another_estates_resident_gets_404():
    estate = make_estate(name="金仓小区")
    far = make_estate(region_chain(("贵州省", "六盘水市", "钟山区", "荷城街道", "水西社区"))[-1])
    outsider = make_user(person=make_owner(far.dwellings.first(), "外人"))
    url = reverse("decisions:estate_public", kwargs={"estate_id": estate.pk})
    assert login(outsider).get(url).status_code == 404
