"""Real worker processes (``manage.py run_worker``) and a real import command, on the test database.

PostgreSQL only (a worker process needs the test database on a server; .ci/run's PostgreSQL + Redis pass runs
these): a queued import survives until a worker starts, its progress is visible while it runs, and a worker — or
an ``import_opensdg`` command — killed with SIGKILL mid-import leaves the data exactly as before and the run
failed at once (the process is gone), never blocking the next import.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from jobs import runner
from localization.models import ImportRun, IndicatorValue
from localization.services import imports
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = imports.NATIONAL_REPOSITORY

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _ensure_reference():
    from localization.models import Region

    if not Region.objects.exists():
        call_command("load_reference", verbosity=0, stdout=open(os.devnull, "w"))


@pytest.fixture(scope="module", autouse=True)
def postgres_only(django_db_setup, django_db_blocker):
    require(connection.vendor == "postgresql", "needs PostgreSQL")
    yield
    with django_db_blocker.unblock():
        _ensure_reference()


@pytest.fixture(autouse=True)
def reference_data(db):
    _ensure_reference()


def _env() -> dict:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "JOBS_LEASE_SECONDS": "5"}


@pytest.fixture
def processes():
    started = []

    def start(*args):
        proc = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_worker(processes):
    return processes("run_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2", "-v", "0")


@pytest.fixture
def officer(client, make_user):
    client.force_login(make_user("stat", role="statistics"))
    return client


def _status(client, run) -> dict:
    response = client.get(f"/en/data/import/{run.pk}/status/")
    assert response.status_code == 200
    return response.json()


def _task_errors():
    from django_tasks_db.models import DBTaskResult

    return [r.traceback[-2000:] for r in DBTaskResult.objects.filter(status="FAILED")]


def _snapshot():
    return (sorted(IndicatorValue.objects.values_list("indicator__code", "area_code", "year", "dims", "value")),
            IndicatorValue.history.count())


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"not within {seconds} s: {what}")


def test_a_worker_process_runs_a_queued_import_and_the_page_shows_its_progress(processes, officer, task_queue):
    run = ImportRun.objects.create(source=imports.NATIONAL_SOURCE)
    imports.start_import(run, NATIONAL)  # queued in the database before any worker runs: it waits for one
    assert _status(officer, run)["files_done"] == 0
    worker = start_worker(processes)
    seen = []

    def finished():
        status = _status(officer, run)
        seen.append(status["files_done"])
        return status if status["status"] != "running" else None

    status = _wait(finished, 600, "the import finished")
    assert worker.poll() is None, worker.stderr.read().decode() if worker.poll() is not None else ""
    run.refresh_from_db()
    assert status["status"] == "done", (run.errors[-3:], _task_errors())
    assert status["files_done"] == status["files_total"] > 200
    assert status["rows_created"] == IndicatorValue.objects.count() > 40_000
    # progress was visible while the import's transaction was still open
    assert [n for n in seen if 0 < n < status["files_total"]], seen


def test_a_worker_killed_mid_import_leaves_the_data_as_before_and_the_run_failed(processes, officer, task_queue):
    from django_tasks_db.models import DBTaskResult

    imports.import_repository(NATIONAL, only=["1-2-1", "3-1-1", "6-1-1"])  # data that must survive
    before = _snapshot()
    assert before[0]
    run = ImportRun.objects.create(source=imports.NATIONAL_SOURCE)
    imports.start_import(run, NATIONAL)
    worker = start_worker(processes)
    _wait(lambda: _status(officer, run)["files_done"] > 0, 300, "the import wrote its first files")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    killed = time.monotonic()
    status = _wait(lambda: (s := _status(officer, run))["status"] != "running" and s, runner.LEASE,
                   "the run failed within the lease")
    assert time.monotonic() - killed < runner.LEASE
    assert status["status"] == "failed" and status["rows_created"] == 0
    run.refresh_from_db()
    assert "interrupted" in run.errors[-1] and run.finished_at is not None
    task = DBTaskResult.objects.get(args_kwargs__args__1=run.pk)
    assert task.status == "FAILED" and task.exception_class_path == "jobs.runner.WorkerLost"
    assert _snapshot() == before  # not one value or history row of the killed run was kept
    # the next import is not blocked by the killed one
    response = officer.post("/en/data/import/", {"source": "national"})
    assert response.status_code == 302 and response["Location"] != f"/en/data/import/{run.pk}/"


def test_an_import_command_killed_mid_way_leaves_the_data_as_before_and_its_run_failed(processes):
    imports.import_repository(NATIONAL, only=["1-2-1"])
    before = _snapshot()
    first = ImportRun.objects.order_by("-pk").first().pk
    command = processes("import_opensdg", str(NATIONAL))
    run = _wait(lambda: ImportRun.objects.filter(pk__gt=first, files_done__gt=0).first(), 300,
                "the command wrote its first files")
    os.kill(command.pid, signal.SIGKILL)
    command.wait()
    runner.reap()  # what every worker and progress page does: the command's process is gone
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "interrupted" in run.errors[-1]
    assert _snapshot() == before
