"""Background task of notifications (django-tasks, run by ``xiaoqu db_worker``, which
``xiaoqu serve`` starts beside the web server).

``notify_send`` queues this task when the transaction that queued messages commits; a run
sends one batch and queues the next while due deliveries remain. ``xiaoqu notify send`` does
the same from the command line (or from cron, when no worker runs).
"""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def send_deliveries() -> dict[str, Any]:
    from xiaoqu.notify.services import deliveries_send

    report = deliveries_send()
    if report["more"]:
        send_deliveries.enqueue()
    return {**report}
