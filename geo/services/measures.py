"""The measures of the gap pages and maps (:data:`MEASURES`) and :class:`Cell`, one figure of one region."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .common import PROJECTION_LABELS, STATUS_LABELS
from .formatting import BOUND_SYMBOLS, fmt_number, split_sources


# ---------------------------------------------------------------------------------------------------------------
# measures


@dataclass(frozen=True)
class Measure:
    key: str
    theme: str  # poverty | gasification | rss | index | indicator
    label: object
    unit: object
    decimals: int = 1
    is_gap: bool = False  # a gap (0 = on target; diverging colours)
    higher_is_worse: bool | None = True
    map_layer: bool = True


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in [
        Measure("poverty_rate", "poverty", gettext_lazy("Poverty rate (below the subsistence minimum)"), gettext_lazy("% of the population")),
        Measure("poverty_target", "poverty", gettext_lazy("Poverty target"), gettext_lazy("% of the population"), map_layer=False),
        Measure("poverty_gap_pp", "poverty", gettext_lazy("Poverty gap to the target"), gettext_lazy("percentage points"), is_gap=True),
        Measure("poverty_people_below", "poverty", gettext_lazy("People below the subsistence minimum"), gettext_lazy("people"), decimals=0),
        Measure("poverty_gap_people", "poverty", gettext_lazy("People to lift out of poverty to reach the target"), gettext_lazy("people"), decimals=0, is_gap=True),
        Measure("gas_share", "gasification", gettext_lazy("Gasification (share of the population with gas)"), gettext_lazy("% of the population"), higher_is_worse=False),
        Measure("gas_target", "gasification", gettext_lazy("Gasification target"), gettext_lazy("% of the population"), higher_is_worse=False, map_layer=False),
        Measure("gas_gap_pp", "gasification", gettext_lazy("Gasification gap to the target"), gettext_lazy("percentage points"), is_gap=True),
        Measure("gas_people_without", "gasification", gettext_lazy("People without gas"), gettext_lazy("people"), decimals=0),
        Measure("gas_pace", "gasification", gettext_lazy("Observed pace of gasification"), gettext_lazy("percentage points per year"), decimals=2, higher_is_worse=False, map_layer=False),
        Measure("gas_years", "gasification", gettext_lazy("Years to reach the target at the observed pace"), gettext_lazy("years"), map_layer=False),
        Measure("rss_provision", "rss", gettext_lazy("RSS provision (standards met)"), gettext_lazy("% of applicable standards met"), higher_is_worse=False),
        Measure("rss_gap", "rss", gettext_lazy("RSS provision gap to 100 %"), gettext_lazy("percentage points"), is_gap=True),
        Measure("rss_weighted", "rss", gettext_lazy("RSS provision, population-weighted (computed)"), gettext_lazy("% of applicable standards met"), higher_is_worse=False),
        Measure("need_index", "index", gettext_lazy("Composite need index"), gettext_lazy("0 = least need, 100 = greatest need")),
    ]
}
GAP_MEASURES = {"poverty": "poverty_gap_pp", "gasification": "gas_gap_pp", "rss": "rss_gap"}
INDEX_COMPONENTS = ["poverty_gap_pp", "gas_gap_pp", "rss_gap"]
THEMES = {
    "poverty": gettext_lazy("Poverty"),
    "gasification": gettext_lazy("Gasification"),
    "rss": gettext_lazy("Regional Standards System (RSS)"),
    "index": gettext_lazy("Composite need index"),
}


@dataclass
class Cell:
    """One figure of one region: value, year, how it was obtained and where it comes from."""

    value: float | None
    year: int | None = None
    status: str = ""
    source: str = ""
    bound: str = ""  # "le" / "ge" / "approx" / ""
    note: str = ""
    period: str = ""
    label: str = ""  # a text value (projection)
    count: int | None = None  # composite index: components used

    @property
    def missing(self) -> bool:
        return self.value is None and not self.label

    @property
    def sources(self) -> list[str]:
        return split_sources(self.source)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def is_estimate(self) -> bool:
        return self.status in ("crosswalk", "estimate")

    @property
    def year_text(self) -> str:
        if self.year:
            return str(self.year)
        return _("year not stated")

    def text(self, measure: Measure | str, lang: str | None = None) -> str:
        if isinstance(measure, str):
            measure = MEASURES[measure]
        if self.label:
            return str(PROJECTION_LABELS.get(self.label, self.label))
        if self.value is None:
            return str(_("no data"))
        return BOUND_SYMBOLS.get(self.bound, "") + fmt_number(self.value, measure.decimals, lang)


MISSING = Cell(None)
