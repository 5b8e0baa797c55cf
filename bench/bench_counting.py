"""Benchmark: budget.core counting vs pabutools 1.2 on every real pabulib file and generated elections.

Run:  nice .venv/bin/python bench/bench_counting.py [--quick] [--cap SECONDS] [--engines]

Instances: every ``*.pb`` in ``../shared/data/pabulib/`` (real elections, see SOURCES.md there) plus generated
approval elections (seeded) up to 100,000 voters x 200 projects with budgets up to 10^9, written as .pb files so
that both tools read the same text. ``--quick``: the small real files and one generated election, pabutools
capped at 60 s.

For each instance and rule (greedy, mes, mes-add1; greedy-threshold where the file's META names a threshold):

* ours in-process: CPU seconds of ``count()`` alone (best of 3, 1 for mes-add1) and of reading the file;
* ours as a process: wall seconds of ``python -m budget.core.cli FILE --rule R`` (what ``aimaq-count`` runs);
* pabutools in a subprocess (capped: ``--cap``, default 300 s; a capped run is "did not finish"): CPU seconds
  of its rule call (instance/profile parsing excluded) and wall seconds of the whole process;
* winners equal: the same projects in the same order. greedy is compared with pabutools'
  ``greedy_utilitarian_welfare(Cost_Sat)`` (ours with ``sat="cost"``; for approval files that is the default
  greedy); pabutools has no greedy-threshold, so that row shows ours only.

``--engines``: instead, mes-add1 alone with each Add1 engine in turn (``auto``, what ``mes-add1`` uses; ``gallop``:
certified stretches; ``resume``: bounds with resumed runs) in this process, every real file and generated election:
CPU seconds, MES runs, and each engine's time as a multiple of ``auto``'s; the winners must agree.

Goals (issue 13): every file and rule counted in <= 1 s of counting and <= 1.5 s as a process; >= 50x
pabutools' counting time wherever pabutools finishes; identical winners everywhere. Prints a table, then the
start-up of both tools on the 8-project file. Exit status 1 if winners differ anywhere.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from budget.core.counting import count  # noqa: E402
from budget.core.pabulib import election_from_pb, parse_pb, rule_options, write_pb  # noqa: E402

DATA = os.path.join(ROOT, "..", "shared", "data", "pabulib")
if not os.path.isdir(DATA):
    DATA = "/work/shared/data/pabulib"
PY = sys.executable

PABU = r"""
import json, sys, time
from pabutools.election import Cost_Sat
from pabutools.election.pabulib import parse_pabulib
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
instance, profile = parse_pabulib(sys.argv[1])
rule = sys.argv[2]
t = time.process_time()
if rule == "greedy":
    out = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
elif rule == "mes":
    out = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
else:
    out = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, voter_budget_increment=1)
print(json.dumps({"winners": [p.name for p in out], "cpu": time.process_time() - t}))
"""


def generated(n_voters: int, n_projects: int, budget: int, seed: int) -> str:
    """A district-like approval election as .pb text (money in small units: tenge)."""
    rng = random.Random(seed)
    hoods = 8
    projects = []
    home = {}
    for j in range(n_projects):
        pid = str(j + 1)
        cost = rng.randint(budget // (n_projects * 2), budget // 8)
        projects.append({"project_id": pid, "cost": cost, "name": f"Project {pid}"})
        home[pid] = rng.randrange(hoods)
    by_hood = [[p["project_id"] for p in projects if home[p["project_id"]] == h] for h in range(hoods)]
    every = [p["project_id"] for p in projects]
    votes = []
    for v in range(n_voters):
        pool = by_hood[rng.randrange(hoods)] if rng.random() < 0.8 else every
        k = min(len(pool), rng.randint(1, 8))
        votes.append({"voter_id": str(v + 1), "vote": rng.sample(pool, k)})
    meta = {"description": f"generated {n_voters} x {n_projects}", "country": "Kazakhstan", "unit": "bench",
            "instance": str(seed), "budget": budget, "vote_type": "approval", "rule": "greedy", "currency": "KZT"}
    return write_pb(meta, projects, votes)


def ours_inprocess(path: str, rule: str, repeat: int):
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    t = time.process_time()
    pb = parse_pb(text)
    e = election_from_pb(pb)
    read_s = time.process_time() - t
    opts = rule_options(pb, rule)
    if rule == "greedy":
        opts["sat"] = "cost"  # pabutools' greedy_utilitarian_welfare(Cost_Sat)
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        winners = count(e, rule, **opts)
        best = min(best, time.process_time() - t)
    return winners, best, read_s


def ours_process(path: str, rule: str, cap: float):
    t = time.perf_counter()
    try:
        p = subprocess.run([PY, "-m", "budget.core.cli", path, "--rule", rule], cwd=ROOT, capture_output=True,
                           text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - t if p.returncode == 0 else None


def pabutools_run(path: str, rule: str, cap: float):
    t = time.perf_counter()
    try:
        p = subprocess.run([PY, "-c", PABU, path, rule], capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return None, None, None
    wall = time.perf_counter() - t
    if p.returncode != 0:
        return None, None, None
    r = json.loads(p.stdout)
    return r["winners"], r["cpu"], wall


def engines_table(files: list[str]) -> int:
    """mes-add1 by engine (see the module docstring); returns the number of instances where winners differ."""
    from budget.core.counting import _add1_indices, _Prep
    from budget.core.counting.common import single_threaded_blas

    names = ("auto", "gallop", "resume")
    head = f"{'instance':44} " + " ".join(f"{n + ' s':>9} {'runs':>6}" for n in names) + "   vs auto"
    print(head)
    print("-" * len(head))
    differ = 0
    for path in files:
        with open(path, encoding="utf-8") as fh:
            P = _Prep(election_from_pb(parse_pb(fh.read())))
        row, secs, outs = [], {}, set()
        for name in names:
            with single_threaded_blas(P.n_groups):
                t = time.process_time()
                winners, runs = _add1_indices(P, jump=name)
                secs[name] = time.process_time() - t
            outs.add(tuple(winners))
            row.append(f"{secs[name]:9.2f} {runs:6d}")
        differ += len(outs) > 1
        rel = " ".join(f"{n} {secs[n] / max(secs['auto'], 1e-9):.2f}x" for n in names[1:])
        print(f"{os.path.basename(path)[:-3][:44]:44} " + " ".join(row) + f"   {rel}"
              + ("" if len(outs) == 1 else "   WINNERS DIFFER"), flush=True)
    return differ


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--engines", action="store_true", help="mes-add1 by Add1 engine, in this process")
    ap.add_argument("--cap", type=float, default=None, help="pabutools cap per run in seconds (default 300, quick 60)")
    args = ap.parse_args()
    cap = args.cap or (60.0 if args.quick else 300.0)
    tmp = tempfile.mkdtemp(prefix="bench_counting_")
    files = sorted(glob.glob(os.path.join(DATA, "*.pb")))
    if args.quick:
        files = [f for f in files if os.path.getsize(f) < 100_000]
    sizes = [(1_000, 50, 10**6), (10_000, 100, 10**8), (100_000, 200, 10**9)]
    if args.quick:
        sizes = sizes[:1]
    for i, (n, m, b) in enumerate(sizes):
        path = os.path.join(tmp, f"generated_{n}x{m}_{b:.0e}.pb".replace("+", ""))
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(generated(n, m, b, seed=i + 1))
        files.append(path)
    if args.engines:
        differ = engines_table(files)
        print(f"\nwinners differ: {differ}")
        sys.exit(1 if differ else 0)
    head = (f"{'instance':44} {'rule':16} {'equal':>5} {'ours s':>8} {'read s':>7} {'proc s':>7} "
            f"{'pabu s':>9} {'pabu proc':>9} {'ratio':>8}")
    print(head)
    print("-" * len(head))
    differ = 0
    for path in files:
        name = os.path.basename(path)[:-3]
        with open(path, encoding="utf-8") as fh:
            meta = parse_pb(fh.read()).meta
        rules = ["greedy", "mes", "mes-add1"]
        if "min_project_score_threshold" in meta:
            rules.append("greedy-threshold")
        for rule in rules:
            winners, ours_s, read_s = ours_inprocess(path, rule, 1 if rule == "mes-add1" else 3)
            proc_s = ours_process(path, rule, max(cap, 60))
            if rule == "greedy-threshold":
                pw, pcpu, pwall = None, None, None
                equal = "n/a"
            else:
                pw, pcpu, pwall = pabutools_run(path, rule, cap)
                equal = "dnf" if pw is None else ("yes" if pw == winners else "NO")
                differ += equal == "NO"
            ratio = f"{pcpu / max(ours_s, 1e-6):.0f}x" if pcpu is not None else "-"
            pabu = f"{pcpu:.3f}" if pcpu is not None else ("-" if rule == "greedy-threshold" else f">{cap:.0f}")
            print(f"{name[:44]:44} {rule:16} {equal:>5} {ours_s:8.3f} {read_s:7.3f} "
                  f"{(f'{proc_s:.2f}' if proc_s is not None else 'fail'):>7} {pabu:>9} "
                  f"{(f'{pwall:.2f}' if pwall is not None else '-'):>9} {ratio:>8}", flush=True)
    small = os.path.join(DATA, "Poland_Czestochowa_2020_Grabowka.pb")
    if os.path.exists(small):
        print("\nstart-up on the 8-project file (wall seconds of the whole process, best of 5, greedy):")
        for label, cmd in (
            ("python -c pass", [PY, "-c", "pass"]),
            ("aimaq-count (python -m budget.core.cli)", [PY, "-m", "budget.core.cli", small, "--rule", "greedy"]),
            ("manage.py count_pabulib", [PY, "manage.py", "count_pabulib", small, "--rule", "greedy"]),
            ("pabutools (parse + greedy)", [PY, "-c", PABU, small, "greedy"]),
        ):
            best = float("inf")
            for _ in range(5):
                t = time.perf_counter()
                subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
                best = min(best, time.perf_counter() - t)
            print(f"  {label:42} {best:.3f} s")
    print(f"\nwinners differ: {differ}")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
