"""Shared machinery of the load and fault benches: scratch database, voters, gunicorn, HTTP voters, checks.

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
from __future__ import annotations

import atexit
import datetime as dt
import fcntl
import http.client
import ipaddress
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin" if (ROOT / ".venv" / "bin" / "gunicorn").exists() else Path(sys.executable).parent

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
BENCH_DB = "aimaq_bench"
REDIS_URL = "redis://127.0.0.1:6379/7"
LANG = "kk"  # the default language; every page is under /kk/
PASSWORD = "bench-voter-password-not-secret"
LOCK_PATH = Path(tempfile.gettempdir()) / "aimaq_bench.lock"


def log(message: str) -> None:
    print(message, flush=True)


def assert_loopback(host: str) -> None:
    address = ipaddress.ip_address(socket.gethostbyname(host))
    if not address.is_loopback:
        raise SystemExit(f"refusing to target {host} ({address}): the benches run on loopback only")


def pg_url(dbname: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True,
                         connect_timeout=10) as conn:
        conn.execute(sql)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 if empty)."""
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def cpu_by_pid(pids) -> dict[int, float]:
    """utime + stime (seconds) of each live process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return found


class CpuSampler:
    """CPU seconds used by a changing set of processes, sampled every ``interval`` s in a thread.

    A process that exits between two samples keeps what it had used at the last sample: PostgreSQL backends
    come and go (CONN_MAX_AGE closes a worker's connection after 60 s, raw phases connect and disconnect), and
    a killed gunicorn worker takes its CPU time with it.
    """

    def __init__(self, pids, interval: float = 1.0):
        self.pids = pids
        self.interval = interval
        self.before = cpu_by_pid(pids())
        self.last = dict(self.before)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        for pid, value in cpu_by_pid(self.pids()).items():
            self.last[pid] = max(self.last.get(pid, 0.0), value)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample()
        return sum(value - self.before.get(pid, 0.0) for pid, value in self.last.items())


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat (steal counts as busy)."""
    tick = os.sysconf("SC_CLK_TCK")
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / tick, sum(values) / tick


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def children_of(ppid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == ppid:
                found.append(int(entry.name))
    return sorted(found)


def postgres_pids(dbname: str | None = BENCH_DB) -> list[int]:
    """PostgreSQL processes serving ``dbname`` plus the server's own background processes (WAL writer,
    checkpointer, autovacuum launcher...), so that other databases' sessions on a shared server are not counted.
    All ``postgres`` processes if the server cannot be asked (e.g. while it restarts)."""
    if dbname:
        try:
            import psycopg

            with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True,
                                 connect_timeout=3) as conn:
                return [pid for (pid,) in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE (datname = %s OR datname IS NULL) "
                    "AND pid <> pg_backend_pid()", [dbname])]
        except Exception:  # noqa: BLE001
            pass
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


# --------------------------------------------------------------------------------------------------- world

@dataclass
class Resident:
    index: int
    user_id: int
    username: str
    iin_hash: str
    session_key: str = ""


@dataclass
class World:
    cycle_id: int
    district_id: int
    buckets: dict[int, list[int]]  # bucket id -> admitted proposal ids
    max_choices: int
    residents: list[Resident]


class Bench:
    """One bench run: scratch DB + data + gunicorn, torn down whatever happens. Use as a context manager."""

    def __init__(self, title: str, *, residents: int = 8000, hard_limit: int = 165, db_name: str = BENCH_DB,
                 workers: int | None = None, worker_class: str | None = None, threads: int | None = None,
                 gunicorn: bool = True):
        self.title = title
        self.n_residents = residents
        self.hard_limit = hard_limit
        self.db_name = db_name
        self.workers = workers or int(os.environ.get("BENCH_WORKERS", "4"))
        self.worker_class = worker_class or os.environ.get("BENCH_WORKER_CLASS", "sync")
        self.threads = threads or int(os.environ.get("BENCH_THREADS", "1"))
        self.want_gunicorn = gunicorn
        self.t0 = time.monotonic()
        self.tmp = Path(tempfile.mkdtemp(prefix="aimaq_bench_"))
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.master_pid = 0
        self.env: dict[str, str] = {}
        self.world: World | None = None
        self._lock_file = None
        self._cleaned = False
        self._db_created = False

    # -- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> "Bench":
        self._lock()
        atexit.register(self.cleanup)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        signal.signal(signal.SIGALRM, self._on_alarm)
        signal.alarm(self.hard_limit)
        log(f"== {self.title}")
        self._configure_env()
        self._create_db()
        static = self._collectstatic_start() if self.want_gunicorn else None  # overlaps with migrate
        self._setup_django()
        self._migrate()
        if static is not None:
            self._collectstatic_finish(static)
            self.start_gunicorn(wait=False)  # boots (preload ~5-10 s) while the voters are created
        self.world = self._prepare()
        if self.want_gunicorn:
            self.wait_gunicorn()
        log(f"   ready after {self.elapsed():.1f} s")
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def remaining(self) -> float:
        """Seconds left before the hard limit (cleanup needs ~10 s of it)."""
        return self.hard_limit - self.elapsed()

    def _on_signal(self, signum, frame):
        raise SystemExit(f"interrupted by signal {signum}")

    def _on_alarm(self, signum, frame):
        raise TimeoutError(f"{self.title}: hard limit of {self.hard_limit} s reached")

    def _lock(self) -> None:
        self._lock_file = open(LOCK_PATH, "w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"another bench is running (lock {LOCK_PATH})") from None

    def cleanup(self) -> None:
        if self._cleaned:
            return
        self._cleaned = True
        signal.alarm(0)
        self.stop_gunicorn()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - the connection may be broken (PostgreSQL restart bench)
            pass
        if self._db_created:
            for attempt in range(10):
                try:
                    pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
                    break
                except Exception as exc:  # noqa: BLE001 - PostgreSQL may still be starting after a restart
                    if attempt == 9:
                        log(f"   could not drop {self.db_name}: {exc}")
                    time.sleep(1)
        try:
            import redis

            redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()
        except Exception as exc:  # noqa: BLE001
            log(f"   could not flush Redis db 7: {exc}")
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self._lock_file:
            self._lock_file.close()
        log(f"   cleaned up (gunicorn stopped, {self.db_name} dropped, Redis db 7 flushed) after {self.elapsed():.1f} s")

    # -- environment, database, Django ---------------------------------------------------------------------
    def _configure_env(self) -> None:
        assert_loopback(PG_HOST)
        env = {
            "PRODUCTION": "1",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "IIN_HASH_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": "",
            "DATABASE_URL": pg_url(self.db_name),
            "REDIS_URL": REDIS_URL,
            "CONN_MAX_AGE": os.environ.get("BENCH_CONN_MAX_AGE", "60"),
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(self.tmp / "static"),
            "MEDIA_ROOT": str(self.tmp / "media"),
            "LOG_LEVEL": "ERROR",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        os.environ.update(env)
        self.env = dict(os.environ)
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()

    def _create_db(self) -> None:
        pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        pg_admin(f'CREATE DATABASE "{self.db_name}"')
        self._db_created = True

    def _setup_django(self) -> None:
        import django

        django.setup()

    def _migrate(self) -> None:
        from django.core.management import call_command

        t = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        log(f"   migrated {self.db_name} in {time.monotonic() - t:.1f} s")

    def _collectstatic_cmd(self) -> list[str]:
        return [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"]

    def _collectstatic_start(self) -> subprocess.Popen:
        self._static_t = time.monotonic()
        return subprocess.Popen(self._collectstatic_cmd(), cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def _collectstatic_finish(self, proc: subprocess.Popen) -> None:
        out, _ = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise RuntimeError("collectstatic failed with the production settings:\n" + out[-2000:])
        log(f"   collectstatic done {time.monotonic() - self._static_t:.1f} s after it started")

    # -- data --------------------------------------------------------------------------------------------------
    def _prepare(self) -> World:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password
        from django.contrib.sessions.backends.cache import KEY_PREFIX
        from django.core.cache import caches
        from django.utils import timezone
        from django.utils.crypto import get_random_string

        from budget.core.iin import make_valid_iin
        from budget.demo import schedule
        from budget.models import Bucket, Category, Cycle, Proposal, ResidentProfile, Stage
        from budget.services import hash_iin
        from localization.models import District, Region

        t = time.monotonic()
        User = get_user_model()
        region = Region.objects.create(
            kato="990000000", iso_code="KZ-99", ref_area="KZ99", pcode="KZ99", kind=Region.Kind.CITY,
            name_kk="Bench city", name_ru="Bench city", name_en="Bench city",
        )
        district = District.objects.create(
            kato="991010000", pcode="KZ9901", region=region,
            name_kk="Bench district", name_ru="Bench district", name_en="Bench district",
        )
        officer = User.objects.create_user(username="bench-officer", password=None, role="akimat", region=region,
                                           district=district)
        cycle = Cycle(
            name_kk="Bench cycle", name_ru="Bench cycle", name_en="Bench cycle", district=district, year=2026,
            mrp=4325, total_money=300_000_000, cap_unit=Cycle.CapUnit.MRP, cap_amount=15_000,
            ballot_rule=Cycle.BallotRule.APPROVAL, max_choices=2, vote_changeable=False,
            counting_rule=Cycle.CountingRule.GREEDY, **schedule(Stage.REREVIEW),
        )
        cycle.full_clean()
        cycle.save()
        buckets: dict[int, list[int]] = {}
        for b, money in enumerate((120_000_000, 180_000_000)):
            bucket = Bucket.objects.create(cycle=cycle, name_kk=f"Bench bucket {b + 1}", name_ru=f"Bench bucket {b + 1}",
                                           name_en=f"Bench bucket {b + 1}", money=money)
            ids = []
            for p in range(3):
                ids.append(Proposal.objects.create(
                    cycle=cycle, bucket=bucket, author=officer, title=f"Bench project {b + 1}.{p + 1}",
                    description="Synthetic project of the load bench.", category=Category.PLAYGROUNDS,
                    address="Bench address", lat=51.1, lon=71.4, apartments=50, estimated_cost=20_000_000 + p * 5_000_000,
                    status=Proposal.Status.ADMITTED,
                ).pk)
            buckets[bucket.pk] = ids
        Cycle.objects.filter(pk=cycle.pk).update(**schedule(Stage.VOTING), frozen_at=timezone.now())
        cycle.refresh_from_db()
        assert cycle.stage() == Stage.VOTING, cycle.stage()

        password = make_password(PASSWORD)  # one PBKDF2 for all: they share the password (and its salt)
        users = [User(username=f"bench-voter-{i:05d}", password=password, role="resident", is_active=True)
                 for i in range(self.n_residents)]
        User.objects.bulk_create(users, batch_size=2000)
        profiles, seen, residents = [], set(), []
        for i, user in enumerate(users):
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=37 * (i // 1000))
            sex = "M" if i % 2 else "F"
            iin = make_valid_iin(birth, sex, i % 1000)
            assert iin not in seen
            seen.add(iin)
            digest = hash_iin(iin)
            profiles.append(ResidentProfile(user_id=user.pk, iin_hash=digest, birth_date=birth, sex=sex,
                                            district=district, language="kk", verified_at=timezone.now(),
                                            verification_method="in_person"))  # cycles require verification
            residents.append(Resident(i, user.pk, user.username, digest))
        ResidentProfile.objects.bulk_create(profiles, batch_size=2000)

        # Signed-in sessions, as django.contrib.auth.login leaves them (cache session backend -> Redis db 7).
        auth_hash = users[0].get_session_auth_hash()  # depends only on the (shared) password hash
        backend = "django.contrib.auth.backends.ModelBackend"
        cache = caches[settings.SESSION_CACHE_ALIAS]
        chunk: dict[str, dict] = {}
        for r in residents:
            r.session_key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
            chunk[KEY_PREFIX + r.session_key] = {"_auth_user_id": str(r.user_id), "_auth_user_backend": backend,
                                                "_auth_user_hash": auth_hash}
            if len(chunk) >= 2000:
                cache.set_many(chunk, timeout=3600)
                chunk = {}
        if chunk:
            cache.set_many(chunk, timeout=3600)
        from django.contrib.sessions.backends.cache import SessionStore

        assert SessionStore(residents[-1].session_key).load().get("_auth_user_id") == str(residents[-1].user_id)
        log(f"   prepared {len(residents)} residents with sessions, cycle #{cycle.pk} (voting, k=2, votes final), "
            f"{len(buckets)} buckets x 3 projects in {time.monotonic() - t:.1f} s")
        return World(cycle.pk, district.pk, buckets, cycle.max_choices, residents)

    # -- gunicorn ----------------------------------------------------------------------------------------------
    def start_gunicorn(self, wait: bool = True) -> None:
        self._gunicorn_t = time.monotonic()
        self.port = free_port()
        env = dict(self.env)
        env.update({
            "GUNICORN_ACCESSLOG": str(self.tmp / "access.log"),
            "GUNICORN_ERRORLOG": str(self.tmp / "gunicorn.log"),
            "GUNICORN_MAX_REQUESTS": "0",  # no recycling during a measurement
            "GUNICORN_LOGLEVEL": "info",
        })
        cmd = [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
               "--worker-class", self.worker_class, "--threads", str(self.threads)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True,
                                     stdout=open(self.tmp / "gunicorn.out", "w"), stderr=subprocess.STDOUT)
        self.master_pid = self.proc.pid
        if wait:
            self.wait_gunicorn()

    def wait_gunicorn(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.gunicorn_log_tail()}")
            if len(self.worker_pids()) == self.workers:
                try:
                    status = http_get_status(self.port, f"/{LANG}/budget/")
                    if status == 200:
                        break
                except OSError:
                    pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not become ready in 60 s:\n{self.gunicorn_log_tail()}")
        # Warm every worker's persistent connection and templates a little (not measured).
        for _ in range(self.workers * 3):
            http_get_status(self.port, f"/{LANG}/budget/")
        log(f"   gunicorn ({self.workers} {self.worker_class} workers"
            f"{f' x {self.threads} threads' if self.threads > 1 else ''}, preload) "
            f"on 127.0.0.1:{self.port}, pids {self.master_pid} -> {self.worker_pids()}, up in {time.monotonic() - self._gunicorn_t:.1f} s")

    def worker_pids(self) -> list[int]:
        return children_of(self.master_pid) if self.master_pid else []

    def gunicorn_log_tail(self, lines: int = 15) -> str:
        text = ""
        for name in ("gunicorn.out", "gunicorn.log"):
            path = self.tmp / name
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def gunicorn_log_grep(self, pattern: str) -> list[str]:
        path = self.tmp / "gunicorn.log"
        if not path.exists():
            return []
        return [line for line in path.read_text(errors="replace").splitlines() if re.search(pattern, line)]

    def stop_gunicorn(self) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass


def http_get_status(port: int, path: str, timeout: float = 10) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------------- HTTP voter

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHOICE_RE = re.compile(r'name="choices" value="(\d+)"')


class Failure(Exception):
    """A request that got no HTTP response (connection refused/reset, timeout)."""


@dataclass
class Req:
    phase: str  # form | vote | confirm | login_form | login
    status: int | str  # HTTP status, or "conn:<Exception>"
    start: float  # seconds since the load started
    latency: float


@dataclass
class BallotRecord:
    resident: int
    bucket_id: int
    choices: tuple[int, ...]
    outcome: str = "not_sent"  # confirmed | refused | refused_after_failure | failed | not_sent
    attempts: int = 0
    post_failures: int = 0  # POSTs without a usable answer (5xx or no response): may or may not be stored
    start: float = 0.0
    latency: float = 0.0  # GET form + POST (+ retries) until the 302


class Client:
    """One browser: a keep-alive HTTP/1.1 connection (re-opened when the server closes it) and a cookie jar."""

    def __init__(self, port: int, timeout: float, t0: float, log_to: list[Req]):
        self.port = port
        self.timeout = timeout
        self.t0 = t0
        self.reqs = log_to
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, phase: str, method: str, path: str, form: list[tuple[str, str]] | None = None):
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": LANG, "User-Agent": "aimaq-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            start = time.monotonic()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                # A kept-alive connection the server had already closed: nothing was processed; retry a GET once.
                if reused and method == "GET" and attempt == 1 and isinstance(
                        exc, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)):
                    continue
                self.reqs.append(Req(phase, f"conn:{type(exc).__name__}", start - self.t0, time.monotonic() - start))
                raise Failure(type(exc).__name__) from None
            latency = time.monotonic() - start
            if resp.will_close:
                self.close()
            for header in resp.msg.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel.value == "" or morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            self.reqs.append(Req(phase, resp.status, start - self.t0, latency))
            return resp.status, resp.getheader("Location", ""), data.decode("utf-8", "replace")
        raise AssertionError("unreachable")


def cast(client: Client, bucket_id: int, choices: tuple[int, ...], record: BallotRecord, *, retries: int,
         backoff: float, confirm: bool, deadline_hard: float, confirm_until: float = float("inf")) -> None:
    """GET the ballot page, POST the choices, follow the 302; on 5xx/no answer retry like an impatient user."""
    path = f"/{LANG}/budget/buckets/{bucket_id}/vote/"
    token = None
    began = time.monotonic()
    record.start = began - client.t0
    for attempt in range(1 + retries):
        if attempt:
            if time.monotonic() + backoff * attempt > deadline_hard:
                break
            time.sleep(backoff * attempt)
        record.attempts = attempt + 1
        if token is None:
            try:
                status, _loc, page = client.request("form", "GET", path)
            except Failure:
                continue
            if status != 200:
                continue
            found = TOKEN_RE.search(page)
            if not found:
                # No form: already voted (an earlier POST was stored) or voting problem; the DB check decides.
                record.outcome = "refused_after_failure" if record.post_failures else "refused"
                return
            token = found.group(1)
        form = [("csrfmiddlewaretoken", token)] + [("choices", str(c)) for c in choices]
        try:
            status, location, _page = client.request("vote", "POST", path, form)
        except Failure:
            record.post_failures += 1
            continue
        if status == 302 and location.endswith(path):
            record.outcome = "confirmed"
            record.latency = time.monotonic() - began
            if confirm and time.monotonic() < confirm_until:
                try:
                    client.request("confirm", "GET", location)
                except Failure:
                    pass
            return
        if status == 200:  # the form came back with an error: for a fresh voter only "already voted" is possible
            record.outcome = "refused_after_failure" if record.post_failures else "refused"
            return
        if status == 403:  # CSRF failure etc.: a bug, not a fault to ride out
            record.outcome = "forbidden"
            return
        record.post_failures += 1  # 5xx: the transaction may have been rolled back, or not have started
    record.outcome = "failed"


@dataclass
class LoadResult:
    duration: float
    wall: float
    reqs: list[Req]
    ballots: list[BallotRecord]
    events: list[tuple[float, str]] = field(default_factory=list)
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    postgres_cpu: float = 0.0
    machine_busy: float = 0.0
    loadavg_before: str = ""


def run_load(bench: Bench, *, voters: int, duration: float, max_ballots: int, retries: int = 0,
             backoff: float = 1.0, confirm: bool = True, timeout: float = 30.0, actions=(),
             seed: int = 1, residents: list[Resident] | None = None) -> LoadResult:
    """``voters`` virtual voters for ``duration`` seconds (no new ballot starts after it; at most ``max_ballots``).

    ``actions``: [(seconds after start, callable(log_event) -> None)], run in a side thread (faults).
    """
    world = bench.world
    assert world is not None
    residents = iter(world.residents if residents is None else residents)
    take_lock = threading.Lock()
    started = Counter()
    t0 = time.monotonic()
    deadline = t0 + duration
    hard = deadline + timeout + 10 * (retries + 1)  # retries of a ballot started before the deadline may run on
    per_thread_reqs: list[list[Req]] = []
    per_thread_ballots: list[list[BallotRecord]] = []
    events: list[tuple[float, str]] = []
    bucket_ids = sorted(world.buckets)

    def next_resident():
        with take_lock:
            if started["ballots"] + len(bucket_ids) > max_ballots:
                return None
            started["ballots"] += len(bucket_ids)
            return next(residents, None)

    def voter(n: int):
        rng = random.Random(seed * 100003 + n)
        reqs: list[Req] = []
        ballots: list[BallotRecord] = []
        per_thread_reqs.append(reqs)
        per_thread_ballots.append(ballots)
        client = Client(bench.port, timeout, t0, reqs)
        try:
            while time.monotonic() < deadline:
                resident = next_resident()
                if resident is None:
                    break
                client.cookies = {"sessionid": resident.session_key}
                for bucket_id in bucket_ids:
                    if time.monotonic() >= deadline:
                        break
                    options = world.buckets[bucket_id]
                    choices = tuple(sorted(rng.sample(options, rng.randint(1, world.max_choices))))
                    record = BallotRecord(resident.index, bucket_id, choices)
                    ballots.append(record)
                    cast(client, bucket_id, choices, record, retries=retries, backoff=backoff, confirm=confirm,
                         deadline_hard=hard, confirm_until=deadline)
        finally:
            client.close()

    def log_event(text: str) -> None:
        events.append((time.monotonic() - t0, text))

    def side():
        for at, action in actions:
            delay = t0 + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            action(log_event)

    cpu_client0 = time.process_time()
    server_sampler = CpuSampler(lambda: [bench.master_pid, *bench.worker_pids()])
    pg_sampler = CpuSampler(postgres_pids)
    load_before = loadavg()
    busy0, _total0 = machine_cpu()
    threads = [threading.Thread(target=voter, args=(n,), daemon=True) for n in range(voters)]
    side_thread = threading.Thread(target=side, daemon=True) if actions else None
    if side_thread:
        side_thread.start()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=max(0.1, hard - time.monotonic()))
    if any(th.is_alive() for th in threads):
        log("   WARNING: some voters did not finish before the hard deadline")
    if side_thread:
        side_thread.join(timeout=max(0.1, hard - time.monotonic()))
    wall = time.monotonic() - t0
    result = LoadResult(
        duration=duration, wall=wall, reqs=[r for lst in per_thread_reqs for r in lst],
        ballots=[b for lst in per_thread_ballots for b in lst], events=events,
        client_cpu=time.process_time() - cpu_client0,
        server_cpu=server_sampler.stop(),
        postgres_cpu=pg_sampler.stop(),
        machine_busy=machine_cpu()[0] - busy0, loadavg_before=load_before,
    )
    return result


# --------------------------------------------------------------------------------------------------- reports

def status_counts(reqs: list[Req]) -> Counter:
    return Counter(str(r.status) for r in reqs)


def print_load_report(result: LoadResult, voters: int) -> dict:
    """Print the figures; return the numbers the scripts assert on."""
    votes = [r for r in result.reqs if r.phase == "vote"]
    ok_in_window = [b for b in result.ballots if b.outcome == "confirmed" and b.start + b.latency <= result.duration]
    confirmed = [b for b in result.ballots if b.outcome == "confirmed"]
    post_lat = sorted(r.latency for r in votes if r.status == 302)
    ballot_lat = sorted(b.latency for b in confirmed)
    all_lat = sorted(r.latency for r in result.reqs if isinstance(r.status, int))
    n5xx = sum(1 for r in result.reqs if isinstance(r.status, int) and r.status >= 500)
    nconn = sum(1 for r in result.reqs if isinstance(r.status, str))
    outcomes = Counter(b.outcome for b in result.ballots)
    log(f"   load: {voters} concurrent voters, {result.duration:.0f} s (+{result.wall - result.duration:.1f} s to drain)")
    log(f"   ballots confirmed: {len(confirmed)}  -> {len(ok_in_window) / result.duration:.1f} ballots/s"
        f" (confirmed within the {result.duration:.0f} s window)")
    log(f"   requests: {len(result.reqs)} ({len(result.reqs) / result.wall:.1f}/s); by status: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(status_counts(result.reqs).items())))
    by_phase = Counter((r.phase, str(r.status)) for r in result.reqs)
    log("   by phase: " + ", ".join(f"{p} {s}: {n}" for (p, s), n in sorted(by_phase.items())))
    log("   ballot outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    log(f"   POST (cast) latency: p50 {ms(percentile(post_lat, 50))}, p95 {ms(percentile(post_lat, 95))}, "
        f"p99 {ms(percentile(post_lat, 99))}, max {ms(post_lat[-1] if post_lat else 0)}")
    log(f"   ballot (GET form + POST) latency: p50 {ms(percentile(ballot_lat, 50))}, "
        f"p95 {ms(percentile(ballot_lat, 95))}, p99 {ms(percentile(ballot_lat, 99))}")
    log(f"   any request latency: p50 {ms(percentile(all_lat, 50))}, p95 {ms(percentile(all_lat, 95))}, "
        f"p99 {ms(percentile(all_lat, 99))}")
    log(f"   5xx responses: {n5xx}; requests without a response: {nconn}")
    if confirmed:
        per = (result.server_cpu + result.postgres_cpu) / len(confirmed)
        log(f"   CPU per confirmed ballot (its 3 requests): gunicorn {result.server_cpu / len(confirmed) * 1000:.0f} ms + "
            f"PostgreSQL {result.postgres_cpu / len(confirmed) * 1000:.0f} ms -> at most ~{1 / per:.0f} ballots/s per "
            f"CPU core given to the server side")
    ours = result.server_cpu + result.postgres_cpu + result.client_cpu
    log(f"   CPU seconds during the load: gunicorn {result.server_cpu:.1f}, PostgreSQL {result.postgres_cpu:.1f}, "
        f"load client {result.client_cpu:.1f}; other processes on the machine {max(0.0, result.machine_busy - ours):.1f} "
        f"(of {os.cpu_count()} CPUs x {result.wall:.0f} s = {os.cpu_count() * result.wall:.0f}; "
        f"load average before: {result.loadavg_before})")
    return {"confirmed": len(confirmed), "n5xx": n5xx, "nconn": nconn, "outcomes": outcomes,
            "rate": len(ok_in_window) / result.duration}


def timeline(result: LoadResult, start: float, end: float) -> None:
    """Per second between ``start`` and ``end`` (seconds since the load began): HTTP answers (any status) /
    ballots confirmed / failures (5xx or no answer), by completion time."""
    answered = Counter(int(r.start + r.latency) for r in result.reqs if isinstance(r.status, int))
    ok = Counter(int(b.start + b.latency) for b in result.ballots if b.outcome == "confirmed")
    bad = Counter(int(r.start + r.latency) for r in result.reqs
                  if isinstance(r.status, str) or (isinstance(r.status, int) and r.status >= 500))
    lo, hi = max(0, int(start)), int(end)
    log("   per second (t: answers/confirmed ballots/failures): "
        + " ".join(f"{t}:{answered[t]}/{ok[t]}/{bad[t]}" for t in range(lo, hi + 1)))


def verify_db(world: World, result: LoadResult, *, strict: bool) -> list[str]:
    """Check the stored ballots against what the voters were told. Returns the violated invariants.

    Always: every confirmed ballot is stored exactly once with the submitted choices and one 'cast' audit
    entry; every ballot refused after a failed attempt is stored (the earlier attempt went through); nothing
    is stored for a (bucket, voter) that was never sent; no (bucket, voter) twice. ``strict`` (no faults):
    also no refusals, no failures, and stored == confirmed.
    """
    from django.db import connections
    from django.db.models import Count

    from budget.models import Ballot, BallotAudit
    from budget.services import ballot_voter_hash

    connections.close_all()  # the bench's own connection may have died with a PostgreSQL restart
    problems: list[str] = []
    by_index = {r.index: r for r in world.residents}
    sent = {}
    for b in result.ballots:
        sent[(b.bucket_id, ballot_voter_hash(by_index[b.resident].iin_hash, b.bucket_id))] = b
    stored = {}
    for pk, bucket_id, voter_hash, channel in Ballot.objects.filter(cycle_id=world.cycle_id).values_list(
            "pk", "bucket_id", "voter_hash", "channel"):
        key = (bucket_id, voter_hash)
        if key in stored:
            problems.append(f"ballot counted twice: bucket {bucket_id}, ballots #{stored[key]} and #{pk}")
        stored[key] = pk
        if channel != "online":
            problems.append(f"ballot #{pk} has channel {channel}")
    dup_groups = (Ballot.objects.values("bucket_id", "voter_hash").annotate(n=Count("id")).filter(n__gt=1).count())
    if dup_groups:
        problems.append(f"{dup_groups} (bucket, voter) pairs with more than one ballot")
    through = Ballot.choices.through
    choices: dict[int, list[int]] = {}
    for ballot_id, proposal_id in through.objects.filter(ballot__cycle_id=world.cycle_id).values_list(
            "ballot_id", "proposal_id"):
        choices.setdefault(ballot_id, []).append(proposal_id)
    # the audit no longer points at ballots (secrecy): one 'cast' entry per stored ballot and bucket
    audits = Counter(BallotAudit.objects.filter(cycle_id=world.cycle_id, action="create")
                     .values_list("bucket_id", flat=True))
    changes = BallotAudit.objects.filter(cycle_id=world.cycle_id).exclude(action="create").count()
    if changes:
        problems.append(f"{changes} 'changed' audit entries although votes are final")

    confirmed = [k for k, b in sent.items() if b.outcome == "confirmed"]
    missing = [k for k in confirmed if k not in stored]
    if missing:
        problems.append(f"{len(missing)} confirmed ballots are NOT in the database")
    wrong = [k for k in confirmed if k in stored and tuple(sorted(choices.get(stored[k], []))) != sent[k].choices]
    if wrong:
        problems.append(f"{len(wrong)} confirmed ballots stored with other choices than submitted")
    per_bucket = Counter(bucket_id for bucket_id, _hash in stored)
    bad_audit = [b for b in set(per_bucket) | set(audits) if per_bucket.get(b, 0) != audits.get(b, 0)]
    if bad_audit:
        problems.append(f"{len(bad_audit)} ballots without exactly one 'cast' audit entry")
    unknown = [k for k in stored if k not in sent]
    if unknown:
        problems.append(f"{len(unknown)} stored ballots were never sent")
    refused_after = [k for k, b in sent.items() if b.outcome == "refused_after_failure"]
    lost_refused = [k for k in refused_after if k not in stored]
    if lost_refused:
        problems.append(f"{len(lost_refused)} ballots refused as 'already voted' are not stored")
    failed_stored = [k for k, b in sent.items() if b.outcome == "failed" and k in stored]
    unconfirmed_stored = [k for k in stored if sent.get(k) and sent[k].outcome != "confirmed"]
    log(f"   database: {len(stored)} ballots stored for {len(sent)} sent; confirmed {len(confirmed)} "
        f"(all stored: {'yes' if not missing else 'NO'}); duplicates: {dup_groups}; "
        f"stored without a 302: {len(unconfirmed_stored)} (refused on retry as already voted: {len(refused_after)}, "
        f"never answered: {len(failed_stored)})")
    if strict:
        outcomes = Counter(b.outcome for b in result.ballots)
        for outcome in ("refused", "refused_after_failure", "failed", "forbidden", "not_sent"):
            if outcomes.get(outcome):
                problems.append(f"{outcomes[outcome]} ballots {outcome}")
        if len(stored) != len(confirmed):
            problems.append(f"stored {len(stored)} != confirmed {len(confirmed)}")
    else:
        forbidden = sum(1 for b in result.ballots if b.outcome in ("forbidden", "refused"))
        if forbidden:
            problems.append(f"{forbidden} ballots refused or forbidden without any failure before")
    return problems


def finish(problems: list[str]) -> int:
    if problems:
        log("   INVARIANTS VIOLATED:")
        for p in problems:
            log(f"     - {p}")
        return 1
    log("   all invariants hold")
    return 0


def measure_logins(bench: Bench, *, count: int = 24, concurrency: int = 4, timeout: float = 60.0) -> None:
    """Real sign-ins through /kk/accounts/login/ (GET for the CSRF token, POST username and password)."""
    world = bench.world
    assert world is not None
    residents = world.residents[-count:]  # the load takes residents from the start
    reqs: list[Req] = []
    lock = threading.Lock()
    queue = list(residents)
    t0 = time.monotonic()
    ok = Counter()

    def worker():
        mine: list[Req] = []
        client = Client(bench.port, timeout, t0, mine)
        while True:
            with lock:
                if not queue:
                    break
                resident = queue.pop()
            client.cookies = {}
            path = f"/{LANG}/accounts/login/"
            try:
                status, _l, page = client.request("login_form", "GET", path)
                token = TOKEN_RE.search(page).group(1)
                status, location, _p = client.request(
                    "login", "POST", path,
                    [("csrfmiddlewaretoken", token), ("username", resident.username), ("password", PASSWORD)])
                ok[status == 302 and "sessionid" in client.cookies] += 1
            except (Failure, AttributeError):
                ok[False] += 1
        client.close()
        with lock:
            reqs.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=timeout * 2)
    wall = time.monotonic() - t0
    lat = sorted(r.latency for r in reqs if r.phase == "login")
    log(f"   sign-in through the login form: {ok[True]} ok, {ok[False]} failed, {concurrency} at a time: "
        f"{ok[True] / wall:.1f} sign-ins/s, POST p50 {ms(percentile(lat, 50))}, p95 {ms(percentile(lat, 95))} "
        f"(PBKDF2-SHA256, {_pbkdf2_iterations()} iterations per check)")
    if ok[False]:
        raise RuntimeError("real sign-ins failed")


def _pbkdf2_iterations() -> int:
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    return PBKDF2PasswordHasher.iterations
