"""Running one job (in a worker, or in the process of a command): ``func(job, *args)`` in ONE transaction, in the
language of whoever started it; progress through a second connection of the same thread (PostgreSQL) so the pages
see it while the job's writes are uncommitted; the final status after the commit; a failure recorded on the job
row after the rollback. Queueing, leases and the reaper are in :mod:`jobs.runner`."""
from __future__ import annotations

import base64
import contextvars
import logging
from contextlib import contextmanager

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models.sql import UpdateQuery
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import override

log = logging.getLogger("jobs.runner")

#: Fields written after the job's transaction commits (so that "done" never precedes the data).
FINAL_FIELDS = ("status", "finished_at")


def _decode(value):
    if isinstance(value, dict) and set(value) == {"__bytes__"}:
        return base64.b64decode(value["__bytes__"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class _Context:
    def __init__(self, model, pk, side: bool):
        self.key = (model, pk)
        self.deferred: dict = {}
        self.side = _SideConnection() if side else None


_JOB: contextvars.ContextVar[_Context | None] = contextvars.ContextVar("aimaq_job", default=None)


def _current() -> _Context | None:
    return _JOB.get()


class _SideConnection:
    """A second database connection of this process, in autocommit, for the progress the pages must see while the
    job's own transaction is still open (PostgreSQL). Same thread, no queue: each update is one statement."""

    def __init__(self):
        self.connection = connections.create_connection(DEFAULT_DB_ALIAS)

    def update(self, model, pk, fields):
        query = model.objects.filter(pk=pk).query.chain(UpdateQuery)
        query.add_update_values(fields)
        sql, params = query.get_compiler(connection=self.connection).as_sql()
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)
        except DatabaseError:  # progress is best effort; the final status is written after the commit
            log.exception("progress of %s #%s not written", model.__name__, pk)

    def close(self):
        self.connection.close()


def update_row(obj, **fields) -> None:
    """Set ``fields`` on a job row, in memory and in the database — visible to the progress pages at once when
    the job runs in a worker on PostgreSQL; its final status only once the job's writes are committed."""
    for key, value in fields.items():
        setattr(obj, key, value)
    ctx = _current()
    if ctx is not None and ctx.key == (type(obj), obj.pk):
        if "finished_at" in fields:  # the final status: written after the commit
            for key in FINAL_FIELDS:
                if key in fields:
                    ctx.deferred[key] = fields.pop(key)
        if not fields:
            return
        if ctx.side is not None:
            ctx.side.update(type(obj), obj.pk, fields)
            return
    type(obj).objects.filter(pk=obj.pk).update(**fields)


@contextmanager
def _job_context(model, pk):
    side = connection.vendor == "postgresql" and not connection.in_atomic_block
    ctx = _Context(model, pk, side)
    token = _JOB.set(ctx)
    try:
        yield ctx
    finally:
        _JOB.reset(token)
        if ctx.side is not None:
            ctx.side.close()


def execute(label: str, pk: int, func_path: str, fail_path: str, args: list, kwargs: dict, lang: str):
    """The body of every job task: ``func(job, *args, **kwargs)`` in one transaction, in the starter's language."""
    model = apps.get_model(label)
    func = import_string(func_path)
    fail = import_string(fail_path) if fail_path else None
    args, kwargs = _decode(args), {k: _decode(v) for k, v in kwargs.items()}
    with override(lang):
        job = model.objects.get(pk=pk)
        with _job_context(model, pk) as ctx:
            try:
                with transaction.atomic():
                    func(job, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 — every failure is recorded on the job row
                log.exception("job %s #%s failed", label, pk)
                ctx.deferred.clear()
                _JOB.set(None)
                job = model.objects.get(pk=pk)
                (fail or fail_row)(job, exc)
                return "failed"
        if ctx.deferred:
            model.objects.filter(pk=pk).update(**ctx.deferred)
        return "done"


def fail_row(job, exc: BaseException | None, message: str = "") -> None:
    """Mark an unfinished job row failed, with ``message`` (default: the exception's ``job_message``, else the
    exception itself) added to its errors."""
    model = type(job)
    text = message or getattr(exc, "job_message", "") or f"{exc.__class__.__name__}: {exc}"[:500]
    model.objects.filter(pk=job.pk, finished_at__isnull=True).update(
        status=model.Status.FAILED, finished_at=timezone.now(), errors=list(job.errors or []) + [text])
