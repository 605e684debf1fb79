"""xiaoqu vote evaluate FILE.json | - : evaluate one owner vote under Art. 278, no database.

Input and output are the DESIGN.md contract. Any input error (malformed JSON, unknown matter
or status, negative area, a ballot from an owner with no unit in scope, a second ballot of the
same owner) ends with exit code 2 and one clear message on stderr; nothing is printed on
stdout then.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.decisions import rules_engine


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def load_document(source: str, stdin: Any) -> Any:
    """Decoded JSON with every number kept exact (floats as Decimal, NaN refused)."""
    try:
        if source == "-":
            raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
        else:
            raw = Path(source).read_bytes()
    except OSError as exc:
        raise CommandError(
            _("无法读取文件 %(path)s：%(error)s") % {"path": source, "error": exc.strerror},
            returncode=2,
        ) from exc
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise CommandError(_("输入不是有效的 UTF-8 文本"), returncode=2) from exc
    except ValueError as exc:
        raise CommandError(
            _("输入不是有效的 JSON：%(error)s") % {"error": exc}, returncode=2
        ) from exc


class Command(BaseCommand):
    help = _("业主共同决定：按民法典第二百七十八条计票")
    stealth_options = ("stdin",)
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help=_("计算一次表决是否通过（不使用数据库）"))
        evaluate.add_argument("file", help=_("JSON 文件，或 - 表示标准输入"))

    def handle(self, *args: Any, **options: Any) -> None:
        stdin = options.get("stdin") or sys.stdin
        document = load_document(options["file"], stdin)
        try:
            result = rules_engine.evaluate_document(document)
        except rules_engine.InputError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
