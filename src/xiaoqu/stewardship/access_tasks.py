"""Background tasks of access control (django-tasks, run by ``xiaoqu db_worker``).

The project has no periodic scheduler: a deployment runs ``xiaoqu access sweep`` and
``xiaoqu access purge`` from cron once a day. These tasks let a page or another task ask for
them now (``enqueue()``); both are idempotent.
"""

from __future__ import annotations

from django_tasks import task


@task()
def sweep_credentials() -> int:
    from xiaoqu.stewardship.services.access import credentials_sweep

    return credentials_sweep()


@task()
def purge_events() -> dict[str, int]:
    from xiaoqu.stewardship.services.access import events_purge

    return events_purge()
