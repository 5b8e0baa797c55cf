from django.db import models


class WorkerBeat(models.Model):
    """A worker process that is alive: it writes ``beat_at`` every few seconds (see :mod:`jobs.runner`)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.worker_id
