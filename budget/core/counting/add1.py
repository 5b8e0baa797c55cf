"""MES with Add1 completion: :func:`mes_add1` and its engines, :func:`_add1_by_bounds`
(one exact run per bound, :mod:`.add1_tracked`) and :func:`_add1_indices` (also the
batched/certified engine of :mod:`.add1_batch` and plain one-by-one stepping)."""

from __future__ import annotations

import math

from .add1_batch import _batch_outcomes
from .add1_tracked import _TrackedRun
from .common import _Q
from .election import Election, _check_sat
from .mes_engine import _Prep, _Run


def _add1_by_bounds(P: _Prep, out, verdict) -> tuple[list[int], int]:
    """Add1 with one exact MES run per possible change (see :class:`_TrackedRun`)."""
    b0 = P.budget / P.n_voters
    k = 0
    run = _TrackedRun(P, b0)
    out = run.run()
    runs = 1
    while True:
        d = run.bound
        if not math.isfinite(d):  # pragma: no cover - some unselected project always gains money
            d = 1.0
        k += max(1, math.ceil(d))
        run = _TrackedRun(P, b0 + k)
        new = run.run()
        runs += 1
        v = verdict(new)
        if v == "overspent":
            return out, runs
        if v == "exhaustive":
            return new, runs
        out = new


def _add1_indices(P: _Prep, jump: bool | str = True) -> tuple[list[int], int]:
    """Add1 completion; returns (winners, number of MES runs computed).

    pabutools reruns MES at per-voter budgets t_k = budget/n + k, k = 0, 1, 2, ...
    and stops at the first k whose outcome is exhaustive (returns it) or
    overspends (returns the outcome of k - 1). We find the same k:

    * Steps are computed in chunks by :class:`_Batch` (one vectorised float run
      for many t_k with every decision proved, exact engine where a proof fails).
    * When a whole chunk gives the outcome we already had (long stable stretches,
      typical when money is counted in small units such as tenge), we try to skip
      ahead with a certificate: with the winners' sequence fixed, every budget is
      non-decreasing in t and every price per unit of cost non-increasing, so if
      the exact run at t_b picks the same winners as the run at t_a and, in every
      round, every other project is at t_b unaffordable or dearer than round's
      winner was at t_a (equal only if the winner's id is smaller), then every t
      in [t_a, t_b] gives that outcome (see :class:`_Run`). Doubling stretches are
      tried until a certificate fails.

    ``jump=False`` steps one exact run at a time, like pabutools (for tests).
    """
    B = P.budget
    b0 = B / P.n_voters

    def verdict(out):
        spent = sum((P.cost_q[j] for j in out), _Q(0))
        if spent > B:
            return "overspent"
        chosen = set(out)
        if all(p in chosen or P.cost_q[p] + spent > B for p in P.mes_projects):
            return "exhaustive"
        return None

    first = _Run(P, b0)
    out = first.run()
    runs = 1
    v = verdict(out)
    if v == "exhaustive":
        return out, runs
    if v == "overspent":  # impossible: at budget/n nobody can overspend
        return [], runs
    k = 0
    if jump == "bound":
        return _add1_by_bounds(P, out, verdict)
    if not jump:
        while True:
            k += 1
            new = _Run(P, b0 + k).run()
            runs += 1
            v = verdict(new)
            if v == "overspent":
                return out, runs
            if v == "exhaustive":
                return new, runs
            out = new
    # Vectorising many steps pays off while the per-call overhead of numpy dominates,
    # i.e. for small electorates; for large ones steps are run one by one.
    use_batch = P.n_groups <= 2500
    kmax = min(256, max(8, 120_000 // max(P.n_groups, 1)))
    chunk = 8
    spent0 = float(sum((P.cost_q[j] for j in out), _Q(0)))
    budget_f = float(B)
    stable_run = 0  # steps in a row without a change of outcome
    probe_after = 2 * kmax if use_batch else 16  # try a certificate after that many (doubles on failure)
    while True:
        if use_batch:
            if k:  # spending grows roughly linearly: do not compute far beyond the likely stop
                spent = float(sum((P.cost_q[j] for j in out), _Q(0)))
                rate = (spent - spent0) / k
                if rate > 0:
                    chunk = min(chunk, max(8, int(1.5 * (budget_f - spent) / rate) + 1))
            ts = [b0 + k + i for i in range(1, chunk + 1)]
            outs = _batch_outcomes(P, ts)
            chunk = min(2 * chunk, kmax)
        else:
            outs = [_Run(P, b0 + k + 1).run()]
        for new in outs:
            k += 1
            runs += 1
            v = verdict(new)
            if v == "overspent":
                return out, runs
            if v == "exhaustive":
                return new, runs
            stable_run = stable_run + 1 if new == out else 0
            out = new
        if stable_run < probe_after:
            continue
        # a long stretch without change: try to certify longer and longer stretches
        base = _Run(P, b0 + k)
        base.run()
        runs += 1
        stretch = stable_run
        certified = 0
        while True:
            probe = _Run(P, b0 + k + stretch, base=list(zip(out, base.rhos)))
            probe.run()
            runs += 1
            if not probe.certified:
                break
            certified += 1
            k += stretch
            base = probe
            stretch *= 2
        stable_run = 0
        if not certified:
            probe_after *= 2


def mes_add1(e: Election, sat: str | None = None) -> list[str]:
    """MES with Add1 completion (voter_budget_increment=1), pabutools-identical (cost satisfaction)."""
    _check_sat(e, sat)
    if sat not in (None, "cost"):
        raise ValueError("mes-add1 is available with cost satisfaction only")
    P = _Prep(e)
    if P.n_voters == 0:
        return []
    winners, _ = _add1_indices(P, jump="bound")
    return [P.names[j] for j in winners]
