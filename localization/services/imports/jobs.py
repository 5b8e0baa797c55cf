"""Imports on the task queue (:mod:`jobs.runner`) or in this process as a worker would run them."""
from __future__ import annotations

import shutil
from pathlib import Path

from django.utils import timezone

from jobs import runner

from ...models import ImportRun
from .common import log
from .repository import import_repository


def start_import(run: ImportRun, root: Path, *, cleanup: Path | None = None, duplicates: str | None = None):
    """Queue :func:`import_repository` for ``run`` on the task queue (a worker process runs it, see
    :mod:`jobs.runner`). ``cleanup``: a temporary folder to delete afterwards (it must be on storage the workers
    share with the web server); ``duplicates``: as for :func:`import_repository`."""
    return runner.enqueue(run, import_job, root, cleanup=cleanup, duplicates=duplicates, fail=import_failed)


def run_import_here(run: ImportRun, root: Path, *, only=None, duplicates: str | None = None,
                    skip_unchanged: bool = True) -> ImportRun:
    """Run the import of ``run`` in this process (the command line) as a worker would: one transaction, a lease,
    and the run marked failed at once if the process is killed."""
    runner.run_here(run, import_job, root, only=list(only) if only else None, duplicates=duplicates,
                    skip_unchanged=skip_unchanged, fail=import_failed)
    run.refresh_from_db()
    return run


def import_job(run: ImportRun, root, *, cleanup=None, duplicates: str | None = None, only=None,
               skip_unchanged: bool = True) -> None:
    """The job: the whole import in the job's transaction (a killed worker leaves the data as before)."""
    try:
        import_repository(Path(root), run=run, user=run.user, duplicates=duplicates, only=only,
                          skip_unchanged=skip_unchanged)
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)


def import_failed(run: ImportRun, exc: BaseException) -> None:
    """A crashed or killed import: its transaction was rolled back, so nothing it counted was kept."""
    if isinstance(exc, runner.WorkerLost):
        log.error("import run %s: its worker stopped", run.pk)
        message = f"{run.source}:0: the import was interrupted (its worker stopped); nothing from it was kept"
    else:
        message = f"{run.source}:0: the import stopped on an internal error; nothing from it was kept"
    ImportRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
        status=ImportRun.Status.FAILED, finished_at=timezone.now(), files_done=0, rows_created=0, rows_updated=0,
        rows_unchanged=0, files_failed=max(run.files_failed, 1), errors=list(run.errors or []) + [message])
