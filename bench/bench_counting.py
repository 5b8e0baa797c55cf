"""Benchmark: budget.core.counting vs pabutools 1.2.3 on generated approval elections.

Run:  .venv/bin/python bench/bench_counting.py            (well under 5 minutes on 2 cores)

Elections (seeded, reproducible) imitate one district envelope of a People's
Participation Budget: 100 projects, money in THOUSANDS of tenge (k₸), a district
envelope of 500,000 k₸ (500 M₸, Almaty's 2019 figure per district), project costs from
2,000 to 86,200 k₸ (86.2 M₸ is Almaty's 2023 cap), voters living in one of 8
neighbourhoods and approving 1-8 projects, mostly in their own neighbourhood.

Why k₸ and not tenge: MES+Add1 (pabutools' ``voter_budget_increment=1``) raises
every voter's share by 1 unit of money per rerun. In tenge a rerun adds 1 ₸ per
voter and pabutools would need hundreds of thousands of reruns (hours); in k₸ it
needs about a hundred (5,000 voters) to several hundred (1,000 voters), which keeps
the pabutools side bounded (about a minute). Our implementation is exact in either
unit (and skips long unchanged stretches, see counting._add1_indices).

For each size we time pabutools (instance and profile are built outside the
timer; best of 3 runs, a single run for mes-add1, which takes tens of seconds)
and ours (best of 3, starting from the plain Election, grouping included),
check that the winners are identical (same projects, same order) and print the
speed-up. Times are CPU seconds of this process (time.process_time), so that
other jobs on a shared machine do not distort the ratio; wall-clock seconds are
printed too. Then 50,000 voters, ours only (single run).
"""

from __future__ import annotations

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from budget.core.counting import Election, count  # noqa: E402

N_PROJECTS = 100
BUDGET_K = 500_000  # k₸
NEIGHBOURHOODS = 8
RULES = ("greedy", "mes", "mes-add1")
GOAL = 20  # each rule at least this many times faster than pabutools (issue: PPB counting)


def generate(n_voters: int, seed: int) -> Election:
    rng = random.Random(seed)
    projects = {}
    home = {}
    for j in range(N_PROJECTS):
        pid = f"P{j + 1:03d}"
        cost = min(86_200, max(2_000, int(rng.lognormvariate(9.9, 0.7))))  # median ~20,000 k₸
        projects[pid] = cost // 10 * 10
        home[pid] = rng.randrange(NEIGHBOURHOODS) if rng.random() < 0.8 else None  # None: city-wide
    appeal = {pid: rng.paretovariate(1.5) for pid in projects}
    by_hood = {h: [p for p in projects if home[p] in (h, None)] for h in range(NEIGHBOURHOODS)}
    everywhere = list(projects)
    ballots = []
    for _ in range(n_voters):
        hood = rng.randrange(NEIGHBOURHOODS)
        k = rng.choice((1, 2, 3, 3, 4, 5, 6, 8))
        chosen = set()
        for _ in range(k):
            pool = by_hood[hood] if rng.random() < 0.85 else everywhere
            chosen.add(rng.choices(pool, weights=[appeal[p] for p in pool])[0])
        ballots.append({p: 1 for p in chosen})
    return Election(budget=BUDGET_K, projects=projects, ballots=ballots)


def pabutools_inputs(e: Election):
    from pabutools.election import ApprovalBallot, ApprovalProfile, Instance, Project

    projs = {pid: Project(pid, cost) for pid, cost in e.projects.items()}
    instance = Instance(projs.values(), budget_limit=e.budget)
    profile = ApprovalProfile([ApprovalBallot(projs[p] for p in b) for b in e.ballots])
    return instance, profile


def run_pabutools(instance, profile, rule):
    from pabutools.election import Cost_Sat
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares

    if rule == "greedy":
        out = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    elif rule == "mes":
        out = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    else:
        out = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, voter_budget_increment=1)
    return [p.name for p in out]


def timed(fn, *args, repeat=1):
    """(result, best CPU seconds, wall seconds of that run)."""
    best = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        res = fn(*args)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        if best is None or cpu < best[0]:
            best = (cpu, wall)
    return res, best[0], best[1]


def main() -> int:
    for par in __doc__.split("\n\n")[1:5]:
        print(par.replace("\n", " "))
        print()
    header = (f"{'voters':>7} {'rule':<9} {'pabutools cpu s':>15} {'ours cpu s':>11} {'speed-up':>9}"
              f" {'(wall s: pabu / ours)':>22} {'winners':>8}  same")
    print(header)
    print("-" * len(header))
    ok, slow = True, []
    for n, seed in ((1_000, 1), (5_000, 2)):
        e = generate(n, seed)
        instance, profile = pabutools_inputs(e)
        for rule in RULES:
            theirs, t_theirs, w_theirs = timed(run_pabutools, instance, profile, rule,
                                               repeat=1 if rule == "mes-add1" else 3)
            ours, t_ours, w_ours = timed(count, e, rule, repeat=3)
            same = ours == theirs
            ok &= same
            ratio = t_theirs / t_ours
            if ratio < GOAL:
                slow.append(f"{rule} at {n:,} voters: {ratio:.1f}x")
            walls = f"{w_theirs:.3f} / {w_ours:.4f}"
            row = f"{n:>7} {rule:<9} {t_theirs:>15.3f} {t_ours:>11.4f} {ratio:>8.1f}x {walls:>22} {len(ours):>8}"
            print(f"{row}  {same}")
        print(f"{'':>7} (per-voter share {e.budget / n:,.0f} k₸)")
    e = generate(50_000, 3)
    for rule in RULES:
        ours, t_ours, w_ours = timed(count, e, rule)
        walls = f"- / {w_ours:.3f}"
        print(f"{50_000:>7} {rule:<9} {'-':>15} {t_ours:>11.3f} {'-':>9} {walls:>22} {len(ours):>8}  -")
    if not ok:
        print("MISMATCH between pabutools and budget.core.counting")
    if slow:
        print(f"FAIL: below the goal of {GOAL}x: " + "; ".join(slow))
    return 0 if ok and not slow else 1


if __name__ == "__main__":
    sys.exit(main())
