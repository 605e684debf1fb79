"""Bulk writes for the importer: ids handed out in Python, rows sent in large batches.

Ids are assigned before rows are written so that a dwelling's owners can be written in the
same streaming pass as the dwelling, without reading keys back. The importer holds the
register tables locked (one write transaction on SQLite, ``LOCK TABLE`` on PostgreSQL) so no
one else takes the same ids; sequences are moved past them at the end.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.core.management.color import no_style
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

BATCH = 20_000
BULK_THRESHOLD = 50_000
# Batches sent but not yet stored by the server; the reader waits beyond this (memory).
IN_FLIGHT = 3


class Sender:
    """Sends the import's batches of new rows to PostgreSQL from one background thread, so
    that the server stores one batch (COPY, its indexes) on one core while the import reads
    and checks the next on the other; one after another before (docs/benchmarks.md, national
    scale). The batches go in the order they were sent, on the import's own connection and
    transaction; ``wait`` returns when all are stored (and raises what failed), and every
    other use of the connection comes after a ``wait`` (``Table.flush``). Without
    PostgreSQL a batch is sent at once, in the caller's thread.
    """

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.pool: ThreadPoolExecutor | None = None
        if connection.vendor == "postgresql":
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="xiaoqu-import-copy")
        self.pending: deque[Future[None]] = deque()

    def send(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if self.pool is None:
            raise RuntimeError("only PostgreSQL's COPY is sent in the background")
        self.connection.ensure_connection()
        # Taken here: ``django.db.connection`` is another one in the thread. psycopg's own
        # connection is safe to use from it.
        raw, errors = self.connection.connection, self.connection.wrap_database_errors
        self.pending.append(self.pool.submit(_copy, raw, errors, sql, rows))
        while len(self.pending) > IN_FLIGHT:
            self.pending.popleft().result()

    def wait(self) -> None:
        while self.pending:
            self.pending.popleft().result()

    def close(self, *, failed: bool = False) -> None:
        """Wait for what was sent (its errors are the caller's), then end the thread. After
        a failure the batches still in flight fail too (the transaction is aborted): their
        errors are not the caller's."""
        try:
            while self.pending:
                future = self.pending.popleft()
                if failed:
                    future.exception()
                else:
                    future.result()
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True)


def _copy(raw: Any, errors: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    # ``errors`` raises Django's exceptions (IntegrityError…) for psycopg's, as a cursor of
    # Django's does.
    with errors, raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def column(model: type[models.Model], name: str) -> str:
    """The database column of a model field (a foreign key's ``<name>_id``)."""
    return str(getattr(model._meta.get_field(name), "column"))  # noqa: B009


class Table:
    """Inserts and updates of one model's table, by column name."""

    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        model: type[models.Model],
        insert_fields: list[str],
        update_fields: list[str],
        now: dt.datetime,
        sender: Sender | None = None,
    ) -> None:
        self.connection = connection
        self.sender = sender
        self.model = model
        meta = model._meta
        qn = connection.ops.quote_name
        self.table: str = str(meta.db_table)
        ins = ["id", *(column(model, f) for f in insert_fields), "created_at", "updated_at"]
        self.insert_columns = ins
        self.now = connection.ops.adapt_datetimefield_value(now)
        self.postgres = connection.vendor == "postgresql"
        # COPY gets the timestamps as text made once: psycopg's dumper of an aware datetime,
        # run for each row, cost more than all the other columns together.
        self.stamps = (now.isoformat(), now.isoformat())
        # Rows are queued without their timestamps, which are the same for every row: COPY
        # (PostgreSQL) adds them to each row, the INSERT (SQLite) has them as constants, two
        # parameters less to bind per row.
        stamp = _literal(self.now)
        self.insert_sql = "INSERT INTO {} ({}) VALUES ({})".format(
            qn(self.table),
            ", ".join(qn(c) for c in ins),
            ", ".join(["%s"] * (len(ins) - 2) + [stamp, stamp]),
        )
        upd = [column(model, f) for f in update_fields]
        self.update_sql = "UPDATE {} SET {} WHERE {} = %s".format(
            qn(self.table),
            ", ".join(f"{qn(c)} = %s" for c in [*upd, "updated_at"]),
            qn("id"),
        )
        self.inserts: list[tuple[Any, ...]] = []
        self.updates: list[tuple[Any, ...]] = []
        self.created = 0
        self.updated = 0
        self.enabled = True
        self.dropped: list[tuple[str, str]] = []
        self.next_id = self._first_free_id()

    def _first_free_id(self) -> int:
        qn = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({qn('id')}) FROM {qn(self.table)}")
            top = cursor.fetchone()[0] or 0
            if self.connection.vendor == "sqlite":
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
                row = cursor.fetchone()
                top = max(top, row[0] if row else 0)
            elif self.connection.vendor == "postgresql":
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [qn(self.table)])
                seq = cursor.fetchone()[0]
                if seq:
                    cursor.execute(f"SELECT last_value, is_called FROM {seq}")
                    last, called = cursor.fetchone()
                    top = max(top, last if called else last - 1)
        return top + 1

    def expect(self, rows: int) -> None:
        """Prepare for about ``rows`` new rows.

        On SQLite, rebuilding a secondary index once after a large load is several times
        faster than growing it row by row (random keys such as phone numbers and hashes miss
        the page cache). The indexes are dropped inside the import's transaction, so a failed
        import gets them back with the rollback; ``finish`` recreates them from their own SQL.
        """
        if self.connection.vendor != "sqlite" or rows < BULK_THRESHOLD or self.dropped:
            return
        qn = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {qn(self.table)}")
            if cursor.fetchone()[0] >= rows:
                return
            cursor.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [self.table],
            )
            self.dropped = cursor.fetchall()
            for name, _sql in self.dropped:
                cursor.execute(f"DROP INDEX {qn(name)}")

    def finish(self) -> None:
        """Write what is left and rebuild any index ``expect`` dropped."""
        self.flush()
        if self.dropped:
            with self.connection.cursor() as cursor:
                for _name, sql in self.dropped:
                    cursor.execute(sql)
            self.dropped = []

    def new_id(self) -> int:
        pk = self.next_id
        self.next_id += 1
        return pk

    def insert(self, row: tuple[Any, ...]) -> None:
        """``row`` is ``(id, *insert_fields)``; the timestamps are added when it is written."""
        self.created += 1
        if self.enabled:
            inserts = self.inserts
            inserts.append(row)
            if len(inserts) >= BATCH:
                self._flush_inserts()

    def update(self, pk: int, values: tuple[Any, ...]) -> None:
        self.updated += 1
        if self.enabled:
            self.updates.append((*values, self.now, pk))
            if len(self.updates) >= BATCH:
                self._flush_updates()

    def stop(self) -> None:
        """Once the import has failed, keep counting but write nothing more."""
        self.enabled = False
        self.inserts.clear()
        self.updates.clear()

    def flush(self) -> None:
        """Write what is queued; when it returns, every row sent so far is stored."""
        if self.enabled:
            self._flush_inserts()
            self._flush_updates()
        if self.sender is not None:
            self.sender.wait()

    def _flush_inserts(self) -> None:
        if not self.inserts:
            return
        if self.postgres:
            # COPY is several times faster than INSERT on PostgreSQL.
            qn = self.connection.ops.quote_name
            sql = "COPY {} ({}) FROM STDIN".format(
                qn(self.table), ", ".join(qn(c) for c in self.insert_columns)
            )
            stamps = self.stamps
            rows = [row + stamps for row in self.inserts]
            if self.sender is not None:
                self.sender.send(sql, rows)
            else:
                self.connection.ensure_connection()
                conn = self.connection
                _copy(conn.connection, conn.wrap_database_errors, sql, rows)
        else:
            with self.connection.cursor() as cursor:
                cursor.executemany(self.insert_sql, self.inserts)
        self.inserts.clear()

    def _flush_updates(self) -> None:
        if not self.updates:
            return
        if self.sender is not None:
            self.sender.wait()  # the connection is the sender's until then
        with self.connection.cursor() as cursor:
            cursor.executemany(self.update_sql, self.updates)
        self.updates.clear()

    def reset_sequence(self) -> None:
        statements = self.connection.ops.sequence_reset_sql(no_style(), [self.model])
        with self.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _literal(value: Any) -> str:
    """A timestamp adapted for the database, as an SQL string constant."""
    text = str(value)
    assert "%" not in text
    return "'{}'".format(text.replace("'", "''"))


def lock_tables(connection: BaseDatabaseWrapper, tables: list[str]) -> None:
    """Keep other writers out of the register tables until the import commits."""
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE".format(", ".join(qn(t) for t in tables))
            )


def now() -> dt.datetime:
    return timezone.now()
