"""Regional targets: decomposing a national target (sdg-methods §2.6) and the akimat proposal → approval workflow.

* :func:`gather_inputs` collects, for one indicator and base year, each region's base value (the headline total of
  :mod:`localization.services.status`, for exactly the base year) and weight: the region's population
  (``Region.population_total``) or the headline value of a second indicator (the indicator's denominator, e.g. a
  population or household count) in the base year, or the latest earlier year. Regions without a base value or
  weight are left out and listed with the reason; nothing is filled in.
* :func:`run_decomposition` (statistics officers) calls :func:`localization.core.decomposition.decompose` and
  stores a :class:`~localization.models.Decomposition` and one approved
  :class:`~localization.models.RegionalTarget` per region, with annual milestones from ``milestone_path``.
* :func:`propose_target` (the region's akimat, checked with ``can_edit_region``) stores a proposed target;
  :func:`review_target` (statistics officers) approves or rejects it. The reviewer's comment is the history
  record's change reason; every change is kept by ``simple_history``.
* **One decomposition in force per indicator.** Storing a decomposition supersedes, in the same transaction,
  every earlier approved decomposition of the indicator and every approved regional target (status
  ``superseded``; kept as the record). An akimat proposal approved later replaces its region's target.
  The target **in force** for (indicator, region) is the approved one (:func:`targets_in_force`).
* Targets of bounded indicators (percentages: 0–100, or the bounds a statistics officer set) stay inside the
  bounds in every rule (the core holds a region at the bound and rescales the others).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from localization.core.decomposition import DecompositionError, decompose, milestone_path, weighted_cv
from localization.core.progress import within_bounds
from localization.models import (PERCENT_UNITS, Decomposition, Indicator, Region, RegionalTarget,  # noqa: F401
                                 targets_in_force)
from localization.permissions import can_edit_region, is_statistics
from localization.services.status import fmt, fmt_signed

WEIGHT_POPULATION = "population"
WEIGHT_INDICATOR = "indicator"
WEIGHT_KINDS = (WEIGHT_POPULATION, WEIGHT_INDICATOR)
MILESTONE_KINDS = ("linear", "cagr")
PARAM_LABELS = {
    "ratio": "T_N / X_N", "end_value": "E", "alpha": "α", "gamma": "γ", "proposals_national": "P_N", "k": "k",
    "national_increment": "ΔN", "count_scale": "s (ΔN_r = w_r · |T_r − x_r| / s)",
}

__all__ = [
    "DecompositionError", "Inputs", "RegionInput", "gather_inputs", "run_decomposition", "propose_target",
    "review_target", "targets_in_force", "pending_proposals", "consistency", "decomposition_table",
]


@dataclass
class RegionInput:
    region: Region
    base: object | None = None  # status.Row of the base year
    weight: float | None = None
    weight_year: int | None = None
    weight_source: str = ""
    excluded: str = ""  # translated reason, empty when the region takes part

    @property
    def included(self) -> bool:
        return not self.excluded


@dataclass
class Inputs:
    indicator: Indicator
    base_year: int
    weight_kind: str
    weight_indicator: Indicator | None
    regions: list[RegionInput] = field(default_factory=list)
    national_point: object | None = None  # published national value in the base year (status.Row)
    proposals: dict[str, RegionalTarget] = field(default_factory=dict)

    @property
    def included(self) -> list[RegionInput]:
        return [ri for ri in self.regions if ri.included]

    @property
    def excluded(self) -> list[RegionInput]:
        return [ri for ri in self.regions if not ri.included]

    @property
    def bases(self) -> dict[str, float]:
        return {ri.region.kato: ri.base.value for ri in self.included}

    @property
    def weights(self) -> dict[str, float]:
        return {ri.region.kato: ri.weight for ri in self.included}


def gather_inputs(
    indicator: Indicator, base_year: int, weight_kind: str = WEIGHT_POPULATION, weight_indicator: Indicator | None = None,
    *, board=None,
) -> Inputs:
    """Base values and weights of every region for ``base_year`` (a constant number of queries)."""
    from localization.services.status import StatusBoard

    if weight_kind not in WEIGHT_KINDS:
        raise DecompositionError(_("Unknown kind of weights."))
    if weight_kind == WEIGHT_INDICATOR and weight_indicator is None:
        raise DecompositionError(_("Choose the indicator whose values are the weights."))
    indicators = [indicator] + ([weight_indicator] if weight_kind == WEIGHT_INDICATOR else [])
    board = board or StatusBoard(indicators)
    inputs = Inputs(indicator=indicator, base_year=base_year, weight_kind=weight_kind,
                    weight_indicator=weight_indicator if weight_kind == WEIGHT_INDICATOR else None)
    national = {p.year: p for p in board.points(indicator)}
    inputs.national_point = national.get(base_year)
    for region in board.regions:
        ri = RegionInput(region=region)
        ri.base = {p.year: p for p in board.points(indicator, region) if not p.suspect}.get(base_year)
        if weight_kind == WEIGHT_POPULATION:
            if region.population_total:
                ri.weight = float(region.population_total)
                ri.weight_year = region.population_date.year if region.population_date else None
                ri.weight_source = region.population_source or _("population of the region")
        else:
            earlier = [p for p in board.points(weight_indicator, region) if p.year <= base_year and p.value > 0]
            if earlier:
                point = earlier[-1]
                ri.weight, ri.weight_year, ri.weight_source = point.value, point.year, point.source
        if ri.base is None:
            ri.excluded = _("no value for the base year %(year)s") % {"year": base_year}
        elif ri.weight is None or ri.weight <= 0:
            ri.excluded = _("no weight")
        inputs.regions.append(ri)
    return inputs


def _proposals_for(indicator: Indicator, inputs: Inputs) -> dict[str, float]:
    """The pending proposal of every included region (for the rescale_proposals rule)."""
    pending = {rt.region_id: rt for rt in pending_proposals(indicator)}
    values, missing = {}, []
    for ri in inputs.included:
        rt = pending.get(ri.region.pk)
        if rt is None:
            missing.append(ri.region.name)
        else:
            values[ri.region.kato] = rt.target_value
            inputs.proposals[ri.region.kato] = rt
    if missing:
        raise DecompositionError(
            _("The rescale rule needs a proposal from every region taking part; missing: %(regions)s.")
            % {"regions": ", ".join(missing)})
    return values


def compute(
    indicator: Indicator, *, rule: str, base_year: int, national_target: float, weight_kind: str = WEIGHT_POPULATION,
    weight_indicator: Indicator | None = None, end_value: float | None = None, gamma: float | None = None,
    clamp: bool = True, inputs: Inputs | None = None,
):
    """(inputs, DecompositionResult) without storing anything. Raises DecompositionError."""
    if indicator.direction not in (1, -1):
        raise DecompositionError(_("The desired direction of this indicator is not set; a target cannot be split."))
    inputs = inputs or gather_inputs(indicator, base_year, weight_kind, weight_indicator)
    if not inputs.included:
        raise DecompositionError(
            _("No region has both a value for %(year)s and a weight.") % {"year": base_year})
    proposals = _proposals_for(indicator, inputs) if rule == "rescale_proposals" else None
    result = decompose(rule, inputs.bases, inputs.weights, national_target, indicator.direction,
                       end_value=end_value, gamma=gamma, proposals=proposals, clamp=clamp,
                       count_scale=count_scale(indicator), bounds=indicator.bounds)
    return inputs, result


def count_scale(indicator: Indicator) -> float:
    """Weight × value per counted unit (rule ``unserved_counts``): 100 for a percentage (households × % / 100)."""
    return 100.0 if indicator.unit in PERCENT_UNITS else 1.0


def _milestones(base_year, base_value, target_year, target_value, kind) -> tuple[dict[str, float], str]:
    try:
        path = milestone_path(base_year, base_value, target_year, target_value, kind=kind)
    except DecompositionError:
        if kind == "linear":
            raise
        path, kind = milestone_path(base_year, base_value, target_year, target_value, kind="linear"), "linear"
    return {str(year): value for year, value in path.items()}, kind


def _finite_or_none(value):
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def run_decomposition(
    indicator: Indicator, *, user, rule: str, base_year: int, target_year: int, national_target: float,
    weight_kind: str = WEIGHT_POPULATION, weight_indicator: Indicator | None = None, end_value: float | None = None,
    gamma: float | None = None, clamp: bool = True, milestone_kind: str = "linear",
) -> Decomposition:
    """Split the national target and store the decomposition with one approved target per region."""
    if not is_statistics(user):
        raise PermissionDenied
    if target_year <= base_year:
        raise DecompositionError(_("The target year must come after the base year."))
    if milestone_kind not in MILESTONE_KINDS:
        raise DecompositionError(_("Unknown kind of milestone path."))
    inputs, result = compute(indicator, rule=rule, base_year=base_year, national_target=national_target,
                             weight_kind=weight_kind, weight_indicator=weight_indicator, end_value=end_value,
                             gamma=gamma, clamp=clamp)
    national = inputs.national_point
    bases, weights = result.bases, result.weights
    cv_base = cv_target = None
    try:
        cv_base = weighted_cv(bases, weights)
        cv_target = weighted_cv(result.targets, weights)
    except DecompositionError:
        pass
    rule_params = {k: (v if not isinstance(v, float) else _finite_or_none(v)) for k, v in result.params.items()}
    params = {
        "rule_params": rule_params,
        "end_value": end_value,
        "gamma": gamma,
        "clamp": clamp,
        "clamped": list(result.clamped),
        "clamp_scale": result.clamp_scale,
        "unclamped": result.unclamped,
        "weight_indicator": weight_indicator.code if weight_indicator and weight_kind == WEIGHT_INDICATOR else None,
        "milestone_kind": milestone_kind,
        "excluded": [{"kato": ri.region.kato, "reason": ri.excluded} for ri in inputs.excluded],
        "national_published": national.value if national else None,
        "national_published_source": national.source if national else "",
        "cv_base": cv_base,
        "cv_target": cv_target,
        "proposal_ids": {kato: rt.pk for kato, rt in inputs.proposals.items()},
    }
    by_kato = {ri.region.kato: ri for ri in inputs.included}
    with transaction.atomic():
        # One decomposition in force per indicator: lock the indicator's decompositions, then supersede.
        previous = list(Decomposition.objects.select_for_update().filter(indicator=indicator, approved=True))
        decomposition = Decomposition.objects.create(
            indicator=indicator, rule=rule, params=params, weight_kind=weight_kind, base_year=base_year,
            target_year=target_year, national_base=result.national_base, national_target=result.national_target,
            weighted_result=result.weighted_result, created_by=user, approved=True)
        supersede(indicator, decomposition, previous)
        fallbacks = []
        for kato, target in result.targets.items():
            ri = by_kato[kato]
            milestones, used = _milestones(base_year, bases[kato], target_year, target, milestone_kind)
            if used != milestone_kind:
                fallbacks.append(kato)
            rt = RegionalTarget(
                indicator=indicator, region=ri.region, decomposition=decomposition, base_year=base_year,
                base_value=bases[kato], weight=weights[kato], target_year=target_year, target_value=target,
                milestones=milestones, status=RegionalTarget.Status.APPROVED,
                reason=f"Decomposition #{decomposition.pk} ({rule})", proposed_by=user, approved_by=user)
            rt._change_reason = f"decomposition #{decomposition.pk}"
            rt.save()
        if fallbacks:
            decomposition.params["milestone_linear_fallback"] = fallbacks
            decomposition.save(update_fields=["params"])
    return decomposition


def supersede(indicator: Indicator, decomposition: Decomposition, previous=None) -> int:
    """Mark every earlier approved decomposition of ``indicator`` superseded by ``decomposition`` and every
    approved regional target (from a decomposition or an approved proposal) superseded. Call inside the
    transaction that stores the new targets. Returns the number of regional targets superseded."""
    previous = previous if previous is not None else list(
        Decomposition.objects.filter(indicator=indicator, approved=True).exclude(pk=decomposition.pk))
    ids = [d.pk for d in previous if d.pk != decomposition.pk]
    Decomposition.objects.filter(pk__in=ids).update(approved=False, superseded_by=decomposition)
    n = 0
    for rt in RegionalTarget.objects.filter(indicator=indicator, status=RegionalTarget.Status.APPROVED).exclude(
            decomposition=decomposition):
        rt.status = RegionalTarget.Status.SUPERSEDED
        rt._change_reason = f"superseded by decomposition #{decomposition.pk}"
        rt.save()
        n += 1
    return n


def decomposition_in_force(indicator: Indicator) -> Decomposition | None:
    """The approved decomposition whose targets are in force (at most one per indicator)."""
    return Decomposition.objects.filter(indicator=indicator, approved=True).order_by("-created_at", "-pk").first()


# --------------------------------------------------------------------------------------------- proposals


def propose_target(
    indicator: Indicator, region: Region, *, user, base_year: int, target_value: float, target_year: int, reason: str,
) -> RegionalTarget:
    """Store (or update) the akimat's pending proposal for its region. Only ``can_edit_region`` users may."""
    from localization.services.status import StatusBoard

    if not can_edit_region(user, region):
        raise PermissionDenied
    if target_year <= base_year:
        raise DecompositionError(_("The target year must come after the base year."))
    board = StatusBoard([indicator], regions=[region])
    base = {p.year: p for p in board.points(indicator, region)}.get(base_year)
    if base is None:
        raise DecompositionError(_("The region has no value for the base year %(year)s.") % {"year": base_year})
    if indicator.direction in (1, -1) and indicator.direction * (target_value - base.value) < 0:
        raise DecompositionError(_("The proposed target is worse than the base value; targets may not regress."))
    bounds = indicator.bounds
    if bounds is not None and not within_bounds(target_value, bounds):
        raise DecompositionError(_("The target lies outside the indicator's bounds (%(low)s to %(high)s).") % {
            "low": fmt(bounds[0]) if bounds[0] is not None else "−∞",
            "high": fmt(bounds[1]) if bounds[1] is not None else "∞"})
    milestones, _kind = _milestones(base_year, base.value, target_year, target_value, "linear")
    with transaction.atomic():
        rt = (RegionalTarget.objects.select_for_update()
              .filter(indicator=indicator, region=region, status=RegionalTarget.Status.PROPOSED)
              .order_by("-updated_at", "-pk").first())
        if rt is None:
            rt = RegionalTarget(indicator=indicator, region=region, status=RegionalTarget.Status.PROPOSED)
        rt.base_year, rt.base_value, rt.target_year, rt.target_value = base_year, base.value, target_year, target_value
        rt.milestones, rt.reason, rt.proposed_by, rt.decomposition = milestones, reason, user, None
        rt._change_reason = "proposal"
        rt.save()
    return rt


def review_target(target: RegionalTarget, *, user, approve: bool, comment: str = "") -> RegionalTarget:
    """Approve or reject a pending proposal (statistics officers only)."""
    if not is_statistics(user):
        raise PermissionDenied
    if target.status != RegionalTarget.Status.PROPOSED:
        raise DecompositionError(_("Only a pending proposal can be approved or rejected."))
    target.status = RegionalTarget.Status.APPROVED if approve else RegionalTarget.Status.REJECTED
    target.approved_by = user
    target._change_reason = (("approved" if approve else "rejected") + (f": {comment}" if comment else ""))[:100]
    with transaction.atomic():
        if approve:  # one target in force per (indicator, region)
            for old in RegionalTarget.objects.select_for_update().filter(
                    indicator_id=target.indicator_id, region_id=target.region_id,
                    status=RegionalTarget.Status.APPROVED).exclude(pk=target.pk):
                old.status = RegionalTarget.Status.SUPERSEDED
                old._change_reason = f"superseded by the approved proposal #{target.pk}"
                old.save()
        target.save()
    return target


def pending_proposals(indicator: Indicator | None = None):
    qs = RegionalTarget.objects.filter(status=RegionalTarget.Status.PROPOSED).select_related(
        "indicator", "region", "proposed_by").order_by("indicator__sort_key", "region__kato", "-updated_at")
    if indicator is not None:
        qs = qs.filter(indicator=indicator)
    return qs


# --------------------------------------------------------------------------------------------- display


def consistency(pairs) -> dict | None:
    """Σ w·T, Σ w and Σ w·T / Σ w of (weight, target) pairs; None without weights."""
    pairs = [(w, t) for w, t in pairs if w is not None]
    if not pairs:
        return None
    sum_w = math.fsum(w for w, _t in pairs)
    if sum_w <= 0:
        return None
    sum_wt = math.fsum(w * t for w, t in pairs)
    result = sum_wt / sum_w
    return {"sum_wt": sum_wt, "sum_w": sum_w, "result": result, "n": len(pairs),
            "sum_wt_text": fmt(sum_wt, 2), "sum_w_text": fmt(sum_w, 2), "result_text": fmt(result, 9)}


def decomposition_table(decomposition: Decomposition) -> dict:
    """Rows (region, weight, base, rule target, final target, clamped) and the consistency check of a stored run."""
    targets = list(decomposition.targets.select_related("region").order_by("region__kato"))
    params = decomposition.params or {}
    unclamped = params.get("unclamped") or {}
    clamped = set(params.get("clamped") or [])
    counts = (params.get("rule_params") or {}).get("counts") or {}
    unserved = (params.get("rule_params") or {}).get("unserved") or {}
    rows = []
    for rt in targets:
        rule_target = unclamped.get(rt.region.kato)
        count = counts.get(rt.region.kato)
        milestones = sorted((int(y), v) for y, v in (rt.milestones or {}).items())
        rows.append({
            "region": rt.region, "weight": rt.weight, "base": rt.base_value, "rule_target": rule_target,
            "target": rt.target_value, "clamped": rt.region.kato in clamped, "change": rt.target_value - rt.base_value,
            "weight_text": fmt(rt.weight, 2) if rt.weight is not None else "", "base_text": fmt(rt.base_value),
            "rule_target_text": fmt(rule_target) if rule_target is not None else "", "target_text": fmt(rt.target_value),
            "change_text": fmt_signed(rt.target_value - rt.base_value),
            "milestones": [(y, fmt(v)) for y, v in milestones],
            "count_text": fmt(count) if count is not None else "",
            "unserved_text": fmt(unserved[rt.region.kato]) if rt.region.kato in unserved else "",
        })
    check = consistency((r["weight"], r["target"]) for r in rows)
    if check is not None:
        check["national_target"] = decomposition.national_target
        check["national_target_text"] = fmt(decomposition.national_target, 9)
        check["difference"] = check["result"] - decomposition.national_target
        check["difference_text"] = f"{check['difference']:.2e}"
        check["ok"] = abs(check["difference"]) <= 1e-9 * max(1.0, abs(decomposition.national_target))
    rule_params = []
    for key, value in (params.get("rule_params") or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            rule_params.append((PARAM_LABELS.get(key, key), fmt(value, 6)))
    years = sorted({y for r in rows for y, _v in r["milestones"]})
    return {"rows": rows, "check": check, "params": params, "rule_params": rule_params, "milestone_years": years,
            "counts": bool(counts),
            "national_base_text": fmt(decomposition.national_base, 6),
            "cv_base": fmt(params.get("cv_base"), 3) if params.get("cv_base") is not None else "",
            "cv_target": fmt(params.get("cv_target"), 3) if params.get("cv_target") is not None else ""}
