"""What the works' tests share: a community worker of 金仓社区, an estate there (with its
WGS-84 position, so photos can be placed against it), its contractor and supervisor staff, and
uploads written to a temporary folder."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_estate, make_user, region_chain
from xiaoqu.accounts.models import Role


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def staff():
    return make_user(Role.COMMUNITY_STAFF, region=region_chain()[-1], password=None)


@pytest.fixture
def estate():
    """One building, two entrances, three floors of two dwellings; at 金仓社区, Guiyang."""
    estate = make_estate(buildings=1, entrances=2, floors=3, per_floor=2)
    estate.latitude, estate.longitude = Decimal("26.580100"), Decimal("106.713500")
    estate.save()
    return estate


@pytest.fixture
def contractor(estate):
    return make_user(Role.CONTRACTOR, estate=estate, password=None)


@pytest.fixture
def supervisor(estate):
    return make_user(Role.SUPERVISOR, estate=estate, password=None)
