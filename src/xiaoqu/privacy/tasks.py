"""Background task of personal-information retention (django-tasks, run by
``xiaoqu db_worker``). The project has no scheduler: a deployment runs
``xiaoqu privacy purge`` from cron once a day; this lets a page or another task ask for it
now. Idempotent."""

from __future__ import annotations

from django_tasks import task


@task()
def purge() -> dict[str, int]:
    from xiaoqu.privacy.services import privacy_purge

    return privacy_purge()
