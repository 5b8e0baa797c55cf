"""Shared by every counting module: the exact number type ``_Q`` (gmpy2 ``mpq``, or
``Fraction``; the package's ``_use_fraction`` test hook rebinds it in every module that
uses it), the vote types, the float epsilon, the money cap and :func:`_exact`."""

from __future__ import annotations

import math
from contextlib import nullcontext
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


# OpenBLAS runs a dot product of more than 10,000 elements on several threads. The engine computes many such
# products one after another, and waking the BLAS threads for each costs far more than the product itself,
# above all on a machine whose cores are busy (Budapest 2024: 31 ms of CPU per MES run with 2 BLAS threads,
# 6.7 ms with one; bench/bench_counting.py).
BLAS_THREAD_SIZE = 10_000


def single_threaded_blas(size: int):
    """A context in which BLAS uses one thread, for an election whose vectors reach ``size`` elements; a no-op
    below the size where OpenBLAS would start threads (entering the limit costs ~0.6 ms)."""
    if size <= BLAS_THREAD_SIZE:
        return nullcontext()
    from threadpoolctl import threadpool_limits  # imported only for large elections

    return threadpool_limits(limits=1, user_api="blas")
