"""Role names in the code are members of ``accounts.models.Role``, never string literals: a
misspelt literal ("street_stuff") would grant nothing and fail no check."""

from __future__ import annotations

import ast
from pathlib import Path

from xiaoqu.accounts.models import Role

SRC = Path(__file__).resolve().parents[2] / "src" / "xiaoqu"
ROLE_KEYWORDS = {"role", "role__in"}


def _literal_roles(node: ast.AST) -> list[str]:
    """Role names written as string literals in a keyword's value (one or a list of them)."""
    values = node.elts if isinstance(node, ast.List | ast.Tuple | ast.Set) else [node]
    return [
        v.value
        for v in values
        if isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value in Role.values
    ]


def literal_role_names() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in ROLE_KEYWORDS:
                found += [
                    f"{path.relative_to(SRC)}:{node.value.lineno}: {name!r}"
                    for name in _literal_roles(node.value)
                ]
    return found


def test_role_names_are_role_members_not_string_literals():
    assert literal_role_names() == []
