"""Progress status of national indicators, nationally and per region (sdg-methods §2.3a and §2.7).

The numbers come from :func:`localization.core.progress.progress_status`; this module only chooses the
inputs and groups the results:

* **Headline series.** The total (``dims == ""``) in the indicator's main unit and series. The unit is
  ``Indicator.unit`` when the data use it, otherwise the unit with the most national total rows (regional rows
  when there are no national ones); within that unit the series ``""`` if present, otherwise the series with
  the most rows. Ties go to the alphabetically first code. :attr:`StatusBoard.headline` shows which was taken.
* **National values** are rows with ``region`` null and ``area_code`` empty (or ``"KZ"``); rows of pre-2022
  areas that map to no current region are left out.
* **Target.** Nationally the indicator's own target (``target_value``/``target_year``); for a region its
  approved regional target (the newest approved :class:`~localization.models.RegionalTarget`) and otherwise
  the national target. Without a target the core's method 1 (growth thresholds, ``limit``) applies.
* **Base year.** The regional target's base year when one applies, else ``Indicator.baseline_year``, else 2015
  (the core moves to the next year with data).
* **Series breaks.** ``Indicator.series_breaks`` plus, for a regional series that mixes territory versions
  (e.g. Almaty region on its ``pre2022`` boundaries and on the ``2024`` ones), the first year on the newest
  territory. When two rows give the same region and year, the newest territory wins, then the better verified.
* **Statuses are never averaged across regions**: the national status is recomputed from national data and the
  regional picture is shown as a distribution ("7 of 20 regions on track"), as §2.7 prescribes.

Queries do not grow with the amount of data: a :class:`StatusBoard` reads the indicators, the regions, every
needed value (one query, grouped in Python) and the approved regional targets once, then computes lazily and
memoises. Build one board per request.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, NamedTuple

from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from localization.core.progress import SUMMARY_CLASSES, ProgressResult, TargetSpec, assess, summarize
from localization.models import Indicator, IndicatorValue, PublishedTarget, Region, RegionalTarget, targets_in_force

DEFAULT_BASE_YEAR = 2015
DEFAULT_TARGET_YEAR = 2030
NATIONAL_AREA_CODES = ("", "KZ")

# Verification rank when two rows give the same region and year (different source area codes).
#: Which of two values for the same place and year wins (also read by the maps, geo.services.series).
STATUS_RANK = _RANK = {"official": 0, "verified": 1, "estimate": 2, "unverified": 3}

STATUS_LABELS = {
    "target_achieved": gettext_lazy("Target achieved"),
    "substantial_progress": gettext_lazy("Substantial progress / on track"),
    "moderate_progress": gettext_lazy("Moderate progress, acceleration needed"),
    "limited_progress": gettext_lazy("Limited progress"),
    "deterioration": gettext_lazy("Deterioration"),
}
SUMMARY_LABELS = {
    "on_track": gettext_lazy("On track or achieved"),
    "limited_progress": gettext_lazy("Limited progress"),
    "reversed": gettext_lazy("Reversed"),
}
TREND_LABELS = {
    "improving": gettext_lazy("improving"),
    "worsening": gettext_lazy("worsening"),
    "flat": gettext_lazy("no change"),
}
NO_DIRECTION = gettext_lazy("The desired direction of this indicator is not set, so progress cannot be assessed.")
BINARY_DIRECTION = gettext_lazy("A yes/no indicator: growth rates do not apply, so no progress status is computed.")
NONE_DIRECTION = gettext_lazy("This indicator has no desired direction (it describes, it does not judge), "
                              "so no progress status is computed.")
#: The numeric core's reason codes, in the reader's language (issue 10: no English reason on kk/ru pages).
REASONS = {
    "too_few_years": gettext_lazy("needs at least 2 years with data; got %(n)s"),
    "nothing_after_base": gettext_lazy("no year with data after the base year %(base_year)s"),
    "one_year_after_base": gettext_lazy("only one year with data (%(year)s) at or after the base year %(base_year)s"),
    "one_year_after_break": gettext_lazy("after the series break in %(break)s only one year with data remains"),
    "opposite_signs": gettext_lazy("the base and latest values have opposite signs; growth rates are undefined"),
    "target_opposite_sign": gettext_lazy("the base value and the target have opposite signs"),
    "target_year_not_after_base": gettext_lazy("the target year is not after the base year"),
    "invalid_value": gettext_lazy("a value is not a finite number"),
}
TARGET_REFUSED = {
    "different_definition": gettext_lazy("target set on a different definition: its baseline %(published)s "
                                         "(%(year)s) differs from this series' %(ours)s; assessed without it"),
    "different_unit": gettext_lazy("target set in another unit (%(unit)s); assessed without it"),
    "worsening_target": gettext_lazy("target lies on the worsening side of its baseline; refused"),
    "no_data_after_target_base": gettext_lazy("no data yet after the target's base year %(year)s; "
                                              "assessed without the target"),
}
TARGET_KIND_LABELS = {
    "decomposed": gettext_lazy("regional target (decomposition)"),
    "regional": gettext_lazy("regional target (approved proposal)"),
    "national": gettext_lazy("national target"),
    "global": gettext_lazy("global target (SDG target text)"),
}
TREND_ARROWS = {"improving": "▲", "worsening": "▼", "flat": "▬"}


# --------------------------------------------------------------------------------------------- formatting


def fmt(value: float | None, decimals: int = 3) -> str:
    """A number for display in the active language: at most ``decimals`` decimals, trailing zeros dropped."""
    if value is None:
        return _("no data")
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "∞" if value > 0 else ("−∞" if value < 0 else "—")
    places = decimals
    if value != 0 and abs(value) < 10 ** -decimals:
        places = min(9, -int(math.floor(math.log10(abs(value)))) + 2)
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    shown_places = len(text.split(".")[1]) if "." in text else 0
    result = number_format(float(text), shown_places, use_l10n=True, force_grouping=abs(value) >= 10000)
    return result.replace("-", "−", 1) if result.startswith("-") else result


def fmt_pct(value: float | None, decimals: int = 2) -> str:
    """A rate (0.0153) as a percentage (1.53 %)."""
    return _("no data") if value is None else f"{fmt(value * 100, decimals)} %"


def fmt_signed(value: float | None, decimals: int = 3) -> str:
    if value is None:
        return _("no data")
    text = fmt(value, decimals)
    return text if text.startswith("−") or value == 0 else f"+{text}"


# --------------------------------------------------------------------------------------------- data rows


class Row(NamedTuple):
    """One stored value, as read for status calculations (a light copy of an IndicatorValue)."""

    indicator_id: int
    region_id: int | None
    area_code: str
    territory: str
    year: int
    unit: str
    series: str
    value: float
    status: str
    source_file: str
    source_line: int | None
    source_note: str
    dims: str = ""
    suspect: bool = False

    @property
    def source(self) -> str:
        """Where the value comes from: ``file:line``, or who entered it and whether it was verified."""
        return source_label(self.status, self.source_file, self.source_line, self.source_note)

    @property
    def unverified(self) -> bool:
        return self.status == "unverified"

    @property
    def text(self) -> str:
        """The value formatted for the active language (a suspect value says so)."""
        if self.suspect:
            return _("%(value)s (as published, suspect)") % {"value": fmt(self.value)}
        return fmt(self.value)

    @property
    def former_unit(self) -> bool:
        """A value of a pre-2022 (or pre-2018) unit: never part of today's region's series."""
        return territory_rank(self.territory) < territory_rank("2024")


ROW_FIELDS = list(Row._fields)


def source_label(status: str, source_file: str, source_line: int | None, source_note: str) -> str:
    if source_file:
        return f"{source_file}:{source_line}" if source_line else source_file
    if status == "unverified":
        label = _("entered by akimat, unverified")
    elif status == "verified":
        label = _("entered by akimat, verified by statistics")
    elif status == "estimate":
        label = _("estimate")
    else:
        label = ""
    if source_note:
        return f"{label}: {source_note}" if label else source_note
    return label or _("source not recorded")


def is_national(row: Row) -> bool:
    return row.region_id is None and row.area_code in NATIONAL_AREA_CODES


SERIES_DIMS = ("SERIES=", "UNIT_MEASURE=")  # not disaggregations: they name the series (kept in ``series``)


def is_total(dims: str) -> bool:
    """The total of every disaggregation: no dimension, or each one ``_T`` (an empty cell is already dropped);
    a ``SERIES`` part names the series, not a disaggregation."""
    return dims == "" or all(part.endswith("=_T") or part.startswith(SERIES_DIMS) for part in dims.split("|"))


def choose_headline(indicator: Indicator, rows: list[Row]) -> tuple[str, str] | None:
    """(unit, series) of the headline series among the total rows of one indicator.

    A statistics officer's choice (``Indicator.headline_unit`` / ``headline_series``) wins; otherwise the
    unit and series of the first total row in the published file (national rows first, regional ones when the
    file has no national total; rows entered on the site, without a line, come last)."""
    national = [r for r in rows if is_national(r)]
    pool = national or [r for r in rows if r.region_id is not None]
    if not pool:
        return None
    units = {r.unit for r in pool}
    if indicator.headline_unit and indicator.headline_unit in units:
        pool = [r for r in pool if r.unit == indicator.headline_unit]
    series = {r.series for r in pool}
    if indicator.headline_series and indicator.headline_series in series:
        pool = [r for r in pool if r.series == indicator.headline_series]
    first = min(pool, key=lambda r: (r.source_file == "", r.source_line is None, r.source_line or 0, r.unit,
                                     r.series))
    return first.unit, first.series


def territory_rank(territory: str) -> int:
    """Order of boundary versions: ``pre2018`` < ``pre2022`` < ``2024``; empty counts as current."""
    digits = "".join(ch for ch in territory if ch.isdigit())
    if not digits:
        return 10**6
    return int(digits) - (1 if territory.startswith("pre") else 0)


def _pick(a: Row, b: Row) -> Row:
    """Of two rows for the same region and year keep the newest territory, then the best verified one."""

    def key(r: Row):
        return (-territory_rank(r.territory), r.dims != "", _RANK.get(r.status, 9), r.area_code)

    return a if key(a) <= key(b) else b


def break_years(indicator: Indicator) -> tuple[int, ...]:
    years = []
    for raw in indicator.series_breaks or []:
        try:
            years.append(int(str(raw)[:4]))
        except (TypeError, ValueError):
            continue
    return tuple(sorted(set(years)))


# --------------------------------------------------------------------------------------------- results


@dataclass
class Gap:
    """Region value − national value in the latest year both have (``better``: in the desired direction)."""

    year: int
    region_value: float
    national_value: float
    difference: float
    relative: float | None
    better: bool | None
    region_point: Row
    national_point: Row

    @property
    def difference_text(self) -> str:
        return fmt_signed(self.difference)

    @property
    def relative_text(self) -> str:
        return fmt_pct(self.relative, 1) if self.relative is not None else ""


@dataclass
class StatusRow:
    """Status of one indicator for one territory (``region`` None = national), with every input."""

    indicator: Indicator
    region: Region | None
    points: list[Row]
    target_value: float | None = None
    target_year: int | None = None
    #: decomposed / regional (approved proposal) / national / global, or None
    target_kind: str | None = None
    target_source: str = ""  # the reader's citation of the target
    target_baseline_year: int | None = None
    target_baseline_value: float | None = None
    regional_target: RegionalTarget | None = None
    published_target: PublishedTarget | None = None
    requested_base_year: int = DEFAULT_BASE_YEAR
    breaks: tuple[int, ...] = ()
    result: ProgressResult | None = None
    problem: str | None = None  # why no calculation was made (lazily translated)
    problem_code: str | None = None
    preview: bool = False  # computed with unverified values (an officer's preview)

    @property
    def series(self) -> dict[int, float]:
        """The values the calculation uses: suspect values are left out."""
        return {p.year: p.value for p in self.points if not p.suspect}

    @property
    def has_data(self) -> bool:
        return bool(self.points)

    @property
    def status(self) -> str | None:
        return self.result.status if self.result else None

    @property
    def summary(self) -> str | None:
        return self.result.summary if self.result else None

    @property
    def status_label(self) -> str:
        if self.status:
            return str(STATUS_LABELS[self.status])
        if not self.points:
            return _("no data")
        return _("not assessed")

    @property
    def summary_label(self) -> str:
        return str(SUMMARY_LABELS[self.summary]) if self.summary else ""

    @property
    def reason_code(self) -> str | None:
        """Stable code of ``reason`` (API)."""
        if self.problem_code:
            return self.problem_code
        if self.result is not None and self.result.reason_code:
            return self.result.reason_code
        if self.result is not None and self.result.target_refused:
            return self.result.target_refused
        return None

    @property
    def reason(self) -> str:
        """Why there is no status, or why a target was not used — in the reader's language."""
        if self.problem:
            return str(self.problem)
        r = self.result
        if r is not None and r.reason_code:
            params = dict(r.reason_params or {})
            text = str(REASONS.get(r.reason_code, REASONS["invalid_value"]))
            return text % params if params else text
        if r is not None and r.target_refused:
            return self.refusal_text
        return ""

    @property
    def refusal_text(self) -> str:
        r = self.result
        if r is None or not r.target_refused:
            return ""
        ours = None
        if self.target_baseline_year is not None:
            p = self.point(self.target_baseline_year)
            ours = p.value if p is not None else None
        return str(TARGET_REFUSED[r.target_refused]) % {
            "published": fmt(self.target_baseline_value), "year": self.target_baseline_year or "",
            "ours": fmt(ours), "unit": self.published_target.unit if self.published_target else ""}

    @property
    def reason_lang(self) -> str:
        """Kept for the templates: reasons are always in the active language now."""
        return ""

    @property
    def target_text(self) -> str:
        return fmt(self.target_value) if self.target_value is not None else ""

    @property
    def target_used(self) -> bool:
        return self.result is not None and self.result.method == "target"

    @property
    def target_kind_label(self) -> str:
        return str(TARGET_KIND_LABELS[self.target_kind]) if self.target_kind else ""

    @property
    def latest(self) -> Row | None:
        return self.points[-1] if self.points else None

    def point(self, year: int | None) -> Row | None:
        for p in self.points:
            if p.year == year:
                return p
        return None

    @property
    def base_value(self) -> float | None:
        """The base-year value as observed (not the core's 0 → 0.001 swap)."""
        p = self.base_point
        return p.value if p is not None else None

    @property
    def current_point(self) -> Row | None:
        if self.result and self.result.current_year is not None:
            return self.point(self.result.current_year)
        return None

    @property
    def base_point(self) -> Row | None:
        if self.result and self.result.base_year is not None:
            return self.point(self.result.base_year)
        return None

    @property
    def trend(self) -> str | None:
        """improving / worsening / flat between the base and the current year, in the desired direction."""
        r = self.result
        if not r or r.base_year is None or r.current_year is None or self.indicator.direction is None:
            return None
        base = self.point(r.base_year)
        if base is None:
            return None
        change = self.indicator.direction * (r.current_value - base.value)
        return "improving" if change > 0 else "worsening" if change < 0 else "flat"

    @property
    def trend_label(self) -> str:
        return str(TREND_LABELS[self.trend]) if self.trend else _("no data")

    @property
    def trend_arrow(self) -> str:
        return TREND_ARROWS.get(self.trend, "")

    @property
    def score(self) -> float | None:
        return self.result.score if self.result else None

    def inputs(self) -> list[tuple[str, str]]:
        """The inputs and intermediate numbers of the calculation, labelled, for display beside the status."""
        r = self.result
        if r is None or r.method == "insufficient_data" and r.base_year is None:
            return []
        items = [
            (_("base year"), str(r.base_year) if r.base_year is not None else _("no data")),
            (_("base value"), fmt(r.base_value)),
            (_("current year"), str(r.current_year) if r.current_year is not None else _("no data")),
            (_("current value"), fmt(r.current_value)),
        ]
        if r.target_refused:
            items.append((_("target not used"), self.refusal_text))
        if r.method == "target" or (r.method == "insufficient_data" and r.target is not None):
            items.append((_("target value"), f"{fmt(r.target)} ({r.target_year})"))
            if r.ratio is not None:
                items.append(("R", fmt(r.ratio)))
            if r.cagr_observed is not None:
                items.append((_("observed growth per year"), fmt_pct(r.cagr_observed)))
            if r.cagr_required is not None:
                items.append((_("required growth per year"), fmt_pct(r.cagr_required)))
        elif r.method == "no_target":
            items.append(("g", fmt_pct(r.growth)))
            items.append(("C", fmt(r.limit_factor) if r.limit_factor is not None else "1"))
        if r.rebased_for_break:
            items.append((_("rebased after the series break in"), str(r.rebased_for_break)))
        if r.score is not None:
            items.append((_("score"), fmt(r.score, 2)))
        return items

    @property
    def method_label(self) -> str:
        r = self.result
        if r is None or r.method == "insufficient_data":
            return ""
        if r.method == "target":
            return _("with a target (ratio R)")
        if r.target_refused:
            return _("without a target (growth g): the target was not used")
        return _("without a target (growth g)")


def _target_for(indicator: Indicator, region: Region | None, regional_target: RegionalTarget | None,
                published: list[PublishedTarget]) -> dict | None:
    """The target that applies, with its kind and citation (never invented; see the module docstring)."""
    if regional_target is not None:
        kind = "decomposed" if regional_target.decomposition_id else "regional"
        source = (_("decomposition #%(n)s") % {"n": regional_target.decomposition_id} if kind == "decomposed"
                  else _("proposal of the akimat, approved"))
        return {"value": regional_target.target_value, "year": regional_target.target_year, "kind": kind,
                "source": source, "baseline_year": regional_target.base_year,
                "baseline_value": regional_target.base_value, "unit": "", "regional": regional_target}
    if region is None and indicator.target_value is not None:
        return {"value": indicator.target_value, "year": indicator.target_year or DEFAULT_TARGET_YEAR,
                "kind": "national", "source": indicator.target_source or _("set by the statistics office"), "baseline_year": indicator.baseline_year,
                "baseline_value": indicator.baseline_value, "unit": ""}
    by_kind = {}
    for t in published:  # the first of each kind set on this series (fixture order)
        if not t.other_series:
            by_kind.setdefault(t.kind, t)
    # A national target carries a national baseline: it is the nation's, never applied to a region's series.
    pt = (by_kind.get("national") if region is None else None) or by_kind.get("global")
    if pt is None:
        return None
    return {"value": pt.target_value, "year": pt.target_year, "kind": pt.kind, "source": pt.citation,
            "baseline_year": pt.baseline_year, "baseline_value": pt.baseline_value, "unit": pt.unit,
            "published": pt}


def compute(
    indicator: Indicator,
    region: Region | None,
    points: list[Row],
    *,
    regional_target: RegionalTarget | None = None,
    published: list[PublishedTarget] = (),
    extra_breaks: Iterable[int] = (),
    headline_unit: str = "",
) -> StatusRow:
    """Status of one territory's headline series; the one place that calls the core's ``assess``."""
    row = StatusRow(indicator=indicator, region=region, points=points)
    row.requested_base_year = indicator.baseline_year or DEFAULT_BASE_YEAR
    target = _target_for(indicator, region, regional_target, list(published))
    spec = None
    if target is not None:
        row.target_value, row.target_year, row.target_kind = target["value"], target["year"], target["kind"]
        row.target_source = target["source"] or ""
        row.target_baseline_year, row.target_baseline_value = target["baseline_year"], target["baseline_value"]
        row.regional_target = target.get("regional")
        row.published_target = target.get("published")
        spec = TargetSpec(value=target["value"], year=target["year"], baseline_year=target["baseline_year"],
                          baseline_value=target["baseline_value"], unit=_unit_code(target["unit"]))
    row.breaks = tuple(sorted(set(break_years(indicator)) | set(extra_breaks)))
    if not points:
        return row
    kind = indicator.direction_kind
    if indicator.direction not in (1, -1):
        row.problem, row.problem_code = {
            "binary": (BINARY_DIRECTION, "binary_indicator"), "none": (NONE_DIRECTION, "no_direction_applicable"),
        }.get(kind, (NO_DIRECTION, "no_direction"))
        return row
    try:
        row.result = assess(row.series, indicator.direction, target=spec, base_year=row.requested_base_year,
                            series_unit=headline_unit if spec is not None and spec.unit else "",
                            limit=indicator.limit, series_breaks=row.breaks, bounds=indicator.bounds)
    except ValueError:  # a non-finite value
        row.problem, row.problem_code = REASONS["invalid_value"], "invalid_value"
    return row


def _unit_code(unit: str) -> str:
    """A target's unit as the series' unit code where it names one (``%`` → ``PT``); else "" (not compared)."""
    if unit in ("%", "PT"):
        return "PT"
    return unit if unit and unit.replace("_", "").isalnum() and unit.upper() == unit else ""


def summary_of(rows: Iterable[StatusRow]) -> dict:
    """Counts and shares per summary class (core ``summarize``) plus ``items`` ready for display."""
    rows = list(rows)
    result = summarize([r.status for r in rows])
    result["items"] = [
        {"key": key, "label": str(SUMMARY_LABELS[key]), "count": result["counts"][key],
         "share": result["shares"][key], "share_text": fmt_pct(result["shares"][key], 1)
         if result["shares"][key] is not None else _("no data")}
        for key in SUMMARY_CLASSES
    ]
    result["n_on_track"] = result["counts"]["on_track"]
    return result


# --------------------------------------------------------------------------------------------- the board


class StatusBoard:
    """Statuses for a set of indicators, nationally and for a set of regions, read in a constant number of queries.

    ``indicators``: a queryset or iterable of Indicator (default: all). ``regions``: Region instances to include
    (default: all 20); pass ``[]`` for national values only. Nothing is read until first used.
    """

    def __init__(self, indicators=None, regions=None, *, preview: bool = False):
        self._indicators_arg = indicators
        self._regions_arg = regions
        #: False (public pages, maps, API): verified and official values only. True: an officer's preview that
        #: includes values still awaiting verification (pages mark it as such).
        self.preview = preview
        self._memo: dict = {}

    # ---- data (one query each)

    @cached_property
    def indicators(self) -> list[Indicator]:
        arg = self._indicators_arg
        if arg is None:
            arg = Indicator.objects.select_related("goal")
        return list(arg)

    @cached_property
    def indicator_by_id(self) -> dict[int, Indicator]:
        return {i.pk: i for i in self.indicators}

    @cached_property
    def regions(self) -> list[Region]:
        if self._regions_arg is None:
            return list(Region.objects.all())
        return list(self._regions_arg)

    @cached_property
    def region_by_id(self) -> dict[int, Region]:
        return {r.pk: r for r in self.regions}

    @cached_property
    def _rows(self) -> dict[int, list[Row]]:
        """All total rows of the indicators, national and for the regions, grouped by indicator (one query)."""
        ids = list(self.indicator_by_id)
        grouped: dict[int, list[Row]] = defaultdict(list)
        if not ids:
            return grouped
        where = Q(region__isnull=True, area_code__in=NATIONAL_AREA_CODES)
        if self._regions_arg is None:
            where |= Q(region__isnull=False)
        elif self.regions:
            where |= Q(region_id__in=[r.pk for r in self.regions])
        qs = IndicatorValue.objects.filter(where, Q(dims="") | Q(dims__contains="=_T") | Q(dims__startswith="SERIES="),
                                            indicator_id__in=ids).order_by()
        if not self.preview:
            qs = qs.exclude(status=IndicatorValue.Verification.UNVERIFIED)
        for values in qs.values_list(*ROW_FIELDS):
            row = Row(*values)
            if not is_total(row.dims):
                continue
            if row.region_id is not None and row.former_unit:
                continue  # a pre-2022 (pre-2018) unit: kept in the data, never today's region's series
            grouped[row.indicator_id].append(row)
        return grouped

    @cached_property
    def _published(self) -> dict[str, list[PublishedTarget]]:
        """Published targets (national UNCF, global SDG texts) by indicator code (one query)."""
        codes = {i.code for i in self.indicators} | {i.dotted for i in self.indicators}
        found: dict[str, list[PublishedTarget]] = defaultdict(list)
        for t in PublishedTarget.objects.filter(code__in=codes):
            found[t.code.replace(".", "-")].append(t)
        return found

    def published_targets(self, indicator: Indicator) -> list[PublishedTarget]:
        return self._published.get(indicator.code, [])

    @cached_property
    def _targets(self) -> dict[tuple[int, int], RegionalTarget]:
        """The approved regional target in force per (indicator, region): the newest approved one (one query)."""
        region_ids = None if self._regions_arg is None else [r.pk for r in self.regions]
        if region_ids == []:
            return {}
        return targets_in_force(list(self.indicator_by_id), region_ids)

    # ---- headline series

    def headline(self, indicator: Indicator) -> tuple[str, str] | None:
        key = ("headline", indicator.pk)
        if key not in self._memo:
            self._memo[key] = choose_headline(indicator, self._rows.get(indicator.pk, []))
        return self._memo[key]

    def _series(self, indicator: Indicator) -> dict:
        """{region_id or None: [Row sorted by year]} of the headline series, duplicates resolved."""
        key = ("series", indicator.pk)
        if key in self._memo:
            return self._memo[key]
        chosen = self.headline(indicator)
        by_territory: dict = defaultdict(dict)
        if chosen is not None:
            unit, series = chosen
            for row in self._rows.get(indicator.pk, []):
                if row.unit != unit or row.series != series:
                    continue
                if row.region_id is None and not is_national(row):
                    continue
                slot = by_territory[row.region_id]
                slot[row.year] = _pick(slot[row.year], row) if row.year in slot else row
        result = {tid: [slot[y] for y in sorted(slot)] for tid, slot in by_territory.items()}
        self._memo[key] = result
        return result

    def points(self, indicator: Indicator, region: Region | None = None) -> list[Row]:
        return self._series(indicator).get(region.pk if region is not None else None, [])

    # ---- statuses

    def national(self, indicator: Indicator) -> StatusRow:
        key = ("status", indicator.pk, None)
        if key not in self._memo:
            headline = self.headline(indicator)
            row = compute(indicator, None, self.points(indicator), published=self.published_targets(indicator),
                          headline_unit=headline[0] if headline else "")
            row.preview = self.preview
            self._memo[key] = row
        return self._memo[key]

    def regional(self, indicator: Indicator, region: Region) -> StatusRow:
        key = ("status", indicator.pk, region.pk)
        if key not in self._memo:
            points = self.points(indicator, region)
            territories = {p.territory for p in points}
            extra = ()
            if len({territory_rank(t) for t in territories}) > 1:
                newest = max(territories, key=territory_rank)
                extra = (min(p.year for p in points if p.territory == newest),)
            headline = self.headline(indicator)
            row = compute(
                indicator, region, points, regional_target=self._targets.get((indicator.pk, region.pk)),
                published=self.published_targets(indicator), extra_breaks=extra,
                headline_unit=headline[0] if headline else "")
            row.preview = self.preview
            self._memo[key] = row
        return self._memo[key]

    def target_in_force(self, indicator: Indicator, region: Region) -> RegionalTarget | None:
        return self._targets.get((indicator.pk, region.pk))

    def across_regions(self, indicator: Indicator) -> list[StatusRow]:
        return [self.regional(indicator, region) for region in self.regions]

    def for_region(self, region: Region, indicators: Iterable[Indicator] | None = None) -> list[StatusRow]:
        return [self.regional(i, region) for i in (self.indicators if indicators is None else indicators)]

    def has_regional_data(self, indicator: Indicator) -> bool:
        return any(tid is not None for tid in self._series(indicator))

    # ---- summaries

    def regional_summary(self, indicator: Indicator) -> dict:
        """Distribution over the regions ("7 of 20 regions on track"); ``n_total`` = number of regions."""
        return summary_of(self.across_regions(indicator))

    def region_summary(self, region: Region, indicators: Iterable[Indicator] | None = None) -> dict:
        return summary_of(self.for_region(region, indicators))

    def national_summary(self, indicators: Iterable[Indicator] | None = None) -> dict:
        return summary_of(self.national(i) for i in (self.indicators if indicators is None else indicators))

    def goal_summaries(self, region: Region | None = None) -> list[dict]:
        """Per goal: its indicators' statuses (regional when ``region`` is given, else national)."""
        by_goal: dict[int, list[StatusRow]] = defaultdict(list)
        goals = {}
        for indicator in self.indicators:
            goals[indicator.goal_id] = indicator.goal
            row = self.regional(indicator, region) if region is not None else self.national(indicator)
            by_goal[indicator.goal_id].append(row)
        out = []
        for goal_id in sorted(by_goal, key=lambda g: goals[g].number):
            rows = by_goal[goal_id]
            summary = summary_of(rows)
            summary.update(goal=goals[goal_id], n_indicators=len(rows), n_with_data=sum(1 for r in rows if r.has_data))
            out.append(summary)
        return out

    # ---- gaps

    def gap(self, indicator: Indicator, region: Region) -> Gap | None:
        """Region − national in the latest year both have a headline value."""
        mine = {p.year: p for p in self.points(indicator, region) if not p.suspect}
        national = {p.year: p for p in self.points(indicator) if not p.suspect}
        common = sorted(set(mine) & set(national))
        if not common:
            return None
        year = common[-1]
        rv, nv = mine[year].value, national[year].value
        diff = rv - nv
        better = None
        if indicator.direction in (1, -1) and diff != 0:
            better = indicator.direction * diff > 0
        relative = diff / abs(nv) if nv else None
        return Gap(year=year, region_value=rv, national_value=nv, difference=diff, relative=relative,
                   better=better, region_point=mine[year], national_point=national[year])


def regions_phrase(summary: dict) -> str:
    """ "7 of 20 regions on track" in the active language."""
    from django.utils.translation import ngettext

    return ngettext(
        "%(n)s of %(total)s region on track or achieved",
        "%(n)s of %(total)s regions on track or achieved",
        summary["n_total"],
    ) % {"n": summary["n_on_track"], "total": summary["n_total"]}
