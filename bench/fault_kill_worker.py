"""kill -9 of one gunicorn worker during the voting load: no confirmed ballot lost, none counted twice.

    .venv/bin/python bench/fault_kill_worker.py [--voters 200] [--duration 60] [--kills 1]

Same load as bench/load_vote.py (gunicorn 4 sync workers, preloaded; PostgreSQL; Redis). At ~T/3 one worker
gets SIGKILL; the request it was serving gets no response. Voters whose request failed retry like an
impatient user (up to 3 times, 1 s, 2 s, 3 s later), re-POSTing the same form. Afterwards: every ballot that
got its 302 is stored exactly once with its choices; a retry answered "already voted" is stored; no
(bucket, voter) twice; the master replaced the worker. Prints how long the replacement took and what the
clients saw. Exit 1 if an invariant fails. Bounded: < 3 minutes, cleans up.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadlib.system import log  # noqa: E402
from loadlib.world import Bench  # noqa: E402
from loadlib.voter import run_load  # noqa: E402
from loadlib.report import finish, print_load_report, timeline, verify_db  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--residents", type=int, default=8000, help="fresh voters (2 ballots each)")
    parser.add_argument("--kills", type=int, default=1, help="workers to kill, T/3 apart from T/3 on (at most 3)")
    args = parser.parse_args()
    if not (1 <= args.voters <= 1000 and 1 <= args.duration <= 90 and 1 <= args.kills <= 3):
        parser.error("at most 1000 voters, 90 s and 3 kills")
    rng = random.Random(7)
    kills: list[dict] = []

    with Bench(f"fault_kill_worker: {args.voters} voters x {args.duration:.0f} s, kill -9 at T/3",
               residents=args.residents) as bench:
        master = bench.master_pid

        def kill(log_event):
            before = bench.worker_pids()
            victim = rng.choice(before)
            state = (Path(f"/proc/{victim}/stat").read_text().rsplit(")", 1)[1].split() or ["?"])[0]
            os.kill(victim, signal.SIGKILL)
            t = time.monotonic()
            log_event(f"kill -9 worker {victim} (state {state}); workers were {before}")
            info = {"victim": victim, "replaced_after": None}
            while time.monotonic() - t < 30:
                now = bench.worker_pids()
                if victim not in now and len(now) == bench.workers:
                    info["replaced_after"] = time.monotonic() - t
                    log_event(f"replaced by {sorted(set(now) - set(before))} after {info['replaced_after'] * 1000:.0f} ms")
                    break
                time.sleep(0.01)
            kills.append(info)

        actions = [(args.duration * (k + 1) / 3 if args.kills > 1 else args.duration / 3, kill)
                   for k in range(args.kills)]
        result = run_load(bench, voters=args.voters, duration=args.duration, max_ballots=2 * args.residents,
                          retries=3, backoff=1.0, actions=actions)
        for at, text in result.events:
            log(f"   t={at:5.1f} s  {text}")
        figures = print_load_report(result, args.voters)
        for at, _text in result.events[:1]:
            timeline(result, at - 5, at + 10)
        retried = sum(1 for b in result.ballots if b.attempts > 1)
        log(f"   ballots that needed a retry: {retried}")
        for line in bench.gunicorn_log_grep(r"SIGKILL|Booting worker|WORKER TIMEOUT")[-6:]:
            log(f"   gunicorn: {line.strip()}")
        problems = verify_db(bench.world, result, strict=False)
        if len(kills) != args.kills or any(k["replaced_after"] is None for k in kills):
            problems.append("a killed worker was not replaced within 30 s")
        if bench.proc.poll() is not None or bench.master_pid != master:
            problems.append("the gunicorn master died")
        if figures["outcomes"].get("failed"):
            problems.append(f"{figures['outcomes']['failed']} ballots still failed after 3 retries")
        return finish(problems)


if __name__ == "__main__":
    sys.exit(main())
