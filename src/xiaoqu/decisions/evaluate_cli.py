"""``xiaoqu vote evaluate FILE.json | -`` without Django (pure: the contract needs no database).

``xiaoqu.cli`` runs this directly, before Django starts, so evaluating a vote costs Python's
start-up plus the work; ``manage.py vote evaluate`` reaches the same function. Input and output
are the contract in docs/cli.md; any input error exits with code 2 and one message on stderr, and
nothing on stdout.
"""

from __future__ import annotations

import gc
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from xiaoqu.decisions import rules_engine

USAGE = "用法：xiaoqu vote evaluate FILE.json（或 - 表示标准输入）"


class CliError(Exception):
    pass


def reject_constant(name: str) -> Any:
    """JSON's NaN and Infinity are no numbers here (``json.loads`` parse_constant)."""
    raise ValueError(f"{name} 不是数字")


def load_document(source: str, stdin: Any) -> Any:
    """Decoded JSON with every number kept exact (decimals as Decimal, NaN refused)."""
    try:
        if source == "-":
            raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
        else:
            raw = Path(source).read_bytes()
    except OSError as exc:
        raise CliError(f"无法读取文件 {source}：{exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_float=Decimal, parse_constant=reject_constant)
    except UnicodeDecodeError as exc:
        raise CliError("输入不是有效的 UTF-8 文本") from exc
    except ValueError as exc:
        raise CliError(f"输入不是有效的 JSON：{exc}") from exc


def evaluate_source(source: str, stdin: Any) -> dict[str, Any]:
    document = load_document(source, stdin)
    try:
        return rules_engine.evaluate_document(document).as_dict()
    except rules_engine.InputError as exc:
        raise CliError(str(exc)) from exc


def run(args: list[str], stdin: Any = None, stdout: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if len(args) != 1 else stdout)
        return 0 if args and args[0] in ("-h", "--help") else 2
    # A short-lived process building hundreds of thousands of small objects: the cyclic
    # collector would only rescan them (it halves the time for 100,000 units).
    gc.disable()
    try:
        result = evaluate_source(args[0], stdin or sys.stdin)
    except CliError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0
