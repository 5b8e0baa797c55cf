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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, NamedTuple

from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from localization.core.progress import SUMMARY_CLASSES, ProgressResult, progress_status, summarize
from localization.models import Indicator, IndicatorValue, Region, RegionalTarget

DEFAULT_BASE_YEAR = 2015
DEFAULT_TARGET_YEAR = 2030
NATIONAL_AREA_CODES = ("", "KZ")

# Verification rank when two rows give the same region and year (different source area codes).
_RANK = {"official": 0, "verified": 1, "estimate": 2, "unverified": 3}

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

    @property
    def source(self) -> str:
        """Where the value comes from: ``file:line``, or who entered it and whether it was verified."""
        return source_label(self.status, self.source_file, self.source_line, self.source_note)

    @property
    def unverified(self) -> bool:
        return self.status == "unverified"

    @property
    def text(self) -> str:
        """The value formatted for the active language."""
        return fmt(self.value)


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


def choose_headline(indicator: Indicator, rows: list[Row]) -> tuple[str, str] | None:
    """(unit, series) of the headline series among the total rows of one indicator (rules in the module doc)."""
    national = [r for r in rows if is_national(r)]
    pool = national or [r for r in rows if r.region_id is not None]
    if not pool:
        return None
    units = Counter(r.unit for r in pool)
    unit = indicator.unit if indicator.unit in units else _most_common(units)
    series = Counter(r.series for r in pool if r.unit == unit)
    return unit, ("" if "" in series else _most_common(series))


def _most_common(counter: Counter) -> str:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]


def territory_rank(territory: str) -> int:
    """Order of boundary versions: ``pre2018`` < ``pre2022`` < ``2024``; empty counts as current."""
    digits = "".join(ch for ch in territory if ch.isdigit())
    if not digits:
        return 10**6
    return int(digits) - (1 if territory.startswith("pre") else 0)


def _pick(a: Row, b: Row) -> Row:
    """Of two rows for the same region and year keep the newest territory, then the best verified one."""

    def key(r: Row):
        return (-territory_rank(r.territory), _RANK.get(r.status, 9), r.area_code)

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
    target_kind: str | None = None  # "regional", "national" or None
    regional_target: RegionalTarget | None = None
    requested_base_year: int = DEFAULT_BASE_YEAR
    breaks: tuple[int, ...] = ()
    result: ProgressResult | None = None
    problem: str | None = None  # why no calculation was made (lazily translated, or the core's English message)

    @property
    def series(self) -> dict[int, float]:
        return {p.year: p.value for p in self.points}

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
    def reason(self) -> str:
        """Why there is no status (shown next to "not assessed")."""
        if self.problem:
            return str(self.problem)
        if self.result is not None and self.result.reason:
            return self.result.reason
        return ""

    @property
    def reason_lang(self) -> str:
        """``"en"`` when the reason is the numeric core's English message (for the ``lang`` attribute)."""
        if self.problem is not None:
            return "" if self.problem is NO_DIRECTION else "en"
        return "en" if self.result is not None and self.result.reason else ""

    @property
    def target_text(self) -> str:
        return fmt(self.target_value) if self.target_value is not None else ""

    @property
    def target_kind_label(self) -> str:
        if self.target_kind == "regional":
            return _("regional target")
        if self.target_kind == "national":
            return _("national target applied") if self.region is not None else _("national target")
        return ""

    @property
    def latest(self) -> Row | None:
        return self.points[-1] if self.points else None

    def point(self, year: int | None) -> Row | None:
        for p in self.points:
            if p.year == year:
                return p
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
        return _("with a target (ratio R)") if r.method == "target" else _("without a target (growth g)")


def compute(
    indicator: Indicator,
    region: Region | None,
    points: list[Row],
    *,
    regional_target: RegionalTarget | None = None,
    extra_breaks: Iterable[int] = (),
) -> StatusRow:
    """Status of one territory's headline series; the one place that calls ``progress_status``."""
    row = StatusRow(indicator=indicator, region=region, points=points)
    if regional_target is not None:
        row.target_value, row.target_year, row.target_kind = (
            regional_target.target_value, regional_target.target_year, "regional")
        row.regional_target = regional_target
        row.requested_base_year = regional_target.base_year
    elif indicator.target_value is not None:
        row.target_value = indicator.target_value
        row.target_year = indicator.target_year or DEFAULT_TARGET_YEAR
        row.target_kind = "national"
        row.requested_base_year = indicator.baseline_year or DEFAULT_BASE_YEAR
    else:
        row.requested_base_year = indicator.baseline_year or DEFAULT_BASE_YEAR
    row.breaks = tuple(sorted(set(break_years(indicator)) | set(extra_breaks)))
    if not points:
        return row
    if indicator.direction not in (1, -1):
        row.problem = NO_DIRECTION
        return row
    kwargs = {"base_year": row.requested_base_year, "limit": indicator.limit, "series_breaks": row.breaks}
    if row.target_value is not None:
        kwargs.update(target=row.target_value, target_year=row.target_year)
    try:
        row.result = progress_status(row.series, indicator.direction, **kwargs)
    except ValueError as exc:  # a non-finite value, or a target that cannot be used
        row.problem = str(exc)
    return row


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

    def __init__(self, indicators=None, regions=None):
        self._indicators_arg = indicators
        self._regions_arg = regions
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
        qs = IndicatorValue.objects.filter(where, indicator_id__in=ids, dims="").order_by()
        for values in qs.values_list(*ROW_FIELDS):
            row = Row(*values)
            grouped[row.indicator_id].append(row)
        return grouped

    @cached_property
    def _targets(self) -> dict[tuple[int, int], RegionalTarget]:
        """The approved regional target in force per (indicator, region): the newest approved one (one query)."""
        from localization.services.decomposition import targets_in_force

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
            self._memo[key] = compute(indicator, None, self.points(indicator))
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
            self._memo[key] = compute(
                indicator, region, points,
                regional_target=self._targets.get((indicator.pk, region.pk)), extra_breaks=extra)
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
        mine = {p.year: p for p in self.points(indicator, region)}
        national = {p.year: p for p in self.points(indicator)}
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
