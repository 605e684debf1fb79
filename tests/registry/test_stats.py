"""xiaoqu stats --json: one JSON object with exactly the contract's integer keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from tests.registry.fixtures.register import base_register, write_register
from xiaoqu.registry.importing import import_register

pytestmark = pytest.mark.django_db

KEYS = {"regions", "estates", "buildings", "entrances", "dwellings", "people"}


def test_stats_json_has_exactly_the_contract_keys_as_integers(capsys):
    """The output parses as one object whose keys are exactly the six, all integers."""
    call_command("stats", "--json")
    data = json.loads(capsys.readouterr().out)
    assert set(data) == KEYS
    assert all(type(v) is int for v in data.values())


def test_stats_json_counts_the_register(tmp_path, capsys):
    """The counts are those of the database."""
    import_register(write_register(tmp_path, base_register()))
    call_command("stats", "--json")
    assert json.loads(capsys.readouterr().out) == {
        "regions": 5,
        "estates": 1,
        "buildings": 1,
        "entrances": 1,
        "dwellings": 4,
        "people": 3,
    }


def test_stats_without_json_prints_a_chinese_table(tmp_path, capsys):
    """Without --json the counts are a readable table with Chinese labels."""
    import_register(write_register(tmp_path, base_register()))
    call_command("stats")
    out = capsys.readouterr().out
    assert "房屋" in out
    assert "4" in out


@pytest.mark.parametrize("args", [["stats", "--json"], ["import", "."], ["export", "out"]])
def test_register_commands_on_an_unmigrated_database_say_so_and_exit_2(tmp_path, args):
    """A fresh database without tables gets a clear Chinese message, not a traceback."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "XIAOQU_DEBUG": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "xiaoqu.cli", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "请先运行 xiaoqu migrate" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
