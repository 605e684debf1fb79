"""Services of the needs app: recording opinions, placing them in demands, statuses, lists."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import make_estate, make_owner, make_user
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.needs import services
from xiaoqu.needs.models import Channel, Correction, Demand, DemandList, Opinion, Visit
from xiaoqu.needs.selectors import demand_rows, my_opinions, priority_score
from xiaoqu.needs.services import OpinionInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return make_estate(name="东风小区", floors=5, per_floor=2)


@pytest.fixture
def staff(estate):
    return make_user("community_staff", region=estate.community)


def _hotline(estate, staff, *texts, dwellings=()):
    dwellings = list(dwellings) or [None] * len(texts)
    return services.opinions_record(
        estate=estate,
        items=[OpinionInput(text=t, dwelling=d) for t, d in zip(texts, dwellings, strict=True)],
        channel=Channel.HOTLINE,
        actor=staff,
    )


def test_opinions_asking_the_same_thing_share_one_demand(estate, staff):
    """ "楼道灯坏了" and "晚上楼梯黑乎乎的" are one demand; clutter in the stairwell is another."""
    d = list(estate.dwellings.order_by("pk"))
    a, b, c = _hotline(
        estate, staff, "楼道灯坏了", "晚上楼梯黑乎乎的看不见", "楼道里堆满杂物", dwellings=d[:3]
    )
    assert a.demand_id == b.demand_id
    assert c.demand_id != a.demand_id
    (later,) = _hotline(estate, staff, "楼道的灯不亮了好久", dwellings=[d[3]])
    assert later.demand_id == a.demand_id


def test_demand_figures_count_distinct_households(estate, staff):
    """Two opinions from one dwelling are one household asking; share is of the estate."""
    home = estate.dwellings.order_by("pk").first()
    _hotline(estate, staff, "楼道灯坏了", "楼道灯还是没修", dwellings=[home, home])
    rows = demand_rows(estate=estate)
    (row,) = rows.items
    assert (row.households, row.opinions) == (1, 2)
    assert rows.households == 10
    assert row.share == Decimal("0.1000")
    assert row.priority == Decimal("15.0")  # basic: 100 × 0.1 × 1.5


def test_priority_weights_basic_items_and_urgency():
    """Basic items weigh 1.5; staff urgency adds 10; urgent households add 2 each, at most 5."""
    assert (
        priority_score(share=Decimal("0.4"), klass="basic", urgent=False, urgent_households=0) == 60
    )
    assert (
        priority_score(share=Decimal("0.4"), klass="improve", urgent=False, urgent_households=0)
        == 40
    )
    assert (
        priority_score(share=Decimal("0.4"), klass="improve", urgent=True, urgent_households=9)
        == 60
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "text_empty"),
        ("   ", "text_empty"),
        ("😀😀🙏", "text_empty"),
        ("漏" * 2001, "text_too_long"),
    ],
)
def test_bad_text_is_refused_and_nothing_is_stored(estate, staff, text, code):
    with pytest.raises(DomainError) as error:
        _hotline(estate, staff, "楼道灯坏了", text)
    assert "第 2 条" in error.value.message
    assert Opinion.objects.count() == 0 and Demand.objects.count() == 0


def test_ten_megabyte_text_is_refused_quickly(estate, staff):
    with pytest.raises(DomainError, match="最长"):
        _hotline(estate, staff, "漏" * 10_000_000)
    assert Opinion.objects.count() == 0


def test_traditional_characters_are_classified_like_simplified(estate, staff):
    (o,) = _hotline(estate, staff, "樓道燈壞了，晚上上樓黑黢黢的")
    assert o.category == "stairwell"


def test_dwelling_outside_the_estate_is_refused(estate, staff):
    other = make_estate(name="别的小区")
    with pytest.raises(DomainError) as error:
        _hotline(estate, staff, "屋顶漏雨", dwellings=[other.dwellings.first()])
    assert error.value.code == "dwelling_outside"
    assert Opinion.objects.count() == 0


def test_staff_out_of_scope_cannot_record(estate):
    elsewhere = make_user("community_staff", estate=make_estate(name="别处"))
    with pytest.raises(DomainError) as error:
        _hotline(estate, elsewhere, "屋顶漏雨")
    assert error.value.code == "out_of_scope"


def test_correction_is_kept_and_moves_the_opinion(estate, staff):
    (o,) = _hotline(estate, staff, "屋顶漏雨")
    services.opinion_recategorise(opinion=o, category="waste", actor=staff)
    o.refresh_from_db()
    assert o.category == "waste" and o.category_by_staff
    assert Demand.objects.get(pk=o.demand_id).category == "waste"
    assert Correction.objects.get().old_category == "roof_facade"
    assert services.corrections_for_training() == [("屋顶漏雨", "waste")]
    assert AuditLog.objects.filter(action="needs.opinion_recategorise").exists()


def test_split_and_join_are_kept_by_later_merges(estate, staff):
    d = list(estate.dwellings.order_by("pk"))
    a, b = _hotline(estate, staff, "楼道灯坏了", "楼道灯不亮", dwellings=d[:2])
    demand = Demand.objects.get(pk=a.demand_id)
    new = services.demand_split(demand=demand, opinion_ids=[b.pk], actor=staff)
    b.refresh_from_db()
    assert b.demand_id == new.pk and b.placed_by_staff
    with pytest.raises(DomainError):
        services.demand_split(demand=demand, opinion_ids=[a.pk], actor=staff)
    services.demand_join(target=demand, others=[new], actor=staff)
    assert Opinion.objects.filter(demand=demand).count() == 2


def test_status_flow_needs_a_reason_to_decline(estate, staff):
    (o,) = _hotline(estate, staff, "想装电梯")
    demand = o.demand
    with pytest.raises(DomainError) as error:
        services.demand_set_status(demand=demand, status="done", actor=staff)
    assert error.value.code == "transition"
    with pytest.raises(DomainError) as error:
        services.demand_set_status(demand=demand, status="declined", actor=staff, reason=" ")
    assert error.value.code == "reason_required"
    d = services.demand_set_status(
        demand=demand, status="declined", actor=staff, reason="楼间距不够，无法加装"
    )
    assert d.declined_reason == "楼间距不够，无法加装"


def test_publishing_freezes_a_numbered_version(estate, staff):
    _hotline(estate, staff, "想装电梯", "屋顶漏雨")
    first = services.demand_list_publish(estate=estate, actor=staff)
    _hotline(estate, staff, "垃圾桶太少了")
    second = services.demand_list_publish(estate=estate, actor=staff, note="第二轮走访后")
    assert (first.version, second.version) == (1, 2)
    assert first.items.count() == 2 and second.items.count() == 3
    assert DemandList.objects.count() == 2


def test_publishing_an_empty_list_is_refused(estate, staff):
    with pytest.raises(DomainError) as error:
        services.demand_list_publish(estate=estate, actor=staff)
    assert error.value.code == "empty_list"


def test_a_resent_visit_is_stored_once(estate):
    worker = make_user("grid_worker", estate=estate)
    dwelling = estate.dwellings.first()
    key = uuid.uuid4()

    def send():
        return services.visit_record(
            client_key=key,
            dwelling=dwelling,
            visitor=worker,
            visited_at=timezone.now(),
            outcome="met",
            opinions=[OpinionInput(text="下水道经常堵")],
        )

    first, again = send(), send()
    assert first.created and not again.created
    assert Visit.objects.count() == 1 and Opinion.objects.count() == 1


def test_visit_outside_the_visitors_scope_is_refused(estate):
    worker = make_user("grid_worker", estate=make_estate(name="别处"))
    with pytest.raises(DomainError) as error:
        services.visit_record(
            client_key=uuid.uuid4(),
            dwelling=estate.dwellings.first(),
            visitor=worker,
            visited_at=timezone.now(),
            outcome="not_home",
        )
    assert error.value.code == "out_of_scope"


def test_resident_sees_what_happened_to_their_opinion(estate, staff):
    home = estate.dwellings.first()
    resident = make_user(person=make_owner(home, "王大妈"))
    opinion, created = services.opinion_submit(
        user=resident, estate=estate, item=OpinionInput(text="单元门口台阶太高，轮椅上不去")
    )
    assert created
    services.demand_set_status(demand=opinion.demand, status="assessed", actor=staff)
    services.demand_list_publish(estate=estate, actor=staff)
    (mine,) = my_opinions(user=resident)
    assert mine.demand.status == "assessed"
    assert mine.published is not None and mine.published.demand_list.version == 1


def test_resident_cannot_submit_for_another_estate(estate):
    resident = make_user(person=make_owner(estate.dwellings.first()))
    other = make_estate(name="别处")
    with pytest.raises(DomainError) as error:
        services.opinion_submit(user=resident, estate=other, item=OpinionInput(text="屋顶漏雨"))
    assert error.value.code == "not_resident"


def test_future_date_is_refused(estate, staff):
    with pytest.raises(DomainError):
        services.opinions_record(
            estate=estate,
            items=[OpinionInput(text="屋顶漏雨", heard_on=dt.date.today() + dt.timedelta(days=5))],
            channel=Channel.HOTLINE,
            actor=staff,
        )


def test_scope_counts_only_roles_that_may_do_the_work(estate, staff):
    """Community staff of one estate and grid worker of another manage demands in the first
    only: the grid worker role does not carry demand management to the second estate.
    """
    from xiaoqu.accounts.models import RoleAssignment

    other = make_estate(name="网格小区")
    user = make_user("community_staff", estate=make_estate(name="本职小区"))
    RoleAssignment.objects.create(user=user, role="grid_worker", estate=other)
    (o,) = _hotline(other, staff_of(other), "想装电梯")
    with pytest.raises(DomainError) as error:
        services.demand_set_status(demand=o.demand, status="assessed", actor=user)
    assert error.value.code == "out_of_scope"
    # Recording opinions is a grid worker's work, so that stays allowed.
    assert _hotline(other, user, "屋顶漏雨")


def staff_of(estate):
    return make_user("community_staff", estate=estate)


def test_a_new_demand_keeps_the_residents_punctuation_in_its_title(estate, staff):
    """The title was the classifier's form: 电表箱冒火花,赶紧来看一哈 (half-width comma)."""
    (opinion,) = _hotline(estate, staff, "电表箱冒火花，赶紧来看一哈！😱  ２楼")
    assert opinion.demand.title == "电表箱冒火花，赶紧来看一哈！ ２楼"
    services.demand_update(demand=opinion.demand, actor=staff, title="电表箱线路老化")
    opinion.demand.refresh_from_db()
    assert opinion.demand.title == "电表箱线路老化"
