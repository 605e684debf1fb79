"""Dashboards: drill-down from province to estate, scope, exports, the estate panel, and
``xiaoqu rollup`` (docs/insights.md, docs/cli.md)."""

from __future__ import annotations

import datetime as dt
import json
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import (
    make_estate,
    make_passed_vote,
    make_project,
    make_user,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.insights import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    chain = region_chain()
    codes = ("520000", "520100", "520103", "520103003", "520103003001")
    for region, code in zip(chain, codes, strict=True):
        region.code = code
        region.save()
    other = region_chain(("南明区", "花果园街道", "花果园社区"), parent=chain[1])
    for region, code in zip(other, ("520102", "520102010", "520102010001"), strict=True):
        region.code = code
        region.save()
    here = make_estate(chain[-1], name="金仓苑", buildings=2, floors=2, per_floor=2)
    there = make_estate(other[-1], name="花果园小区", buildings=1, floors=1, per_floor=2)
    admin = make_user(Role.ADMIN, password=None)
    make_passed_vote(here, admin)
    make_project(here, admin, stage="approved")
    return {"chain": chain, "other": other, "here": here, "there": there, "admin": admin}


def _client(client, user):
    client.force_login(user)
    return client


def test_drill_down_from_province_to_estate(client, world):
    c = _client(client, world["admin"])
    chain = world["chain"]
    url = reverse("insights:region", kwargs={"region_id": chain[0].pk})
    for child in chain[1:]:
        page = c.get(url)
        assert page.status_code == 200
        target = reverse("insights:region", kwargs={"region_id": child.pk})
        assert f'href="{target}"' in page.content.decode()
        url = target
    page = c.get(url)  # the community lists its estates
    estate_url = reverse("insights:estate", kwargs={"estate_id": world["here"].pk})
    assert f'href="{estate_url}"' in page.content.decode()
    estate_page = c.get(estate_url).content.decode()
    assert "金仓苑" in estate_page and 'id="estate-panel"' in estate_page


def test_province_figures_cover_both_districts(client, world):
    c = _client(client, world["admin"])
    page = c.get(reverse("insights:region", kwargs={"region_id": world["chain"][0].pk}))
    figures = page.context["figures"]
    assert figures.estates == 2
    assert figures.sums["dwellings"] == 8 + 2
    assert figures.sums["votes_passed"] == 1
    assert figures.sums["projects"] == 1


def test_a_street_officer_sees_their_street_only(client, world):
    street = world["chain"][3]
    officer = make_user(Role.STREET_STAFF, region=street, password=None)
    c = _client(client, officer)
    home = c.get(reverse("insights:home"))
    assert home.status_code == 302
    assert home["Location"] == reverse("insights:region", kwargs={"region_id": street.pk})
    page = c.get(home["Location"])
    assert page.context["figures"].estates == 1
    body = page.content.decode()
    assert "花果园" not in body
    for region in (world["chain"][2], world["other"][1], world["other"][2]):
        assert c.get(reverse("insights:region", kwargs={"region_id": region.pk})).status_code == 404
    there = reverse("insights:estate", kwargs={"estate_id": world["there"].pk})
    assert c.get(there).status_code == 404
    # Above the scope the crumbs are names, not links.
    above = reverse("insights:region", kwargs={"region_id": world["chain"][2].pk})
    assert f'href="{above}"' not in body


def test_every_table_exports_as_a_sheet(client, world):
    c = _client(client, world["admin"])
    region = world["chain"][0]
    page = c.get(reverse("insights:region", kwargs={"region_id": region.pk}))
    keys = [t.key for t in page.context["tables"]]
    assert {"children", "stages", "households", "demands", "votes"} <= set(keys)
    url = reverse("insights:region_export", kwargs={"region_id": region.pk})
    book = load_workbook(BytesIO(c.get(url).content))
    assert len(book.sheetnames) == len(keys)
    one = load_workbook(BytesIO(c.get(url + "?table=stages").content))
    (sheet,) = one.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:2] == ("改造阶段", "小区")
    assert sum(r[1] for r in rows[2:]) == 2
    assert c.get(url + "?table=nonsense").status_code == 404


def test_the_estate_page_loads_its_panel(client, world):
    c = _client(client, world["admin"])
    detail = c.get(reverse("registry:estate_detail", kwargs={"estate_id": world["here"].pk}))
    panel = reverse("insights:estate", kwargs={"estate_id": world["here"].pk})
    assert f'hx-get="{panel}"' in detail.content.decode()
    fragment = c.get(panel, headers={"HX-Request": "true"}).content.decode()
    # The bare panel (with its stylesheet), not a whole page.
    assert '<section class="card estate-panel"' in fragment and "<html" not in fragment
    assert "insights/dashboard.css" in fragment
    assert "第2项事项表决" in fragment and "通过" in fragment


def test_rollup_json_and_check(world):
    out = StringIO()
    call_command("rollup", "--region", "520000", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["region"] == "520000" and data["name"] == "贵州省"
    assert data["estates"] == 2 and data["dwellings"] == 10
    assert data["by_stage"]["未启动"] == 2
    assert data["by_management"]["无人管理"] == 2
    assert data["votes"]["passed"] == 1
    assert [c["region"] for c in data["children"]] == ["520100"]
    street = StringIO()
    call_command("rollup", "--region", "520103003", "--json", stdout=street)
    assert json.loads(street.getvalue())["estates"] == 1
    with pytest.raises(CommandError) as error:
        call_command("rollup", "--region", "999999", "--json")
    assert error.value.returncode == 2
    report = StringIO()
    call_command("rollup", "--check", stdout=report)
    assert "0 处差异" in report.getvalue()
    assert services.check().differences == []


def test_a_project_of_two_estates_counts_once_at_its_first_estate(world):
    from tests.factories import make_published_plan
    from xiaoqu.renovation.services import money, projects

    admin = world["admin"]
    one = make_estate(world["chain"][-1], name="东院")
    two = make_estate(world["other"][-1], name="西院")
    for e in (one, two):
        make_published_plan(e, admin)
    project = projects.project_create(
        estates=[two, one], name="东西院改造", code="P-EW", actor=admin
    )
    money.receipt_record(
        project=project,
        source="central",
        amount="5000.00",
        on=dt.date.today(),
        note="中央补助",
        document=None,
        actor=admin,
    )
    first, _kids = selectors.region_figures(world["chain"][-1])  # 金仓社区 holds the lower id
    second, _kids = selectors.region_figures(world["other"][-1])
    # 金仓社区 holds the fixture's project too; 花果园社区 none.
    assert (first.sums["projects"], second.sums["projects"]) == (2, 0)
    assert (first.sums["received_fen"], second.sums["received_fen"]) == (500_000, 0)
    province, _kids = selectors.region_figures(world["chain"][0])
    assert province.sums["projects"] == 2  # this one and the fixture's
    assert services.check().differences == []
