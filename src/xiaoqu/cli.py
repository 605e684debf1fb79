"""The `xiaoqu` command: every Django management command, plus Xiaoqu's own."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["lifecircle", "nearest"]:
        # Reads files, needs no database: answered before Django starts.
        from xiaoqu.lifecircle.nearest_cli import run as nearest

        sys.exit(nearest(args[2:]))
    if args[:2] == ["vote", "evaluate"]:
        # A pure computation with no database: answered before Django starts.
        from xiaoqu.decisions.evaluate_cli import run

        sys.exit(run(args[2:]))
    if args[:2] == ["plan", "optimise"]:
        # A pure computation with no database: answered before Django starts.
        from xiaoqu.renovation.optimise_cli import run as optimise

        sys.exit(optimise(args[2:]))
    if args[:2] == ["sla", "due"]:
        # A pure computation with no database: answered before Django starts.
        from xiaoqu.stewardship.sla_cli import run as sla_due

        sys.exit(sla_due(args[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoqu.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["xiaoqu", *argv])
    args[0] = "xiaoqu"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
