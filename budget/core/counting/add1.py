"""MES with Add1 completion: :func:`mes_add1` and its engines: :func:`_add1_gallop` (certified
stretches, the default), :func:`_add1_by_bounds` (one exact run per bound, :mod:`.add1_tracked`) and
plain one-by-one stepping, all behind :func:`_add1_indices`."""

from __future__ import annotations

import math

from .add1_tracked import _TrackedRun
from .common import _Q, single_threaded_blas
from .election import Election, _check_sat
from .mes_engine import _Prep, _Run


def _add1_by_bounds(P: _Prep, stop) -> tuple[list[int], int]:
    """Add1 with one exact MES run per possible change (see :class:`_TrackedRun`; the first run is tracked too,
    for its bound)."""
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
        done = stop(out, new)
        if done is not None:
            return done, runs
        out = new


def _add1_gallop(P: _Prep, first: _Run, out, stop) -> tuple[list[int], int]:
    """Add1 by galloping certificates: every whole unit k is either run exactly or lies in a stretch
    ``[k_a, k_b]`` that a certifying run at ``k_b`` proves to give the outcome of ``k_a`` (see :class:`_Run`).

    The stretch doubles after two certificates in a row and halves after each refusal; at stretch 1 the next
    unit is run exactly, as pabutools does. Where the outcome changes at almost every unit
    (France_Toulouse_2022) a certificate right after an exact unit is mostly refused and costs nearly a run,
    so after a refusal at the first stretch the next ``wait`` units are run exactly without trying (``wait``
    doubles with every such refusal up to 32, back to 1 after a certificate). Every unit is still either run exactly or certified, so the
    answer is the first unit whose outcome is exhaustive or overspends, as with one-by-one stepping."""
    b0 = P.budget / P.n_voters
    base, k, stretch, runs = first, 0, 2, 1
    wait, backoff, fresh = 0, 1, True  # fresh: the stretch was just reset after an exact unit
    streak = 0  # certificates in a row: the stretch doubles after two (after one, the next double is likely refused)
    while True:
        if stretch > 1:
            probe = _Run(P, b0 + k + stretch, base=list(zip(out, base.rhos)))
            probe.run()
            runs += 1
            if probe.certified:  # every unit in (k, k + stretch] gives ``out`` (verdict: go on)
                k += stretch
                base = probe
                streak += 1
                if streak >= 2:
                    stretch *= 2
                backoff = 1
            else:
                if fresh:
                    wait, backoff = backoff, min(2 * backoff, 32)
                stretch //= 2
                streak = 0
            fresh = False
            continue
        run = _Run(P, b0 + k + 1)
        new = run.run()
        runs += 1
        k += 1
        done = stop(out, new)
        if done is not None:
            return done, runs
        base, out = run, new
        if wait:
            wait -= 1
        else:
            stretch, fresh, streak = 2, True, 0


def _add1_indices(P: _Prep, jump: bool | str = "gallop") -> tuple[list[int], int]:
    """Add1 completion; returns (winners, number of MES runs computed).

    pabutools reruns MES at per-voter budgets t_k = budget/n + k, k = 0, 1, 2, ...
    and stops at the first k whose outcome is exhaustive (returns it) or
    overspends (returns the outcome of k - 1). Three engines find the same k:

    * ``"gallop"`` (used by :func:`mes_add1`): certified stretches, :func:`_add1_gallop`;
    * ``"bound"``: one exact run per possible change of the outcome's structure, :func:`_add1_by_bounds`;
    * ``False``: one exact run per unit, as pabutools does (for tests).

    The two fast engines prove their skips in different ways (certificates against a run at the stretch's
    start; affine budgets and first roots); tests check both against stepping and against each other.
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

    def stop(out, new):
        """What Add1 returns if it stops at the outcome ``new`` (``out``: the previous unit's), else None."""
        v = verdict(new)
        return out if v == "overspent" else new if v == "exhaustive" else None

    first = _Run(P, b0)
    out = first.run()
    runs = 1
    v = verdict(out)
    if v == "exhaustive":
        return out, runs
    if v == "overspent":  # impossible: at budget/n nobody can overspend
        return [], runs
    if jump == "bound":
        return _add1_by_bounds(P, stop)
    if jump == "gallop":
        return _add1_gallop(P, first, out, stop)
    if jump is not False:
        raise ValueError(f"unknown Add1 engine {jump!r}")
    k = 0
    while True:
        k += 1
        new = _Run(P, b0 + k).run()
        runs += 1
        done = stop(out, new)
        if done is not None:
            return done, runs
        out = new


def mes_add1(e: Election, sat: str | None = None) -> list[str]:
    """MES with Add1 completion (voter_budget_increment=1), pabutools-identical (cost satisfaction)."""
    _check_sat(e, sat)
    if sat not in (None, "cost"):
        raise ValueError("mes-add1 is available with cost satisfaction only")
    P = _Prep(e)
    if P.n_voters == 0:
        return []
    with single_threaded_blas(P.n_groups):
        winners, _ = _add1_indices(P, jump="gallop")
    return [P.names[j] for j in winners]
