"""Residents' list of an estate's published minutes (/meetings/estates/<id>/minutes/)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_meeting, make_owner, make_user, region_chain

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_residents_read_the_published_minutes_of_their_estate_only():
    """Published minutes are listed, newest first; a draft record is not; another estate's
    resident gets 404, as for a missing estate."""
    estate = make_estate(name="金仓小区")
    published = make_meeting(estate, kind="council", held_on=dt.date.today(), place="议事厅")
    published.minutes_published_at = timezone.now()
    published.save()
    older = make_meeting(estate, kind="courtyard", place="院坝")
    older.minutes_published_at = timezone.now() - dt.timedelta(days=30)
    older.save()
    draft = make_meeting(estate, kind="joint", place="草稿会")
    resident = make_user(person=make_owner(estate.dwellings.first(), "业主甲"))
    url = reverse("meetings:minutes_list", kwargs={"estate_id": estate.pk})

    body = login(resident).get(url).content.decode()

    assert reverse("meetings:meeting_minutes", kwargs={"meeting_id": published.pk}) in body
    assert body.index("议事厅") < body.index("院坝")
    assert reverse("meetings:meeting_minutes", kwargs={"meeting_id": draft.pk}) not in body
    far = make_estate(region_chain(("贵州省", "六盘水市", "钟山区", "荷城街道", "水西社区"))[-1])
    outsider = make_user(person=make_owner(far.dwellings.first(), "外人"))
    assert login(outsider).get(url).status_code == 404


def test_the_demand_notice_links_to_minutes_and_decisions():
    estate = make_estate(name="金仓小区")
    resident = make_user(person=make_owner(estate.dwellings.first(), "业主甲"))
    body = (
        login(resident)
        .get(reverse("needs:demand_notice", kwargs={"estate_id": estate.pk}))
        .content.decode()
    )
    assert reverse("meetings:minutes_list", kwargs={"estate_id": estate.pk}) in body
    assert reverse("decisions:estate_public", kwargs={"estate_id": estate.pk}) in body
