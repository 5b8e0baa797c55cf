"""Decompose a national SDG target into regional targets (sdg-methods §2.6).

Pure numeric core: plain Python, no Django. Every public function validates its
inputs and raises :class:`DecompositionError` (a ``ValueError``) with a plain
English message; callers translate by catching it.

Notation (sdg-methods §2.1 and §2.6)
------------------------------------
* ``x_r``  base value of region r, ``w_r`` its weight (the indicator's
  denominator: population for a poverty rate, households for gasification).
* ``W = Σ w_r``; national base ``X_N = Σ w_r x_r / W``.
* ``T_N`` national target, ``T_r`` regional target.
* ``d`` direction: +1 higher is better, -1 lower is better.

Consistency condition, kept by every rule with and without the clamp::

    Σ w_r T_r / W = T_N

Rules
-----
* ``uniform``            T_r = T_N
* ``relative``           T_r = x_r · T_N / X_N
* ``gap_closure``        α = (T_N − X_N)/(E − X_N);  T_r = x_r + α (E − x_r)
* ``convergence``        T_r = T_N + (1 − γ)(x_r − X_N)
* ``rescale_proposals``  P_N = Σ w_r P_r / W;  k = (X_N − T_N)/(X_N − P_N);
                         T_r = x_r − k (x_r − P_r)
* ``unserved_counts``    U_r = w_r · max(0, d (E − x_r));  ΔN = W · d (T_N − X_N);
                         ΔN_r = ΔN · U_r / Σ U  (:func:`allocate_counts`);  T_r = x_r + d ΔN_r / w_r

Non-regression clamp
--------------------
A region whose rule target is worse than its base, ``d·(T_r − x_r) < 0``, is
held at ``T_r = x_r``. The remaining ("free") regions F are rescaled R5-style
from their rule targets U_r so that consistency holds again::

    T_r = x_r − k (x_r − U_r),   k = (Σ_all w x − W T_N) / Σ_F w (x_r − U_r)

and this repeats until no region regresses. Because the rule targets are
consistent and T_N is not worse than X_N, holding regressors at their base
can only *relax* the others (0 ≤ k ≤ 1), so the loop ends after one
rescaling; it is still written as a loop and checks feasibility each round.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from .bounds import clamp_to_bounds, within_bounds

RULES = ("uniform", "relative", "gap_closure", "convergence", "rescale_proposals", "unserved_counts")

CONSISTENCY_TOLERANCE = 1e-9
"""Relative tolerance for Σ w T / W = T_N (checked on every result)."""


class DecompositionError(ValueError):
    """Invalid input or an infeasible decomposition; the message says why."""


@dataclass(frozen=True)
class DecompositionResult:
    """Outcome of :func:`decompose`; every number needed to show the working.

    ``unclamped`` is what the rule itself gave; ``targets`` is final (after the
    non-regression clamp, if enabled). ``clamped`` lists, in input order, the
    regions held at their base value. ``weighted_result`` is Σ w T / Σ w of
    ``targets`` and equals ``national_target`` within 1e-9 (relative).
    """

    rule: str
    params: dict
    weights: dict[str, float]
    bases: dict[str, float]
    targets: dict[str, float]
    unclamped: dict[str, float]
    clamped: tuple[str, ...]
    national_base: float
    national_target: float
    weighted_result: float
    direction: int
    clamp_scale: float | None = field(default=None)
    """The R5 factor k applied to the free regions by the clamp (None if no region was clamped)."""


# --------------------------------------------------------------------------- validation


def _finite(name: str, value) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number."""
    if isinstance(value, bool):
        raise DecompositionError(f"{name} must be a number, got a boolean")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DecompositionError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise DecompositionError(f"{name} must be a finite number, got {value!r}")
    return number


def _check_direction(direction) -> int:
    if direction not in (1, -1) or isinstance(direction, bool):
        raise DecompositionError(
            f"direction must be +1 (higher is better) or -1 (lower is better), got {direction!r}"
        )
    return int(direction)


def _check_keys(reference: Mapping, other: Mapping, other_name: str) -> None:
    """Raise unless ``other`` has exactly the regions of ``reference``."""
    missing = [k for k in reference if k not in other]
    extra = [k for k in other if k not in reference]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing regions {missing}")
        if extra:
            parts.append(f"extra regions {extra}")
        raise DecompositionError(
            f"{other_name} must have exactly the same regions as the base values: " + "; ".join(parts)
        )


def _check_values(values: Mapping, name: str) -> dict[str, float]:
    if not isinstance(values, Mapping):
        raise DecompositionError(f"{name} must be a mapping of region -> number")
    if not values:
        raise DecompositionError(f"{name} must contain at least one region")
    return {key: _finite(f"{name}[{key!r}]", value) for key, value in values.items()}


def _check_weights(weights: Mapping, values: Mapping, values_name: str = "bases") -> dict[str, float]:
    """Weights must match the regions of ``values``, be finite and strictly positive."""
    checked = _check_values(weights, "weights")
    _check_keys(values, checked, "weights")
    bad = [key for key, w in checked.items() if w <= 0]
    if bad:
        raise DecompositionError(f"weights must be strictly positive; non-positive weight for {bad}")
    if math.fsum(checked.values()) <= 0:
        raise DecompositionError("weights must not sum to zero")
    return {key: checked[key] for key in values}  # reorder like ``values``


def _weighted_mean(values: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Σ w_r v_r / Σ w_r, summed with ``math.fsum``."""
    total = math.fsum(weights.values())
    return math.fsum(weights[k] * values[k] for k in weights) / total


def national_value(values: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """National value X_N = Σ w_r x_r / Σ w_r (weights = the indicator's denominator)."""
    checked = _check_values(values, "values")
    return _weighted_mean(checked, _check_weights(weights, checked, "values"))


def _better(direction: int, a: float, b: float) -> float:
    """Signed improvement d·(a − b): positive when ``a`` is better than ``b``."""
    return direction * (a - b)


# --------------------------------------------------------------------------- rules


def _rule_uniform(x, w, X_N, T_N, d, opts):
    """R1: T_r = T_N for every region."""
    return {r: T_N for r in x}, {}


def _rule_relative(x, w, X_N, T_N, d, opts):
    """R2: equal relative change, T_r = x_r · T_N / X_N (needs X_N ≠ 0)."""
    if X_N == 0:
        raise DecompositionError("the relative rule needs a non-zero national base (X_N = 0)")
    ratio = T_N / X_N
    return {r: x[r] * ratio for r in x}, {"ratio": ratio}


def _rule_gap_closure(x, w, X_N, T_N, d, opts):
    """R3: every region closes the same share α of its gap to the end value E.

    α = (T_N − X_N)/(E − X_N);  T_r = x_r + α (E − x_r).
    E must lie beyond X_N in the desired direction, and be at least as
    ambitious as T_N (0 ≤ α ≤ 1); otherwise the rule has no meaning.
    """
    if opts.get("end_value") is None:
        raise DecompositionError("the gap_closure rule needs end_value (E)")
    E = _finite("end_value", opts["end_value"])
    if E == X_N:
        raise DecompositionError(
            f"end_value E equals the national base X_N = {X_N!r}; the gap-closure share α is undefined"
        )
    if _better(d, E, X_N) < 0:
        raise DecompositionError(
            f"end_value E = {E!r} is worse than the national base X_N = {X_N!r} in the desired direction"
        )
    alpha = (T_N - X_N) / (E - X_N)
    if alpha > 1:
        raise DecompositionError(
            f"end_value E = {E!r} is less ambitious than the national target T_N = {T_N!r} "
            f"(α = {alpha:.6g} > 1); choose an end value at or beyond the target"
        )
    return {r: x[r] + alpha * (E - x[r]) for r in x}, {"end_value": E, "alpha": alpha}


def _rule_convergence(x, w, X_N, T_N, d, opts):
    """R4: T_r = T_N + (1 − γ)(x_r − X_N), γ ∈ [0, 1] = share of the gap to the national level closed."""
    if opts.get("gamma") is None:
        raise DecompositionError("the convergence rule needs gamma (γ)")
    gamma = _finite("gamma", opts["gamma"])
    if not 0 <= gamma <= 1:
        raise DecompositionError(f"gamma must lie in [0, 1], got {gamma!r}")
    return {r: T_N + (1 - gamma) * (x[r] - X_N) for r in x}, {"gamma": gamma}


def _rule_rescale_proposals(x, w, X_N, T_N, d, opts):
    """R5: scale the regions' own proposals P_r until they add up to T_N.

    P_N = Σ w_r P_r / W;  k = (X_N − T_N)/(X_N − P_N);  T_r = x_r − k (x_r − P_r).
    k > 1 means the proposals are too weak, k < 1 that they over-deliver.
    Proposals whose aggregate P_N is worse than X_N would need k < 0, which
    turns every proposal round; that is rejected.
    """
    if opts.get("proposals") is None:
        raise DecompositionError("the rescale_proposals rule needs proposals (one value per region)")
    proposals = _check_values(opts["proposals"], "proposals")
    _check_keys(x, proposals, "proposals")
    proposals = {r: proposals[r] for r in x}
    P_N = _weighted_mean(proposals, w)
    if P_N == X_N:
        raise DecompositionError(
            f"the proposals add up to the national base (P_N = X_N = {X_N!r}); the scaling factor k is undefined"
        )
    k = (X_N - T_N) / (X_N - P_N)
    if k < 0:
        raise DecompositionError(
            f"the proposals add up to P_N = {P_N!r}, worse than the national base X_N = {X_N!r}; "
            "no positive scaling of them reaches the national target"
        )
    targets = {r: x[r] - k * (x[r] - proposals[r]) for r in x}
    return targets, {"proposals": proposals, "proposals_national": P_N, "k": k}


def _rule_unserved_counts(x, w, X_N, T_N, d, opts):
    """R6: share the national count still to serve in proportion to each region's unserved stock.

    With E the full-service level (100 % of households gasified; 0 % of settlements lacking a standard) and
    weights that are counts (households, settlements), region r's unserved stock is U_r = w_r · max(0, d (E − x_r))
    and the national target asks for ΔN = W · d (T_N − X_N) more served units; region r gets
    ΔN_r = ΔN · U_r / Σ U of them (:func:`allocate_counts`) and its target is T_r = x_r + d ΔN_r / w_r. A region
    already at or beyond E keeps its base. Consistent by construction: Σ w T = Σ w x + d ΔN = W T_N.

    ``count_scale`` (default 1) converts weight × value into counts: 100 for a percentage (households × % / 100).
    The parameters returned carry ΔN, each U_r and each region's count ΔN_r in those counts.
    """
    if opts.get("end_value") is None:
        raise DecompositionError("the unserved_counts rule needs end_value (E), the full-service level")
    E = _finite("end_value", opts["end_value"])
    if _better(d, E, X_N) <= 0:
        raise DecompositionError(
            f"end_value E = {E!r} is not beyond the national base X_N = {X_N!r} in the desired direction; "
            "nothing is left to serve"
        )
    scale = _finite("count_scale", opts.get("count_scale") or 1.0)
    if scale <= 0:
        raise DecompositionError(f"count_scale must be positive, got {scale!r}")
    W = math.fsum(w.values())
    unserved = {r: w[r] * max(0.0, d * (E - x[r])) for r in x}
    increment = W * d * (T_N - X_N)
    total = math.fsum(unserved.values())
    if increment > total * (1 + CONSISTENCY_TOLERANCE):
        raise DecompositionError(
            f"the national target asks for {increment / scale:.6g} more served units, more than the "
            f"{total / scale:.6g} still unserved; choose an end value E at or beyond the target"
        )
    shares = allocate_counts(min(increment, total), unserved)
    targets = {r: x[r] + d * shares[r] / w[r] for r in x}
    return targets, {
        "end_value": E,
        "count_scale": scale,
        "national_increment": increment / scale,
        "unserved": {r: unserved[r] / scale for r in x},
        "counts": {r: shares[r] / scale for r in x},
    }


_RULE_FUNCTIONS = {
    "uniform": _rule_uniform,
    "relative": _rule_relative,
    "gap_closure": _rule_gap_closure,
    "convergence": _rule_convergence,
    "rescale_proposals": _rule_rescale_proposals,
    "unserved_counts": _rule_unserved_counts,
}


# --------------------------------------------------------------------------- clamp


def _clamp(x, w, unclamped, T_N, d, *, regress: bool = True, bounds=None):
    """Hold regressing regions at their base (``regress``) and regions beyond the indicator's ``bounds`` at the
    bound, and rescale the rest (R5-style) until nothing regresses or leaves the bounds.

    Returns (targets, held_regions, k). See the module docstring for the formula; a held region keeps
    ``h_r`` (its base, or the bound) and ``k = (Σ_F w x + Σ_H w h − W T_N) / Σ_F w (x − U)``.
    """
    W = math.fsum(w.values())
    targets = dict(unclamped)
    held: dict[str, float] = {}
    k = None
    while True:
        new = {}
        for r in x:
            if r in held:
                continue
            if regress and _better(d, targets[r], x[r]) < 0:
                new[r] = clamp_to_bounds(x[r], bounds)
            elif not within_bounds(targets[r], bounds):
                new[r] = clamp_to_bounds(targets[r], bounds)
        if not new:
            return targets, tuple(r for r in x if r in held), k
        held.update(new)
        free = [r for r in x if r not in held]
        need = math.fsum(w[r] * x[r] for r in free) + math.fsum(w[r] * h for r, h in held.items()) - W * T_N
        denom = math.fsum(w[r] * (x[r] - unclamped[r]) for r in free)
        if need == 0:
            k = 0.0
        elif not free or denom == 0 or need / denom < 0:
            raise DecompositionError(
                f"the clamp is infeasible: holding {list(held)} at their base values or bounds leaves "
                "no region that can make up the national target"
            )
        else:
            k = need / denom
        for r, h in held.items():
            targets[r] = h
        for r in free:
            targets[r] = x[r] - k * (x[r] - unclamped[r])


# --------------------------------------------------------------------------- decompose


def decompose(
    rule: str,
    bases: Mapping[str, float],
    weights: Mapping[str, float],
    national_target: float,
    direction: int,
    *,
    end_value: float | None = None,
    gamma: float | None = None,
    proposals: Mapping[str, float] | None = None,
    count_scale: float | None = None,
    clamp: bool = True,
    bounds: tuple[float | None, float | None] | None = None,
) -> DecompositionResult:
    """Split ``national_target`` into regional targets with one of :data:`RULES`.

    Formulas are in the module docstring. Parameters only used by other rules
    (e.g. ``gamma`` for ``uniform``) are ignored.

    Raises :class:`DecompositionError` for: an unknown rule; regions missing
    from or extra in ``weights``/``proposals``; non-positive or zero-sum
    weights; non-finite numbers; a missing rule parameter; E = X_N or E on the
    wrong side; P_N = X_N; a national target worse than the national base
    (then "no region regresses" and "regions add up to T_N" cannot both hold);
    and an infeasible clamp; a national target outside ``bounds``.

    ``bounds`` (low, high) of a bounded indicator (0–100 for a percentage): every regional target is kept
    inside them in every rule, with or without the non-regression ``clamp`` (regions that would leave them are
    held at the bound and the others rescaled, as for the clamp).
    """
    if rule not in RULES:
        raise DecompositionError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")
    d = _check_direction(direction)
    x = _check_values(bases, "bases")
    w = _check_weights(weights, x)
    T_N = _finite("national_target", national_target)
    X_N = _weighted_mean(x, w)
    if _better(d, T_N, X_N) < 0:
        raise DecompositionError(
            f"the national target {T_N!r} is worse than the national base {X_N!r} in the desired direction; "
            "regional targets cannot both avoid regression and add up to it"
        )

    if bounds is not None and not within_bounds(T_N, bounds):
        raise DecompositionError(f"the national target {T_N!r} lies outside the indicator's bounds {tuple(bounds)}")

    opts = {"end_value": end_value, "gamma": gamma, "proposals": proposals, "count_scale": count_scale}
    unclamped, params = _RULE_FUNCTIONS[rule](x, w, X_N, T_N, d, opts)
    if clamp or bounds is not None:
        targets, held, k = _clamp(x, w, unclamped, T_N, d, regress=clamp, bounds=bounds)
    else:
        targets, held, k = dict(unclamped), (), None
    outside = [r for r, t in targets.items() if not within_bounds(t, bounds)]
    if outside:  # guard: cannot happen after _clamp, kept so that no code path returns such a target
        raise DecompositionError(f"targets of {outside} lie outside the indicator's bounds {tuple(bounds)}")

    weighted = _weighted_mean(targets, w)
    _check_consistency(weighted, T_N, x, targets)
    return DecompositionResult(
        rule=rule,
        params=params,
        weights=w,
        bases=x,
        targets=targets,
        unclamped=unclamped,
        clamped=held,
        national_base=X_N,
        national_target=T_N,
        weighted_result=weighted,
        direction=d,
        clamp_scale=k,
    )


def _check_consistency(weighted: float, T_N: float, x, targets) -> None:
    """Guard: Σ w T / W must equal T_N within 1e-9 relative to the magnitudes involved."""
    scale = max(1.0, abs(T_N), *map(abs, x.values()), *map(abs, targets.values()))
    if abs(weighted - T_N) > CONSISTENCY_TOLERANCE * scale:
        raise DecompositionError(
            f"regional targets add up to {weighted!r}, not the national target {T_N!r} "
            "(numerical breakdown; check for extreme values)"
        )


# --------------------------------------------------------------------------- counts, timeline, dispersion


def _is_integral(value: float) -> bool:
    return float(value).is_integer()


def allocate_counts(
    national_increment: float, unserved: Mapping[str, float], *, integer: bool = False
) -> dict[str, float | int]:
    """Share a national count increment ΔN in proportion to unserved stock U_r.

    ΔN_r = ΔN · U_r / Σ U  (R3 with E = full coverage; sums to ΔN by construction).

    With ``integer=True`` (ΔN and every U_r must be whole numbers) the
    largest-remainder method is used: each region gets ⌊ΔN_r⌋, then the
    ΔN − Σ⌊ΔN_r⌋ leftover units go one each to the largest remainders
    (ties: larger U_r first, then input order). Quotas are computed with exact
    fractions, so the parts sum to ΔN exactly and no region exceeds its U_r.

    Raises if ΔN < 0, any U_r < 0, or ΔN > Σ U (more than can be served).
    """
    delta = _finite("national_increment", national_increment)
    stock = _check_values(unserved, "unserved")
    if delta < 0:
        raise DecompositionError(f"national_increment must not be negative, got {delta!r}")
    negative = [r for r, u in stock.items() if u < 0]
    if negative:
        raise DecompositionError(f"unserved stock must not be negative; negative for {negative}")
    total = math.fsum(stock.values())
    if delta > total:
        raise DecompositionError(
            f"national_increment {delta!r} exceeds the total unserved stock {total!r}"
        )
    if delta == 0:
        return {r: (0 if integer else 0.0) for r in stock}
    if not integer:
        return {r: delta * u / total for r, u in stock.items()}
    return _largest_remainder(delta, stock)


def _largest_remainder(delta: float, stock: dict[str, float]) -> dict[str, int]:
    if not _is_integral(delta) or not all(_is_integral(u) for u in stock.values()):
        raise DecompositionError("integer allocation needs a whole-number increment and whole-number stocks")
    n, units = int(delta), {r: int(u) for r, u in stock.items()}
    total = sum(units.values())
    quotas = {r: Fraction(n * u, total) for r, u in units.items()}
    parts = {r: q.numerator // q.denominator for r, q in quotas.items()}
    leftover = n - sum(parts.values())
    order = list(units)
    ranked = sorted(order, key=lambda r: (-(quotas[r] - parts[r]), -units[r], order.index(r)))
    for r in ranked[:leftover]:
        parts[r] += 1
    return parts


def milestone_path(
    base_year: int, base_value: float, target_year: int, target_value: float, *, kind: str = "linear"
) -> dict[int, float]:
    """Annual milestones for every year from ``base_year`` to ``target_year`` inclusive.

    * ``linear``: v_t = x_b + (T − x_b)·(t − b)/(τ − b)
    * ``cagr``:   v_t = x_b·(T/x_b)^((t − b)/(τ − b)), i.e. a constant annual growth
      rate (T/x_b)^(1/(τ − b)) − 1. Needs x_b and T non-zero and of the same
      sign; otherwise a DecompositionError asks for ``kind="linear"``.

    The end points are returned exactly as given.
    """
    if kind not in ("linear", "cagr"):
        raise DecompositionError(f"kind must be 'linear' or 'cagr', got {kind!r}")
    b, tau = _year("base_year", base_year), _year("target_year", target_year)
    if tau <= b:
        raise DecompositionError(f"target_year ({tau}) must be after base_year ({b})")
    x_b = _finite("base_value", base_value)
    T = _finite("target_value", target_value)
    span = tau - b
    if kind == "linear":
        path = {t: x_b + (T - x_b) * (t - b) / span for t in range(b, tau + 1)}
    else:
        if x_b == 0 or T == 0 or (x_b > 0) != (T > 0):
            raise DecompositionError(
                "a CAGR (geometric) path needs base and target values that are non-zero and of the same sign; "
                "use kind='linear'"
            )
        ratio = T / x_b
        path = {t: x_b * ratio ** ((t - b) / span) for t in range(b, tau + 1)}
    path[b], path[tau] = x_b, T
    return path


def _year(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DecompositionError(f"{name} must be an integer year, got {value!r}")
    return value


def weighted_cv(values, weights) -> float:
    """Weighted coefficient of variation σ_w / |μ_w| across regions.

    μ_w = Σ w x / Σ w;  σ_w = sqrt(Σ w (x − μ_w)² / Σ w)  (population form).
    ``values`` and ``weights`` are both mappings keyed by region, or both
    sequences of equal length. Raises if μ_w = 0.
    """
    if isinstance(values, Mapping):
        x = _check_values(values, "values")
        w = _check_weights(weights, x, "values")
    else:
        x, w = _sequences_as_mappings(values, weights)
    mean = _weighted_mean(x, w)
    if mean == 0:
        raise DecompositionError("the coefficient of variation is undefined for a weighted mean of 0")
    variance = math.fsum(w[r] * (x[r] - mean) ** 2 for r in x) / math.fsum(w.values())
    return math.sqrt(variance) / abs(mean)


def _sequences_as_mappings(values, weights):
    if isinstance(weights, Mapping) or not isinstance(values, Sequence) or not isinstance(weights, Sequence):
        raise DecompositionError("values and weights must both be mappings or both be sequences")
    if len(values) != len(weights):
        raise DecompositionError(f"values ({len(values)}) and weights ({len(weights)}) differ in length")
    x = _check_values(dict(enumerate(values)), "values")
    return x, _check_weights(dict(enumerate(weights)), x, "values")
