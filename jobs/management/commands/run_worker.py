"""``manage.py run_worker``: django-tasks-db's ``db_worker`` with a lease — a heartbeat and the reaper.

The worker id is ``host:pid:random`` so that the reaper can tell at once when the process is gone; every few
seconds its heartbeat process (``job_heartbeat``) writes the worker's beat and fails the tasks (and job rows)
of workers that are gone.
"""
import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from jobs import runner


class Command(DbWorkerCommand):
    help = "Run a background worker for the job queue (with a heartbeat and the reaper of dead workers' jobs)"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(worker_id=None)

    def handle(self, *args, worker_id=None, **options):
        if options.get("reload") and not options.get("batch") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            return super().handle(*args, worker_id=worker_id or runner.new_worker_id(), **options)  # the reloader
        worker_id = worker_id or runner.new_worker_id()
        heartbeat = runner.Heartbeat(worker_id)
        heartbeat.start()
        runner.reap()
        try:
            return super().handle(*args, worker_id=worker_id, **options)
        finally:
            heartbeat.stop()
