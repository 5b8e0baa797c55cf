"""Long jobs on the django-tasks database queue, with a lease and a reaper.

A *job row* (an :class:`~localization.models.ImportRun`, a geo ``SettlementImport`` or ``Recomputation``) is what
the progress pages poll. :func:`enqueue` stores a task for it in the database (``django_tasks_db``); a separate
worker process (``manage.py run_worker``) claims it and runs :func:`execute`, which

* runs the job's writes in ONE transaction: a worker killed mid-job leaves the data as before the run;
* writes progress counters through a second connection of its own (PostgreSQL), so the pages see them while the
  data are still uncommitted; the final status is written after the commit. (On SQLite one writer holds the
  file: counters appear when the job ends.)
* leaves a lease: the task row names its worker (``host:pid:random``); every worker beats in
  :class:`~jobs.models.WorkerBeat` every few seconds. :func:`reap` — run by every worker's heartbeat process, at
  enqueue time and by the progress pages — marks a task whose worker is gone (process gone on this host, or no
  beat for :data:`LEASE` seconds) failed, and its job row failed, at once.
"""
from __future__ import annotations

import base64
import datetime
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django.utils.translation import get_language

from .execution import execute, fail_row, update_row  # noqa: F401 (update_row: callers use it from here)

log = logging.getLogger(__name__)

#: Seconds without a heartbeat after which a worker on another host counts as gone.
LEASE = int(getattr(settings, "JOBS_LEASE_SECONDS", 30))
#: Seconds between heartbeats (and reaper passes) of a worker.
BEAT = max(1.0, LEASE / 6)
#: A job row still unfinished this long after it started, with no task queued or running for it, is orphaned.
GRACE = 60
#: The queue of jobs run in the process that started them (command line); no worker takes them.
INLINE_QUEUE = "inline"
#: Job rows the reaper looks after (status, started_at, finished_at, errors).
JOB_MODELS = ["localization.ImportRun", "geo.SettlementImport", "geo.Recomputation", "budget.CycleCount"]
HOST = socket.gethostname()[:40]


class WorkerLost(RuntimeError):
    """The worker running a task stopped (killed, crashed, restarted) before it finished."""

    #: What a job row's errors say (:func:`jobs.execution.fail_row`).
    job_message = "interrupted: the worker running this job stopped; nothing from it was kept"


def new_worker_id() -> str:
    return f"{HOST}:{os.getpid()}:{get_random_string(8)}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped by its parent) is gone too
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def worker_alive(worker_id: str, beats: dict[str, datetime.datetime]) -> bool:
    host, _, rest = (worker_id or "").partition(":")
    pid = rest.partition(":")[0]
    if host == HOST and pid.isdigit():
        return pid_alive(int(pid))
    beat = beats.get(worker_id)
    return beat is not None and beat >= timezone.now() - datetime.timedelta(seconds=LEASE)


# ---------------------------------------------------------------------------------------------------------------
# arguments (tasks take JSON)


def _encode(value):
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _path(func) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def _payload(job, func, args, kwargs, fail) -> list:
    return [job._meta.label, job.pk, _path(func), _path(fail) if fail else "", _encode(list(args)),
            {k: _encode(v) for k, v in kwargs.items()}, get_language() or settings.LANGUAGE_CODE]


# ---------------------------------------------------------------------------------------------------------------
# starting a job


def enqueue(job, func, *args, fail=None, **kwargs):
    """Queue ``func(job, *args, **kwargs)`` for a worker; ``fail(job, exc)`` records a failure on the job row
    (after the rollback). Returns the task result. Arguments must be JSON (bytes and paths are converted)."""
    from .tasks import run_job

    reap()
    return run_job.enqueue(*_payload(job, func, args, kwargs, fail))


def run_inline(job, func, *args, fail=None, **kwargs):
    """Run a job in this process at once, without a task row (demo loading): same transaction and failure
    handling as in a worker."""
    return execute(*_payload(job, func, args, kwargs, fail))


def run_here(job, func, *args, fail=None, **kwargs):
    """Run a job in this process (a command), as a worker would: with a task row claimed by this process, its
    lease and heartbeat, one transaction for its writes. A kill leaves the data as before and the job failed."""
    from django_tasks_db.backend import DatabaseBackend

    from .tasks import run_job

    payload = _payload(job, func, args, kwargs, fail)
    if not isinstance(run_job.get_backend(), DatabaseBackend):
        return execute(*payload)
    from django_tasks_db.models import DBTaskResult

    worker_id = new_worker_id()
    with transaction.atomic():
        result = run_job.using(queue_name=INLINE_QUEUE).enqueue(*payload)
        db_result = DBTaskResult.objects.get(id=result.id)
        db_result.claim(worker_id)
    heartbeat = Heartbeat(worker_id, reap=False) if not connection.in_atomic_block else None
    if heartbeat:
        heartbeat.start()
    try:
        value = execute(*payload)
    except BaseException as exc:
        db_result.set_failed(exc)
        raise
    else:
        db_result.set_successful(value)
        return value
    finally:
        if heartbeat:
            heartbeat.stop()


# ---------------------------------------------------------------------------------------------------------------
# leases: heartbeat and reaper


def beat(worker_id: str) -> None:
    """Write this worker's beat (the lease other hosts judge it by), from the worker or its heartbeat process."""
    from .models import WorkerBeat

    pid = worker_id.split(":")[1] if worker_id.count(":") >= 2 else ""
    WorkerBeat.objects.update_or_create(worker_id=worker_id, defaults={
        "host": HOST, "pid": int(pid) if pid.isdigit() else os.getpid(), "beat_at": timezone.now()})


class Heartbeat:
    """This worker's heartbeat: a separate process (``manage.py job_heartbeat``) that writes the worker's beat
    every :data:`BEAT` seconds, reaps dead workers' tasks, and ends with the worker — reaping its tasks at once if
    the worker was killed. Nothing runs beside the job in the worker's own process."""

    def __init__(self, worker_id: str, *, reap: bool = True):
        self.worker_id, self.reap = worker_id, reap
        self.process: subprocess.Popen | None = None

    def start(self):
        beat(self.worker_id)  # visible at once, before the first job
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            return  # no other process can see this database
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "job_heartbeat", self.worker_id,
                   "--parent", str(os.getpid()), "--database-name", str(connection.settings_dict["NAME"])]
        if not self.reap:
            command.append("--no-reap")
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, cwd=settings.BASE_DIR)

    def stop(self):
        from .models import WorkerBeat

        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        WorkerBeat.objects.filter(worker_id=self.worker_id).delete()


def reap() -> int:
    """Fail every running task whose worker is gone, and its job row; fail orphaned job rows. Returns how many."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from .models import WorkerBeat

    reaped = 0
    running = list(DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only("id", "worker_ids", "args_kwargs"))
    if running:
        beats = dict(WorkerBeat.objects.values_list("worker_id", "beat_at"))
        for result in running:
            worker_id = result.worker_ids[-1] if result.worker_ids else ""
            if worker_alive(worker_id, beats):
                continue
            with transaction.atomic():
                locked = (DBTaskResult.objects.select_for_update(skip_locked=True)
                          .filter(pk=result.pk, status=TaskResultStatus.RUNNING).first())
                if locked is None:
                    continue
                locked.set_failed(WorkerLost(f"worker {worker_id} stopped while running this task"))
            reaped += 1
            _fail_job_of(locked.args_kwargs.get("args") or [])
    reaped += _reap_orphans()
    WorkerBeat.objects.filter(beat_at__lt=timezone.now() - datetime.timedelta(days=1)).delete()
    return reaped


def _fail_job_of(args: list) -> None:
    if len(args) < 4:
        return
    label, pk, _func, fail_path = args[:4]
    try:
        model = apps.get_model(label)
        job = model.objects.filter(pk=pk, finished_at__isnull=True).first()
        if job is None:
            return
        exc = WorkerLost("the worker running this job stopped")
        (import_string(fail_path) if fail_path else fail_row)(job, exc)
    except Exception:  # noqa: BLE001 — the task is failed already; the row is retried by the orphan pass
        log.exception("could not mark job %s #%s failed", label, pk)


def _reap_orphans() -> int:
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - datetime.timedelta(seconds=GRACE)
    candidates = []
    for label in JOB_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        candidates += [(label, job) for job in model.objects.filter(finished_at__isnull=True, started_at__lt=cutoff)]
    if not candidates:
        return 0
    active = {tuple(r["args"][:2]) for r in DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).values_list("args_kwargs", flat=True)
        if len(r.get("args") or []) >= 2}
    n = 0
    for label, job in candidates:
        if (label, job.pk) not in active:
            fail_row(job, None, "interrupted: no worker is running this job any more")
            n += 1
    return n
