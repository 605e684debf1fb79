"""`xiaoqu <command> --help` answers for every command the `xiaoqu` CLI offers."""

from __future__ import annotations

import argparse

import pytest
from django.core.management import get_commands, load_command_class

from xiaoqu.cli import main as xiaoqu_main


def _subcommands(app: str, name: str) -> list[str]:
    """The sub-commands a command's parser declares (e.g. `lifecircle nearest`)."""
    parser = load_command_class(app, name).create_parser("xiaoqu", name)
    return [
        choice
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for choice in action.choices
    ]


def _every_command() -> list[tuple[str, ...]]:
    """Django's commands and the project's, each with its sub-commands, from the registry."""
    found: list[tuple[str, ...]] = []
    for name, app in sorted(get_commands().items()):
        found.append((name,))
        found.extend((name, sub) for sub in _subcommands(app, name))
    return found


COMMANDS = _every_command()


def test_the_enumeration_holds_django_and_project_commands():
    """The list below is read from the command registry: Django's own and Xiaoqu's are in it."""
    assert {("migrate",), ("runserver",), ("demo",), ("serve",), ("lifecircle", "nearest")} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_exits_0_and_says_how_to_call_the_command(command, capsys):
    """`xiaoqu <command> --help` prints how to call it and exits 0, never a traceback."""
    with pytest.raises(SystemExit) as stop:
        xiaoqu_main([*command, "--help"])
    assert stop.value.code in (0, None)
    out = capsys.readouterr().out
    assert f"xiaoqu {' '.join(command)}" in out
