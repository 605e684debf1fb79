"""Role assignments through the service: one scope each, audited."""

import pytest

from tests.factories import make_estate, make_grid, make_user
from xiaoqu.accounts.services import role_assign
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog
from xiaoqu.registry.selectors import visible_estates

pytestmark = pytest.mark.django_db


def test_a_role_can_be_given_at_a_grid_and_then_sees_that_grid_only():
    """A grid worker assigned to a grid sees the estate its buildings are in, and no other."""
    estate = make_estate()
    make_estate()
    grid = make_grid(estate.buildings.all())
    user = make_user()

    assignment = role_assign(user=user, role="grid_worker", grid=grid)

    assert assignment.grid == grid
    assert list(visible_estates(user)) == [estate]
    audit = AuditLog.objects.get(action="role_assign", object_id=str(assignment.pk))
    assert audit.after["grid"] == grid.pk


def test_a_role_with_two_scopes_is_refused_and_nothing_is_written():
    """An estate and a grid at once is refused with a clear message."""
    estate = make_estate()
    grid = make_grid(estate.buildings.all())
    user = make_user()

    with pytest.raises(DomainError, match="只能是一个区划、一个小区或一个网格"):
        role_assign(user=user, role="grid_worker", estate=estate, grid=grid)
    assert not user.roles.exists()


def test_a_role_other_than_admin_needs_a_scope():
    """Only the administrator may hold an unscoped role."""
    with pytest.raises(DomainError, match="必须指定范围"):
        role_assign(user=make_user(), role="community_staff")
