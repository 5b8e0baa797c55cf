"""Representation statistics of an outcome: :func:`fairness`."""

from __future__ import annotations

from collections import Counter

from .common import _exact
from .election import Election


def fairness(e: Election, winners, voter_groups: dict[int, str] | None = None) -> dict:
    """Representation statistics of an outcome.

    A voter "supports" a project if it has positive points on the ballot.

    * ``share_with_funded``: share of voters with at least one funded project on
      their ballot (empty ballots count as voters without one);
    * ``money_per_voter``: the cost of every funded project split equally among
      its supporters, summed per voter and averaged (projects nobody supported
      are attributed to nobody); it sums to the money spent on supported
      projects divided by the number of voters;
    * ``cost_satisfaction_per_voter``: average total cost of the funded projects
      on a voter's ballot;
    * ``by_group``: the same figures per voter group (``voter_groups`` maps a
      ballot index to a label, e.g. a district; unmapped voters go to ``None``).
    """
    winners = list(winners)
    costs = {pid: float(_exact(e.projects[pid], "cost")) for pid in winners}
    funded = set(winners)
    supporters = Counter()
    sets = []
    for b in e.ballots:
        s = frozenset(k for k, v in b.items() if v > 0 and k in funded)
        sets.append(s)
        supporters.update(s)
    share = {pid: costs[pid] / supporters[pid] for pid in winners if supporters[pid]}
    acc: dict = {}
    total = [0, 0, 0.0, 0.0]
    for i, s in enumerate(sets):
        label = voter_groups.get(i) if voter_groups is not None else None
        row = acc.setdefault(label, [0, 0, 0.0, 0.0])
        money = sum(share[p] for p in s)
        sat = sum(costs[p] for p in s)
        for r in (row, total):
            r[0] += 1
            r[1] += 1 if s else 0
            r[2] += money
            r[3] += sat

    def summary(r):
        n = r[0]
        return {
            "voters": n,
            "voters_with_funded": r[1],
            "share_with_funded": r[1] / n if n else 0.0,
            "money_per_voter": r[2] / n if n else 0.0,
            "cost_satisfaction_per_voter": r[3] / n if n else 0.0,
        }

    out = summary(total)
    out["spent"] = float(sum(costs.values()))
    out["budget"] = float(_exact(e.budget, "budget"))
    if voter_groups is not None:
        out["by_group"] = {label: summary(r) for label, r in acc.items()}
    return out
