"""Background task of owner votes (django-tasks, run by ``xiaoqu db_worker``).

The project has no periodic scheduler. Opening a vote queues ``remind_votes`` to run when its
reminder window begins (the database backend of ``xiaoqu serve`` runs tasks later); a
deployment also runs ``xiaoqu vote remind`` from cron every hour or so, which covers votes
opened while another backend was configured. The sweep is idempotent, so both may run.
"""

from __future__ import annotations

from django_tasks import task


@task()
def remind_votes() -> int:
    from xiaoqu.decisions.services.reminders import vote_reminders_queue

    return vote_reminders_queue()
