"""Door-knocking pages: campaigns, their progress, the phone visit page and its endpoint."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_grid, make_user, region_chain, tiny_image
from xiaoqu.accounts.models import RoleAssignment, User
from xiaoqu.needs import services
from xiaoqu.needs.models import Campaign, CampaignStatus, Opinion, Visit
from xiaoqu.needs.views.visits import _natural
from xiaoqu.registry.models import Building, Dwelling, Estate

pytestmark = pytest.mark.django_db

SUBMIT = reverse("needs:visit_submit")
CAMPAIGNS = reverse("needs:campaign_list")
CREATE = reverse("needs:campaign_create")
PNG = tiny_image("PNG")


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world():
    """金仓小区 with two buildings, each its own grid; a grid worker for the first grid."""
    community = region_chain()[-1]
    estate = make_estate(community, name="金仓小区", buildings=2, floors=2, per_floor=2)
    other = make_estate(
        region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))[-1]
    )
    b1, b2 = Building.objects.filter(estate=estate).order_by("number")
    grid1 = make_grid([b1], name="一网格")
    grid2 = make_grid([b2], name="二网格")
    staff = make_user("community_staff", region=community)
    worker = make_user()
    RoleAssignment.objects.create(user=worker, role="grid_worker", grid=grid1)
    campaign = services.campaign_create(
        name="金仓敲门行动",
        estates=[estate],
        starts_on=timezone.localdate() - dt.timedelta(days=3),
        ends_on=timezone.localdate() + dt.timedelta(days=30),
        actor=staff,
    )
    return {
        "estate": estate,
        "other": other,
        "b1": b1,
        "b2": b2,
        "grid1": grid1,
        "grid2": grid2,
        "staff": staff,
        "worker": worker,
        "campaign": campaign,
        "mine": Dwelling.objects.filter(building=b1).order_by("pk").first(),
        "theirs": Dwelling.objects.filter(building=b2).order_by("pk").first(),
    }


def visit_data(w, **over) -> dict:
    data = {
        "client_key": str(uuid.uuid4()),
        "estate": str(w["estate"].pk),
        "dwelling": str(w["mine"].pk),
        "campaign": str(w["campaign"].pk),
        "outcome": "met",
        "people_met": "2",
        "opinions": json.dumps(
            [{"text": "楼道灯坏了，晚上看不见", "urgent": True}, {"text": "想加装电梯"}]
        ),
        "note": "老两口在家",
        "visited_at": timezone.localtime().replace(microsecond=0).isoformat(),
    }
    data.update(over)
    return data


def nothing_stored() -> bool:
    return not Visit.objects.exists() and not Opinion.objects.filter(channel="visit").exists()


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize("who", ["staff", "worker"])
def test_campaign_pages_and_visit_page_render_for_staff_and_grid_worker(world, who):
    """Campaign list, progress page and the phone page open for both roles."""
    client = login(world[who])
    assert "金仓敲门行动" in client.get(CAMPAIGNS).content.decode()
    detail = client.get(reverse("needs:campaign_detail", args=[world["campaign"].pk]))
    assert detail.status_code == 200
    assert reverse("needs:visit_page", args=[world["estate"].pk]) in detail.content.decode()
    page = client.get(reverse("needs:visit_page", args=[world["estate"].pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<noscript>" in body and "JavaScript" in body
    assert "needs/visit.js" in body
    # The shared offline script (window.XiaoquOffline) is loaded before the page's own.
    assert -1 < body.find("web/offline.js") < body.find("needs/visit.js")


def test_create_form_is_for_managers_only(world):
    """Staff see the create form; a grid worker neither sees it nor may post it."""
    assert 'id="campaign-form"' in login(world["staff"]).get(CAMPAIGNS).content.decode()
    worker = login(world["worker"])
    assert 'id="campaign-form"' not in worker.get(CAMPAIGNS).content.decode()
    response = worker.post(
        CREATE,
        {"name": "偷建", "starts_on": "2026-01-01", "ends_on": "2026-01-02", "estates": [1]},
    )
    assert response.status_code == 404
    assert Campaign.objects.count() == 1


def test_party_member_sees_campaigns_but_property_manager_cannot_visit(world):
    """view_needs is every workbench role; record_visit is not (property managers)."""
    community = world["estate"].community
    manager = login(make_user("property_manager", estate=world["estate"]))
    assert manager.get(CAMPAIGNS).status_code == 200
    assert manager.get(reverse("needs:visit_page", args=[world["estate"].pk])).status_code == 404
    member = login(make_user("party_member", region=community))
    assert member.get(reverse("needs:visit_page", args=[world["estate"].pk])).status_code == 200


def test_staff_create_a_campaign_over_estates_in_scope(world):
    """The create form makes an active campaign over the picked estates."""
    today = timezone.localdate()
    response = login(world["staff"]).post(
        CREATE,
        {
            "name": "第二轮走访",
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=7)).isoformat(),
            "estates": [world["estate"].pk],
        },
    )
    campaign = Campaign.objects.get(name="第二轮走访")
    assert response.status_code == 302
    assert response["Location"] == reverse("needs:campaign_detail", args=[campaign.pk])
    assert campaign.status == CampaignStatus.ACTIVE
    assert list(campaign.estates.all()) == [world["estate"]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "活动名称不能为空"),
        ({"estates": []}, "请至少选择一个小区"),
        ({"ends_on": "2020-01-01"}, "结束日期不能早于开始日期"),
        ({"starts_on": "不是日期"}, "请填写开始和结束日期"),
        ({"estates": ["other"]}, "不在您的工作范围内"),
        ({"estates": ["999999"]}, "不在您的工作范围内"),
        # "²" passes str.isdigit but is no number; twenty digits overflow the database.
        ({"estates": ["²"]}, "所选小区不正确"),
        ({"estates": ["9" * 20]}, "所选小区不正确"),
        ({"starts_on": "2026-02-30"}, "请填写开始和结束日期"),
        ({"ends_on": "2026-13-01"}, "请填写开始和结束日期"),
    ],
)
def test_bad_campaign_form_is_refused_with_a_message(world, change, message):
    """Bad input re-shows the form with a Chinese message and creates nothing."""
    data = {
        "name": "第二轮走访",
        "starts_on": "2026-05-01",
        "ends_on": "2026-05-30",
        "estates": [world["estate"].pk],
    }
    data.update(change)
    if data["estates"] == ["other"]:
        data["estates"] = [world["other"].pk]
    response = login(world["staff"]).post(CREATE, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Campaign.objects.count() == 1


def test_campaign_outside_scope_is_404(world):
    """A campaign over estates nobody here works on answers like a missing one."""
    admin = make_user("admin")
    elsewhere = services.campaign_create(
        name="界外活动",
        estates=[world["other"]],
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 1, 31),
        actor=admin,
    )
    client = login(world["staff"])
    assert client.get(reverse("needs:campaign_detail", args=[elsewhere.pk])).status_code == 404
    assert "界外活动" not in client.get(CAMPAIGNS).content.decode()


def test_manager_closes_and_reopens_a_campaign(world):
    """Close and open are POST buttons for managers; a grid worker gets 404."""
    url = reverse("needs:campaign_status", args=[world["campaign"].pk])
    assert login(world["worker"]).post(url, {"status": "closed"}).status_code == 404
    world["campaign"].refresh_from_db()
    assert world["campaign"].status == CampaignStatus.ACTIVE
    staff = login(world["staff"])
    assert staff.post(url, {"status": "closed"}).status_code == 302
    world["campaign"].refresh_from_db()
    assert world["campaign"].status == CampaignStatus.CLOSED
    staff.post(url, {"status": "active"})
    world["campaign"].refresh_from_db()
    assert world["campaign"].status == CampaignStatus.ACTIVE
    response = staff.post(url, {"status": "bogus"}, follow=True)
    assert "状态不正确" in response.content.decode()


def test_grid_worker_is_offered_only_their_grids_dwellings(world):
    """The phone page lists the worker's grid's building; staff get both buildings."""
    url = reverse("needs:visit_page", args=[world["estate"].pk])
    data = login(world["worker"]).get(url).context["visit_data"]
    assert [b["n"] for b in data["tree"]] == [world["b1"].number]
    offered = {d[0] for b in data["tree"] for e in b["e"] for d in e["d"]}
    assert offered == set(
        Dwelling.objects.filter(building=world["b1"]).values_list("pk", flat=True)
    )
    staff_data = login(world["staff"]).get(url).context["visit_data"]
    assert len(staff_data["tree"]) == 2


def test_visit_page_marks_dwellings_visited_in_the_active_campaign(world):
    """Dwellings already visited in the campaign are listed as visited."""
    login(world["worker"]).post(SUBMIT, visit_data(world))
    data = (
        login(world["worker"])
        .get(reverse("needs:visit_page", args=[world["estate"].pk]))
        .context["visit_data"]
    )
    assert data["visited"] == {str(world["campaign"].pk): [world["mine"].pk]}
    assert data["campaign"] == world["campaign"].pk


def test_visit_page_of_an_estate_outside_scope_is_404(world):
    """Another district's estate, or a missing one, is 404."""
    client = login(world["worker"])
    assert client.get(reverse("needs:visit_page", args=[world["other"].pk])).status_code == 404
    assert client.get(reverse("needs:visit_page", args=[999999])).status_code == 404


# ---------------------------------------------------------------- the submit endpoint


def test_submit_stores_the_visit_and_its_opinions(world):
    """A good visit answers 201 {"id", "created": true}; opinions carry their urgency."""
    data = visit_data(world)
    response = login(world["worker"]).post(SUBMIT, data)
    assert response.status_code == 201
    body = response.json()
    visit = Visit.objects.get()
    assert body == {"id": visit.pk, "created": True}
    assert str(visit.client_key) == data["client_key"]
    assert (visit.dwelling, visit.visitor, visit.people_met) == (
        world["mine"],
        world["worker"],
        2,
    )
    assert visit.campaign == world["campaign"]
    assert visit.note == "老两口在家"
    opinions = {o.text: o.urgent for o in visit.opinions.all()}
    assert opinions == {"楼道灯坏了，晚上看不见": True, "想加装电梯": False}


def test_resending_the_same_key_stores_one_visit(world):
    """A resend after a lost answer returns the stored visit: one visit, its opinions once."""
    data = visit_data(world)
    client = login(world["worker"])
    first = client.post(SUBMIT, data).json()
    second = client.post(SUBMIT, data)
    assert second.status_code == 200
    assert second.json() == {"id": first["id"], "created": False}
    assert Visit.objects.count() == 1
    assert Opinion.objects.filter(channel="visit").count() == 2


def test_submit_with_a_photo_keeps_it(world):
    """A photo travels in the same multipart request."""
    data = visit_data(world)
    data["photo"] = SimpleUploadedFile("door.png", PNG, content_type="image/png")
    assert login(world["worker"]).post(SUBMIT, data).status_code == 201
    assert Visit.objects.get().photo.name.endswith(".png")


def test_not_home_visit_without_opinions_is_stored(world):
    """无人在家 is a visit too (a person-visit with nobody met)."""
    data = visit_data(world, outcome="not_home", opinions="[]", people_met="0")
    assert login(world["worker"]).post(SUBMIT, data).status_code == 201
    visit = Visit.objects.get()
    assert (visit.outcome, visit.people_met) == ("not_home", 0)


def _other_estate_dwelling(w):
    return str(Dwelling.objects.filter(estate=w["other"]).first().pk)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dwelling": ""}, "请选择走访的房屋"),
        ({"dwelling": "OTHER_ESTATE"}, "这户不在您的走访范围内"),
        ({"dwelling": "OTHER_GRID"}, "这户不在您的走访范围内"),
        ({"dwelling": "²"}, "这户不在您的走访范围内"),
        ({"estate": "OTHER_ESTATE_ID"}, "这个小区不在您的工作范围内"),
        ({"estate": "²"}, "这个小区不在您的工作范围内"),
        ({"estate": "9" * 20}, "这个小区不在您的工作范围内"),
        ({"people_met": "²"}, "见到人数应在 0 到 50 之间"),
        ({"visited_at": "2026-02-30T10:00:00+08:00"}, "走访时间不正确"),
        ({"campaign": "²"}, "走访活动不存在"),
        ({"campaign": "9" * 20}, "走访活动不存在"),
        ({"outcome": "not_home"}, "没见到住户时不能记录意见"),
        ({"outcome": "burgled"}, "走访结果不正确"),
        ({"opinions": json.dumps([{"text": "😀😀👍"}])}, "只有表情符号无法处理"),
        ({"opinions": json.dumps([{"text": "漏" * 2001}])}, "意见最长 2000 字"),
        ({"opinions": "{not json"}, "意见内容格式不正确"),
        ({"visited_at": "2099-01-01T10:00:00+08:00"}, "走访时间不能晚于现在"),
        ({"visited_at": "昨天"}, "走访时间不正确"),
        ({"campaign": "999999"}, "走访活动不存在"),
        ({"campaign": "OTHER_CAMPAIGN"}, "走访活动不存在"),
        ({"client_key": "abc"}, "提交编号不正确"),
        ({"people_met": "-1"}, "见到人数应在 0 到 50 之间"),
        ({"note": "备" * 501}, "备注最长 500 字"),
    ],
)
def test_bad_visit_is_400_json_in_chinese_and_stores_nothing(world, change, message):
    """Every refusal is 400 {"error": Chinese message} and writes nothing."""
    placeholders = {
        "OTHER_ESTATE": lambda: _other_estate_dwelling(world),
        "OTHER_GRID": lambda: str(world["theirs"].pk),
        "OTHER_ESTATE_ID": lambda: str(world["other"].pk),
        "OTHER_CAMPAIGN": lambda: str(
            services.campaign_create(
                name="别处",
                estates=[world["other"]],
                starts_on=dt.date(2026, 1, 1),
                ends_on=dt.date(2026, 1, 2),
                actor=make_user("admin"),
            ).pk
        ),
    }
    change = {k: placeholders[v]() if v in placeholders else v for k, v in change.items()}
    response = login(world["worker"]).post(SUBMIT, visit_data(world, **change))
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert nothing_stored()


def test_a_dwelling_out_of_reach_answers_like_a_missing_one(world):
    """The neighbouring grid's dwelling, another estate's, a missing id and ids that are no
    ids get one and the same answer, so ids cannot be probed; nothing is stored."""
    answers = set()
    for dwelling in (
        str(world["theirs"].pk),
        _other_estate_dwelling(world),
        "999999",
        "²",
        "9" * 20,
    ):
        response = login(world["worker"]).post(SUBMIT, visit_data(world, dwelling=dwelling))
        assert response.status_code == 400
        answers.add(response.content)
    assert len(answers) == 1
    assert nothing_stored()


def test_dwelling_numbers_with_digits_that_are_no_numbers_still_sort():
    """ "²" is a digit to str.isdigit but no number: the phone page's sort keeps it as text."""
    assert sorted(["10", "2²", "2"], key=_natural) == ["2", "2²", "10"]


def test_campaign_list_filter_that_is_no_community_id_is_404(world):
    """?community= that is no id ("²" passes str.isdigit; twenty digits overflow) is 404."""
    client = login(world["staff"])
    for value in ("²", "9" * 20, "abc"):
        assert client.get(CAMPAIGNS, {"community": value}).status_code == 404
    assert client.get(CAMPAIGNS, {"community": ""}).status_code == 200


def test_grid_worker_cannot_record_another_grids_dwelling_even_for_a_known_key(world):
    """Scope is checked per dwelling: the neighbouring grid's dwelling is refused."""
    response = login(world["worker"]).post(
        SUBMIT, visit_data(world, dwelling=str(world["theirs"].pk))
    )
    assert response.status_code == 400
    assert nothing_stored()
    # Staff of the community may record it.
    assert (
        login(world["staff"])
        .post(SUBMIT, visit_data(world, dwelling=str(world["theirs"].pk)))
        .status_code
        == 201
    )


def test_ten_megabytes_of_text_is_refused_in_json(world):
    """A huge text field gets the same JSON refusal, not an HTML error page."""
    response = login(world["worker"]).post(
        SUBMIT, visit_data(world, note="字" * (10 * 1024 * 1024 // 3))
    )
    assert response.status_code == 400
    assert "太大" in response.json()["error"]
    assert nothing_stored()


def test_fake_photo_is_refused(world):
    """A file that is not an image is refused with a message."""
    data = visit_data(world)
    data["photo"] = SimpleUploadedFile("x.jpg", b"MZ not an image", content_type="image/jpeg")
    response = login(world["worker"]).post(SUBMIT, data)
    assert response.status_code == 400
    assert "照片格式不支持" in response.json()["error"]
    assert nothing_stored()


def test_visit_to_a_closed_campaign_is_refused(world):
    """A closed campaign takes no new visits."""
    services.campaign_set_status(campaign=world["campaign"], status="closed", actor=world["staff"])
    response = login(world["worker"]).post(SUBMIT, visit_data(world))
    assert response.status_code == 400
    assert "走访活动已结束" in response.json()["error"]


def test_someone_elses_key_is_refused(world):
    """A client key already used by another visitor is not taken over."""
    data = visit_data(world)
    login(world["staff"]).post(SUBMIT, data)
    response = login(world["worker"]).post(SUBMIT, data)
    assert response.status_code == 400
    assert "提交编号已被使用" in response.json()["error"]
    assert Visit.objects.count() == 1


def test_submit_is_post_only_and_needs_the_permission(world):
    """GET is 405; a property manager (no record_visit) gets 404; anonymous goes to login."""
    assert login(world["worker"]).get(SUBMIT).status_code == 405
    manager = login(make_user("property_manager", estate=world["estate"]))
    assert manager.post(SUBMIT, visit_data(world)).status_code == 404
    anonymous = Client().post(SUBMIT, visit_data(world))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert nothing_stored()


def test_submit_without_the_csrf_token_is_refused_in_json(world):
    """The CSRF check still runs (after the size check) and answers JSON."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["worker"])
    response = client.post(SUBMIT, visit_data(world))
    assert response.status_code == 403
    assert "刷新页面" in response.json()["error"]
    assert nothing_stored()


# ---------------------------------------------------------------- progress


def test_progress_counts_by_grid_and_member_within_the_users_scope(world):
    """Staff see both grids and both visitors; the grid worker sees their grid only."""
    worker, staff = login(world["worker"]), login(world["staff"])
    b1_dwellings = list(Dwelling.objects.filter(building=world["b1"]).order_by("pk"))
    worker.post(SUBMIT, visit_data(world, dwelling=str(b1_dwellings[0].pk)))
    # Same dwelling twice: two person-visits, one dwelling visited.
    worker.post(
        SUBMIT,
        visit_data(world, dwelling=str(b1_dwellings[0].pk), outcome="not_home", opinions="[]"),
    )
    worker.post(SUBMIT, visit_data(world, dwelling=str(b1_dwellings[1].pk), opinions="[]"))
    staff.post(SUBMIT, visit_data(world, dwelling=str(world["theirs"].pk)))
    url = reverse("needs:campaign_detail", args=[world["campaign"].pk])

    progress = staff.get(url).context["progress"]
    assert (progress.total.dwellings, progress.total.visited) == (8, 3)
    assert (progress.total.visits, progress.total.met, progress.total.opinions) == (4, 3, 4)
    grids = {g.label: (g.dwellings, g.visited, g.visits, g.opinions) for g in progress.by_grid}
    assert grids == {"一网格": (4, 2, 3, 2), "二网格": (4, 1, 1, 2)}
    members = {m.label: (m.visited, m.visits) for m in progress.by_member}
    assert members == {world["worker"].name: (2, 3), world["staff"].name: (1, 1)}
    page = staff.get(url).content.decode()
    assert "已走访 3 / 8 户" in page

    mine = worker.get(url).context["progress"]
    assert (mine.total.dwellings, mine.total.visited, mine.total.visits) == (4, 2, 3)
    assert [g.label for g in mine.by_grid] == ["一网格"]
    assert [m.label for m in mine.by_member] == [world["worker"].name]


def test_campaign_list_shows_estates_of_one_community(world):
    """The estate picker narrows to one community."""
    extra = make_estate(region_chain(("贵州省", "贵阳市", "云岩区", "盐务街街道", "吉祥社区"))[-1])
    staff = make_user("street_staff", region=Estate.objects.get(pk=extra.pk).community.parent)
    client = login(staff)
    everything = client.get(CAMPAIGNS).context["estate_choices"]
    assert {e.pk for e in everything} == {world["estate"].pk, extra.pk}
    one = client.get(CAMPAIGNS, {"community": extra.community_id}).context["estate_choices"]
    assert [e.pk for e in one] == [extra.pk]


def test_campaign_list_counts_what_the_user_sees(world):
    """The list's figures follow the scope: a grid worker counts their grid's visits only."""
    login(world["staff"]).post(SUBMIT, visit_data(world, dwelling=str(world["theirs"].pk)))
    login(world["worker"]).post(SUBMIT, visit_data(world))
    admin = make_user("admin")
    services.campaign_set_status(campaign=world["campaign"], status="active", actor=admin)
    world["campaign"].estates.add(world["other"])

    def row(user):
        page = login(user).get(CAMPAIGNS).context["page"]
        (campaign,) = page.object_list
        return campaign.n_estates, campaign.n_visits

    assert row(world["worker"]) == (1, 1)
    assert row(world["staff"]) == (1, 2)
    assert row(admin) == (2, 2)


def test_a_role_that_does_not_knock_gives_no_visit_scope(world):
    """A property manager of 金仓小区 who is also a grid worker elsewhere may not visit 金仓."""
    elsewhere = make_estate(world["estate"].community, name="吉祥苑")
    grid = make_grid(list(Building.objects.filter(estate=elsewhere)), name="吉祥网格")
    user = make_user("property_manager", estate=world["estate"])
    RoleAssignment.objects.create(user=user, role="grid_worker", grid=grid)
    client = login(user)
    assert client.get(reverse("needs:visit_page", args=[world["estate"].pk])).status_code == 404
    assert client.get(reverse("needs:visit_page", args=[elsewhere.pk])).status_code == 200
    response = client.post(SUBMIT, visit_data(world))
    assert response.status_code == 400
    assert nothing_stored()
    detail = client.get(reverse("needs:campaign_detail", args=[world["campaign"].pk]))
    assert 'id="visit-' not in detail.content.decode()


def test_campaigns_are_run_only_on_estates_of_a_managing_role(world):
    """A party member of the community who is community staff of another estate may start a
    campaign there only, and may not close 金仓's campaign."""
    elsewhere = make_estate(world["estate"].community, name="吉祥苑")
    user = make_user("party_member", region=world["estate"].community)
    RoleAssignment.objects.create(user=user, role="community_staff", estate=elsewhere)
    client = login(user)
    offered = {e.pk for e in client.get(CAMPAIGNS).context["estate_choices"]}
    assert offered == {elsewhere.pk}
    data = {"name": "越权", "starts_on": "2026-05-01", "ends_on": "2026-05-30"}
    response = client.post(CREATE, {**data, "estates": [world["estate"].pk]})
    assert response.status_code == 400
    assert Campaign.objects.count() == 1
    assert client.post(CREATE, {**data, "estates": [elsewhere.pk]}).status_code == 302
    url = reverse("needs:campaign_status", args=[world["campaign"].pk])
    response = client.post(url, {"status": "closed"}, follow=True)
    assert "不在您的工作范围内" in response.content.decode()
    world["campaign"].refresh_from_db()
    assert world["campaign"].status == CampaignStatus.ACTIVE


def test_a_field_over_the_form_limit_is_refused_in_json(world):
    """Six megabytes of text (under the request cap, over the form-field limit) → 400 JSON."""
    response = login(world["worker"]).post(SUBMIT, visit_data(world, note="字" * (2 * 1024 * 1024)))
    assert response.status_code == 400
    assert "太大" in response.json()["error"]
    assert nothing_stored()
