"""Greedy rules: ``greedy`` (by total support, or by a satisfaction per unit of cost) and
pabulib's ``greedy-threshold``."""

from __future__ import annotations

from fractions import Fraction

from .common import _exact
from .election import Election, _check_sat, _exact_scores, _supporters


def greedy(e: Election, sat: str | None = None, threshold=None) -> list[str]:
    """Greedy, skipping projects that do not fit (see module docstring).

    ``sat=None`` ranks by total support (approvals, points, Borda points), the
    official greedy rule of pabulib files. With ``sat`` it is pabutools'
    ``greedy_utilitarian_welfare`` with that satisfaction, which ranks by total
    satisfaction per unit of cost: ``cost`` (Cost_Sat) by the number of voters
    with the project on the ballot, ``cardinality`` (Cardinality_Sat) by that
    number divided by the cost, ``points`` (Additive_Cardinal_Sat) by the total
    points divided by the cost. Ties: smallest project id.

    ``threshold`` (pabulib's ``greedy-threshold``, META ``min_project_score_threshold``):
    only projects whose total support reaches the threshold can be selected.
    """
    _check_sat(e, sat)
    costs = {pid: _exact(c, "cost") for pid, c in e.projects.items()}
    if sat is None:
        key = _exact_scores(e)
    elif sat == "cost":
        key = _supporters(e)
    elif sat == "cardinality":
        key = {p: Fraction(n) / Fraction(costs[p]) for p, n in _supporters(e).items()}
    else:
        key = {p: Fraction(v) / Fraction(costs[p]) for p, v in _exact_scores(e).items()}
    eligible = e.projects
    if threshold is not None:
        limit = _exact(threshold, "threshold")
        support = _exact_scores(e)
        eligible = [p for p in e.projects if support[p] >= limit]
    left = _exact(e.budget, "budget")
    chosen = []
    for pid in sorted(eligible, key=lambda p: (-key[p], p)):
        if costs[pid] <= left:
            chosen.append(pid)
            left -= costs[pid]
    return chosen


def greedy_threshold(e: Election, threshold=None, sat: str | None = None) -> list[str]:
    """pabulib's ``greedy-threshold``: greedy among projects with total support >= ``threshold``."""
    if threshold is None:
        raise ValueError("greedy-threshold needs a threshold (META min_project_score_threshold or --threshold)")
    return greedy(e, sat=sat, threshold=threshold)
