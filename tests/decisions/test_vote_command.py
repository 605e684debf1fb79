"""`xiaoqu vote evaluate`: the contract in docs/cli.md, run as the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

DOCUMENT = {
    "matter": 7,
    "units": [
        {"id": "1-101", "area": "80.55", "owner": "wang", "status": "owned"},
        {"id": "1-102", "area": 70.1, "owner": "li", "status": "owned"},
        {"id": "1-201", "area": 60, "owner": "wang", "status": "owned"},
        {"id": "1-202", "area": "75.00", "owner": "x", "status": "unsold"},
    ],
    "ballots": [
        {"owner": "wang", "choice": "agree"},
        {"owner": "li", "choice": "agree"},
        {"owner": "developer", "choice": "disagree"},
    ],
}


def run(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XIAOQU_DEBUG": "1"}
    return subprocess.run(
        [sys.executable, "-m", "xiaoqu.cli", "vote", "evaluate", *(args or ("-",))],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_output_has_exactly_the_contract_keys_with_decimal_strings():
    done = run(json.dumps(DOCUMENT))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == {
        "passed",
        "quorum_met",
        "consent_class",
        "total",
        "participating",
        "agreeing",
        "reasons",
    }
    assert out["total"] == {"area": "285.65", "owners": 3}
    assert out["participating"] == {"area": "285.65", "owners": 3}
    assert out["agreeing"] == {"area": "210.65", "owners": 2}
    assert out["consent_class"] == "special"
    assert out["quorum_met"] is True and out["passed"] is False  # 2 of 3 owners < 3/4
    assert all(isinstance(r, str) for r in out["reasons"])


def test_reads_a_file(tmp_path):
    path = tmp_path / "vote.json"
    path.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert run("", str(path)).returncode == 0


@pytest.mark.parametrize(
    ("stdin", "needle"),
    [
        ("{not json", "JSON"),
        (json.dumps({**DOCUMENT, "matter": 0}), "matter"),
        (json.dumps({**DOCUMENT, "ballots": [{"owner": "nobody", "choice": "agree"}]}), "nobody"),
        (
            json.dumps({**DOCUMENT, "ballots": [{"owner": "li", "choice": "agree"}] * 2}),
            "第二张票",
        ),
        (json.dumps({**DOCUMENT, "units": [{**DOCUMENT["units"][0], "area": -5}]}), "负数"),
        (json.dumps({**DOCUMENT, "units": [{**DOCUMENT["units"][0], "status": "x"}]}), "status"),
        (
            '{"matter": 1, "units": [{"id": "1", "area": NaN, "owner": "a", "status": "owned"}]}',
            "JSON",
        ),
    ],
)
def test_input_errors_exit_2_with_a_message_and_no_output(stdin, needle):
    done = run(stdin)
    assert done.returncode == 2
    assert needle in done.stderr
    assert done.stdout == ""


def test_missing_file_exits_2(tmp_path):
    done = run("", str(tmp_path / "missing.json"))
    assert done.returncode == 2 and "无法读取" in done.stderr


def test_the_management_command_gives_the_same_answer(tmp_path):
    """`manage.py vote evaluate` (Django started) answers exactly like the fast path."""
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "vote.json"
    path.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    out = StringIO()
    call_command("vote", "evaluate", str(path), stdout=out)
    assert json.loads(out.getvalue()) == json.loads(run(json.dumps(DOCUMENT)).stdout)
