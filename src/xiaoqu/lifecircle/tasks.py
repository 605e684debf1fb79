"""Background tasks of the life circle (django-tasks: by default queued in the database and run
by `xiaoqu db_worker`, which `xiaoqu serve` and `xiaoqu demo` start beside the web server)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_analysis(run_id: int) -> None:
    from xiaoqu.lifecircle.services import analysis_execute

    analysis_execute(run_id)
