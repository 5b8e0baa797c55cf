"""Progress status of a time series (sdg-methods §2.3a): Open SDG 2.4 / Statistics Canada.

Pure numeric core: plain Python, no Django. The rules are restated from the
Open SDG progress methodology (sdg-build ``ProgressMeasure``); no code copied.

Notation: x_b base value in base year b, x_c current value in the latest year c,
T target in target year τ, d direction (+1 higher is better, −1 lower is better),
s = sign of the base value (−1 if x_b < 0 else +1), CAGR(a→z) = (x_z/x_a)^(1/(z−a)) − 1.

Data preparation
----------------
* Years whose value is None or NaN are ignored. A year given as a string such
  as "2015-16" counts as its first year; duplicate years raise ValueError.
* Base year: ``base_year`` (default 2015) if it has data, else the next year
  after it with data; if all data lie before it, the first year.
* Current year: the latest year with data. At least 2 years are needed and
  the base year must come before the current year.
* Series breaks: if a break year B satisfies b < B ≤ c (the latest such B),
  the base moves to the first year ≥ B with data (``rebased_for_break = B``).
* x_b = 0 is replaced by 0.001 (s is taken before the replacement); T = 0 by 0.001.
* x_b and x_c must share a sign (both negative flips the direction via s).

Method 2, with a target (``method="target"``)
---------------------------------------------
* Target achieved when d·(x_c − T) ≥ 0 → ``target_achieved``, score 5.
* Otherwise R = s·d·CAGR(b→c) / |CAGR_req|, CAGR_req = (T/x_b)^(1/(τ−b)) − 1.
* Status: R ≥ 0.95 substantial; 0.6 ≤ R < 0.95 moderate; 0 ≤ R < 0.6 limited; R < 0 deterioration.
* Score: R ≥ 0.6 → min(7.1429·R − 4.2857, 5); R < 0.6 → max(4.1667·R − 2.5, −5)
  (Open SDG's rounded constants for 50/7, 30/7 and 25/6).

Method 1, no target (``method="no_target"``)
--------------------------------------------
* g = s·d·CAGR(b→c). Thresholds high/med/low = 1.5% / 0.5% / 0, each times C.
* Limit factor C (only when ``limit`` is given; y0 = |x_b|, L = |limit|, a = 4.44):
  C = 1 if y0 ≥ 2L; C = 1 − (y0/L)^a if y0 ≤ L; else C = 1 − ((2L − y0)/L)^a.
  C is computed from the base value as observed (before the 0 → 0.001 swap).
* Score: g < 0 → max(125·g − 2.5, −5); C = 0 (and g ≥ 0) → 5;
  g ≥ high → min(500·g/C − 5, 5); med ≤ g < high → 250·g/C − 1.25;
  0 ≤ g < med → 500·g/C − 2.5.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .bounds import clamp_to_bounds, within_bounds  # noqa: F401 (re-exported: services use them from here)

STATUSES = (
    "target_achieved",
    "substantial_progress",
    "moderate_progress",
    "limited_progress",
    "deterioration",
)
SUMMARY_CLASSES = ("on_track", "limited_progress", "reversed")

_SUMMARY_OF = {
    "target_achieved": "on_track",
    "substantial_progress": "on_track",
    "moderate_progress": "limited_progress",
    "limited_progress": "limited_progress",
    "deterioration": "reversed",
    "on_track": "on_track",
    "reversed": "reversed",
}
_NO_DATA = (None, "not_available", "insufficient_data")

ZERO_REPLACEMENT = 0.001
LIMIT_EXPONENT = 4.44
RATIO_THRESHOLDS = {"high": 0.95, "med": 0.6, "low": 0.0}
GROWTH_THRESHOLDS = {"high": 0.015, "med": 0.005, "low": 0.0}
MAX_SCORE = 5.0


@dataclass(frozen=True, kw_only=True)
class ProgressResult:
    """Status of one series with every input and intermediate used.

    ``base_value`` is the value the formulas used (0 already replaced by
    0.001); ``target`` likewise. ``limit_factor`` is None when no limit was
    given (C = 1 was used). ``reason`` explains ``insufficient_data``.
    """

    method: str
    status: str | None = None
    summary: str | None = None
    score: float | None = None
    base_year: int | None = None
    base_value: float | None = None
    current_year: int | None = None
    current_value: float | None = None
    target: float | None = None
    target_year: int | None = None
    direction: int
    limit: float | None = None
    ratio: float | None = None
    growth: float | None = None
    limit_factor: float | None = None
    cagr_observed: float | None = None
    cagr_required: float | None = None
    rebased_for_break: int | None = None
    reason: str | None = None
    #: Stable code of ``reason`` (translated by the callers) and the numbers it mentions.
    reason_code: str | None = None
    reason_params: dict | None = None
    #: Why a target given was not used (see :func:`assess`): ``different_definition``, ``different_unit``,
    #: ``worsening_target``; None when it was used or none was given.
    target_refused: str | None = None
    #: Years dropped because their value lies outside the indicator's bounds (suspect values).
    skipped_years: tuple = ()

    @property
    def worse_than_base(self) -> bool:
        """True when the latest value is worse than the base-year value in the desired direction."""
        if self.raw_base is None or self.current_value is None:
            return False
        return self.direction * (self.current_value - self.raw_base) < 0

    raw_base: float | None = None


class IndicatorStatus(NamedTuple):
    """Indicator-level result; unpacks as ``(score, status)``."""

    score: float | None
    status: str | None


# --------------------------------------------------------------------------- helpers


def cagr(start: float, end: float, start_year: int, end_year: int) -> float:
    """Compound annual growth rate (end/start)^(1/(end_year − start_year)) − 1."""
    return (end / start) ** (1 / (end_year - start_year)) - 1


def limit_factor(base_value: float, limit: float) -> float:
    """Threshold reduction C near a natural limit (a = 4.44, absolute values).

    C = 1 if y0 ≥ 2L; 1 − (y0/L)^a if y0 ≤ L; 1 − ((2L − y0)/L)^a otherwise.
    """
    y0, L = abs(base_value), abs(limit)
    if y0 >= 2 * L:
        return 1.0
    if y0 <= L:
        return 1 - (y0 / L) ** LIMIT_EXPONENT
    return 1 - ((2 * L - y0) / L) ** LIMIT_EXPONENT


def score_with_target(ratio: float) -> float:
    """Method 2 score: min(7.1429·R − 4.2857, 5) for R ≥ 0.6, else max(4.1667·R − 2.5, −5)."""
    if ratio >= RATIO_THRESHOLDS["med"]:
        return min(7.1429 * ratio - 4.2857, MAX_SCORE)
    return max(4.1667 * ratio - 2.5, -MAX_SCORE)


def status_with_target(ratio: float) -> str:
    """Method 2 status from R with cut-offs 0.95 / 0.6 / 0."""
    return _status_from_thresholds(ratio, RATIO_THRESHOLDS, 1.0)


def score_without_target(growth: float, factor: float = 1.0) -> float:
    """Method 1 score, piecewise linear in g/C (see module docstring)."""
    high, med = GROWTH_THRESHOLDS["high"] * factor, GROWTH_THRESHOLDS["med"] * factor
    if growth < 0:
        return max(125 * growth - 2.5, -MAX_SCORE)
    if factor == 0:
        return MAX_SCORE
    if growth >= high:
        return min(500 * growth / factor - 5, MAX_SCORE)
    if growth >= med:
        return 250 * growth / factor - 1.25
    return 500 * growth / factor - 2.5


def status_without_target(growth: float, factor: float = 1.0) -> str:
    """Method 1 status from g with cut-offs 1.5% / 0.5% / 0, each times C."""
    return _status_from_thresholds(growth, GROWTH_THRESHOLDS, factor)


def _status_from_thresholds(value: float, thresholds: Mapping[str, float], factor: float) -> str:
    if value >= thresholds["high"] * factor:
        return "substantial_progress"
    if value >= thresholds["med"] * factor:
        return "moderate_progress"
    if value >= thresholds["low"] * factor:
        return "limited_progress"
    return "deterioration"


def _clean_series(series: Mapping) -> list[tuple[int, float]]:
    """Sorted (year, value) pairs, dropping None/NaN values."""
    points: dict[int, float] = {}
    for raw_year, raw_value in series.items():
        year = int(raw_year[:4]) if isinstance(raw_year, str) else int(raw_year)
        if year in points:
            raise ValueError(f"duplicate year {year} in the series")
        if raw_value is None:
            continue
        value = float(raw_value)
        if math.isnan(value):
            continue
        if math.isinf(value):
            raise ValueError(f"value for {year} is infinite")
        points[year] = value
    return sorted(points.items())


def _pick_base_year(years: Sequence[int], base_year: int) -> int:
    """Requested base year if present, else the next year after it, else the first year."""
    later = [y for y in years if y >= base_year]
    return later[0] if later else years[0]


def _same_sign(a: float, b: float) -> bool:
    return not ((a > 0 and b < 0) or (a < 0 and b > 0))


# --------------------------------------------------------------------------- series status


def progress_status(
    series: Mapping[int, float],
    direction: int,
    *,
    target: float | None = None,
    target_year: int = 2030,
    base_year: int = 2015,
    limit: float | None = None,
    series_breaks: Iterable[int] = (),
    strict_base: bool = False,
    bounds: tuple[float | None, float | None] | None = None,
) -> ProgressResult:
    """Open SDG / Statistics Canada progress status of one series (rules in the module docstring).

    ``target`` given → method 2 (``method="target"``), else method 1
    (``"no_target"``; ``limit`` then reduces the thresholds). ``strict_base``: never measure from a year
    before ``base_year`` (a target's own base year). ``bounds`` (low, high): values outside are suspect and
    skipped (listed in ``skipped_years``). Returns
    ``method="insufficient_data"`` with a ``reason`` when the data do not
    allow a calculation. Raises ValueError for a direction other than ±1,
    duplicate years, or a non-finite target/limit/value.
    """
    if direction not in (1, -1) or isinstance(direction, bool):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    for name, value in (("target", target), ("limit", limit)):
        if value is not None and not math.isfinite(float(value)):
            raise ValueError(f"{name} must be finite, got {value!r}")
    common = {"direction": int(direction), "target_year": target_year if target is not None else None,
              "limit": limit}
    points = _clean_series(series)
    skipped: tuple = ()
    if bounds is not None:
        kept = [(y, v) for y, v in points if within_bounds(v, bounds)]
        skipped = tuple(y for y, v in points if not within_bounds(v, bounds))
        points = kept
        common["skipped_years"] = skipped
    if len(points) < 2:
        return _insufficient(common, f"needs at least 2 years with data; got {len(points)}",
                             code="too_few_years", params={"n": len(points)})

    years = [y for y, _ in points]
    values = dict(points)
    current = years[-1]
    if strict_base and current <= base_year:
        return _insufficient(common, f"no year with data after the base year {base_year}",
                             code="nothing_after_base", params={"base_year": base_year})
    base = _pick_base_year(years, base_year)
    if base == current:
        return _insufficient(common, f"only one year with data ({current}) at or after the base year {base_year}",
                             code="one_year_after_base", params={"year": current, "base_year": base_year})
    breaks = [b for b in series_breaks if base < b <= current]
    rebased = max(breaks) if breaks else None
    if rebased is not None:
        base = _pick_base_year(years, rebased)
        if base == current:
            return _insufficient(
                common, f"after the series break in {rebased} only one year with data remains ({current})",
                code="one_year_after_break", params={"break": rebased, "year": current}, rebased_for_break=rebased)

    common.update(base_year=base, current_year=current, current_value=values[current],
                  rebased_for_break=rebased)
    if target is None:
        return _without_target(values[base], common, limit)
    return _with_target(values[base], float(target), target_year, common)


def _insufficient(common: dict, reason: str, *, code: str, params: dict | None = None, **extra) -> ProgressResult:
    return ProgressResult(method="insufficient_data", reason=reason, reason_code=code, reason_params=params or {},
                          **{**common, **extra})


def _prepare_base(raw_base: float, current_value: float, common: dict):
    """Return (sign, base used, problem or None): 0 → 0.001, and the shared-sign check."""
    sign = -1 if raw_base < 0 else 1
    base_value = ZERO_REPLACEMENT if raw_base == 0 else raw_base
    problem = None
    if not _same_sign(base_value, current_value):
        problem = (f"base value {base_value} ({common['base_year']}) and current value {current_value} "
                   f"({common['current_year']}) have opposite signs; transform the data first", "opposite_signs")
    return sign, base_value, problem


def _with_target(raw_base: float, target: float, target_year: int, common: dict) -> ProgressResult:
    """Method 2: ratio R of observed to required CAGR (see module docstring)."""
    d, b, c, x_c = common["direction"], common["base_year"], common["current_year"], common["current_value"]
    target = ZERO_REPLACEMENT if target == 0 else target
    sign, x_b, problem = _prepare_base(raw_base, x_c, common)
    common = {**common, "base_value": x_b, "target": target, "raw_base": raw_base}
    # Invariant: "achieved" only when the target is met AND the latest value is not worse than the base value.
    achieved = d * (x_c - target) >= 0 and d * (x_c - raw_base) >= 0
    if problem is None and not _same_sign(x_b, target):
        problem = (f"base value {x_b} and target {target} have opposite signs; the required CAGR is undefined",
                   "target_opposite_sign")
    if problem is None and target_year <= b:
        problem = (f"target year {target_year} is not after the base year {b}", "target_year_not_after_base")
    if problem is not None:
        if achieved:
            return _result("target", "target_achieved", MAX_SCORE, common)
        return _insufficient(common, problem[0], code=problem[1])

    observed = cagr(x_b, x_c, b, c)
    required = cagr(x_b, target, b, target_year)
    ratio = _safe_ratio(sign * d * observed, abs(required)) + 0.0  # + 0.0 turns −0.0 into 0.0
    common.update(cagr_observed=observed, cagr_required=required, ratio=ratio)
    if achieved:
        return _result("target", "target_achieved", MAX_SCORE, common)
    return _result("target", status_with_target(ratio), score_with_target(ratio), common)


def _safe_ratio(numerator: float, denominator: float) -> float:
    """numerator/denominator, ±inf (or 0) when the required growth is 0 (target = base)."""
    if denominator != 0:
        return numerator / denominator
    return math.copysign(math.inf, numerator) if numerator != 0 else 0.0


def _without_target(raw_base: float, common: dict, limit: float | None) -> ProgressResult:
    """Method 1: growth g against thresholds reduced by C (see module docstring)."""
    d, b, c, x_c = common["direction"], common["base_year"], common["current_year"], common["current_value"]
    sign, x_b, problem = _prepare_base(raw_base, x_c, common)
    common = {**common, "base_value": x_b, "raw_base": raw_base}
    if problem is not None:
        return _insufficient(common, problem[0], code=problem[1])
    factor = limit_factor(raw_base, limit) if limit is not None else None
    C = 1.0 if factor is None else factor
    observed = cagr(x_b, x_c, b, c)
    growth = sign * d * observed + 0.0  # + 0.0 turns −0.0 into 0.0
    common.update(cagr_observed=observed, growth=growth, limit_factor=factor)
    return _result("no_target", status_without_target(growth, C), score_without_target(growth, C), common)


def _result(method: str, status: str, score: float, common: dict) -> ProgressResult:
    raw, x_c = common.get("raw_base"), common.get("current_value")
    if raw is not None and x_c is not None and common["direction"] * (x_c - raw) < 0 and status != "deterioration":
        # Invariant: a latest value worse than the base value is never progress (e.g. 0 → 0.0005, lower better,
        # where the 0 → 0.001 swap makes the growth look positive).
        status, score = "deterioration", min(score, -2.5)
    return ProgressResult(method=method, status=status, summary=summary_class(status), score=score, **common)


# --------------------------------------------------------------------------- targets and bounds


def suspect_values(code: str, rows: Iterable[tuple], bounds) -> tuple[list, list[str]]:
    """Of ``rows`` (key, value, file, line), those outside ``bounds``: (their keys, ``file:line`` warnings)."""
    keys, warnings = [], []
    if bounds is None:
        return keys, warnings
    low, high = bounds
    shown = f"[{'' if low is None else f'{low:g}'}, {'' if high is None else f'{high:g}'}]"
    for key, value, file, line in rows:
        if not within_bounds(value, bounds):
            keys.append(key)
            warnings.append(f"{file or code}:{line or 0}: {code}: value {value:g} lies outside the indicator's "
                            f"bounds {shown}; kept as published and flagged suspect (not used for statuses)")
    return keys, warnings


def target_on_worsening_side(direction: int, baseline: float, target: float) -> bool:
    """True when ``target`` lies on the worsening side of ``baseline`` given the direction (refused)."""
    return direction in (1, -1) and direction * (target - baseline) < 0


def rounding_tolerance(published: float) -> float:
    """Half a unit in the last decimal place the published number shows (5.2 → 0.05; 25 → 0.5)."""
    text = repr(float(published))
    if "e" in text or "E" in text:
        return abs(published) * 1e-9
    decimals = len(text.split(".")[1].rstrip("0")) if "." in text else 0
    return 0.5 * 10 ** -decimals + 1e-12


def baseline_agrees(published: float, series_value: float) -> bool:
    """True when the series value rounds to the published baseline (``rounding_tolerance``)."""
    return abs(series_value - published) <= rounding_tolerance(published)


@dataclass(frozen=True, kw_only=True)
class TargetSpec:
    """A target as published: value, year and (for national targets) its own baseline and unit."""

    value: float
    year: int = 2030
    baseline_year: int | None = None
    baseline_value: float | None = None
    unit: str = ""


def assess(
    series: Mapping[int, float],
    direction: int,
    *,
    target: TargetSpec | None = None,
    base_year: int = 2015,
    series_unit: str = "",
    limit: float | None = None,
    series_breaks: Iterable[int] = (),
    bounds: tuple[float | None, float | None] | None = None,
) -> ProgressResult:
    """Status of a series, using ``target`` only where it was set for this series (issue 10, item 3).

    * A target with a unit different from ``series_unit`` (both given) → refused ``different_unit``.
    * A target whose baseline (year, value) disagrees with the series in that year beyond rounding →
      refused ``different_definition``.
    * A target on the worsening side of its baseline (or, without a baseline, of the series' base value)
      → refused ``worsening_target``.
    A refused target is not used: the no-target method applies and ``target_refused`` says why; so too when the
    series has no data after the target's base year yet (``no_data_after_target_base``).
    A target used is measured from its own base year (``baseline_year``, else ``base_year``), never earlier.
    """
    common = {"limit": limit, "series_breaks": series_breaks, "bounds": bounds}
    if target is None:
        return progress_status(series, direction, base_year=base_year, **common)
    refused = target_problem(series, direction, target, series_unit=series_unit, bounds=bounds)
    if refused is not None:
        result = progress_status(series, direction, base_year=base_year, **common)
        return _replace(result, target_refused=refused)
    own_base = target.baseline_year if target.baseline_year is not None else base_year
    result = progress_status(series, direction, target=target.value, target_year=target.year, base_year=own_base,
                             strict_base=True, **common)
    if result.reason_code in ("nothing_after_base", "one_year_after_base"):
        # Not yet measurable against the target (no data after its own base year): the no-target method says
        # how the series moves, labelled so.
        fallback = progress_status(series, direction, base_year=base_year, **common)
        if fallback.status is not None:
            return _replace(fallback, target_refused="no_data_after_target_base")
    return result


def target_problem(series: Mapping[int, float], direction: int, target: TargetSpec, *, series_unit: str = "",
                   bounds=None) -> str | None:
    """Why ``target`` may not be used on ``series`` (see :func:`assess`), or None."""
    if target.unit and series_unit and target.unit != series_unit:
        return "different_unit"
    values = {y: v for y, v in _clean_series(series) if within_bounds(v, bounds)}
    if target.baseline_value is not None:
        if target_on_worsening_side(direction, target.baseline_value, target.value):
            return "worsening_target"
        if target.baseline_year is not None and target.baseline_year in values:
            if not baseline_agrees(target.baseline_value, values[target.baseline_year]):
                return "different_definition"
    return None


def _replace(result: ProgressResult, **changes) -> ProgressResult:
    from dataclasses import replace

    return replace(result, **changes)


# --------------------------------------------------------------------------- aggregation


def status_from_score(score: float | None, all_achieved: bool = False) -> str | None:
    """Indicator status from a mean score: [2.5, 5] substantial, [0, 2.5) moderate,
    [−2.5, 0) limited, [−5, −2.5) deterioration; ``target_achieved`` if all series achieved."""
    if all_achieved:
        return "target_achieved"
    if score is None:
        return None
    if score >= 2.5:
        return "substantial_progress"
    if score >= 0:
        return "moderate_progress"
    if score >= -2.5:
        return "limited_progress"
    return "deterioration"


def indicator_status(results: Sequence[ProgressResult]) -> IndicatorStatus:
    """Aggregate series results to one indicator (Open SDG).

    score = arithmetic mean of the series scores that exist (series without a
    score are skipped); status = :func:`status_from_score`, except
    ``target_achieved`` when every scored series achieved its target.
    Returns ``IndicatorStatus(None, None)`` when no series has a score.
    """
    scored = [r for r in results if r.score is not None]
    if not scored:
        return IndicatorStatus(None, None)
    score = math.fsum(r.score for r in scored) / len(scored)
    all_achieved = all(r.status == "target_achieved" for r in scored)
    return IndicatorStatus(score, status_from_score(score, all_achieved))


def summary_class(status: str | None) -> str | None:
    """Three-class summary: target_achieved/substantial → on_track; moderate/limited →
    limited_progress; deterioration → reversed. None (no data) → None.
    A summary class passed in is returned unchanged."""
    if status is None:
        return None
    try:
        return _SUMMARY_OF[status]
    except KeyError:
        raise ValueError(f"unknown progress status {status!r}") from None


def summarize(statuses: Iterable[str | None]) -> dict:
    """Counts and shares per summary class ("7 of 20 on track").

    Returns ``{"counts": {class: n}, "shares": {class: n / n_assessed},
    "n_assessed": ..., "n_no_data": ..., "n_total": ...}``. None,
    "not_available" and "insufficient_data" count as no data. Shares are
    None when nothing was assessed.
    """
    counts = dict.fromkeys(SUMMARY_CLASSES, 0)
    no_data = 0
    for status in statuses:
        if status in _NO_DATA:
            no_data += 1
        else:
            counts[summary_class(status)] += 1
    assessed = sum(counts.values())
    shares = {k: (n / assessed if assessed else None) for k, n in counts.items()}
    return {"counts": counts, "shares": shares, "n_assessed": assessed,
            "n_no_data": no_data, "n_total": assessed + no_data}


def time_distance(
    base_year: float, base_value: float, target_year: float, target_value: float, year: float, value: float
) -> float:
    """S-distance (Sicherl): years ahead (+) or behind (−) the straight target path.

    The path runs linearly from (b, x_b) to (τ, T); it reaches ``value`` in
    t* = b + (value − x_b)/(T − x_b)·(τ − b); the distance is ``t* − year``.
    Example: 6.0 (2015) → 3.0 (2030) reaches 4.5 in 2022.5; actual 4.5 in 2023 → −0.5.
    """
    if target_value == base_value:
        raise ValueError("the target path is flat (target = base value); time distance is undefined")
    if target_year == base_year:
        raise ValueError("target year must differ from base year")
    on_path = base_year + (value - base_value) / (target_value - base_value) * (target_year - base_year)
    return on_path - year
