from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from xiaoqu.accounts.models import Role, RoleAssignment, User
from xiaoqu.core.models import AuditLog
from xiaoqu.demo import DEMO_DIR, DEMO_PASSWORD, load_demo
from xiaoqu.registry.generator import generate_register
from xiaoqu.registry.models import (
    Building,
    Dwelling,
    Entrance,
    Estate,
    ManagementMode,
    Ownership,
    Person,
    Region,
    RegionLevel,
    RegisterStatus,
    Relation,
    Residency,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_logins(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module (about 20 s a load); its logins."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo()
        transaction.set_rollback(True)


def _counts() -> dict[str, int]:
    models = (Region, Estate, Building, Entrance, Dwelling, Person, Ownership, Residency)
    counts = {m.__name__: m.objects.count() for m in models}
    counts["users"] = User.objects.count()
    counts["roles"] = RoleAssignment.objects.count()
    return counts


def test_demo_loads_the_places_named_in_the_report(demo_logins):
    """The demo register holds the report's streets, communities and estates in their tree."""
    for name, level in [
        ("金仓社区", RegionLevel.COMMUNITY),
        ("吉祥社区", RegionLevel.COMMUNITY),
        ("大关社区", RegionLevel.COMMUNITY),
        ("东风西路社区", RegionLevel.COMMUNITY),
        ("新城社区", RegionLevel.COMMUNITY),
        ("盐务街街道", RegionLevel.STREET),
        ("兴关路街道", RegionLevel.STREET),
        ("遵义路街道", RegionLevel.STREET),
        ("盘水街道", RegionLevel.STREET),
        ("党武街道", RegionLevel.STREET),
        ("七星关区", RegionLevel.DISTRICT),
        ("盘州市", RegionLevel.DISTRICT),
    ]:
        assert Region.objects.get(name=name).level == level
    assert Region.objects.get(name="金仓社区").full_name == "贵州省贵阳市云岩区盐务街街道金仓社区"
    biboshuian = Estate.objects.get(name="碧波水岸小区")
    # Built 2000 (first residents 2003): eligible, as its works need (tests/demo/).
    assert biboshuian.year_built == 2000
    assert biboshuian.community.name == "大关社区"
    sitong = Estate.objects.get(name="四通街8号院落")
    assert sitong.management_mode == ManagementMode.SELF_MANAGED
    assert sitong.community.parent.name == "遵义路街道"
    yangguang = Estate.objects.get(name="阳光新城小区")
    assert yangguang.management_mode == ManagementMode.PROPERTY_COMPANY
    assert yangguang.community.parent.name == "盘水街道"


def test_demo_cities_and_districts_carry_their_gb_t_2260_codes(demo_logins):
    """Province, city and district codes are the real GB/T 2260 codes."""
    expected = {
        "贵州省": "520000",
        "贵阳市": "520100",
        "云岩区": "520103",
        "南明区": "520102",
        "铜仁市": "520600",
        "石阡县": "520623",
        "六盘水市": "520200",
        "钟山区": "520201",
        "盘州市": "520281",
        "安顺市": "520400",
        "平坝区": "520403",
        "黔西南布依族苗族自治州": "522300",
        "普安县": "522323",
        "毕节市": "520500",
        "七星关区": "520502",
    }
    assert {r.name: r.code for r in Region.objects.filter(name__in=expected)} == expected


def test_demo_register_has_co_owners_second_homes_developer_units_and_tenants(demo_logins):
    """The owner structures a vote must handle are all present, in a few thousand dwellings."""
    assert 2000 <= Dwelling.objects.count() <= 5000
    assert Dwelling.objects.filter(status=RegisterStatus.UNSOLD).exists()
    assert Dwelling.objects.filter(status=RegisterStatus.UNDELIVERED).exists()
    assert not Ownership.objects.filter(dwelling__status=RegisterStatus.UNSOLD).exists()
    assert Dwelling.objects.annotate(n=Count("ownerships")).filter(n__gt=1).exists()
    assert Ownership.objects.filter(share__isnull=False).exists()
    assert Person.objects.get(ref="P000001").ownerships.count() == 2
    assert Residency.objects.filter(relation=Relation.TENANT).exists()
    assert Residency.objects.filter(relation=Relation.FAMILY).exists()


def test_every_role_has_a_demo_login_with_the_printed_password(client):
    """A login for every role (some roles have more than one, for the parties of the
    management stage's estates), each of which logs in with the password the demo prints."""
    demo_logins = load_demo()
    assert {role for role, *_ in demo_logins} == set(Role.values)
    assert len({phone for _role, phone, *_ in demo_logins}) == len(demo_logins)
    for role, phone, password, _scope in demo_logins:
        assert password == DEMO_PASSWORD
        assert client.login(phone=phone, password=password), role
        assert set(User.objects.get(phone=phone).roles.values_list("role", flat=True)) == {role}
        client.logout()


def test_demo_logins_hold_their_documented_scopes(demo_logins):
    """Staff logins are scoped to the documented region or estate (the first login of each
    role, the one README.md names first); the admin is unscoped."""
    scopes: dict[str, str] = {}
    for role, _phone, _pw, scope in demo_logins:
        scopes.setdefault(role, scope)
    assert scopes[Role.COMMUNITY_STAFF] == "金仓社区"
    assert scopes[Role.STREET_STAFF] == "盐务街街道"
    assert scopes[Role.HOUSING_BUREAU] == "贵阳市"
    assert scopes[Role.PROPERTY_MANAGER] == "阳光新城小区"
    assert scopes[Role.OWNERS_COMMITTEE] == "四通街8号院落"
    assert scopes[Role.CONTRACTOR] == "碧波水岸小区"
    admin = User.objects.get(roles__role=Role.ADMIN)
    assert admin.is_staff and admin.is_superuser
    assert admin.roles.get().region is None and admin.roles.get().estate is None


def test_demo_owner_and_resident_are_people_of_jincang(demo_logins):
    """The owner login owns, and the resident login rents, a dwelling in 金仓社区."""
    owner = User.objects.get(phone="13800000002")
    resident = User.objects.get(phone="13800000001")
    jincang = Region.objects.get(name="金仓社区")
    assert owner.person.ownerships.filter(dwelling__estate__community=jincang).exists()
    tenancy = resident.person.residencies.get()
    assert tenancy.relation == Relation.TENANT
    assert tenancy.dwelling.estate.community == jincang


def test_loading_the_demo_twice_changes_nothing(demo_logins):
    """A second load adds no rows, no users, no role assignments and no audit entries."""
    before = _counts()
    audit_before = AuditLog.objects.filter(action="role_assign").count()
    assert load_demo() == demo_logins
    assert _counts() == before
    assert AuditLog.objects.filter(action="role_assign").count() == audit_before


def test_demo_command_without_serving_loads_the_data_and_prints_the_logins():
    """`xiaoqu demo --no-serve` migrates, loads the demo data and prints every demo login."""
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    printed = out.getvalue()
    assert Estate.objects.filter(name="金仓路市政宿舍").exists()
    for phone in [f"138000000{n:02d}" for n in range(1, 12)]:
        assert phone in printed
    assert DEMO_PASSWORD in printed


def test_serve_refuses_to_start_without_a_secret_key(monkeypatch):
    """The production server refuses to start when XIAOQU_SECRET_KEY is not set."""
    monkeypatch.delenv("XIAOQU_SECRET_KEY", raising=False)
    with pytest.raises(CommandError, match="XIAOQU_SECRET_KEY"):
        call_command("serve")


def test_committed_demo_files_are_what_the_demo_preset_writes(tmp_path):
    """The csv files in the package are exactly what `xiaoqu generate --preset demo` writes."""
    generate_register(tmp_path, preset="demo")
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in DEMO_DIR.glob("*.csv"))
    assert len(written) == 8
    for name in written:
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name


def test_demo_on_a_taken_port_says_how_to_pick_another_and_loads_nothing():
    """`make demo` printed the logins and then failed when the port was taken."""
    import socket

    # The module's demo may be loaded already (its fixture lives for the module): nothing
    # more may be written.
    estates = Estate.objects.count()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = StringIO()
        with pytest.raises(CommandError) as error:
            call_command("demo", "--addrport", f"127.0.0.1:{port}", stdout=out)
    assert f"端口 {port} 已被占用" in str(error.value)
    assert f"make demo PORT={port + 1}" in str(error.value)
    assert out.getvalue() == ""
    assert Estate.objects.count() == estates


def test_demo_refuses_an_address_without_a_port():
    with pytest.raises(CommandError, match="地址和端口不正确"):
        call_command("demo", "--addrport", "localhost")
