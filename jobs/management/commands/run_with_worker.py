"""``manage.py run_with_worker [addr:port]``: the development server and a job worker, started and stopped together.

``make run`` uses it so that one command serves the demo with its background jobs (imports, recomputations,
notifications). Ctrl-C (or SIGTERM) stops both; if either stops on its own, the other is stopped too.
"""
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the development server and a background job worker together (Ctrl-C stops both)"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=1, help="job worker processes (default 1)")

    def handle(self, *args, addrport, workers, **options):
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        children = [subprocess.Popen([*manage, "run_worker", "--no-reload"]) for _ in range(workers)]
        children.append(subprocess.Popen([*manage, "runserver", addrport]))
        self.stdout.write(f"server on http://{addrport}/ and {workers} job worker(s); Ctrl-C stops them all")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.3)
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 15
            for child in children:
                try:
                    child.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        return None
