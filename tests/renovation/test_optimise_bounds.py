"""``xiaoqu plan optimise`` refuses a csv cell longer than a spreadsheet cell (the probe's
140,000 characters made csv raise "field larger than field limit", a traceback) with exit 2
and the file's line, and writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from xiaoqu.renovation.optimiser import InputError, parse_candidates, parse_quotas

HEADER = "id,county,households,cost,need,must\n"


@pytest.mark.parametrize("length", [40_000, 140_000])
def test_a_long_cell_is_an_input_error_naming_its_line(length):
    text = HEADER + "a,云岩区,10,100,1,\n" + "b," + "县" * length + ",10,100,1,\n"
    with pytest.raises(InputError, match="候选文件第 3 行有一格超过 32,767 个字符"):
        parse_candidates(text)
    with pytest.raises(InputError, match="配额文件第 2 行有一格超过"):
        parse_quotas("county,max_estates,max_cost\n" + "县" * length + ",1,\n")


def test_the_command_exits_2_without_a_traceback(tmp_path):
    (tmp_path / "c.csv").write_text(
        HEADER + "a," + "县" * 140_000 + ",10,100,1,\n", encoding="utf-8"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "xiaoqu.cli",
            "plan",
            "optimise",
            "--candidates",
            "c.csv",
            "--budget",
            "1000",
            "--out",
            "o.csv",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "XIAOQU_DEBUG": "1"},
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "第 2 行有一格超过 32,767 个字符" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "o.csv").exists()
