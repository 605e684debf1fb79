"""xiaoqu needs classify | merge | train | evaluate | merge-evaluate.

``classify`` and ``merge`` read UTF-8 text on stdin, one opinion a line, and write JSON Lines
in input order (the contract in docs/cli.md). Lines that are empty or hold only blanks are not opinions: they
are skipped and produce no output line. A line with content the model cannot read (emoji
only) is still an opinion and gets an output line (category ``property_management``, score
0.0). Input that is not valid UTF-8 ends the command with exit code 2 and a message.

``train`` retrains from the shipped training part plus staff corrections — those stored in
the database (every category staff corrected, the latest correction of an opinion winning)
and any ``--corrections`` files — and saves the model to ``--out`` (by default into the
package, where classify finds it); ``evaluate`` prints macro-F1 and
per-category F1 on the held-out part. ``merge-evaluate`` merges each labelled file's opinions
as one estate and prints pairwise precision, recall and F1 against its groups (the files in
tests/needs/data/, see docs/needs.md#merging).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoqu.needs import classifier as clf
from xiaoqu.needs import merging


def read_opinions(stream: Any) -> list[str]:
    """Non-blank lines of a byte or text stream; ``CommandError`` (exit 2) on invalid UTF-8."""
    data = stream.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(
                _("输入不是有效的 UTF-8 文本（第 %(offset)d 字节）") % {"offset": exc.start + 1},
                returncode=2,
            ) from exc
    lines = (line.rstrip("\r") for line in data.split("\n"))
    return [line for line in lines if line.strip()]


def read_corrections(path: str) -> list[tuple[str, str]]:
    """Corrections from a ``code<TAB>text`` file, as (text, code) pairs."""
    try:
        return [(e.text, e.code) for e in clf.read_examples(path)]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CommandError(_("无法读取更正文件：%(error)s") % {"error": exc}, returncode=2) from exc


def stored_corrections() -> list[tuple[str, str]] | None:
    """Staff corrections kept in the database as (text, code); None without the needs tables.

    Training must work on a fresh checkout with no database at all, so a missing table is
    not an error here. Codes no longer in the taxonomy are skipped.
    """
    from django.db import DatabaseError

    from xiaoqu.needs.services import corrections_for_training

    try:
        rows = corrections_for_training()
    except DatabaseError:
        return None
    known = clf.category_classes()
    return [(text, code) for text, code in rows if code in known]


class Command(BaseCommand):
    help = _("居民意见：分类、合并、训练与评估")
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("classify", help=_("从标准输入读取意见（每行一条），输出分类 JSON Lines"))
        sub.add_parser("merge", help=_("从标准输入读取同一小区的意见，输出分组 JSON Lines"))
        train = sub.add_parser("train", help=_("用内置训练集和更正重新训练模型"))
        train.add_argument(
            "--corrections",
            action="append",
            default=[],
            metavar="FILE.tsv",
            help=_("工作人员的更正，每行“类别代码<TAB>意见”（可多次给出）"),
        )
        train.add_argument(
            "--out", default=str(clf.MODEL_FILE), help=_("模型文件（默认为随包发布的模型）")
        )
        evaluate = sub.add_parser("evaluate", help=_("在保留测试集上报告宏平均 F1"))
        evaluate.add_argument("--model", default=None, help=_("模型文件（默认为随包发布的模型）"))
        evaluate.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
        merge_eval = sub.add_parser(
            "merge-evaluate", help=_("在标注好分组的意见上报告合并的成对精确率、召回率和 F1")
        )
        merge_eval.add_argument(
            "files", nargs="+", metavar="FILE.jsonl", help=_('每行 {"group": …, "text": …}')
        )
        merge_eval.add_argument("--json", action="store_true", help=_("以 JSON 输出"))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action in ("classify", "merge"):
            stdin = options.get("stdin")
            if stdin is None:
                stdin = sys.stdin.buffer
            texts = read_opinions(stdin)
            if action == "classify":
                self._write(self._classified(texts))
            else:
                self._write(
                    {"text": t, "group": g}
                    for t, g in zip(texts, merging.merge(texts), strict=True)
                )
        elif action == "train":
            self._train(options)
        elif action == "merge-evaluate":
            self._merge_evaluate(options)
        else:
            self._evaluate(options)

    def _classified(self, texts: list[str]) -> Iterable[dict[str, Any]]:
        # In slices, so that a very long input never holds every feature matrix at once.
        for start in range(0, len(texts), 10_000):
            chunk = texts[start : start + 10_000]
            for text, p in zip(chunk, clf.classify(chunk), strict=True):
                yield {
                    "text": text,
                    "category": p.code,
                    "class": p.klass,
                    "score": round(p.score, 4),
                }

    def _write(self, rows: Iterable[dict[str, Any]]) -> None:
        out = self.stdout
        if out._out is sys.stdout and hasattr(sys.stdout, "reconfigure"):
            # Chinese must reach a pipe as UTF-8 whatever the locale says.
            sys.stdout.reconfigure(encoding="utf-8")
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False))

    def _train(self, options: dict[str, Any]) -> None:
        corrections: list[tuple[str, str]] = []
        for path in options["corrections"]:
            corrections.extend(read_corrections(path))
        stored = stored_corrections()
        self.stdout.write(
            _("数据库中工作人员的类别校正：%(n)d 条") % {"n": len(stored)}
            if stored is not None
            else _("数据库中还没有意见数据表，只用内置训练集和更正文件")
        )
        model = clf.train_shipped(corrections + (stored or []))
        target = Path(options["out"])
        model.save(target)
        if target == clf.MODEL_FILE:
            clf.set_default(model)
        held_out = clf.split(clf.shipped_examples())[1]
        report = clf.evaluate(model, held_out)
        self.stdout.write(
            _("已训练：%(rows)d 条句子（其中更正 %(corrections)d 条），保存到 %(path)s")
            % {"rows": model.meta["rows"], "corrections": model.meta["corrections"], "path": target}
        )
        self.stdout.write(
            _("保留测试集宏平均 F1：%(f1).3f（%(n)d 条）")
            % {"f1": report["macro_f1"], "n": report["n"]}
        )

    def _evaluate(self, options: dict[str, Any]) -> None:
        if options["model"]:
            model = clf.load(options["model"])
            if model is None:
                raise CommandError(
                    _("无法读取模型文件 %(path)s") % {"path": options["model"]}, returncode=2
                )
        else:
            model = clf.default()
        held_out = clf.split(clf.shipped_examples())[1]
        report = clf.evaluate(model, held_out)
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        names = clf.category_names()
        self.stdout.write(
            _("保留测试集：%(n)d 条，宏平均 F1 %(f1).3f，准确率 %(acc).3f")
            % {"n": report["n"], "f1": report["macro_f1"], "acc": report["accuracy"]}
        )
        for code, f1 in report["per_category"].items():
            self.stdout.write(f"  {code:<20} {names[code]:<10} {f1:.3f}")

    def _merge_evaluate(self, options: dict[str, Any]) -> None:
        for path in options["files"]:
            gold, texts = read_labelled(path)
            report: dict[str, Any] = {
                "file": path,
                "opinions": len(texts),
                "groups": len(set(gold)),
                **merging.pairwise_scores(gold, merging.merge(texts)),
            }
            if options["json"]:
                self.stdout.write(json.dumps(report, ensure_ascii=False))
                continue
            self.stdout.write(
                _(
                    "%(file)s：%(n)d 条意见，%(g)d 组；成对精确率 %(p).3f，召回率 %(r).3f，"
                    "F1 %(f1).3f"
                )
                % {
                    "file": path,
                    "n": report["opinions"],
                    "g": report["groups"],
                    "p": report["precision"],
                    "r": report["recall"],
                    "f1": report["f1"],
                }
            )


def read_labelled(path: str) -> tuple[list[str], list[str]]:
    """(groups, texts) of a JSON Lines file of labelled opinions; exit code 2 when unreadable."""
    gold: list[str] = []
    texts: list[str] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if not isinstance(row, dict) or not row.get("text") or "group" not in row:
                    raise ValueError(f'line {number}: expected {{"group", "text"}}')
                gold.append(str(row["group"]))
                texts.append(str(row["text"]))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CommandError(_("无法读取标注文件：%(error)s") % {"error": exc}, returncode=2) from exc
    return gold, texts
