"""schemathesis over the API's own OpenAPI schema, in-process through the WSGI app.

Every operation of ``/api/v1/openapi.json`` is called with generated parameters and bodies
(valid ones and ones that break the schema) under the API token of each role of the scope
world in turn — resident, owner, grid worker, Party member, community and street staff,
housing bureau, property manager, owners' committee, contractor, supervisor, administrator —
and with an access device's key. Each answer must be no server error, have a status the
schema declares for the operation, the declared content type, and a body that fits the
declared schema (docs/api.md lists the error answers).
"""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import (
    SCOPE_WORLD_ROLES,
    make_estate,
    make_needs_world,
    make_owner,
    make_person,
    make_user,
    region_chain,
)
from tests.fuzz.budget import EXAMPLES, FUZZ, seeded
from xiaoqu.accounts.models import ApiToken
from xiaoqu.config.api import api

pytestmark = pytest.mark.django_db

ROLES = list(SCOPE_WORLD_ROLES)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


def api_world() -> dict:
    """What the API reads, in and out of scope: the register part of the scope world
    (``tests.factories.make_scope_world``: one user per role at the same scopes) with the
    needs objects of both estates, without the later stages the API does not serve."""
    from xiaoqu.registry.models import RegionLevel, Residency

    chain_in = region_chain()
    chain_out = region_chain(("贵州省", "六盘水市", "钟山区", "红岩街道", "东风西路社区"))
    estate_in = make_estate(chain_in[-1], name="界内小区", entrances=2)
    estate_out = make_estate(chain_out[-1], name="界外小区", year_built=2008)
    by_level = dict(zip([level.value for level in RegionLevel], chain_in, strict=True))
    home = list(estate_in.dwellings.order_by("pk")[:2])
    owner = make_owner(home[1], "业主乙")
    resident = make_person("居民甲")
    Residency.objects.create(person=resident, dwelling=home[0], relation="tenant")
    users = {}
    for role, scope in SCOPE_WORLD_ROLES.items():
        person = {"resident": resident, "owner": owner}.get(role)
        kwargs: dict = {}
        if scope == "estate":
            kwargs["estate"] = estate_in
        elif scope is not None:
            kwargs["region"] = by_level[scope]
        users[role] = make_user(role, person=person, password=None, **kwargs)
    make_needs_world(estate_in, home, users["admin"])
    make_needs_world(estate_out, list(estate_out.dwellings.order_by("pk")[:2]), None)
    return {"estate_in": estate_in, "users": users}


@pytest.fixture(scope="module")
def credentials(django_db_setup, django_db_blocker):
    """An API token per role and an access device's key, made once for the module inside a
    transaction rolled back at the end."""
    from xiaoqu.stewardship.services import access

    with django_db_blocker.unblock(), transaction.atomic():
        world = api_world()
        admin = world["users"]["admin"]
        tokens = {
            role: ApiToken.issue(user=user, name="fuzz")[1] for role, user in world["users"].items()
        }
        point = access.point_add(estate=world["estate_in"], name="侧门", kind="gate", actor=admin)
        _device, device_key = access.device_add(point=point, name="侧门读卡器", actor=admin)
        yield {"tokens": tokens, "device_key": device_key}
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def connection_kept():
    """The WSGI application closes the database connection when a request ends (Django's
    ``close_old_connections``), which on PostgreSQL would end the test's transaction; the
    test client keeps it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Each example takes the next role, so every operation is called by every role once the budget
# is at least the number of roles (CI's 30 examples is).
_turns = itertools.count()


@schema.parametrize()
@FUZZ
@seeded
def test_every_operation_answers_within_its_schema_for_every_role(case, credentials):
    """No 500, and every answer (success or error) is one the schema declares, in its shape."""
    role = ROLES[next(_turns) % len(ROLES)]
    headers = {"Authorization": f"Bearer {credentials['tokens'][role]}"}
    if case.path.endswith("/access/events"):
        headers = {"X-Device-Key": credentials["device_key"]}
    case.call_and_validate(headers=headers, checks=CHECKS)


def test_the_served_schema_is_the_one_fuzzed(client: Client):
    """The fuzz runs over the schema ``/api/v1/openapi.json`` serves."""
    served = client.get("/api/v1/openapi.json").json()
    assert served["paths"].keys() == schema.raw_schema["paths"].keys()
    assert EXAMPLES >= 1
