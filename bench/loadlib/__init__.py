"""Shared machinery of the load and fault benches: scratch database, voters, gunicorn, HTTP voters, checks.

Where things live (each module imports only the ones above it):

  system.py  paths, PostgreSQL/Redis constants, log, ports, percentiles, CPU of processes and of the machine
  world.py   Resident, World, Bench (scratch database, Django, data, gunicorn, Redis; cleanup)
  voter.py   the HTTP voter: Client, cast, run_load, LoadResult
  report.py  print_load_report, timeline, verify_db, finish, measure_logins

The bench scripts put bench/ on sys.path and import from the submodules (``from loadlib.world import Bench``).

Everything runs on loopback: gunicorn on 127.0.0.1:<free port>, PostgreSQL 127.0.0.1:5432 (scratch database
``aimaq_bench``, created and dropped here), Redis 127.0.0.1:6379 database 7 (cache and sessions; flushed
before and after). Used by bench/load_vote.py, bench/fault_kill_worker.py, bench/fault_pg_restart.py and
bench/bench_ballot_insert.py; not a script itself.

Settings are the production ones (PRODUCTION=1: manifest static files, Redis sessions, CONN_MAX_AGE with
health checks) with plain HTTP, because there is no TLS proxy in front: SECURE_SSL_REDIRECT=0,
SESSION_COOKIE_SECURE=0, CSRF_COOKIE_SECURE=0, SECURE_HSTS_SECONDS=0.

gunicorn runs with deploy/gunicorn.conf.py: 4 **sync** workers (BENCH_WORKERS, BENCH_WORKER_CLASS,
BENCH_THREADS override), preloaded app. Why sync: see deploy/gunicorn.conf.py.

Voters. N residents (users with a resident profile whose IIN hash comes from budget.services.hash_iin, i.e.
HMAC with settings.IIN_HASH_KEY; valid IINs from budget.core.iin.make_valid_iin) are bulk-created, and each gets
a signed-in session in Redis exactly as ``django.contrib.auth.login`` leaves it (user id, backend, session
auth hash). A virtual voter takes the next fresh resident, presents that session cookie and, for each bucket,
does what a browser does: GET the ballot page (CSRF token, candidate projects), POST the form, follow the
302 to the confirmation page. Sign-in through the login form costs one PBKDF2 password check (Django's
default 1,000,000 iterations), so it is measured separately (:func:`measure_logins`) instead of making the
vote figures a measure of password hashing.

Bounded: every bench has a hard alarm (SIGALRM), every load loop a deadline and a maximum count, every
request a socket timeout. Cleanup (gunicorn's process group, scratch database, Redis db 7, temp files) runs
in ``finally``, at exit and on SIGINT/SIGTERM.
"""
