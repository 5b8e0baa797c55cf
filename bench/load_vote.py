"""200 concurrent voters for 60 s through gunicorn + PostgreSQL + Redis on loopback.

    .venv/bin/python bench/load_vote.py [--voters 200] [--duration 60] [--residents 20000]

Prints ballots/s, latency percentiles (p50/p95/p99) of the cast and of every request, counts per status, CPU
use, and the database check: stored ballots == confirmed ballots, each with the submitted choices and one audit
entry, no (bucket, voter) twice. Also measures real sign-ins through the login form (PBKDF2) separately.
Exit 1 if any request got a 5xx or no response, or any invariant fails. Bounded: < 3 minutes, cleans up.
See bench/loadlib/ for the set-up (scratch DB aimaq_bench, Redis db 7, gunicorn 4 sync workers).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadlib.system import log  # noqa: E402
from loadlib.world import Bench  # noqa: E402
from loadlib.voter import run_load  # noqa: E402
from loadlib.report import finish, measure_logins, print_load_report, verify_db  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--residents", type=int, default=8000, help="fresh voters (2 ballots each)")
    parser.add_argument("--logins", type=int, default=8, help="real sign-ins to time after the load (0: skip)")
    args = parser.parse_args()
    if not (1 <= args.voters <= 1000 and 1 <= args.duration <= 90):
        parser.error("at most 1000 voters and 90 s")
    with Bench(f"load_vote: {args.voters} voters x {args.duration:.0f} s", residents=args.residents) as bench:
        if bench.remaining() < args.duration + 45:
            log(f"   WARNING: preparation took {bench.elapsed():.0f} s (busy machine?); "
                f"{bench.remaining():.0f} s left for a {args.duration:.0f} s load")
        result = run_load(bench, voters=args.voters, duration=args.duration,
                          max_ballots=2 * (args.residents - args.logins))
        figures = print_load_report(result, args.voters)
        problems = verify_db(bench.world, result, strict=True)
        if figures["n5xx"]:
            problems.append(f"{figures['n5xx']} responses with status 5xx")
        if figures["nconn"]:
            problems.append(f"{figures['nconn']} requests without a response")
        if 2 * (args.residents - args.logins) - figures["confirmed"] < 2:
            problems.append("ran out of fresh residents: raise --residents")
        if args.logins and bench.remaining() > 30:
            measure_logins(bench, count=args.logins, concurrency=4, timeout=20)
        elif args.logins:
            log("   sign-in measurement skipped: not enough time left")
        errors = bench.gunicorn_log_grep(r"\[(ERROR|CRITICAL)\]")
        if errors:
            log(f"   gunicorn error log: {len(errors)} lines, e.g. {errors[0]}")
        return finish(problems)


if __name__ == "__main__":
    sys.exit(main())
