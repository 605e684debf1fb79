"""``xiaoqu plan optimise``: choose a year's batch from a candidates CSV, without Django.

``xiaoqu.cli`` runs this before Django starts (the computation needs no database);
``manage.py plan optimise`` reaches the same function. The contract (inputs, the JSON object on
stdout, ``--out``, exit codes) is in docs/cli.md. Any input error exits with code 2 and one
message on stderr, and nothing on stdout; no output file is written then.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import TextIO

from xiaoqu.renovation import optimiser


class CliError(Exception):
    pass


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xiaoqu plan optimise",
        description="在补助预算和区县配额内选出年度改造小区（0-1 规划，HiGHS 求解）。",
    )
    p.add_argument(
        "--candidates",
        required=True,
        metavar="FILE.csv",
        help="候选小区：id,county,households,cost,need,must（UTF-8）",
    )
    p.add_argument("--budget", required=True, metavar="YUAN", help="补助预算（元，可到分）")
    p.add_argument(
        "--quotas", metavar="FILE.csv", help="区县配额：county,max_estates,max_cost（留空为不限）"
    )
    p.add_argument("--out", metavar="FILE.csv", help="写出每个候选的 id,selected（1 或 0）")
    return p


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CliError(f"无法读取{what} {path}：{exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CliError(f"{what} {path} 不是 UTF-8 文本") from exc


def choose(
    candidates_path: str, budget: str, quotas_path: str | None
) -> tuple[list[optimiser.Candidate], optimiser.Choice]:
    """Read the files and choose; input errors raise ``CliError``."""
    try:
        amount = optimiser.parse_yuan(budget.strip(), "预算")
        candidates = optimiser.parse_candidates(_read(candidates_path, "候选文件"))
        quotas = optimiser.parse_quotas(_read(quotas_path, "配额文件")) if quotas_path else {}
    except optimiser.InputError as exc:
        raise CliError(str(exc)) from exc
    return candidates, optimiser.optimise(candidates, amount, quotas)


def write_out(path: str, candidates: list[optimiser.Candidate], choice: optimiser.Choice) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "selected"])
            for i, candidate in enumerate(candidates):
                writer.writerow([candidate.id, 1 if i in choice.chosen else 0])
    except OSError as exc:
        raise CliError(f"无法写入 {path}：{exc.strerror}") from exc


def run(args: list[str], stdout: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    options = parser().parse_args(args)  # usage errors: argparse's message, exit 2
    try:
        candidates, choice = choose(options.candidates, options.budget, options.quotas)
        if options.out:
            write_out(options.out, candidates, choice)
    except CliError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    stdout.write(json.dumps(choice.as_dict(), ensure_ascii=False) + "\n")
    return 0
