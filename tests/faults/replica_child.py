"""The child process of the replica test (tests/faults/test_replica.py): run with
``python -m tests.faults.replica_child`` and ``DATABASE_URL`` (the primary),
``XIAOQU_REPLICA_URL`` (its streaming replica), ``XIAOQU_REPLICA_PIN_SECONDS`` and
``REPLICA_STOP`` (the command that stops the replica, as JSON) set.

It plays a resident's visits to their inbox through Django's test client, with the site's
whole middleware and router, and prints what each visit showed as one JSON object. Replay on
the replica is paused (``pg_wal_replay_pause()``) while it runs, so that the replica is
visibly behind: a page showing the older state was read from the replica, one showing the
newer state from the primary.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoqu.config.settings")


def _replica_sql(sql: str) -> object:
    import psycopg

    with psycopg.connect(os.environ["XIAOQU_REPLICA_URL"], autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def _wait_replayed() -> None:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
        assert row is not None
        target = row[0]
    deadline = time.monotonic() + 30
    while not _replica_sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
        if time.monotonic() > deadline:
            raise SystemExit("the replica did not catch up")
        time.sleep(0.01)


def _pause_replay() -> None:
    _replica_sql("SELECT pg_wal_replay_pause()")
    deadline = time.monotonic() + 30
    while _replica_sql("SELECT pg_get_wal_replay_pause_state()") != "paused":
        if time.monotonic() > deadline:
            raise SystemExit("replay did not pause")
        time.sleep(0.01)


def _unread(client) -> int | str:
    """How many unread messages the inbox shows (or the status of a failed answer)."""
    from django.urls import reverse

    response = client.get(reverse("notify:inbox"))
    if response.status_code != 200:
        return f"status {response.status_code}"
    page = response.content.decode()
    found = re.search(r"(\d+) 条未读", page)
    return int(found.group(1)) if found else 0 if "没有未读消息" in page else "unreadable"


def main() -> None:
    import django

    django.setup()
    from django.db import connections
    from django.test import Client
    from django.urls import reverse

    from tests.factories import make_user
    from xiaoqu.notify.models import Kind
    from xiaoqu.notify.services import notify_send

    def message(user, n: int) -> None:
        notify_send(
            recipients=[user],
            kind=Kind.OTHER,
            key=f"replica-test:{n}",
            title=f"消息{n}",
            channels=(),
        )

    seen: dict[str, object] = {"replica_alias": "replica" in connections}
    resident = make_user()
    for n in (1, 2):
        message(resident, n)
    writer, other = Client(), Client()  # two phones of the same resident
    writer.force_login(resident)
    other.force_login(resident)
    _wait_replayed()
    seen["at_start"] = _unread(writer)

    _pause_replay()
    message(resident, 3)  # written on the primary; the paused replica does not have it
    seen["replica_behind"] = _unread(writer)

    answer = writer.post(reverse("notify:read_all"))
    seen["post_status"] = answer.status_code
    seen["pinned"] = "xiaoqu_primary" in answer.cookies
    seen["own_write_read_back"] = _unread(writer)
    seen["other_phone_not_pinned"] = _unread(other)
    time.sleep(float(os.environ["XIAOQU_REPLICA_PIN_SECONDS"]) + 0.3)
    seen["after_the_pin"] = _unread(writer)

    _replica_sql("SELECT pg_wal_replay_resume()")
    _wait_replayed()
    seen["replica_caught_up"] = _unread(other)

    subprocess.run(json.loads(os.environ["REPLICA_STOP"]), check=True, capture_output=True)
    message(resident, 4)
    seen["replica_stopped"] = _unread(other)
    seen["replica_stopped_again"] = _unread(writer)
    seen["login_page"] = Client().get(reverse("accounts:login")).status_code
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
