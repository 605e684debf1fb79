"""Commands that read or write the register refuse a database that is not migrated."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _


def ensure_migrated(database: str = DEFAULT_DB_ALIAS) -> None:
    """Raise a clear CommandError (exit 2) when migrations are pending, instead of a traceback."""
    connection = connections[database]
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise CommandError(
            _("数据库尚未建表或有 %(n)d 项迁移未完成：请先运行 xiaoqu migrate")
            % {"n": len(pending)},
            returncode=2,
        )
