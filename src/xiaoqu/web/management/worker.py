"""The background worker that `xiaoqu serve` and `xiaoqu demo` run beside the web server, and
that `xiaoqu worker` runs on its own.

Background work (a region's life-circle analysis, sending notifications, vote reminders) is
queued as rows by django-tasks' database backend, the default of XIAOQU_TASKS_BACKEND, and run
by `xiaoqu db_worker`. These commands start one worker process, start it again if it dies, and
stop it when they stop, so nothing else has to be started. With another backend no worker is
started.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

# How long the worker may take to finish the task it runs once asked to stop; after that it
# is asked again, which interrupts the task (an analysis is then marked failed).
STOP_GRACE_SECONDS = 10.0
# Pause before starting a worker that died, so that one failing at start does not spin.
RESTART_DELAY_SECONDS = 5.0


def worker_needed() -> bool:
    """Whether the default task backend queues tasks for `xiaoqu db_worker` to run."""
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def worker_command(
    worker_id: str, verbosity: int = 1, *, queues: str = "*", interval: float = 1.0
) -> list[str]:
    """`xiaoqu db_worker` on ``queues`` (comma-separated; ``*``: every queue), looking for
    work every ``interval`` seconds while there is none."""
    return [
        sys.executable,
        "-m",
        "xiaoqu.cli",
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        f"--queue-name={queues}",
        f"--interval={interval:g}",
        f"--worker-id={worker_id}",
        f"--verbosity={verbosity}",
    ]


def _parent_death_signal() -> Any:
    """A function for the child to call between fork and exec so that Linux sends it SIGTERM
    when the server dies, however it dies: no worker outlives its server. Looked up before the
    fork, so that the child only calls it (it may not import or take locks there)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def set_signal() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return set_signal


def stop_worker(process: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """Ask the worker to stop after its current task; then to stop at once; then kill it."""
    for ask in (process.terminate, process.terminate, process.kill):
        if process.poll() is not None:
            return
        ask()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            continue


def fail_abandoned_tasks(worker_id: str) -> int:
    """Tasks the worker held when it died (killed, out of memory) end as failed, and so does
    the life-circle analysis among them, so that no page waits for them for ever."""
    from django_tasks_db.models import DBTaskResult

    from xiaoqu.lifecircle.services import analysis_fail_interrupted
    from xiaoqu.lifecircle.tasks import run_analysis

    abandoned = [r for r in DBTaskResult.objects.running() if worker_id in r.worker_ids]
    for result in abandoned:
        result.set_failed(RuntimeError(f"worker {worker_id} stopped while running this task"))
        if result.task_path == run_analysis.module_path:
            analysis_fail_interrupted(run_id=result.args_kwargs["args"][0])
    return len(abandoned)


class _Supervisor:
    """Runs one worker process and starts a new one whenever it dies, until stopped."""

    def __init__(
        self,
        command: list[str] | None,
        verbosity: int,
        *,
        queues: str = "*",
        interval: float = 1.0,
        grace: float = STOP_GRACE_SECONDS,
    ) -> None:
        self.command = command
        self.verbosity = verbosity
        self.queues = queues
        self.interval = interval
        self.grace = grace
        self.process: subprocess.Popen | None = None
        self.worker_id = ""
        self.stopping = threading.Event()
        self.starts = 0
        self.thread = threading.Thread(target=self._watch, name="xiaoqu-worker", daemon=True)

    def _start(self) -> None:
        self.starts += 1
        self.worker_id = f"xiaoqu-{socket.gethostname()}-{os.getpid()}-{self.starts}"[:64]
        command = self.command or worker_command(
            self.worker_id, self.verbosity, queues=self.queues, interval=self.interval
        )
        self.process = subprocess.Popen(
            command,
            # Its own session: a Ctrl+C in the terminal reaches the server, which then stops
            # the worker in order, rather than both at once.
            start_new_session=True,
            preexec_fn=_parent_death_signal(),
        )

    def _watch(self) -> None:
        from django.db import connections

        while not self.stopping.is_set():
            assert self.process is not None
            code = self.process.poll()
            if code is not None and not self.stopping.is_set():
                logger.error("background worker exited (%s); starting it again", code)
                try:
                    fail_abandoned_tasks(self.worker_id)
                except Exception:
                    logger.exception("could not mark the dead worker's tasks failed")
                finally:
                    connections.close_all()
                if self.stopping.wait(RESTART_DELAY_SECONDS):
                    return
                self._start()
            self.stopping.wait(1.0)

    def __enter__(self) -> _Supervisor:
        self._start()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()
        if self.process is None:
            return
        stop_worker(self.process, self.grace)
        if self.process.returncode == -signal.SIGKILL:
            # Killed after ignoring two requests to stop: the task it held never ended.
            try:
                fail_abandoned_tasks(self.worker_id)
            except Exception:
                logger.exception("could not mark the stopped worker's tasks failed")


@contextmanager
def background_worker(
    *,
    verbosity: int = 1,
    command: list[str] | None = None,
    queues: str = "*",
    interval: float = 1.0,
    grace: float = STOP_GRACE_SECONDS,
) -> Iterator[_Supervisor | None]:
    """A worker process for the duration of the block, when the task backend needs one
    (``command`` replaces `xiaoqu db_worker`, for tests). Asked to stop, the worker has
    ``grace`` seconds to finish its task, then as long again once the task is interrupted."""
    if command is None and not worker_needed():
        yield None
        return
    with _Supervisor(
        command, verbosity, queues=queues, interval=interval, grace=grace
    ) as supervisor:
        yield supervisor
