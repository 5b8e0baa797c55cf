"""The Method of Equal Shares without completion: :func:`mes` (cost satisfaction through
the exact engine of :mod:`.mes_engine`) and :func:`_mes_generic` (``cardinality`` and
``points`` satisfactions)."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from .common import _Q, _exact, single_threaded_blas
from .election import Election, _check_sat
from .mes_engine import _Prep, _Run


def _mes_generic(e: Election, sat: str, per_voter) -> list[str]:
    """Exact MES with satisfaction ``cardinality`` or ``points`` at ``per_voter`` budget.

    pabutools' ``mes_inner_algo``: a supporter i pays min(budget_i, rho * u_i(p)),
    where u_i(p) is 1 (cardinality) or i's points on p; the project with the smallest
    rho is bought (ties: smallest id). Voters with identical ballots are grouped."""
    groups = Counter()
    for b in e.ballots:
        items = tuple(sorted((p, v) for p, v in b.items() if v > 0))
        if items:
            groups[items] += 1
    util = []  # per group: {project: exact utility}
    counts = []
    for items, cnt in groups.items():
        util.append({p: (_Q(1) if sat == "cardinality" else _Q(Fraction(v))) for p, v in items})
        counts.append(cnt)
    budgets = [_Q(per_voter)] * len(util)
    cost = {p: _exact(c, "cost") for p, c in e.projects.items()}
    sup = {p: [] for p in e.projects}
    for g, u in enumerate(util):
        for p in u:
            sup[p].append(g)
    total_sat = {p: sum((counts[g] * util[g][p] for g in sup[p]), _Q(0)) for p in e.projects}
    remaining = {p for p in e.projects if sup[p]}
    afford = {p: _Q(0) for p in remaining}  # lower bounds (prices only rise within a run)
    chosen = []
    while remaining:
        best = None
        best_p = None
        for p in sorted(remaining, key=lambda p: (afford[p], p)):
            if sum((counts[g] * budgets[g] for g in sup[p]), _Q(0)) < cost[p]:
                remaining.discard(p)
                continue
            if best is not None and afford[p] > best:
                break
            order = sorted(sup[p], key=lambda g: budgets[g] / util[g][p])
            paid = _Q(0)
            denom = total_sat[p]
            for g in order:
                rho = (cost[p] - paid) / denom
                if rho * util[g][p] <= budgets[g]:
                    afford[p] = rho
                    if best is None or rho < best or (rho == best and p < best_p):
                        best, best_p = rho, p
                    break
                paid += counts[g] * budgets[g]
                denom -= counts[g] * util[g][p]
        if best_p is None:
            break
        for g in sup[best_p]:
            budgets[g] -= min(budgets[g], best * util[g][best_p])
        chosen.append(best_p)
        remaining.discard(best_p)
    return chosen


def mes(e: Election, sat: str | None = None) -> list[str]:
    """Method of Equal Shares, no completion (pabutools-identical); cost satisfaction
    unless ``sat`` is ``cardinality`` or ``points``."""
    _check_sat(e, sat)
    if not e.ballots:
        return []
    if sat in ("cardinality", "points"):
        return _mes_generic(e, sat, _exact(e.budget, "budget") / len(e.ballots))
    P = _Prep(e)
    with single_threaded_blas(P.n_groups):
        return [P.names[j] for j in _Run(P, P.budget / P.n_voters).run()]
