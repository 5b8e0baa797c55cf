"""Shared by every counting module: the exact number type ``_Q`` (gmpy2 ``mpq``, or
``Fraction``; the package's ``_use_fraction`` test hook rebinds it in every module that
uses it), the vote types, the float epsilon, the money cap and :func:`_exact`."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

try:  # gmpy2 is what pabutools uses; ~10x faster than Fraction, same exact values.
    from gmpy2 import mpq as _Q
except ImportError:  # pragma: no cover - exercised by tests through _use_fraction()
    _Q = Fraction

VOTE_TYPES = ("approval", "cumulative", "scoring", "ordinal")
_EPS = float(np.finfo(float).eps)
MAX_MONEY = 10**15  # larger amounts are refused: no budget comes near, floats stay far from overflow


def _exact(x, what: str):
    """Exact rational value of a money amount (int, float, Fraction, Decimal, mpq)."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        raise ValueError(f"{what} must be a number, got {x!r}")
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    try:
        return _Q(x)
    except (TypeError, ValueError):
        try:
            return _Q(Fraction(x))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what} must be a number, got {x!r}") from exc
