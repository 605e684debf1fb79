"""The background worker that `xiaoqu serve` and `xiaoqu demo` run beside the web server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import make_user, region_chain
from xiaoqu.lifecircle.models import AnalysisRun
from xiaoqu.web.management import worker

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def sleeper(marker: Path | None = None) -> list[str]:
    """A stand-in worker: writes its pid to ``marker`` and sleeps."""
    write = f"open({str(marker)!r}, 'w').write(str(os.getpid()));" if marker else ""
    return [sys.executable, "-c", f"import os, time; {write} time.sleep(60)"]


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_no_worker_when_tasks_run_at_once():
    """With the immediate backend (as in tests) nothing is started."""
    with worker.background_worker() as supervisor:
        assert supervisor is None


def test_the_database_backend_needs_the_worker(settings):
    """The default backend queues tasks as rows: a worker is needed."""
    settings.TASKS = DATABASE_TASKS
    assert worker.worker_needed()


def test_the_worker_is_xiaoqu_db_worker_without_the_reloader():
    """The process started is `xiaoqu db_worker`, never reloading, with its own id."""
    command = worker.worker_command("w-1")
    assert command[:4] == [sys.executable, "-m", "xiaoqu.cli", "db_worker"]
    assert "--no-reload" in command and "--worker-id=w-1" in command


def test_the_worker_runs_for_the_block_and_is_stopped_after_it():
    """The worker process lives while the server does and has ended when the block exits."""
    with worker.background_worker(command=sleeper()) as supervisor:
        process = supervisor.process
        assert process.poll() is None
    assert process.poll() is not None


def test_a_worker_that_dies_is_started_again_and_its_tasks_failed(monkeypatch):
    """A dead worker's tasks are ended as failed, then a new worker starts."""
    failed: list[str] = []
    monkeypatch.setattr(worker, "RESTART_DELAY_SECONDS", 0.1)
    monkeypatch.setattr(worker, "fail_abandoned_tasks", failed.append)
    with worker.background_worker(command=[sys.executable, "-c", "pass"]) as supervisor:
        first = supervisor.worker_id
        assert wait_for(lambda: supervisor.starts >= 2)
    assert failed[0] == first


def test_a_worker_that_ignores_the_request_to_stop_is_killed():
    """Asked twice to stop and still running, the worker is killed."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert process.stdout.readline().strip() == b"ready"
    worker.stop_worker(process, grace=0.2)
    assert process.returncode == -9


@pytest.mark.django_db
def test_the_analysis_a_dead_worker_held_ends_as_failed(settings):
    """A running task of a worker that died fails, and its analysis run with it."""
    from django_tasks_db.models import DBTaskResult

    from xiaoqu.lifecircle.tasks import run_analysis

    settings.TASKS = DATABASE_TASKS
    community = region_chain()[-1]
    run = AnalysisRun.objects.create(
        region=community, created_by=make_user("street_staff", region=community.parent)
    )
    run_analysis.enqueue(run.pk)
    held = DBTaskResult.objects.get()
    held.claim("w-dead")
    AnalysisRun.objects.filter(pk=run.pk).update(status="running")
    assert worker.fail_abandoned_tasks("w-other") == 0
    assert worker.fail_abandoned_tasks("w-dead") == 1
    held.refresh_from_db()
    run.refresh_from_db()
    assert held.status == "FAILED"
    assert run.status == "failed" and "中断" in run.message


@pytest.mark.django_db
def test_serve_runs_the_worker_beside_gunicorn_and_stops_it_after(settings, monkeypatch, tmp_path):
    """`xiaoqu serve` starts the worker before gunicorn and stops it when gunicorn ends."""
    from xiaoqu.web.management.commands import serve

    settings.TASKS = DATABASE_TASKS
    settings.STATIC_ROOT = tmp_path / "static"
    monkeypatch.setenv("XIAOQU_SECRET_KEY", "test-secret")
    marker = tmp_path / "worker.pid"
    monkeypatch.setattr(worker, "worker_command", lambda *args, **kwargs: sleeper(marker))
    seen: list[bool] = []
    monkeypatch.setattr(
        serve, "_run_gunicorn", lambda options: seen.append(wait_for(marker.exists))
    )
    call_command("serve", verbosity=0)
    assert seen == [True]
    with pytest.raises(ProcessLookupError):
        os.kill(int(marker.read_text()), 0)


def test_serve_with_no_worker_processes_is_a_bad_option_value(monkeypatch):
    """`xiaoqu serve --workers 0` exits 2 (a bad option value) and starts nothing."""
    from django.core.management.base import CommandError

    monkeypatch.setenv("XIAOQU_SECRET_KEY", "x" * 50)
    with pytest.raises(CommandError) as refused:
        call_command("serve", workers=0, verbosity=0)
    assert refused.value.returncode == 2 and "工作进程数至少为 1" in str(refused.value)


# --- `xiaoqu worker`: the worker on its own ------------------------------------------------------


@pytest.mark.django_db
def test_worker_runs_the_worker_until_sigterm_and_then_stops_it(settings, monkeypatch, tmp_path):
    """`xiaoqu worker` starts the supervised `xiaoqu db_worker` (every queue, a look every
    second by default) and, on SIGTERM, stops it and exits."""
    import signal
    import threading

    settings.TASKS = DATABASE_TASKS
    marker = tmp_path / "worker.pid"
    asked: list[dict] = []

    def command(*args, **kwargs):
        asked.append(kwargs)
        return sleeper(marker)

    monkeypatch.setattr(worker, "worker_command", command)

    def stop_once_started() -> None:
        wait_for(marker.exists)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=stop_once_started, daemon=True).start()
    call_command("worker", verbosity=0)
    assert asked == [{"queues": "*", "interval": 1.0}]
    with pytest.raises(ProcessLookupError):
        os.kill(int(marker.read_text()), 0)


def test_worker_with_tasks_run_at_once_has_nothing_to_run():
    """With a backend that runs tasks inside the request (the tests'), it refuses to start."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as refused:
        call_command("worker", verbosity=0)
    assert refused.value.returncode == 1 and "不需要后台任务进程" in str(refused.value)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"interval": 0}, "间隔秒数须大于 0"),
        ({"grace": -1}, "等待秒数不能为负数"),
        ({"queue": "default,"}, "队列名不能为空"),
    ],
)
def test_worker_with_a_bad_option_value_exits_2(option, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as refused:
        call_command("worker", verbosity=0, **option)
    assert refused.value.returncode == 2 and message in str(refused.value)


def test_worker_command_names_the_queues_and_the_interval():
    command = worker.worker_command("w-2", queues="default,reports", interval=0.5)
    assert "--queue-name=default,reports" in command and "--interval=0.5" in command


def test_a_worker_killed_after_ignoring_the_request_to_stop_has_its_task_failed(
    monkeypatch, tmp_path
):
    """A task the worker held when it had to be killed would stay 'running' for ever: it is
    ended as failed (and its analysis with it)."""
    failed: list[str] = []
    monkeypatch.setattr(worker, "fail_abandoned_tasks", failed.append)
    ready = tmp_path / "ignoring"
    stubborn = [
        sys.executable,
        "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(ready)!r}, 'w').close(); time.sleep(60)",
    ]
    with worker.background_worker(command=stubborn, grace=0.2) as supervisor:
        held_by = supervisor.worker_id
        assert wait_for(ready.exists)
    assert supervisor.process.returncode == -9
    assert failed == [held_by]
