"""Opinion pages: the staff list and corrections, hotline, photos, and the residents'
own pages ("我的意见" and the phone form), for permitted, not permitted and out-of-scope users."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_estate, make_grid, make_owner, make_user, region_chain, tiny_image
from xiaoqu.accounts.models import RoleAssignment, User
from xiaoqu.meetings.services import meeting_create, meeting_hear
from xiaoqu.needs import services
from xiaoqu.needs.models import Channel, Correction, Opinion
from xiaoqu.needs.services import OpinionInput

pytestmark = pytest.mark.django_db

PNG = tiny_image("PNG")
TEN_MB = "漏" * (10 * 1024 * 1024 // 3 + 10)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def estate():
    return make_estate(region_chain()[-1], name="东风小区", buildings=2, floors=3, per_floor=2)


@pytest.fixture
def other_estate():
    chain = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
    return make_estate(chain[-1], name="远方小区", floors=5, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


@pytest.fixture
def party_member(estate):
    """Holds needs.view_needs but not needs.record_opinions."""
    return make_user("party_member", region=estate.community)


@pytest.fixture
def homes(estate):
    return list(estate.dwellings.order_by("pk"))


@pytest.fixture
def resident(homes):
    person = make_owner(homes[0], name="王秀英")
    return make_user(person=person)


@pytest.fixture
def neighbour(homes):
    person = make_owner(homes[1], name="李大爷")
    return make_user(person=person)


def _hotline(estate, actor, text, **kwargs):
    (opinion,) = services.opinions_record(
        estate=estate,
        items=[OpinionInput(text=text, **kwargs)],
        channel=Channel.HOTLINE,
        actor=actor,
    )
    return opinion


def _grid_worker(buildings):
    grid = make_grid(buildings)
    user = make_user()
    RoleAssignment.objects.create(user=user, role="grid_worker", grid=grid)
    return user


# ---------------------------------------------------------------- staff opinion list


def test_staff_list_shows_opinions_with_dwelling_label_but_no_name_or_phone(
    estate, staff, homes, resident
):
    """Each row: date, channel, dwelling label, text, category; never the resident's name."""
    _hotline(estate, staff, "楼道灯坏了，晚上很黑", dwelling=homes[0])
    response = login(staff).get(reverse("needs:opinion_list", args=[estate.pk]))
    assert response.status_code == 200
    body = text_of(response)
    assert "楼道灯坏了" in body
    assert homes[0].label in body
    assert "热线" in body
    assert "楼道与公共部位" in body
    assert "王秀英" not in body
    assert homes[0].ownerships.get().person.phone not in body


def test_staff_list_is_404_out_of_scope_and_for_residents(estate, other_estate, staff, resident):
    """An estate outside the scope answers like a missing one; residents have no staff list."""
    assert (
        login(staff).get(reverse("needs:opinion_list", args=[other_estate.pk])).status_code == 404
    )
    assert login(staff).get(reverse("needs:opinion_list", args=[999999])).status_code == 404
    assert login(resident).get(reverse("needs:opinion_list", args=[estate.pk])).status_code == 404


def test_staff_list_filters_by_channel_category_dates_and_text(estate, staff):
    """Filters narrow the list; a bad filter value is ignored with a note."""
    _hotline(estate, staff, "屋顶漏水", heard_on=dt.date(2026, 1, 10))
    _hotline(estate, staff, "楼道灯坏了", heard_on=dt.date(2026, 2, 10))
    meeting = meeting_create(
        estate=estate,
        kind="courtyard",
        held_on=dt.date(2026, 3, 1),
        place="院坝",
        attendance=9,
        actor=staff,
    )
    meeting_hear(
        meeting=meeting,
        items=[OpinionInput(text="想要加装电梯", heard_on=dt.date(2026, 3, 1))],
        actor=staff,
    )
    client = login(staff)
    url = reverse("needs:opinion_list", args=[estate.pk])

    def texts(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return sorted(r.opinion.text for r in response.context["rows"])

    assert texts(channel="meeting") == ["想要加装电梯"]
    assert texts(category="roof_facade") == ["屋顶漏水"]
    assert texts(date_from="2026-02-01", date_to="2026-02-28") == ["楼道灯坏了"]
    assert texts(q="漏水") == ["屋顶漏水"]
    response = client.get(url, {"date_from": "明天"})
    assert len(response.context["rows"]) == 3
    assert "已忽略无效的筛选条件" in text_of(response)
    assert "坝坝会 2026-03-01 院坝" in text_of(client.get(url, {"channel": "meeting"}))


def test_staff_list_paginates(estate, staff):
    """Thirty opinions a page; the pages' links keep the filters."""
    services.opinions_record(
        estate=estate,
        items=[OpinionInput(text=f"第{i}号意见：楼道灯坏了") for i in range(35)],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    client = login(staff)
    url = reverse("needs:opinion_list", args=[estate.pk])
    first = client.get(url, {"channel": "hotline"})
    assert len(first.context["rows"]) == 30
    assert "共 35 条" in text_of(first) and "第 1–30 条" in text_of(first)
    assert 'href="?channel=hotline&amp;page=2"' in text_of(first)
    assert len(client.get(url, {"page": 2}).context["rows"]) == 5


def test_staff_list_is_a_table_with_one_category_select_for_the_page(estate, staff):
    """No 27-option select on every row: a tick box per row and one select for the page."""
    services.opinions_record(
        estate=estate,
        items=[OpinionInput(text=f"第{i}号意见：楼道灯坏了") for i in range(12)],
        channel=Channel.HOTLINE,
        actor=staff,
    )
    body = text_of(login(staff).get(reverse("needs:opinion_list", args=[estate.pk])))
    assert body.count("<select") == 3  # the filters' channel and category, and the bulk one
    assert body.count('name="opinion"') == 12
    assert 'id="bulk-category"' in body and 'table class="cards op-table picks"' in body


def _bulk(client, estate, opinions, category, back=""):
    return client.post(
        reverse("needs:opinions_recategorise", args=[estate.pk]),
        {"opinion": [str(o.pk) for o in opinions], "category": category, "back": back},
    )


def test_ticked_opinions_get_the_chosen_category_and_the_list_comes_back_as_it_was(estate, staff):
    """Without JavaScript: the form posts, the categories change (each correction kept for
    retraining), and the redirect returns to the same page with the same filters."""
    light = _hotline(estate, staff, "楼道灯坏了")
    dark = _hotline(estate, staff, "晚上楼梯黑黢黢的")
    roof = _hotline(estate, staff, "屋顶漏水")
    client = login(staff)
    response = _bulk(client, estate, [light, dark], "greening_lighting", "channel=hotline&page=1")
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("needs:opinion_list", args=[estate.pk]) + "?channel=hotline&page=1"
    )
    for opinion in (light, dark):
        opinion.refresh_from_db()
        assert (opinion.category, opinion.category_by_staff) == ("greening_lighting", True)
    roof.refresh_from_db()
    assert roof.category == "roof_facade" and not roof.category_by_staff
    assert Correction.objects.filter(new_category="greening_lighting").count() == 2
    page = text_of(client.get(response["Location"]))
    assert "已把 2 条意见的类别改为“绿化与照明”" in page


def test_bulk_correction_refuses_clearly_and_changes_nothing(estate, other_estate, staff):
    """No tick, no category, an unknown category, an opinion of another estate or a bad id:
    a message, and no opinion changes."""
    opinion = _hotline(estate, staff, "楼道灯坏了")
    stranger = make_user("community_staff", region=other_estate.community)
    elsewhere = _hotline(other_estate, stranger, "屋顶漏水")
    client = login(staff)
    url = reverse("needs:opinions_recategorise", args=[estate.pk])
    cases = [
        ({"category": "parking"}, "请先勾选"),
        ({"opinion": [opinion.pk]}, "请选择要改成的类别"),
        ({"opinion": [opinion.pk], "category": "no_such_thing"}, "请选择要改成的类别"),
        ({"opinion": [opinion.pk, elsewhere.pk], "category": "parking"}, "没有改动任何意见"),
        ({"opinion": [opinion.pk, "x"], "category": "parking"}, "没有改动任何意见"),
    ]
    for data, message in cases:
        response = client.post(url, data, follow=True)
        assert message in text_of(response), data
    opinion.refresh_from_db()
    assert opinion.category == "stairwell"
    assert not Correction.objects.exists()


def test_bulk_correction_needs_record_opinions_in_scope(estate, other_estate, staff, party_member):
    """A Party member reads the list without tick boxes and cannot post; the estate of
    another community answers 404; a grid worker cannot touch another grid's opinion."""
    opinion = _hotline(estate, staff, "楼道灯坏了")
    page = text_of(login(party_member).get(reverse("needs:opinion_list", args=[estate.pk])))
    assert 'name="opinion"' not in page and "bulk-category" not in page
    assert _bulk(login(party_member), estate, [opinion], "parking").status_code == 404
    stranger = make_user("community_staff", region=other_estate.community)
    assert _bulk(login(stranger), estate, [opinion], "parking").status_code == 404
    b1, b2 = estate.buildings.order_by("number")
    outside = _hotline(estate, staff, "二栋屋顶漏水", dwelling=b2.dwellings.first())
    response = _bulk(login(_grid_worker([b1])), estate, [outside], "parking")
    assert response.status_code == 302
    outside.refresh_from_db()
    assert outside.category == "roof_facade"
    assert (
        login(staff).get(reverse("needs:opinions_recategorise", args=[estate.pk])).status_code
        == 405
    )


def test_grid_worker_sees_only_their_grids_opinions_and_estate_wide_ones(estate, staff):
    """A grid over building 1: its dwellings' and building's opinions plus estate-wide ones."""
    b1, b2 = estate.buildings.order_by("number")
    worker = _grid_worker([b1])
    in_grid = _hotline(estate, staff, "一栋屋顶漏水", dwelling=b1.dwellings.first())
    building_wide = _hotline(estate, staff, "一栋楼道堆满杂物", building=b1)
    estate_wide = _hotline(estate, staff, "小区没有停车位")
    outside = _hotline(estate, staff, "二栋屋顶漏水", dwelling=b2.dwellings.first())
    outside_building = _hotline(estate, staff, "二栋外墙脱落", building=b2)
    client = login(worker)
    response = client.get(reverse("needs:opinion_list", args=[estate.pk]))
    shown = {r.opinion.pk for r in response.context["rows"]}
    assert shown == {in_grid.pk, building_wide.pk, estate_wide.pk}
    assert "二栋" not in text_of(response)
    # The other grid's opinion cannot be corrected either.
    url = reverse("needs:opinion_category", args=[outside.pk])
    assert client.post(url, {"category": "parking"}).status_code == 404
    url = reverse("needs:opinion_category", args=[outside_building.pk])
    assert client.post(url, {"category": "parking"}).status_code == 404


# ---------------------------------------------------------------- category correction


def test_correcting_a_category_keeps_a_correction_and_rerenders_the_row(estate, staff):
    """htmx POST: the row comes back with the new category; a Correction row is kept."""
    opinion = _hotline(estate, staff, "楼道灯坏了")
    response = login(staff).post(
        reverse("needs:opinion_category", args=[opinion.pk]),
        {"category": "greening_lighting"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = text_of(response)
    assert body.lstrip().startswith(f'<li class="op-row saved" id="opinion-{opinion.pk}"')
    assert "绿化与照明" in body
    opinion.refresh_from_db()
    assert opinion.category == "greening_lighting"
    assert opinion.category_by_staff
    correction = Correction.objects.get(opinion=opinion)
    assert (correction.old_category, correction.new_category) == ("stairwell", "greening_lighting")


def test_correction_without_htmx_redirects_back_to_the_list(estate, staff):
    opinion = _hotline(estate, staff, "楼道灯坏了")
    response = login(staff).post(
        reverse("needs:opinion_category", args=[opinion.pk]), {"category": "parking"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("needs:opinion_list", args=[estate.pk])


def test_correction_with_an_unknown_category_changes_nothing(estate, staff):
    opinion = _hotline(estate, staff, "楼道灯坏了")
    response = login(staff).post(
        reverse("needs:opinion_category", args=[opinion.pk]),
        {"category": "no_such_thing"},
        HTTP_HX_REQUEST="true",
    )
    assert "请选择一个类别" in text_of(response)
    opinion.refresh_from_db()
    assert opinion.category == "stairwell"
    assert not Correction.objects.exists()


def test_correction_needs_record_opinions_scope_and_post(estate, other_estate, staff, party_member):
    """Party members may read but not correct; out of scope is 404; GET is not allowed."""
    opinion = _hotline(estate, staff, "楼道灯坏了")
    url = reverse("needs:opinion_category", args=[opinion.pk])
    assert login(party_member).post(url, {"category": "parking"}).status_code == 404
    stranger = make_user("community_staff", region=other_estate.community)
    assert login(stranger).post(url, {"category": "parking"}).status_code == 404
    assert login(staff).get(url).status_code == 405
    opinion.refresh_from_db()
    assert opinion.category == "stairwell"


def test_party_member_sees_the_list_without_correction_controls(estate, staff, party_member):
    _hotline(estate, staff, "楼道灯坏了")
    response = login(party_member).get(reverse("needs:opinion_list", args=[estate.pk]))
    assert response.status_code == 200
    assert "改正类别" not in text_of(response)
    assert "录入坝坝会" not in text_of(response)


# ---------------------------------------------------------------- photos


@pytest.fixture
def photo_opinion(settings, tmp_path, estate, resident, homes):
    settings.MEDIA_ROOT = tmp_path
    opinion, _ = services.opinion_submit(
        user=resident,
        estate=estate,
        item=OpinionInput(
            text="楼道灯坏了", dwelling=homes[0], photo=SimpleUploadedFile("灯.png", PNG)
        ),
    )
    return opinion


def test_photo_is_served_to_the_resident_and_staff_in_scope(photo_opinion, resident, staff):
    url = reverse("needs:opinion_photo", args=[photo_opinion.pk])
    for user in (resident, staff):
        response = login(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG
        assert response["X-Content-Type-Options"] == "nosniff"


def test_photo_is_404_for_anyone_else(photo_opinion, neighbour, other_estate, estate):
    """Another resident of the estate, staff elsewhere and a user with no role get 404."""
    url = reverse("needs:opinion_photo", args=[photo_opinion.pk])
    stranger = make_user("community_staff", region=other_estate.community)
    for user in (neighbour, stranger, make_user()):
        assert login(user).get(url).status_code == 404
    assert "/accounts/login/" in Client().get(url)["Location"]


def test_photo_url_of_an_opinion_without_photo_is_404(estate, staff):
    opinion = _hotline(estate, staff, "楼道灯坏了")
    assert login(staff).get(reverse("needs:opinion_photo", args=[opinion.pk])).status_code == 404


def test_grid_worker_cannot_see_the_photo_of_another_grid(photo_opinion, estate):
    other_building = estate.buildings.exclude(pk=photo_opinion.dwelling.building_id).get()
    worker = _grid_worker([other_building])
    url = reverse("needs:opinion_photo", args=[photo_opinion.pk])
    assert login(worker).get(url).status_code == 404


def test_media_is_not_served_publicly(photo_opinion, staff):
    """Uploaded files have no public URL: /media/ is not routed."""
    response = login(staff).get("/media/" + photo_opinion.photo.name)
    assert response.status_code == 404


# ---------------------------------------------------------------- hotline


def _hotline_data(**overrides):
    data = {"text": "3楼水管爆了，楼道全是水", "building": "", "entrance": "", "room": ""}
    data["heard_on"] = timezone.localdate().isoformat()
    data.update(overrides)
    return data


def test_hotline_stores_an_urgent_call_with_its_dwelling(estate, staff, homes):
    home = homes[3]
    response = login(staff).post(
        reverse("needs:hotline", args=[estate.pk]),
        _hotline_data(
            building=str(home.building_id),
            entrance=home.entrance.number,
            room=home.number,
            urgent="on",
        ),
    )
    assert response.status_code == 302
    opinion = Opinion.objects.get()
    assert (opinion.channel, opinion.dwelling, opinion.building, opinion.urgent) == (
        Channel.HOTLINE,
        home,
        home.building,
        True,
    )
    assert opinion.recorded_by == staff


def test_hotline_without_a_place_is_about_the_whole_estate(estate, staff):
    response = login(staff).post(reverse("needs:hotline", args=[estate.pk]), _hotline_data())
    assert response.status_code == 302
    opinion = Opinion.objects.get()
    assert opinion.building is None and opinion.dwelling is None and not opinion.urgent


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"text": ""}, "请写下意见内容"),
        ({"text": "   "}, "意见内容为空"),
        ({"text": "🙏🙏👍"}, "只有表情符号无法处理"),
        ({"text": "漏" * 2001}, "意见最长 2000 字"),
        ({"room": "301"}, "请先选择楼栋"),
        ({"heard_on": "2099-01-01"}, "日期不能晚于今天"),
        ({"heard_on": "昨天"}, "日期"),
    ],
    ids=["empty", "blank", "emoji-only", "too-long", "room-without-building", "future", "bad-date"],
)
def test_hotline_bad_input_gets_a_message_and_stores_nothing(estate, staff, overrides, expected):
    response = login(staff).post(
        reverse("needs:hotline", args=[estate.pk]), _hotline_data(**overrides)
    )
    assert response.status_code == 400
    assert expected in text_of(response)
    assert not Opinion.objects.exists()


def test_hotline_refuses_a_dwelling_that_is_not_in_the_estate(estate, other_estate, staff):
    """Building choices are the estate's own; a room number the building lacks is refused."""
    building = estate.buildings.order_by("number").first()
    client = login(staff)
    url = reverse("needs:hotline", args=[estate.pk])
    response = client.post(url, _hotline_data(building=str(building.pk), room="501"))
    assert response.status_code == 400
    assert "没有 1栋501 这户" in text_of(response)
    foreign = other_estate.buildings.first()
    response = client.post(url, _hotline_data(building=str(foreign.pk), room="101"))
    assert response.status_code == 400
    assert not Opinion.objects.exists()


def test_hotline_with_ten_megabytes_of_text_gets_a_clear_message(estate, staff):
    response = login(staff).post(
        reverse("needs:hotline", args=[estate.pk]), _hotline_data(text=TEN_MB)
    )
    assert response.status_code == 400
    assert "提交的内容太大" in text_of(response)
    assert not Opinion.objects.exists()


def test_traditional_characters_are_classified_like_simplified(estate, staff):
    client = login(staff)
    url = reverse("needs:hotline", args=[estate.pk])
    client.post(url, _hotline_data(text="樓道燈壞了，晚上很黑"))
    client.post(url, _hotline_data(text="楼道灯坏了，晚上很黑"))
    traditional, simplified = Opinion.objects.order_by("pk")
    assert traditional.category == simplified.category == "stairwell"
    assert traditional.text == "樓道燈壞了，晚上很黑"


def test_hotline_needs_record_opinions_and_scope(
    estate, other_estate, staff, party_member, resident
):
    url = reverse("needs:hotline", args=[estate.pk])
    assert login(party_member).get(url).status_code == 404
    assert login(resident).get(url).status_code == 404
    assert login(staff).get(reverse("needs:hotline", args=[other_estate.pk])).status_code == 404
    assert login(party_member).post(url, _hotline_data()).status_code == 404
    assert not Opinion.objects.exists()


def test_grid_worker_hotline_offers_only_their_grids_buildings(estate):
    b1, b2 = estate.buildings.order_by("number")
    worker = _grid_worker([b1])
    client = login(worker)
    url = reverse("needs:hotline", args=[estate.pk])
    choices = dict(client.get(url).context["form"].fields["building"].choices)
    assert str(b1.pk) in choices and str(b2.pk) not in choices
    response = client.post(url, _hotline_data(building=str(b2.pk)))
    assert response.status_code == 400
    assert not Opinion.objects.exists()


# ---------------------------------------------------------------- residents: my opinions


def test_my_opinions_shows_what_happened_in_plain_words(estate, staff, resident, homes):
    """Status in words, the declined reason, and the published list version and rank."""
    mine, _ = services.opinion_submit(
        user=resident, estate=estate, item=OpinionInput(text="楼道灯坏了，晚上很黑")
    )
    other = _hotline(estate, staff, "想在院子里装健身器材", dwelling=homes[0])
    services.demand_set_status(demand=mine.demand, status="assessed", actor=staff)
    services.demand_set_status(
        demand=other.demand, status="declined", reason="院子太小，放不下", actor=staff
    )
    services.demand_list_publish(estate=estate, actor=staff)
    response = login(resident).get(reverse("needs:my_opinions"))
    assert response.status_code == 200
    body = text_of(response)
    assert "楼道灯坏了" in body and "您自己提交的" in body
    assert "已评估" in body
    assert "暂不实施" in body and "院子太小，放不下" in body
    assert "在第 1 版需求清单中排第" in body
    assert reverse("needs:demand_notice", args=[estate.pk]) in body


def test_an_opinion_that_came_after_a_published_list_claims_no_rank_in_it(estate, staff, resident):
    """It said 在第 2 版需求清单中排第 20 位 of an opinion the list never counted."""
    _hotline(estate, staff, "楼道灯坏了，晚上很黑")
    services.demand_list_publish(estate=estate, actor=staff)
    later, _ = services.opinion_submit(
        user=resident, estate=estate, item=OpinionInput(text="楼道的灯不亮了好久")
    )
    assert later.demand.list_items.exists()  # its demand is in version 1, it is not
    body = text_of(login(resident).get(reverse("needs:my_opinions")))
    assert "在第 1 版需求清单中排第" not in body
    assert "在第 1 版需求清单公布之后收到，会计入下一版清单" in body


def test_my_opinions_never_shows_a_neighbours_opinion(estate, resident, neighbour):
    services.opinion_submit(user=neighbour, estate=estate, item=OpinionInput(text="邻居说屋顶漏水"))
    response = login(resident).get(reverse("needs:my_opinions"))
    assert response.status_code == 200
    assert "邻居说屋顶漏水" not in text_of(response)
    assert "您还没有提过意见" in text_of(response)


def test_resident_home_links_to_my_opinions_and_the_form(resident):
    body = text_of(login(resident).get(reverse("registry:resident_home")))
    assert reverse("needs:my_opinions") in body
    assert reverse("needs:opinion_new") in body


# ---------------------------------------------------------------- residents: the phone form


def _resident_data(estate, **overrides):
    data = {
        "estate": str(estate.pk),
        "dwelling": "",
        "text": "我家楼下的下水道堵了，污水冒出来",
        "latitude": "",
        "longitude": "",
        "client_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_resident_submits_an_opinion_with_photo_and_location(
    settings, tmp_path, estate, resident, homes
):
    settings.MEDIA_ROOT = tmp_path
    client = login(resident)
    page = client.get(reverse("needs:opinion_new"))
    assert page.status_code == 200
    assert 'accept="image/*"' in text_of(page) and "web/report_form.js" in text_of(page)
    data = _resident_data(
        estate,
        dwelling=str(homes[0].pk),
        latitude="26.5783421234",
        longitude="106.7134",
        photo=SimpleUploadedFile("井盖.png", PNG, content_type="image/png"),
    )
    response = client.post(reverse("needs:opinion_new"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("needs:my_opinions")
    opinion = Opinion.objects.get()
    assert (opinion.channel, opinion.submitted_by, opinion.dwelling) == (
        Channel.RESIDENT,
        resident,
        homes[0],
    )
    assert str(opinion.latitude) == "26.578342"
    assert opinion.photo
    assert "我家楼下的下水道堵了" in text_of(client.get(reverse("needs:my_opinions")))


def test_a_double_tap_stores_one_opinion(estate, resident):
    client = login(resident)
    data = _resident_data(estate)
    assert client.post(reverse("needs:opinion_new"), data).status_code == 302
    assert client.post(reverse("needs:opinion_new"), data).status_code == 302
    assert Opinion.objects.count() == 1


def test_resident_can_only_choose_their_own_dwelling(estate, resident, homes):
    """Another household's dwelling, or one of another estate, is refused; nothing stored."""
    client = login(resident)
    response = client.post(
        reverse("needs:opinion_new"), _resident_data(estate, dwelling=str(homes[1].pk))
    )
    assert response.status_code == 400
    assert "只能选择您自己的房屋" in text_of(response)
    choices = dict(
        client.get(reverse("needs:opinion_new")).context["form"].fields["dwelling"].choices
    )
    assert set(choices) == {"", str(homes[0].pk)}
    assert not Opinion.objects.exists()


def test_resident_cannot_submit_for_another_estate(estate, other_estate, resident):
    response = login(resident).post(reverse("needs:opinion_new"), _resident_data(other_estate))
    assert response.status_code == 400
    assert "只能为自己居住的小区提意见" in text_of(response)
    assert not Opinion.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"text": ""}, "请写下意见内容"),
        ({"text": "😭😭😭"}, "只有表情符号无法处理"),
        ({"text": "堵" * 2001}, "意见最长 2000 字"),
        ({"text": TEN_MB}, "提交的内容太大"),
        ({"latitude": "北纬", "longitude": "106.7"}, "位置不正确"),
        ({"latitude": "26.5"}, "位置需要同时有纬度和经度"),
        ({"client_key": "abc"}, "UUID"),
    ],
    ids=[
        "empty",
        "emoji-only",
        "too-long",
        "ten-megabytes",
        "bad-location",
        "half-location",
        "bad-key",
    ],
)
def test_resident_bad_input_gets_a_clear_message_and_stores_nothing(
    estate, resident, overrides, expected
):
    response = login(resident).post(
        reverse("needs:opinion_new"), _resident_data(estate, **overrides)
    )
    assert response.status_code == 400
    assert expected in text_of(response) or expected == "UUID"
    assert not Opinion.objects.exists()


def test_a_photo_that_is_not_an_image_is_refused(settings, tmp_path, estate, resident):
    settings.MEDIA_ROOT = tmp_path
    data = _resident_data(estate, photo=SimpleUploadedFile("x.png", b"%PDF-1.4 not an image"))
    response = login(resident).post(reverse("needs:opinion_new"), data)
    assert response.status_code == 400
    assert "照片格式不支持" in text_of(response)
    assert not Opinion.objects.exists()


def test_user_without_a_home_is_told_how_to_get_linked(estate, staff):
    """Staff (or anyone not linked to a dwelling) see an explanation, not a form."""
    response = login(staff).get(reverse("needs:opinion_new"))
    assert response.status_code == 200
    assert "还没有和房屋关联" in text_of(response)
    response = login(staff).post(reverse("needs:opinion_new"), _resident_data(estate))
    assert not Opinion.objects.exists()


def test_resident_with_homes_in_two_estates_picks_the_estate(estate, other_estate, resident):
    from xiaoqu.registry.models import Ownership

    Ownership.objects.create(person=resident.person, dwelling=other_estate.dwellings.first())
    form = login(resident).get(reverse("needs:opinion_new")).context["form"]
    assert set(dict(form.fields["estate"].choices)) == {str(estate.pk), str(other_estate.pk)}
    response = login(resident).post(reverse("needs:opinion_new"), _resident_data(other_estate))
    assert response.status_code == 302
    assert Opinion.objects.get().estate == other_estate


def test_photo_type_comes_from_its_bytes_not_its_name(settings, tmp_path, estate, resident):
    """A PNG uploaded as "x.html" is served as image/png, never as a page."""
    settings.MEDIA_ROOT = tmp_path
    opinion, _ = services.opinion_submit(
        user=resident,
        estate=estate,
        item=OpinionInput(text="楼道灯坏了", photo=SimpleUploadedFile("x.html", PNG)),
    )
    response = login(resident).get(reverse("needs:opinion_photo", args=[opinion.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "default-src 'none'" in response["Content-Security-Policy"]


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_and_my_opinions_do_not_query_per_row(estate, staff, resident, homes):
    """The staff list and "我的意见" cost the same number of queries for 2 or 12 opinions."""
    staff_client, resident_client = login(staff), login(resident)
    staff_url = reverse("needs:opinion_list", args=[estate.pk])
    mine_url = reverse("needs:my_opinions")

    def add(n):
        services.opinions_record(
            estate=estate,
            items=[OpinionInput(text=f"屋顶漏水第{i}次", dwelling=homes[0]) for i in range(n)],
            channel=Channel.HOTLINE,
            actor=staff,
        )

    add(2)
    few = (_queries(staff_client, staff_url), _queries(resident_client, mine_url))
    add(10)
    many = (_queries(staff_client, staff_url), _queries(resident_client, mine_url))
    assert many == few


def test_dates_follow_the_language(estate, staff, resident):
    """The English interface showed dates as 2026年12月2日."""
    from django.conf import settings

    _hotline(estate, staff, "楼道灯坏了，晚上很黑")
    services.opinion_submit(user=resident, estate=estate, item=OpinionInput(text="屋顶漏水"))
    client = login(resident)
    today = timezone.localdate()
    assert f"{today.year}年{today.month}月{today.day}日" in text_of(
        client.get(reverse("needs:my_opinions"))
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = text_of(client.get(reverse("needs:my_opinions")))
    assert f"{today.year}年" not in body
    assert str(today.year) in body and f"{today.day}, {today.year}" in body


def test_the_opinion_count_takes_the_plural_form_of_the_readers_language(
    estate, staff, monkeypatch
):
    """“共 N 条” is one text with plural forms: English says 1 opinion, 2 opinions."""
    from django.utils.translation import trans_real

    catalogue = trans_real.translation("en")._catalog._catalogs[0]
    monkeypatch.setitem(catalogue, ("共 %(n)s 条", 0), "%(n)s opinion")
    monkeypatch.setitem(catalogue, ("共 %(n)s 条", 1), "%(n)s opinions")
    client = login(staff)
    client.cookies["django_language"] = "en"
    url = reverse("needs:opinion_list", args=[estate.pk])
    _hotline(estate, staff, "楼道灯坏了")
    assert ">1 opinion<" in text_of(client.get(url))
    _hotline(estate, staff, "屋顶漏水")
    assert ">2 opinions<" in text_of(client.get(url))
