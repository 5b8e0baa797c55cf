"""gunicorn settings for Aimaq (``config.wsgi``), behind a reverse proxy that terminates HTTPS.

    gunicorn -c deploy/gunicorn.conf.py            # systemd: deploy/aimaq.service.example

Every value can be overridden from the environment (``GUNICORN_*``, see deploy/env.example) or on the
command line (command-line options win over this file).

Worker class: **sync** by default. The pages are short and CPU-bound (templates, forms) with a few
sub-millisecond queries to PostgreSQL on the local network, and nginx in front buffers slow clients, so a
worker is never held by a slow connection. One request per process keeps the accounting simple: one
persistent PostgreSQL connection per worker (CONN_MAX_AGE), one in-flight request lost if a worker dies
(``kill -9``, OOM killer), and the kernel hands each new connection to whichever worker is free. ``gthread``
(``GUNICORN_WORKER_CLASS=gthread GUNICORN_THREADS=4``) helps only when requests wait on slow I/O; it needs
workers × threads PostgreSQL connections. Workers: 2 × CPUs + 1 by default.

``preload_app``: the Django application *and its URLconf* (which imports pandas/scipy through the map pages,
~5 s) are loaded once in the master; workers are forked from it in milliseconds. A worker that dies is
therefore replaced at once, and memory is shared copy-on-write. The price: new code needs a full restart
(``systemctl restart aimaq``), not a HUP.
"""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


chdir = os.environ.get("AIMAQ_ROOT", str(Path(__file__).resolve().parents[1]))
wsgi_app = "config.wsgi:application"
proc_name = "aimaq"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001").split(",")
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = _int("GUNICORN_THREADS", 1)
backlog = _int("GUNICORN_BACKLOG", 2048)

# A request that takes longer than this is killed (the worker is replaced); page and API requests take
# milliseconds, uploads and imports run as background jobs with progress pages.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # gthread only; sync workers close after each response

# Background jobs run in separate worker processes (deploy/aimaq-worker.service.example), so web workers may be
# recycled: after ~5000 requests each, with jitter so that they do not all restart at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 500)

preload_app = _bool("GUNICORN_PRELOAD", True)
# Heartbeat files on tmpfs: a worker blocked on a slow disk is not mistaken for a hung one.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Only the reverse proxy may set X-Forwarded-For/-Proto for gunicorn's own logging and wsgi.url_scheme;
# Django reads X-Forwarded-Proto itself (SECURE_PROXY_SSL_HEADER), so the proxy must always overwrite it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn >= 25.1 opens a control socket for `gunicornc`, by default $XDG_RUNTIME_DIR/gunicorn.ctl or
# ~/.gunicorn/gunicorn.ctl: one path per user, so two instances of the same user would fight over it, and
# under systemd's ProtectHome= the home directory is not writable. Off unless a path is given (the systemd
# unit gives /run/aimaq/gunicorn.ctl via RuntimeDirectory=). Older gunicorns ignore these two names.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# %(M)s: request time in milliseconds; %({x-forwarded-for}i): the client behind the proxy.
access_log_format = '%({x-forwarded-for}i)s %(h)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def when_ready(server):
    """With preload_app, finish loading Django in the master so that every forked worker starts warm."""
    if not server.cfg.preload_app:
        return
    from django.db import connections
    from django.urls import get_resolver
    from django.utils import translation

    _ = get_resolver().url_patterns  # imports every view module (geo.maps pulls in pandas/scipy)
    for language in ("kk", "ru", "en"):
        with translation.override(language):
            translation.gettext("Home")  # loads the compiled catalogs once
    # Nothing above should have touched the database; make sure no connection is inherited by the workers.
    connections.close_all()
    server.log.info("Django loaded in the master (URLconf, catalogs); forking workers")
