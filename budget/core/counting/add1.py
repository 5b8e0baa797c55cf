"""MES with Add1 completion: :func:`mes_add1` and its engines: :class:`_Gallop` (certified stretches),
:class:`_Resume` (one exact run per bound, :mod:`.add1_tracked`), :func:`_add1_auto` (the faster of the two, the
default) and plain one-by-one stepping, all behind :func:`_add1_indices`."""

from __future__ import annotations

import math
import time

from .add1_tracked import _TrackedRun
from .common import _Q, single_threaded_blas
from .election import Election, _check_sat
from .mes_engine import _Prep, _Run


class _Resume:
    """Add1 by bounds: each exact run at unit k bounds how far the per-voter budget can grow before its outcome
    can change (:class:`_TrackedRun`), and the next run is at the first unit the bound does not cover. With
    ``keep`` that run keeps the rounds whose bounds still hold (:meth:`_TrackedRun.resume`), so only the rest is
    recomputed; without, every run starts over (the plain "bound" engine, for tests)."""

    def __init__(self, run: _TrackedRun, out, k: int, keep: bool = True):
        self.run, self.out, self.k, self.keep = run, out, k, keep

    def step(self, stop):
        """One exact run; what Add1 returns if it stops there, else None."""
        d = self.run.bound
        if not math.isfinite(d):  # pragma: no cover - some unselected project always gains money
            d = 1.0
        D = max(1, math.ceil(d))
        self.run = self.run.resume(D, self.keep)
        new = self.run.run()
        self.k += D
        done = stop(self.out, new)
        if done is None:
            self.out = new
        return done


class _Gallop:
    """Add1 by galloping certificates: every whole unit k is either run exactly or lies in a stretch
    ``[k_a, k_b]`` that a certifying run at ``k_b`` proves to give the outcome of ``k_a`` (see :class:`_Run`).

    The stretch doubles after two certificates in a row and halves after each refusal; at stretch 1 the next
    unit is run exactly, as pabutools does. Where the outcome changes at almost every unit
    (France_Toulouse_2022) a certificate right after an exact unit is mostly refused and costs nearly a run,
    so after a refusal at the first stretch the next ``wait`` units are run exactly without trying (``wait``
    doubles with every such refusal up to 32, back to 1 after a certificate). Every unit is still either run
    exactly or certified, so the answer is the first unit whose outcome is exhaustive or overspends, as with
    one-by-one stepping. ``base``: an exact run at unit ``k`` (its winners ``out`` and their prices)."""

    def __init__(self, P: _Prep, base: _Run, out, k: int):
        self.P, self.base, self.out, self.k = P, base, out, k
        self.b0 = P.budget / P.n_voters
        self.stretch, self.wait, self.backoff, self.fresh = 2, 0, 1, True  # fresh: reset after an exact unit
        self.streak = 0  # certificates in a row: the stretch doubles after two (after one, the next is likely refused)

    def step(self, stop):
        """One run (a certificate or an exact unit); what Add1 returns if it stops there, else None."""
        P = self.P
        if self.stretch > 1:
            probe = _Run(P, self.b0 + self.k + self.stretch, base=list(zip(self.out, self.base.rhos)))
            probe.run()
            if probe.certified:  # every unit in (k, k + stretch] gives ``out`` (verdict: go on)
                self.k += self.stretch
                self.base = probe
                self.streak += 1
                if self.streak >= 2:
                    self.stretch *= 2
                self.backoff = 1
            else:
                if self.fresh:
                    self.wait, self.backoff = self.backoff, min(2 * self.backoff, 32)
                self.stretch //= 2
                self.streak = 0
            self.fresh = False
            return None
        run = _Run(P, self.b0 + self.k + 1)
        new = run.run()
        self.k += 1
        done = stop(self.out, new)
        if done is not None:
            return done
        self.base, self.out = run, new
        if self.wait:
            self.wait -= 1
        else:
            self.stretch, self.fresh, self.streak = 2, True, 0
        return None


def _drive(engine, stop, runs: int) -> tuple[list[int], int]:
    while True:
        done = engine.step(stop)
        runs += 1
        if done is not None:
            return done, runs


def _add1_auto(P: _Prep, first: _TrackedRun, out, stop) -> tuple[list[int], int]:
    """Add1 by whichever of :class:`_Resume` and :class:`_Gallop` advances faster here.

    Which one does depends on the election: bounds skip to the next possible change of the outcome's structure
    and recompute only the rounds it touches, but tracking costs ~3x a plain round and on large elections the
    structure changes every few units (a poorer supporter class turning rich) while the outcome does not
    (Hungary_Budapest_2024: a bound every ~3 units, a change every ~100); certificates ignore the structure but
    need ~log(stretch) runs to close in on each change. So the engines take turns, each measured in units
    advanced per second of CPU over its phases (each phase weighing twice the one before, as the cheaper
    engine may change along the budgets; switching to bounds costs a fresh tracked run, counted): after a short
    trial of each, the faster goes on in phases that grow by half each time; the other's rate is raised by a
    quarter after every phase it sits out, and once that passes the running engine's it gets another short
    trial; the gallop resumes with the stretch it had. Both are exact, so the winners never depend on the
    timing, only the time does. The first phase of bounds lasts 16 ms (at least 8 runs): most small elections are
    done by then, and a trial of certificates cost them 15–20 % more time (bench_counting.py --quick --engines)."""
    b0 = P.budget / P.n_voters
    engine, runs = _Resume(first, out, 0), 1
    done_units = {"resume": 0.0, "gallop": 0.0}  # units advanced and CPU seconds spent by each engine, the older
    spent_s = {"resume": 0.0, "gallop": 0.0}  # phases weighing half as much after each phase of the same engine
    hope = {"resume": 1.0, "gallop": 1.0}  # raises the rate of the engine sitting out, so it gets tried again
    stretch = 2  # the gallop's stretch when it was last left: it goes on from there
    mode, trial = "resume", True
    clock = time.process_time
    long_s, switch_s = 0.004, 0.0  # a phase of the faster engine grows by half each time (a trial stays short)

    def rate(m):
        return done_units[m] / spent_s[m] if spent_s[m] > 0 else None

    limit = 0.016  # the first phase: bounds alone finish most small elections before certificates are tried
    while True:
        t0, k0, steps = clock(), engine.k, 0
        while steps < 8 or clock() - t0 < limit:
            done = engine.step(stop)
            runs += 1
            steps += 1
            if done is not None:
                return done, runs
        done_units[mode] = done_units[mode] / 2 + (engine.k - k0)
        spent_s[mode] = spent_s[mode] / 2 + max(clock() - t0 + switch_s, 1e-9)
        switch_s = 0.0
        hope[mode] = 1.0
        if not trial:
            long_s *= 1.5
        other = "gallop" if mode == "resume" else "resume"
        r, r_other = rate(mode), rate(other)
        if r_other is not None and r_other * hope[other] <= r:
            hope[other] *= 1.25
            trial = False
            limit = long_s
            continue
        trial = r_other is None or r_other <= r  # not measured faster: only hoped to be
        limit = 0.002 if trial else long_s
        t1 = clock()
        if other == "gallop":
            engine = _Gallop(P, engine.run, engine.out, engine.k)
            engine.stretch = stretch
        else:  # a tracked run where the certificates stand (its time counts for the phase that follows)
            stretch = max(engine.stretch, 2)
            run = _TrackedRun(P, b0 + engine.k, engine.k)
            if run.run() != engine.out:  # pragma: no cover - both are exact MES at unit k
                raise AssertionError("Add1 engines disagree")
            runs += 1
            engine = _Resume(run, engine.out, engine.k)
        switch_s = clock() - t1
        mode = other


def _add1_indices(P: _Prep, jump: bool | str = "auto") -> tuple[list[int], int]:
    """Add1 completion; returns (winners, number of MES runs computed).

    pabutools reruns MES at per-voter budgets t_k = budget/n + k, k = 0, 1, 2, ...
    and stops at the first k whose outcome is exhaustive (returns it) or
    overspends (returns the outcome of k - 1). The engines find the same k:

    * ``"auto"`` (used by :func:`mes_add1`): the two below in turns, the faster going on (:func:`_add1_auto`);
    * ``"gallop"``: certified stretches (:class:`_Gallop`);
    * ``"resume"``: one exact run per possible change of the outcome's structure, each recomputing only the
      rounds whose bounds do not reach it (:class:`_Resume`); ``"bound"``: the same, every run from the start;
    * ``False``: one exact run per unit, as pabutools does (for tests).

    The fast engines prove their skips in two different ways (certificates against a run at the stretch's
    start; affine budgets and first roots); tests check each against stepping and against each other.
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

    tracked = jump in ("auto", "resume", "bound")
    if jump not in (False, "gallop") and not tracked:
        raise ValueError(f"unknown Add1 engine {jump!r}")
    first = _TrackedRun(P, b0) if tracked else _Run(P, b0)
    out = first.run()
    runs = 1
    v = verdict(out)
    if v == "exhaustive":
        return out, runs
    if v == "overspent":  # impossible: at budget/n nobody can overspend
        return [], runs
    if jump == "auto":
        return _add1_auto(P, first, out, stop)
    if tracked:
        return _drive(_Resume(first, out, 0, keep=jump == "resume"), stop, runs)
    if jump == "gallop":
        return _drive(_Gallop(P, first, out, 0), stop, runs)
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
        winners, _ = _add1_indices(P, jump="auto")
    return [P.names[j] for j in winners]
