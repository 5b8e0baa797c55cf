"""How many regions have data in each year: the default base year of a decomposition and the coverage check.

Plain functions on plain data (no Django). A decomposition splits a national target among the regions that have a
base value; a base year that only a few regions report would approve targets for those few and silently leave the
others out, so the officer is shown the coverage and must confirm (with a reason) below :data:`MIN_COVERAGE`.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

#: Share of the regions that must take part for a decomposition to be approved without a confirmation.
MIN_COVERAGE = 0.75


def coverage_by_year(years_by_region: Mapping[object, Iterable[int]]) -> dict[int, int]:
    """Year → number of regions with at least one value in that year."""
    counts: Counter = Counter()
    for years in years_by_region.values():
        counts.update(set(years))
    return dict(counts)


def default_base_year(years_by_region: Mapping[object, Iterable[int]], total: int) -> int | None:
    """The latest year in which every one of ``total`` regions has a value; without such a year, the year with the
    most regions (the latest of equals); None without any data."""
    counts = coverage_by_year(years_by_region)
    if not counts:
        return None
    full = [year for year, n in counts.items() if total and n >= total]
    if full:
        return max(full)
    return max(counts, key=lambda year: (counts[year], year))


def share(included: int, total: int) -> float:
    return included / total if total else 0.0


def below_threshold(included: int, total: int, threshold: float = MIN_COVERAGE) -> bool:
    """True when fewer than ``threshold`` of the ``total`` regions take part (no region at all counts as below)."""
    return total <= 0 or included < threshold * total
