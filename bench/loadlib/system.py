"""Machine, PostgreSQL and CPU helpers of the load benches: paths, connection constants, logging, ports,
percentiles, CPU time of processes (/proc) and of the whole machine, PostgreSQL's processes."""
from __future__ import annotations

import ipaddress
import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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

