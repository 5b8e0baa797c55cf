"""PostgreSQL restarted during the voting load: clean failures, recovery without restarting gunicorn, nothing lost.

    .venv/bin/python bench/fault_pg_restart.py [--voters 200] [--duration 60] [--force]

Same load as bench/load_vote.py. At ~T/3: ``pg_ctlcluster --skip-systemctl-redirect <version> <cluster>
restart`` (the cluster on 127.0.0.1:5432, fast shutdown: open transactions are rolled back). Requests that
needed the database meanwhile fail; they must fail *cleanly* (an HTTP 5xx answer, not a hang). The settings'
persistent connections (CONN_MAX_AGE) with CONN_HEALTH_CHECKS reconnect on the next request, so the same
gunicorn workers (same pids) must serve again without any restart. Voters retry a failed ballot up to 3 times
(1 s, 2 s, 3 s later). Prints the 5xx count, the outage window and the time to recovery; checks that every
confirmed ballot is stored exactly once. Exit 1 on a violated invariant.

PostgreSQL is shared: the script refuses to restart it while other databases have sessions (--force to
restart anyway). Bounded: < 3 minutes, cleans up.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadlib.system import BENCH_DB, PG_HOST, PG_PORT, PG_USER, log, ms  # noqa: E402
from loadlib.world import Bench  # noqa: E402
from loadlib.voter import run_load  # noqa: E402
from loadlib.report import finish, print_load_report, timeline, verify_db  # noqa: E402


def cluster_on_5432() -> tuple[str, str]:
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=10).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == str(PG_PORT):
            return fields[0], fields[1]
    raise SystemExit(f"no PostgreSQL cluster on port {PG_PORT} (pg_lsclusters)")


def other_sessions(own_db: str) -> list[str]:
    import psycopg

    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True) as c:
        rows = c.execute(
            "SELECT datname, coalesce(application_name, ''), count(*) FROM pg_stat_activity "
            "WHERE datname IS NOT NULL AND datname <> %s AND pid <> pg_backend_pid() GROUP BY 1, 2", [own_db]
        ).fetchall()
    return [f"{db} ({app or '?'}) x{n}" for db, app, n in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--residents", type=int, default=8000, help="fresh voters (2 ballots each)")
    parser.add_argument("--force", action="store_true", help="restart even if other databases have sessions")
    args = parser.parse_args()
    if not (1 <= args.voters <= 1000 and 10 <= args.duration <= 90):
        parser.error("at most 1000 voters, 10-90 s")
    version, cluster = cluster_on_5432()
    others = other_sessions(BENCH_DB)
    if others and not args.force:
        log(f"other sessions on this PostgreSQL: {', '.join(others)}; not restarting it under them (--force)")
        return 2
    restart: dict = {}

    with Bench(f"fault_pg_restart: {args.voters} voters x {args.duration:.0f} s, PostgreSQL {version}/{cluster} "
               f"restarted at T/3", residents=args.residents) as bench:
        workers_before = bench.worker_pids()
        master = bench.master_pid

        def do_restart(log_event):
            late = other_sessions(BENCH_DB)
            waited = time.monotonic()
            while late and not args.force and time.monotonic() - waited < 15:  # wait a little for them to end
                time.sleep(0.5)
                late = other_sessions(BENCH_DB)
            if late and not args.force:
                log_event(f"NOT restarting: other sessions on this PostgreSQL for 15 s ({', '.join(late)})")
                return
            restart["start"] = time.monotonic()
            log_event(f"pg_ctlcluster --skip-systemctl-redirect {version} {cluster} restart")
            run = subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"],
                                 capture_output=True, text=True, timeout=60)
            restart["end"] = time.monotonic()
            restart["rc"] = run.returncode
            log_event(f"restart returned {run.returncode} after {restart['end'] - restart['start']:.2f} s"
                      + (f": {run.stderr.strip()}" if run.returncode else ""))

        result = run_load(bench, voters=args.voters, duration=args.duration, max_ballots=2 * args.residents,
                          retries=3, backoff=1.0, actions=[(args.duration / 3, do_restart)])
        for at, text in result.events:
            log(f"   t={at:5.1f} s  {text}")
        figures = print_load_report(result, args.voters)
        problems = []
        if "start" not in restart:
            problems.append("PostgreSQL was not restarted")
        else:
            t_start = next(at for at, text in result.events if text.startswith("pg_ctlcluster"))
            t_end = t_start + (restart["end"] - restart["start"])
            failures = sorted(r.start + r.latency for r in result.reqs
                              if isinstance(r.status, str) or r.status >= 500)
            n500 = sum(1 for r in result.reqs if isinstance(r.status, int) and r.status >= 500)
            slow_fail = max((r.latency for r in result.reqs if isinstance(r.status, int) and r.status >= 500),
                            default=0.0)
            first_ok_after = min((b.start + b.latency for b in result.ballots
                                  if b.outcome == "confirmed" and b.start + b.latency > t_end), default=None)
            if failures:
                log(f"   failures between t={failures[0]:.1f} s and t={failures[-1]:.1f} s "
                    f"(restart ran t={t_start:.1f}-{t_end:.1f} s): {n500} answered 5xx (slowest 5xx answer "
                    f"{ms(slow_fail)}), {figures['nconn']} without a response")
                log(f"   time to recovery: last failure {failures[-1] - t_start:.1f} s after the restart began, "
                    f"{max(0.0, failures[-1] - t_end):.1f} s after pg_ctlcluster returned")
            else:
                log("   no request failed")
            if first_ok_after is not None:
                log(f"   first ballot confirmed {first_ok_after - t_end:.2f} s after pg_ctlcluster returned")
            timeline(result, t_start - 2, t_end + 6)
            retried = [b for b in result.ballots if b.attempts > 1]
            log(f"   ballots retried after a failure: {len(retried)} -> "
                + ", ".join(f"{k}: {v}" for k, v in sorted(Counter(b.outcome for b in retried).items())))
            if restart.get("rc"):
                problems.append(f"pg_ctlcluster restart returned {restart['rc']}")
            tail_start = args.duration - 10
            tail_fail = [f for f in failures if tail_start <= f <= args.duration]
            tail_ok = sum(1 for b in result.ballots if b.outcome == "confirmed" and tail_start <= b.start + b.latency <= args.duration)
            log(f"   last 10 s of the load: {tail_ok} ballots confirmed, {len(tail_fail)} failures")
            if tail_fail or not tail_ok:
                problems.append("the site had not recovered in the last 10 s of the load")
            if figures["nconn"]:
                problems.append(f"{figures['nconn']} requests got no HTTP answer (should fail with a 5xx)")
        workers_after = bench.worker_pids()
        same = workers_after == workers_before and bench.proc.poll() is None and bench.master_pid == master
        log(f"   gunicorn workers before {workers_before}, after {workers_after}: "
            f"{'same processes, no restart' if same else 'CHANGED'}")
        if not same:
            problems.append("gunicorn workers changed (restarted) during the PostgreSQL restart")
        problems += verify_db(bench.world, result, strict=False)
        return finish(problems)


if __name__ == "__main__":
    sys.exit(main())
