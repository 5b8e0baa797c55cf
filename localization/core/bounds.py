"""An indicator's natural bounds [low, high] (a None side is open): the one test and clamp every core uses."""
from __future__ import annotations

Bounds = tuple[float | None, float | None]


def within_bounds(value: float, bounds: Bounds | None) -> bool:
    """True when ``value`` lies in [low, high] (a None side is open)."""
    if bounds is None:
        return True
    low, high = bounds
    return not (low is not None and value < low or high is not None and value > high)


def clamp_to_bounds(value: float, bounds: Bounds | None) -> float:
    """``value`` moved to the nearest bound when it lies outside [low, high]."""
    if bounds is None:
        return value
    low, high = bounds
    if low is not None and value < low:
        return float(low)
    if high is not None and value > high:
        return float(high)
    return value
