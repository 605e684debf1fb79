"""The figures kept per estate equal a count from scratch after any sequence of service calls,
and every region's figures equal the sum of its estates' fresh counts (docs/insights.md)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    make_batch,
    make_estate,
    make_meeting,
    make_open_vote,
    make_project,
    make_user,
    make_work_order,
    region_chain,
)
from xiaoqu.accounts.models import Role
from xiaoqu.core import figures as core_figures
from xiaoqu.core.errors import DomainError
from xiaoqu.decisions import services as decisions
from xiaoqu.insights import recount, selectors, services
from xiaoqu.insights.models import EstateFigures
from xiaoqu.needs import services as needs
from xiaoqu.needs.models import Demand
from xiaoqu.registry.models import Dwelling, Estate, Region
from xiaoqu.renovation.services import money
from xiaoqu.stewardship.services import fund, orders

_numbers = itertools.count(1)


class Rollback(Exception):
    pass


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    north = region_chain()
    south = region_chain(("南明区", "花果园街道", "花果园社区"), parent=north[1])
    estates = [
        make_estate(north[-1], buildings=1, entrances=1, floors=2, per_floor=2),
        make_estate(north[-1], buildings=2, entrances=1, floors=1, per_floor=2),
        make_estate(south[-1], buildings=1, entrances=2, floors=2, per_floor=1),
    ]
    admin = make_user(Role.ADMIN, password=None)
    return {"estates": estates, "admin": admin, "north": north, "south": south}


def assert_consistent() -> None:
    report = services.check()
    assert report.differences == []
    # Every region: its figures are the sums of its estates' fresh counts.
    wide, _keyed = recount.count(None, core_figures.SECTIONS)
    for region in Region.objects.all():
        total, _children = selectors.region_figures(region)
        ids = list(
            Estate.objects.filter(region_path__startswith=region.path).values_list("pk", flat=True)
        )
        for name in selectors.SUMMED:
            assert total.sums[name] == sum(wide.get(e, {}).get(name, 0) for e in ids), (
                region.name,
                name,
            )
        assert total.estates == len(ids)


def _opinion(w, e, n):
    needs.opinions_record(
        estate=e,
        items=[needs.OpinionInput(text=["屋顶漏水严重", "楼道灯不亮了", "想加装电梯"][n % 3])],
        channel="hotline",
        actor=w["admin"],
    )


def _demand_status(w, e, n):
    demand = Demand.objects.filter(estate=e, merged_into__isnull=True).order_by("pk").first()
    if demand is not None:
        needs.demand_set_status(
            demand=demand, status=["planned", "done", "assessed"][n % 3], actor=w["admin"]
        )


def _join(w, e, n):
    live = list(Demand.objects.filter(estate=e, merged_into__isnull=True).order_by("pk")[:2])
    if len(live) == 2:
        needs.demand_join(target=live[0], others=[live[1]], actor=w["admin"])


def _meeting(w, e, n):
    make_meeting(e, held_on=dt.date(2026, 3, 1 + n % 20))


def _vote(w, e, n):
    vote = make_open_vote(e, w["admin"], matter=7)
    if n % 2:
        decisions.vote_close(vote=vote, actor=w["admin"], now=timezone.now())
        decisions.vote_publish_result(vote=vote, actor=w["admin"])


def _batch(w, e, n):
    make_batch(Region.objects.get(pk=e.community_id), [e], w["admin"], year=2020 + n % 5)


def _project(w, e, n):
    project = make_project(e, w["admin"], stage=["planned", "approved", "works"][n % 3])
    money.receipt_record(
        project=project,
        source="central",
        amount=f"{1000 + n}.50",
        on=timezone.localdate(),
        note="中央补助",
        document=None,
        actor=w["admin"],
    )


def _order(w, e, n):
    order = make_work_order(e)
    if n % 3 == 1:
        orders.order_accept(order=order, actor=w["admin"])
    if n % 3 == 2:
        orders.order_reject(order=order, actor=w["admin"], reason="重复")


def _sweep(w, e, n):
    # The sweep run a month from now: every open order is past its deadline by then.
    orders.escalation_sweep(now=timezone.now() + dt.timedelta(days=30 + n))


def _fund(w, e, n):
    fund.deposits_record(
        estate=e, rate_yuan_per_m2=str(10 + n), on=dt.date.today(), actor=w["admin"]
    )


def _dwelling(w, e, n):
    first = Dwelling.objects.filter(estate=e).order_by("pk").first()
    if n % 2 and first is not None and not first.fund_entries.exists():
        first.delete()
    elif first is not None:
        number = f"9{next(_numbers):04d}"
        Dwelling.objects.create(entrance=first.entrance, number=number, floor=9, area=Decimal("60"))


def _stage(w, e, n):
    e.stage = ["collecting", "works", "accepted"][n % 3]
    e.save()


ACTIONS = [
    _opinion,
    _demand_status,
    _join,
    _meeting,
    _vote,
    _batch,
    _project,
    _order,
    _sweep,
    _fund,
    _dwelling,
    _stage,
]


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(0, 2), st.integers(0, 30)),
        min_size=1,
        max_size=10,
    )
)
def test_figures_equal_a_recount_after_any_sequence(world, steps):
    try:
        with transaction.atomic():
            for action, which, n in steps:
                try:
                    with transaction.atomic():
                        action(world, world["estates"][which], n)
                except (DomainError, ProtectedError):
                    pass  # refused: nothing changed, and the figures must still agree
            assert_consistent()
            raise Rollback
    except Rollback:
        pass


@pytest.mark.django_db
def test_every_estate_gets_a_row_and_a_deleted_one_loses_it(world):
    assert EstateFigures.objects.count() == 3
    e = world["estates"][0]
    assert EstateFigures.objects.get(pk=e.pk).dwellings == 4
    assert_consistent()


@pytest.mark.django_db
def test_check_reports_a_tampered_figure_and_repair_fixes_it(world):
    e = world["estates"][1]
    EstateFigures.objects.filter(pk=e.pk).update(dwellings=99)
    report = services.check()
    assert [(d.estate_id, d.figure, d.stored, d.counted) for d in report.differences] == [
        (e.pk, "dwellings", 99, 4)
    ]
    services.check(repair=True)
    assert services.check().differences == []


@pytest.mark.django_db
def test_deferred_changes_are_counted_once_at_the_end(world, django_assert_max_num_queries):
    e = world["estates"][2]
    with core_figures.deferred():
        for n in range(5):
            make_meeting(e, held_on=dt.date(2026, 4, 1 + n))
        # Nothing recounted yet inside the block.
        assert EstateFigures.objects.get(pk=e.pk).meetings == 0
    assert EstateFigures.objects.get(pk=e.pk).meetings == 5


def test_an_unknown_section_is_refused():
    with pytest.raises(ValueError, match="unknown figure sections"):
        core_figures.changed([1], "everything")
    with pytest.raises(ValueError):
        core_figures.changed([1])
