"""The worked examples of docs/owner-votes.md are what `xiaoqu vote evaluate` answers today."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "owner-votes.md"
EXAMPLE = re.compile(
    r"^\$ xiaoqu vote evaluate (?P<file>docs/examples/votes/\S+\.json)[^\n]*\n(?P<out>\{.*?\n\})",
    re.MULTILINE | re.DOTALL,
)


def _examples() -> list[tuple[str, str]]:
    return [(m["file"], m["out"]) for m in EXAMPLE.finditer(DOC.read_text(encoding="utf-8"))]


def test_the_document_shows_every_example_file():
    """Each input in docs/examples/votes/ is shown with its output."""
    shown = {file for file, _ in _examples()}
    files = {f"docs/examples/votes/{p.name}" for p in (ROOT / "docs/examples/votes").glob("*.json")}
    assert shown == files


@pytest.mark.parametrize(("file", "shown"), _examples(), ids=lambda v: Path(v).stem)
def test_an_example_gives_the_output_the_document_shows(file, shown):
    done = subprocess.run(
        [sys.executable, "-m", "xiaoqu.cli", "vote", "evaluate", str(ROOT / file)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == json.loads(shown)
