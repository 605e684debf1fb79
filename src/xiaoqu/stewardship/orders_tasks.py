"""Background task of work orders (django-tasks, run by ``xiaoqu db_worker``).

The project has no periodic scheduler: a deployment runs ``xiaoqu orders sweep`` from cron
every few minutes. This task lets a page or another task ask for a sweep now (``enqueue()``);
the sweep is idempotent, so a queued one running beside cron's adds nothing twice.
"""

from __future__ import annotations

from django_tasks import task


@task()
def sweep_orders() -> dict[str, int]:
    from xiaoqu.stewardship.services.orders import escalation_sweep

    return escalation_sweep()
