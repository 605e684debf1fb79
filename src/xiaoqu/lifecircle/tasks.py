"""Background tasks of the life circle (django-tasks; the default backend runs them at once)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_analysis(run_id: int) -> None:
    from xiaoqu.lifecircle.services import analysis_execute

    analysis_execute(run_id)
