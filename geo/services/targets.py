"""The target of every region and of the country per theme (regional, national, stated or a reference)."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from localization.models import Indicator, Region, RegionalTarget

from ..models import GapFigure
from .common import GAS_CODE, GAS_REFERENCE, POVERTY_CODE, RSS_REFERENCE
from .formatting import clean_source


@dataclass
class TargetInfo:
    value: float
    year: int | None
    level: str  # regional | national | reference
    source: str

    @property
    def level_label(self) -> str:
        return str({"regional": _("regional target"), "national": _("national target"),
                    "reference": _("reference")}.get(self.level, self.level))


def resolve_targets(theme: str) -> dict[str | None, TargetInfo]:
    """The target of every region (key: KATO) and of the country (key: None) for ``theme``.

    In order: the region's approved regional target of the national indicator (1-2-1 for poverty, 7-1-2 for
    gasification); the national target of the indicator set by the statistics officers; the target a published
    document states (poverty: CF Annex 1, 5.0 % by 2030); finally a reference (gasification: universal access,
    100 %; RSS: full provision, 100 %). The level and the source are kept and printed next to every gap.
    """
    regions = list(Region.objects.values_list("kato", flat=True))
    fallback: TargetInfo | None = None
    regional: dict[str, TargetInfo] = {}
    if theme == "rss":
        fallback = TargetInfo(RSS_REFERENCE[0], None, "reference", RSS_REFERENCE[1])
    else:
        code = POVERTY_CODE if theme == "poverty" else GAS_CODE
        indicator = Indicator.objects.filter(code=code).first()
        if indicator is not None:
            for t in RegionalTarget.objects.filter(indicator=indicator, status=RegionalTarget.Status.APPROVED).select_related("region"):
                regional[t.region.kato] = TargetInfo(
                    t.target_value, t.target_year, "regional",
                    clean_source(f"approved regional target for {code} ({t.target_value:g} by {t.target_year})"),
                )
            if indicator.target_value is not None:
                fallback = TargetInfo(indicator.target_value, indicator.target_year, "national", clean_source(
                    f"national target for {code}: {indicator.target_value:g} by {indicator.target_year or '?'}"
                    + (f" ({indicator.target_source})" if indicator.target_source else "")))
        if fallback is None and theme == "poverty":
            stated = GapFigure.objects.filter(kind="poverty", measure="target", region__isnull=True, scope="total").first()
            if stated is not None:
                fallback = TargetInfo(stated.value, stated.target_year, "national", clean_source(stated.source_text))
        if fallback is None and theme == "gasification":
            fallback = TargetInfo(GAS_REFERENCE[0], None, "reference", GAS_REFERENCE[1])
    out: dict[str | None, TargetInfo] = {}
    for kato in regions:
        if kato in regional:
            out[kato] = regional[kato]
        elif fallback is not None:
            out[kato] = fallback
    if fallback is not None:
        out[None] = fallback
    return out


def region_population() -> dict[str, float]:
    return {k: float(p) for k, p in Region.objects.values_list("kato", "population_total") if p is not None}
