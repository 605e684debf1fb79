"""The `xiaoqu needs` command: classify, merge, train and evaluate contracts."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from xiaoqu.needs import classifier as clf


def run(*args: str, stdin: bytes | None = None) -> str:
    out = io.StringIO()
    kwargs = {"stdout": out}
    if stdin is not None:
        kwargs["stdin"] = io.BytesIO(stdin)
    call_command("needs", *args, **kwargs)
    return out.getvalue()


def test_classify_writes_one_json_object_a_line_in_input_order() -> None:
    """classify: {"text","category","class","score"} for each opinion, in input order."""
    text = "一下雨家里就滴水\n晚上上楼黑黢黢的\n停车位太少\n"
    rows = [json.loads(line) for line in run("classify", stdin=text.encode()).splitlines()]
    assert [list(r) for r in rows] == [["text", "category", "class", "score"]] * 3
    assert [r["text"] for r in rows] == ["一下雨家里就滴水", "晚上上楼黑黢黢的", "停车位太少"]
    assert rows[0]["category"] == "roof_facade"
    assert rows[0]["class"] == "basic"
    assert isinstance(rows[0]["score"], float)


def test_classify_output_is_not_ascii_escaped() -> None:
    """Chinese text is written as is, not as \\u escapes."""
    assert "楼道灯坏了" in run("classify", stdin="楼道灯坏了\n".encode())


def test_blank_lines_are_skipped() -> None:
    """Empty and blank lines are not opinions and produce no output."""
    out = run("classify", stdin="\n  \n楼道灯坏了\r\n\n".encode())
    assert [json.loads(line)["text"] for line in out.splitlines()] == ["楼道灯坏了"]


def test_emoji_only_line_is_classified_with_score_zero() -> None:
    """An emoji-only line still gets its output line, with the fallback and score 0.0."""
    row = json.loads(run("classify", stdin="😀😀\n".encode()))
    assert (row["category"], row["score"]) == (clf.FALLBACK_CODE, 0.0)


def test_invalid_utf8_exits_with_code_two() -> None:
    """Input that is not UTF-8 is refused with exit code 2."""
    with pytest.raises(CommandError) as info:
        run("classify", stdin="楼道灯坏了\n".encode("gbk"))
    assert info.value.returncode == 2


def test_invalid_utf8_on_merge_exits_with_code_two() -> None:
    """merge refuses non-UTF-8 input the same way."""
    with pytest.raises(CommandError) as info:
        run("merge", stdin=b"\xff\xfe\x00")
    assert info.value.returncode == 2


def test_merge_writes_text_and_group_in_input_order() -> None:
    """merge: {"text","group"} a line; same asks share a group."""
    text = "楼道灯坏了\n晚上楼梯黑乎乎的\n楼道里堆满杂物\n"
    rows = [json.loads(line) for line in run("merge", stdin=text.encode()).splitlines()]
    assert [list(r) for r in rows] == [["text", "group"]] * 3
    assert [r["group"] for r in rows] == [0, 0, 1]


@pytest.mark.django_db  # train also reads the corrections stored in the database
def test_train_with_corrections_file_saves_a_model_that_uses_them(tmp_path) -> None:
    """train --corrections FILE --out PATH builds a model honouring the corrections."""
    corrections = tmp_path / "corrections.tsv"
    corrections.write_text("code\ttext\nleisure_fitness\t院子里那口老井想修一下\n", "utf-8")
    target = tmp_path / "model.joblib"
    out = run("train", "--corrections", str(corrections), "--out", str(target))
    assert "F1" in out
    model = clf.load(target)
    assert model is not None
    assert model.predict("院子里那口老井想修一下").code == "leisure_fitness"


@pytest.mark.django_db  # train also reads the corrections stored in the database
def test_train_refuses_a_corrections_file_with_an_unknown_code(tmp_path) -> None:
    """A corrections file naming an unknown category exits with code 2."""
    corrections = tmp_path / "bad.tsv"
    corrections.write_text("no_such\t楼道灯坏了\n", "utf-8")
    with pytest.raises(CommandError) as info:
        run("train", "--corrections", str(corrections), "--out", str(tmp_path / "m.joblib"))
    assert info.value.returncode == 2


def test_evaluate_prints_macro_f1_and_every_category() -> None:
    """evaluate reports macro-F1 and one line per category."""
    out = run("evaluate")
    assert "F1" in out
    for code in clf.category_classes():
        assert code in out


def test_merge_evaluate_scores_labelled_opinions(tmp_path) -> None:
    """merge-evaluate: pairwise precision, recall and F1 of merging against labelled groups."""
    path = tmp_path / "set.jsonl"
    rows = [("灯", "楼道灯坏了"), ("灯", "声控灯不亮"), ("车", "停车位太少"), ("车", "车位不够")]
    path.write_text(
        "".join(json.dumps({"group": g, "text": t}, ensure_ascii=False) + "\n" for g, t in rows),
        encoding="utf-8",
    )
    report = json.loads(run("merge-evaluate", str(path), "--json"))
    assert report["opinions"] == 4 and report["groups"] == 2
    assert report["precision"] == report["recall"] == report["f1"] == 1.0
    assert "成对精确率 1.000" in run("merge-evaluate", str(path))


def test_merge_evaluate_refuses_a_line_without_a_group(tmp_path) -> None:
    """A labelled file with a line lacking "group": exit 2 with a message."""
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "楼道灯坏了"}\n', encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run("merge-evaluate", str(path))
    assert error.value.returncode == 2
