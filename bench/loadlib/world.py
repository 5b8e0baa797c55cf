"""The bench world: residents with signed-in sessions, the voting cycle (:class:`World`), and :class:`Bench` —
one run's scratch database, Django set-up, data, gunicorn and Redis, torn down whatever happens."""
from __future__ import annotations

import atexit
import datetime as dt
import fcntl
import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from loadlib.system import (BENCH_DB, BIN, LANG, LOCK_PATH, PASSWORD, PG_HOST, REDIS_URL, ROOT, assert_loopback,
                            children_of, free_port, log, pg_admin, pg_url)


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
        backend = "budget.auth.ResidentBackend"
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

