"""``manage.py job_heartbeat WORKER_ID --parent PID``: the heartbeat process of one job worker.

Started by :class:`jobs.runner.Heartbeat` beside a worker (``run_worker``) or a command that runs a job in its own
process (``import_opensdg``, ``import_settlements``). Every :data:`jobs.runner.BEAT` seconds it writes the worker's
beat and, unless ``--no-reap``, fails the tasks of workers that are gone. When its parent ends — stopped, or killed
with ``kill -9`` — it reaps once more, so the parent's unfinished job is failed at once, and exits.
"""
import logging
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from jobs import runner

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Heartbeat of one job worker (started by the worker itself; not run by hand)"

    def add_arguments(self, parser):
        parser.add_argument("worker_id")
        parser.add_argument("--parent", type=int, required=True, help="the worker's process id")
        parser.add_argument("--database-name", default="", help="the worker's database (a test database, say)")
        parser.add_argument("--no-reap", action="store_true", help="only beat; reap only when the parent is gone")

    def handle(self, *args, worker_id, parent, database_name, no_reap, **options):
        if database_name:  # before the first query: connections open lazily
            connections["default"].settings_dict["NAME"] = database_name
        while runner.pid_alive(parent):
            self._safely(runner.beat, worker_id)
            if not no_reap:
                self._safely(runner.reap)
            connections.close_all()
            time.sleep(runner.BEAT)
        self._safely(runner.reap)  # the worker is gone: its task and job row are failed now

    @staticmethod
    def _safely(func, *args):
        try:
            func(*args)
        except DatabaseError:  # e.g. SQLite busy while a job holds the file; the next beat tries again
            log.warning("job heartbeat: %s failed", func.__name__, exc_info=True)
