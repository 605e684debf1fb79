"""The demo data set: the register, one login per role, and each stage's demo data.

This package sits above every stage's app and may import any of them; no app imports it.
Only the commands that load it (``xiaoqu demo``, in ``web``) and the benchmarks sit above it.

Loading is idempotent: the register import matches rows by natural key, and users and role
assignments are looked up before they are created, so a second run adds nothing. A second run
does set the demo's own rows back to the demo's values, though, so ``xiaoqu demo`` loads only
into a database that has no complete load yet (:func:`demo_loaded`) unless asked to refresh
(docs/cli.md#xiaoqu-demo).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils.translation import gettext as _

from xiaoqu.accounts.models import Role, RoleAssignment, User
from xiaoqu.accounts.services import role_assign
from xiaoqu.core.audit import audit_record
from xiaoqu.core.models import AuditLog
from xiaoqu.demo.daily import load_demo_daily
from xiaoqu.demo.decisions import load_demo_decisions
from xiaoqu.demo.lifecircle import load_demo_lifecircle
from xiaoqu.demo.needs import load_demo_needs
from xiaoqu.demo.notify import load_demo_notify
from xiaoqu.demo.organization import load_demo_organization
from xiaoqu.demo.privacy import load_demo_privacy
from xiaoqu.demo.renovation import load_demo_renovation, load_demo_renovation_history
from xiaoqu.demo.stewardship import load_demo_stewardship
from xiaoqu.demo.todo import load_demo_todo
from xiaoqu.insights.services import rebuild as rebuild_figures
from xiaoqu.registry.models import Estate, Person, Region

DEMO_DIR = Path(__file__).resolve().parent.parent / "registry" / "data" / "demo"
DEMO_PASSWORD = "xiaoqu-demo"

# role, phone, scope kind, scope code, person ref (the register's 人员编号) or "".
# Codes are those of data/demo/regions.csv and estates.csv.
DEMO_LOGINS: tuple[tuple[str, str, str, str, str], ...] = (
    (Role.RESIDENT, "13800000001", "estate", "520103006001-01", "P000002"),
    (Role.OWNER, "13800000002", "estate", "520103006001-01", "P000001"),
    (Role.GRID_WORKER, "13800000003", "estate", "520103006001-01", ""),
    (Role.PARTY_MEMBER, "13800000004", "estate", "520103006001-01", ""),
    (Role.COMMUNITY_STAFF, "13800000005", "region", "520103006001", ""),
    (Role.STREET_STAFF, "13800000006", "region", "520103006", ""),
    (Role.HOUSING_BUREAU, "13800000007", "region", "520100", ""),
    (Role.PROPERTY_MANAGER, "13800000008", "estate", "522323001001-01", ""),
    (Role.OWNERS_COMMITTEE, "13800000009", "estate", "520102003001-01", ""),
    (Role.CONTRACTOR, "13800000010", "estate", "520623001001-01", ""),
    (Role.ADMIN, "13800000011", "", "", ""),
    (Role.SUPERVISOR, "13800000012", "estate", "520623001001-01", ""),
    # Stage 5 (docs/stewardship.md): the five parties of 四通街8号院落 and 阳光新城小区.
    (Role.COMMUNITY_STAFF, "13800000013", "region", "520102003001", ""),
    (Role.STREET_STAFF, "13800000014", "region", "522323001", ""),
    (Role.COMMUNITY_STAFF, "13800000015", "region", "522323001001", ""),
    (Role.HOUSING_BUREAU, "13800000016", "region", "522323", ""),
    (Role.RESIDENT, "13800000017", "estate", "520102003001-01", "P002202"),
    (Role.OWNERS_COMMITTEE, "13800000018", "estate", "522323001001-01", "P005370"),
)

DemoLogin = tuple[str, str, str, str]

# The audit row a complete load ends with: its presence is what "the demo is loaded" means.
LOADED_ACTION = "demo.load"


class Writer(Protocol):
    def write(self, msg: str, /) -> Any: ...


def load_demo(*, stdout: Writer | None = None) -> list[DemoLogin]:
    """Import the demo register and make the demo logins; returns (role, phone, password, scope)."""
    from xiaoqu.registry.importing import import_register

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message + "\n")

    say(_("正在导入演示档案：%(path)s") % {"path": DEMO_DIR})
    report = import_register(DEMO_DIR)
    say(
        _("演示档案导入完成：新增 %(created)d 条，更新 %(updated)d 条，用时 %(seconds).1f 秒")
        % {
            "created": report.total_created,
            "updated": report.total_updated,
            "seconds": report.seconds,
        }
    )
    password = _DemoPassword()
    with transaction.atomic():
        logins = [_demo_login(*spec, password=password) for spec in DEMO_LOGINS]
    say(_("演示账号已就绪：%(n)d 个") % {"n": len(logins)})
    load_demo_organization()
    load_demo_renovation_history()
    load_demo_needs()
    load_demo_decisions()
    load_demo_renovation()
    load_demo_stewardship()
    load_demo_todo()
    load_demo_daily()
    load_demo_notify()
    load_demo_privacy()
    runs = load_demo_lifecircle()
    say(
        _("生活圈分析已完成：%(regions)s（演示路网：贵阳市中心 OpenStreetMap 道路）")
        % {"regions": "、".join(run.region.name for run in runs)}
    )
    # The loaders above set dates and states with plain UPDATEs, which no figure hears:
    # the roll-ups are counted afresh once everything is in (docs/insights.md).
    rebuilt = rebuild_figures()
    say(_("成效汇总数据已重算：%(n)d 个小区") % {"n": rebuilt.estates})
    if not demo_loaded():
        audit_record(actor=None, action=LOADED_ACTION, object_type="demo")
    return logins


def demo_loaded() -> bool:
    """Whether a load of the demo ran to its end on this database (an interrupted one did not:
    the next ``xiaoqu demo`` finishes it)."""
    return AuditLog.objects.filter(action=LOADED_ACTION).exists()


def demo_logins() -> list[DemoLogin]:
    """The demo logins as :func:`load_demo` returns them, read without writing anything."""
    regions = Region.objects.filter(code__in=_codes("region"))
    estates = Estate.objects.filter(code__in=_codes("estate"))
    names: dict[str, dict[str, str]] = {
        "region": {r.code or "": r.name for r in regions},
        "estate": {e.code: e.name for e in estates},
    }
    return [
        (role, phone, DEMO_PASSWORD, names[kind].get(code, code) if kind else _("全部"))
        for role, phone, kind, code, _person in DEMO_LOGINS
    ]


def _codes(kind: str) -> list[str]:
    return [code for _r, _p, k, code, _person in DEMO_LOGINS if k == kind]


class _DemoPassword:
    """The demo password hashed once per load, since one hash costs most of a second.

    All demo users share the one hash (and salt); the password is published anyway.
    """

    def __init__(self) -> None:
        self._encoded: str | None = None
        self._checked: dict[str, bool] = {}

    def encoded(self) -> str:
        if self._encoded is None:
            self._encoded = make_password(DEMO_PASSWORD)
        return self._encoded

    def matches(self, encoded: str) -> bool:
        if encoded not in self._checked:
            self._checked[encoded] = check_password(DEMO_PASSWORD, encoded)
        return self._checked[encoded]


def _demo_login(
    role: str, phone: str, kind: str, code: str, person_ref: str, *, password: _DemoPassword
) -> DemoLogin:
    region = Region.objects.get(code=code) if kind == "region" else None
    estate = Estate.objects.get(code=code) if kind == "estate" else None
    person = Person.objects.get(ref=person_ref) if person_ref else None
    is_admin = role == Role.ADMIN
    wanted: dict[str, Any] = {
        "name": person.name if person else _("演示%(role)s") % {"role": Role(role).label},
        "person": person,
        "is_staff": is_admin,
        "is_superuser": is_admin,
    }
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = User.objects.create(phone=phone, password=password.encoded(), **wanted)
    else:
        changed = [k for k, v in wanted.items() if getattr(user, k) != v]
        for k in changed:
            setattr(user, k, wanted[k])
        if not password.matches(user.password):
            user.password = password.encoded()
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
    if not RoleAssignment.objects.filter(
        user=user, role=role, region=region, estate=estate
    ).exists():
        role_assign(user=user, role=role, region=region, estate=estate)
    scope = region or estate
    return (role, phone, DEMO_PASSWORD, scope.name if scope else _("全部"))
