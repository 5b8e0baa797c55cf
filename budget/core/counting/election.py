"""The election data (:class:`Election`, :func:`ordinal_points`), tallies of support
and the satisfaction names (:data:`SATS`) with their check."""

from __future__ import annotations

import math
from collections import Counter
from itertools import chain
from dataclasses import dataclass
from fractions import Fraction

from .common import MAX_MONEY, VOTE_TYPES, _exact


@dataclass(frozen=True)
class Election:
    """One PB bucket: money, projects (id -> cost > 0), one ballot per voter.

    ``ballots[i]`` maps project id -> points. For approval ballots use 1 for
    every approved project. For ordinal ballots, convert a ranking with
    :func:`ordinal_points`. Entries with 0 points are ignored; negative points
    are rejected.
    """

    budget: int | Fraction | float
    projects: dict[str, int | float]
    ballots: list[dict[str, float]]
    vote_type: str = "approval"

    def __post_init__(self):
        if self.vote_type not in VOTE_TYPES:
            raise ValueError(f"vote_type must be one of {', '.join(VOTE_TYPES)}, got {self.vote_type!r}")
        if _exact(self.budget, "budget") < 0:
            raise ValueError("budget must be >= 0")
        if _exact(self.budget, "budget") > MAX_MONEY:
            raise ValueError("budget must be at most 10^15")
        for pid, cost in self.projects.items():
            if not isinstance(pid, str) or not pid:
                raise ValueError(f"project ids must be non-empty strings, got {pid!r}")
            if _exact(cost, f"cost of project {pid!r}") <= 0:
                raise ValueError(f"cost of project {pid!r} must be > 0, got {cost!r}")
            if _exact(cost, f"cost of project {pid!r}") > MAX_MONEY:
                raise ValueError(f"cost of project {pid!r} must be at most 10^15")
        used = set().union(*self.ballots) if self.ballots else set()
        unknown = used - self.projects.keys()
        if unknown:
            raise ValueError(f"ballots mention unknown project(s): {', '.join(sorted(map(str, unknown))[:5])}")
        has_zero = False
        for i, b in enumerate(self.ballots):
            if not b:
                continue
            try:
                lo = min(b.values())
                total = sum(b.values())
                bad = lo < 0 or not math.isfinite(total)
            except TypeError:
                bad = True
            if bad:
                raise ValueError(f"ballot {i}: points must be finite numbers >= 0")
            if lo == 0:
                has_zero = True
        object.__setattr__(self, "_has_zero_points", has_zero)


def ordinal_points(ranking) -> dict[str, int]:
    """Borda-style points for a ranking: n for the first, n-1 for the next, ..., 1 for the last."""
    ranking = list(ranking)
    if len(set(ranking)) != len(ranking):
        raise ValueError("a ranking cannot list a project twice")
    n = len(ranking)
    return {pid: n - i for i, pid in enumerate(ranking)}


def _approval_groups(e: Election) -> Counter:
    """Counter: frozenset of approved (positive-points) project ids -> number of voters."""
    if getattr(e, "_has_zero_points", False):
        return Counter(frozenset(k for k, v in b.items() if v > 0) for b in e.ballots)
    return Counter(map(frozenset, e.ballots))


def _exact_scores(e: Election) -> dict:
    """Exact total support per project (approvals, or points for other vote types)."""
    if e.vote_type == "approval":
        return _supporters(e)
    scores = dict.fromkeys(e.projects, 0)
    for b in e.ballots:
        for pid, v in b.items():
            scores[pid] += v if isinstance(v, int) else Fraction(v)
    return scores


def tally(e: Election) -> dict[str, float]:
    """Total points per project (approval: number of approvals). Ints stay ints."""
    return {pid: (s if isinstance(s, int) else float(s)) for pid, s in _exact_scores(e).items()}


SATS = ("cost", "cardinality", "points")


def _check_sat(e: Election, sat):
    if sat is not None and sat not in SATS:
        raise ValueError(f"unknown satisfaction {sat!r}; expected one of {', '.join(SATS)}")
    if sat == "points" and e.vote_type not in ("cumulative", "scoring"):
        raise ValueError("--sat points needs cumulative or scoring ballots (pabutools' Additive_Cardinal_Sat); "
                         f"this election has {e.vote_type} ballots")


def _supporters(e: Election) -> dict:
    """Exact number of voters with positive points on each project."""
    sup = dict.fromkeys(e.projects, 0)
    if getattr(e, "_has_zero_points", False):
        counts = Counter(pid for b in e.ballots for pid, v in b.items() if v > 0)
    else:  # every project on a ballot has positive points: count the ids themselves (C-level, no grouping)
        counts = Counter(chain.from_iterable(e.ballots))
    for pid, n in counts.items():
        sup[pid] += n
    return sup
