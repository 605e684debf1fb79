"""`xiaoqu demo` loads the demo data once: run again it loads nothing, keeps what people
changed and says so; `--refresh` loads again (docs/cli.md#xiaoqu-demo)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from xiaoqu.core.audit import audit_record
from xiaoqu.demo import DEMO_LOGINS, DEMO_PASSWORD, LOADED_ACTION, demo_loaded
from xiaoqu.registry.models import Estate

pytestmark = pytest.mark.django_db

COMMAND = "xiaoqu.web.management.commands.demo"


@pytest.fixture
def loads(monkeypatch):
    """Stands in for the (minute-long) load: records each call, marks the demo loaded."""
    calls: list[int] = []

    def fake_load(*, stdout=None):
        calls.append(1)
        if not demo_loaded():
            audit_record(actor=None, action=LOADED_ACTION, object_type="demo")
        return [(role, phone, DEMO_PASSWORD, "x") for role, phone, *_rest in DEMO_LOGINS]

    monkeypatch.setattr(f"{COMMAND}.load_demo", fake_load)
    return calls


def run(*args: str) -> str:
    out = StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def test_a_database_without_the_demo_gets_it(loads):
    assert not demo_loaded()
    run()
    assert loads == [1]
    assert demo_loaded()


def test_a_database_with_the_demo_loads_nothing_says_so_and_prints_the_logins(loads):
    """Run again, the demo keeps what people changed on the site (a second load would set the
    demo's rows back) and says how to refresh."""
    audit_record(actor=None, action=LOADED_ACTION, object_type="demo")
    printed = run()
    assert loads == []
    assert "已有演示数据，这次不再载入" in printed
    assert "xiaoqu demo --refresh" in printed
    for _role, phone, *_rest in DEMO_LOGINS:
        assert phone in printed
    assert DEMO_PASSWORD in printed
    assert not Estate.objects.exists()


def test_refresh_loads_again(loads):
    audit_record(actor=None, action=LOADED_ACTION, object_type="demo")
    printed = run("--refresh")
    assert loads == [1]
    assert "已有演示数据" not in printed


def test_the_first_run_marks_the_demo_loaded_and_the_next_loads_nothing(loads):
    run()
    assert loads == [1]
    run()
    assert loads == [1]
