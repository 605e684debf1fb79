"""Invariants of the register that every write path must keep."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.factories import make_estate, make_owner, make_person, region_chain
from xiaoqu.registry.models import (
    Building,
    Dwelling,
    Entrance,
    Estate,
    Ownership,
    Region,
    RegionLevel,
)

pytestmark = pytest.mark.django_db


def test_moving_a_region_rewrites_the_paths_of_its_whole_subtree_and_estates():
    """Moving a street to another district carries its communities and estates along."""
    _, _, yunyan, street, community = region_chain()
    estate = make_estate(community)
    nanming = Region.objects.create(parent=yunyan.parent, name="南明区", level=RegionLevel.DISTRICT)

    street.parent = nanming
    street.save()

    community.refresh_from_db()
    estate.refresh_from_db()
    assert community.path == f"{nanming.path}{street.pk}/{community.pk}/"
    assert community.depth == 4
    assert estate.region_path == community.path
    assert list(Estate.objects.in_region(nanming)) == [estate]
    assert not Estate.objects.in_region(yunyan).exists()


def test_a_region_cannot_move_under_its_own_descendant():
    """A cycle in the region tree is refused."""
    _, _, district, street, _ = region_chain()
    district.parent = street
    with pytest.raises(ValueError):
        district.save()


def test_dwelling_carries_its_building_and_estate():
    """A dwelling's building and estate follow its entrance, so scoped counts need no joins."""
    estate = make_estate(buildings=2, floors=1, per_floor=1)
    dwelling = Dwelling.objects.filter(building__number="2").get()
    assert dwelling.estate_id == estate.pk
    assert dwelling.building_id == dwelling.entrance.building_id


def test_dwelling_area_must_be_positive():
    """The database refuses a dwelling with zero or negative exclusive area."""
    estate = make_estate(floors=1, per_floor=1)
    entrance = Entrance.objects.get(building__estate=estate)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dwelling.objects.create(entrance=entrance, number="999", floor=1, area=Decimal("0"))


def test_dwelling_numbers_are_unique_within_an_entrance():
    """The same dwelling number twice in one entrance is refused by the database."""
    estate = make_estate(floors=1, per_floor=1)
    entrance = Entrance.objects.get(building__estate=estate)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dwelling.objects.create(entrance=entrance, number="101", floor=1, area=Decimal("60"))


def test_building_numbers_are_unique_within_an_estate():
    """Two buildings numbered 1 in one estate are refused."""
    estate = make_estate()
    with pytest.raises(IntegrityError), transaction.atomic():
        Building.objects.create(estate=estate, number="1", storeys=6)


def test_a_person_may_own_several_dwellings_and_a_dwelling_may_have_co_owners():
    """Ownership is many-to-many, but each pair is recorded once."""
    estate = make_estate(floors=1, per_floor=2)
    first, second = Dwelling.objects.filter(estate=estate).order_by("number")
    owner = make_owner(first, "王树蓉")
    Ownership.objects.create(person=owner, dwelling=second)
    spouse = make_person("廖龙艳")
    Ownership.objects.create(person=spouse, dwelling=first)

    assert owner.ownerships.count() == 2
    assert first.ownerships.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(person=owner, dwelling=first)


def test_eligibility_follows_the_configured_cutoff_year(settings):
    """Estates built before the cutoff year (default 2001) are eligible; later ones are not."""
    old = make_estate(year_built=2000)
    new = make_estate(year_built=2003)
    assert old.is_eligible and not new.is_eligible
    assert list(Estate.objects.eligible()) == [old]

    settings.ELIGIBLE_BEFORE_YEAR = 2006
    assert set(Estate.objects.eligible()) == {old, new}
