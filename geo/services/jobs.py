"""Background jobs with progress (recomputations, settlement imports) through :mod:`jobs.runner`."""
from __future__ import annotations

from django.utils import timezone
from django.utils.module_loading import import_string

from jobs import runner


# ---------------------------------------------------------------------------------------------------------------
# background jobs with progress


def _set(job, **fields) -> None:
    # In a job, progress is visible at once and the final status only after the commit (jobs.runner).
    runner.update_row(job, **fields)


def run_job(job, func, *args) -> None:
    """Queue ``func(job, *args)`` on the task queue: a worker process runs it in one transaction, in the
    language of whoever started it (:mod:`jobs.runner`)."""
    runner.enqueue(job, _job_body, f"{func.__module__}.{func.__qualname__}", *args, fail=runner.fail_row)


def run_job_here(job, func, *args) -> None:
    """Run a job in this process (a command) as a worker would: one transaction, a lease (jobs.runner)."""
    runner.run_here(job, _job_body, f"{func.__module__}.{func.__qualname__}", *args, fail=runner.fail_row)
    job.refresh_from_db()


def _job_body(job, func_path: str, *args) -> None:
    model = type(job)
    _set(job, status=model.Status.RUNNING)
    import_string(func_path)(job, *args)
    _set(job, status=model.Status.FAILED if job.errors and not job.done else model.Status.DONE,
         finished_at=timezone.now(), message="")


def expire_stale(job) -> None:
    """Fail the jobs whose worker is gone (:func:`jobs.runner.reap`) and show this job as it now stands."""
    if not job.finished:
        runner.reap()
        job.refresh_from_db()
