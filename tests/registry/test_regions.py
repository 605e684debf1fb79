import pytest

from tests.factories import make_estate, region_chain
from xiaoqu.registry.models import Estate, Region

pytestmark = pytest.mark.django_db


def test_region_path_reflects_ancestry():
    """Each region's path lists its ancestors' ids, so a subtree is one indexed prefix query."""
    province, city, district, street, community = region_chain()
    assert community.path == f"/{province.pk}/{city.pk}/{district.pk}/{street.pk}/{community.pk}/"
    assert community.depth == 4
    assert set(district.subtree()) == {district, street, community}
    assert list(community.ancestors()) == [province, city, district, street, community]


def test_estates_in_region_cover_the_whole_subtree_and_nothing_else():
    """An estate list for a district holds the estates of all its communities only."""
    a = make_estate(region_chain()[-1])
    other = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
    b = make_estate(other[-1])
    yunyan = Region.objects.get(name="云岩区")
    assert list(Estate.objects.in_region(yunyan)) == [a]
    assert set(Estate.objects.in_region(Region.objects.get(name="贵州省"))) == {a, b}
