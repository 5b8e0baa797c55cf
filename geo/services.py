"""Gap figures for the pages, the maps and the downloads.

This module reads the database, hands plain DataFrames to the pure core (``geo.core``) and keeps the source of
every figure. Conventions:

* **Missing stays missing.** A region without a value has no row (or NaN) and the pages say "no data"; nothing is
  ever filled with 0.
* **Every figure keeps its source** (``source`` strings; derived figures combine the sources of their inputs).
* **Status** tells where a value comes from: ``official`` (national SDG platform), ``verified``/``unverified``
  (entered by an akimat), ``published`` (a figure stated in the Voluntary National Review 2025, with its line),
  ``crosswalk`` (estimated for the 2024 regions from pre-2022 regions, see :func:`crosswalk_shares`) or
  ``computed`` (RSS provision computed from the observations officers entered). Estimates are never shown as
  official values.
* **Bounds.** A published "not exceeding 3.4 percent" is kept as an upper bound (``bound="le"``); derived figures
  carry the corresponding inequality and the pages print it (≤, ≥).
"""
from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from config.lazy import lazy
from jobs import runner
from localization.models import District, Indicator, IndicatorValue, Region, RegionalTarget, current_lang

from .models import Boundary, GapFigure, Recomputation, RssObservation, RssStandard, Settlement, SettlementImport

# imported on first use (start-up stays lean)
gpd, np, pd, shapely = lazy("geopandas"), lazy("numpy"), lazy("pandas"), lazy("shapely")
cw, core, spatial = lazy("geo.core.crosswalk"), lazy("geo.core.gaps"), lazy("geo.core.spatial")

log = logging.getLogger(__name__)

POVERTY_CODE = "1-2-1"
GAS_CODE = "7-1-2"
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
OSM_SETTLEMENTS = FIXTURES / "settlements" / "kz_settlements_osm_hotosm.csv"
OSM_SOURCE = "OpenStreetMap (HOT export hotosm_kaz_populated_places_points), ODbL 1.0, \u00a9 OpenStreetMap contributors"
PLATFORM = "National SDG platform (Bureau of National Statistics)"
POPULATION_SOURCE = "Bureau of National Statistics, population on 1 January 2023"
CROSSWALK_NOTE = "estimated from pre-2022 regions (geo.core.crosswalk)"
SEED_DOCUMENTS = {
    "000_e3cedfe4388e2973.txt": "Voluntary National Review of Kazakhstan 2025 (VNR)",
    "004_a471b3897bac7629.txt": "UN Sustainable Development Cooperation Framework Kazakhstan 2026\u20132030 (CF)",
}
#: The reference for gasification when no regional or national target has been set: the VNR names universal
#: gasification as the goal (line 2306, "demonstrating incremental progress toward the goal of universal
#: gasification"), i.e. 100 % of the population.
GAS_REFERENCE = (100.0, "Voluntary National Review of Kazakhstan 2025 (VNR), 000_e3cedfe4388e2973.txt line 2306: "
                        "\u201cprogress toward the goal of universal gasification\u201d (100 %)")
RSS_REFERENCE = (100.0, "Regional Standards System: full provision = every applicable standard met (100 %)")
#: Units whose regional values are rates (a population-weighted mean is meaningful across a boundary change).
RATE_UNITS = {"PT", "PERCENT", "%", "PER_100000", "PER_1000", "PER_100"}

STATUS_LABELS = {
    "official": gettext_lazy("official statistics"),
    "verified": gettext_lazy("entered by the akimat, verified"),
    "unverified": gettext_lazy("entered by the akimat, not yet verified"),
    "estimate": gettext_lazy("estimate"),
    "published": gettext_lazy("published (VNR 2025)"),
    "crosswalk": gettext_lazy("estimate (crosswalk)"),
    "computed": gettext_lazy("computed from entered observations"),
    "old_territory": gettext_lazy("old territory"),
    "derived": gettext_lazy("derived"),
    "target_regional": gettext_lazy("approved regional target"),
    "target_national": gettext_lazy("national target (no regional target approved)"),
    "target_reference": gettext_lazy("reference (no target set)"),
}
PROJECTION_LABELS = {
    "target met": gettext_lazy("target met"),
    "on track": gettext_lazy("on track"),
    "not at this pace": gettext_lazy("not at this pace"),
    "insufficient data": gettext_lazy("insufficient data"),
    "no target": gettext_lazy("no target"),
}


def clean_source(text) -> str:
    """A source string safe for :func:`geo.core.gaps.combine_sources` (which splits on ``;``)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return " ".join(str(text).replace(";", ",").split())


_LINE = re.compile(r"(\S+\.(?:csv|txt)) line (\d+)")


def localize_source(text) -> str:
    """A source string in the active language: the fixed phrases Aimaq writes are translated; file names, line
    numbers and quotes from the documents stay as they are (a quote is exact, so it stays in English)."""
    if not isinstance(text, str) or not text:
        return ""
    phrases = [
        (PLATFORM, _("National SDG platform (Bureau of National Statistics)")),
        (POPULATION_SOURCE, _("Bureau of National Statistics, population on 1 January 2023")),
        (CROSSWALK_NOTE, _("estimated from pre-2022 regions (geo.core.crosswalk)")),
        ("pre-2022 territory", _("pre-2022 territory")),
        (RSS_REFERENCE[1], _("Regional Standards System: full provision = every applicable standard met (100 %)")),
        (SEED_DOCUMENTS["000_e3cedfe4388e2973.txt"], _("Voluntary National Review of Kazakhstan 2025 (VNR)")),
        (SEED_DOCUMENTS["004_a471b3897bac7629.txt"],
         _("UN Sustainable Development Cooperation Framework Kazakhstan 2026–2030 (CF)")),
        ("entered in Aimaq", _("entered in Aimaq")),
    ]
    for english, local in phrases:
        text = text.replace(english, str(local))
    return _LINE.sub(lambda m: _("%(file)s line %(n)s") % {"file": m.group(1), "n": m.group(2)}, text)


def split_sources(text) -> list[str]:
    if not isinstance(text, str) or not text:
        return []
    return [part.strip() for part in text.split(";") if part.strip()]


def number(value):
    """A float, or None for missing values (NaN, NA, None)."""
    if value is None or value is pd.NA:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


# ---------------------------------------------------------------------------------------------------------------
# number formatting in the page language


def fmt_number(value, decimals: int = 1, lang: str | None = None) -> str:
    """``1234.5`` → ``1 234,5`` (kk, ru) or ``1,234.5`` (en); ``""`` for missing values; ``∞`` for infinity."""
    value = number(value)
    if value is None:
        return ""
    if math.isinf(value):
        return "\u221e"
    lang = lang or current_lang()
    text = f"{abs(value):,.{decimals}f}"
    if lang in ("kk", "ru"):
        text = text.replace(",", "\u00a0").replace(".", ",")
    return ("\u2212" if value < 0 and float(f"{abs(value):.{decimals}f}") != 0 else "") + text


BOUND_SYMBOLS = {"le": "\u2264\u00a0", "ge": "\u2265\u00a0", "lt": "<\u00a0", "gt": ">\u00a0", "approx": "\u2248\u00a0"}


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


# ---------------------------------------------------------------------------------------------------------------
# boundaries as GeoDataFrames (read once per process and data version)

_FRAMES: dict = {}


def _boundary_version() -> str:
    agg = Boundary.objects.aggregate(n=Count("id"), m=Max("id"))
    return f"{agg['n']}-{agg['m']}"


def boundary_frame(layer: str, web: bool = False) -> gpd.GeoDataFrame:
    """The boundaries of ``layer`` as a GeoDataFrame (``KATO``, ``ADM1_KATO`` for districts, geometry, WGS 84)."""
    key = (layer, web, _boundary_version())
    if key not in _FRAMES:
        rows = list(Boundary.objects.filter(layer=layer).order_by("code").values_list("code", "geometry", "web_geometry"))
        geoms = [shapely.from_geojson((w or g) if web else g) for _, g, w in rows]
        frame = gpd.GeoDataFrame({"KATO": [c for c, _, _ in rows]}, geometry=geoms, crs="EPSG:4326")
        if layer == Boundary.Layer.DISTRICTS_2024:
            frame["ADM1_KATO"] = [c[:2] + "0000000" for c in frame["KATO"]]
        _FRAMES.clear() if len(_FRAMES) > 12 else None
        _FRAMES[key] = frame
    return _FRAMES[key]


# ---------------------------------------------------------------------------------------------------------------
# crosswalk 2018 -> 2024


def _crosswalk_key() -> str:
    pop = District.objects.aggregate(t=Sum("population_total"), u=Sum("population_urban"))
    return f"geo:crosswalk:{_boundary_version()}:{pop['t']}:{pop['u']}"


def crosswalk_shares() -> pd.DataFrame:
    """Share of each pre-2022 region's 2023 population living in each 2024 region (``geo.core.crosswalk``).

    Overlay of the 2018 regions with the 2024 districts, weighted by the districts' 2023 population, with the
    urban refinement (urban people stay in the old region holding most of their district). Cached.
    """
    key = _crosswalk_key()
    found = cache.get(key)
    if found is not None:
        return found
    districts = list(District.objects.values_list("kato", "population_total", "population_urban"))
    total = pd.Series({k: t for k, t, _ in districts if t is not None}, dtype=float)
    urban = pd.Series({k: u for k, _, u in districts if u is not None}, dtype=float)
    old = boundary_frame(Boundary.Layer.REGIONS_2018)
    new = boundary_frame(Boundary.Layer.DISTRICTS_2024)
    if old.empty or new.empty or total.empty:
        shares = pd.DataFrame(columns=["old_kato", "new_kato", "share", "population", "area_km2"])
    else:
        shares = cw.old_to_new_shares(old, new, total, urban_population=urban)
    cache.set(key, shares, 24 * 3600)
    return shares


def reform_regions() -> frozenset[str]:
    """The regions of the 2022 reform (new and old), from :mod:`geo.core.crosswalk` (imported on first use)."""
    return frozenset(cw.REFORM_2022) | frozenset(cw.REFORM_2022.values())


# ---------------------------------------------------------------------------------------------------------------
# indicator series


def value_source(source_file: str, source_line, source_note: str, status: str) -> str:
    parts = []
    if source_file:
        where = f"{source_file}" + (f" line {source_line}" if source_line else "")
        parts.append(f"{PLATFORM}, {where}" if source_file.startswith("data/indicator_") else where)
    if source_note:
        parts.append(source_note)
    if not parts:
        parts.append(PLATFORM if status == "official" else "entered in Aimaq")
    return clean_source(", ".join(parts))


def estimate_kind(indicator: Indicator) -> str | None:
    unit = (indicator.unit or "").upper()
    label = (indicator.unit_en or "").lower()
    if unit in RATE_UNITS or "percent" in label or label.startswith("per ") or "%" in label:
        return "rate"
    return None


@dataclass
class Series:
    """Regional values of one indicator on the 2024 regions, plus the rows on other territories."""

    frame: pd.DataFrame  # region, year, value, bound, status, source, note
    other: pd.DataFrame  # old-territory rows kept for the record (region, year, value, territory, source)
    national: pd.DataFrame  # year, value, status, source, note
    unit: str = ""


SERIES_COLUMNS = ["region", "year", "value", "bound", "status", "source", "note", "period"]


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def indicator_series(code: str, dims: str = "") -> Series:
    """Total (``dims=""``) values of indicator ``code`` per 2024 region and year.

    * values on the 2024 territory are taken as they are (status from the database: official, verified, …);
    * values of East Kazakhstan, Almaty region and Karaganda **before 2022** describe the pre-reform territory
      (``territory="pre2022"``): they are not shown for the 2024 regions; instead the six regions concerned
      (those three and Abai, Zhetysu, Ulytau) get a crosswalk estimate (status ``crosswalk``), a
      population-weighted mean of the pre-2022 rates (rates only; other units stay "no data");
    * values of other old territories (South Kazakhstan before 2018) are kept in ``Series.other`` only.
    """
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        return Series(_empty(SERIES_COLUMNS), _empty(["region", "year", "value", "territory", "source"]),
                      _empty(["year", "value", "status", "source", "note", "bound", "period"]))
    qs = IndicatorValue.objects.filter(indicator=indicator, dims=dims)
    rows = list(qs.values("region__kato", "territory", "year", "unit", "series", "value", "status",
                          "source_file", "source_line", "source_note", "area_code"))
    if not rows:
        return Series(_empty(SERIES_COLUMNS), _empty(["region", "year", "value", "territory", "source"]),
                      _empty(["year", "value", "status", "source", "note", "bound", "period"]), indicator.unit)
    df = pd.DataFrame(rows)
    unit = df["unit"].value_counts().idxmax()
    df = df[df["unit"] == unit]
    series = "" if (df["series"] == "").any() else df["series"].value_counts().idxmax()
    df = df[df["series"] == series].copy()
    df["source"] = [value_source(f, ln, n, s) for f, ln, n, s in
                    zip(df["source_file"], df["source_line"], df["source_note"], df["status"])]
    df = df.rename(columns={"region__kato": "region"})
    national = df[df["region"].isna()][["year", "value", "status", "source"]].copy()
    national["note"], national["bound"], national["period"] = "", "", ""
    regional = df[df["region"].notna()]
    current = regional[regional["territory"].isin(["2024", ""])].copy()
    pre2022 = regional[regional["territory"] == "pre2022"]
    other = regional[~regional["territory"].isin(["2024", ""])][["region", "year", "value", "territory", "source", "area_code"]]
    current["bound"], current["note"], current["period"] = "", "", ""
    frame = current[SERIES_COLUMNS].copy()
    kind = estimate_kind(indicator)
    if kind and len(pre2022):
        estimates = _crosswalk_estimates(regional, pre2022, kind)
        if len(estimates):
            # an official value on the 2024 territory always wins over an estimate
            have = set(zip(frame["region"], frame["year"]))
            estimates = estimates[[(r, y) not in have for r, y in zip(estimates["region"], estimates["year"])]]
            frame = pd.concat([frame, estimates[SERIES_COLUMNS]], ignore_index=True)
    frame = frame.sort_values(["region", "year"]).reset_index(drop=True)
    return Series(frame, other.reset_index(drop=True), national.sort_values("year").reset_index(drop=True), unit)


def _crosswalk_estimates(regional: pd.DataFrame, pre2022: pd.DataFrame, kind: str) -> pd.DataFrame:
    shares = crosswalk_shares()
    if shares.empty:
        return _empty(SERIES_COLUMNS)
    years = sorted(set(pre2022["year"]))
    old_rows = []
    current = regional[regional["territory"].isin(["2024", ""]) & regional["year"].isin(years)]
    parents = set(pre2022["region"])
    for r in pre2022.itertuples():
        old_rows.append({"old_kato": r.region, "year": r.year, "value": r.value,
                         "source": clean_source(f"{r.source} ({r.area_code}, pre-2022 territory)")})
    for r in current.itertuples():
        # a region whose territory did not change in 2022 is its own predecessor
        if r.region not in reform_regions() and r.region not in parents:
            old_rows.append({"old_kato": r.region, "year": r.year, "value": r.value, "source": r.source})
    old = pd.DataFrame(old_rows)
    est = cw.estimate_new_series(old, shares, kind=kind)
    est = est[est["new_kato"].isin(list(reform_regions())) & est["value"].notna()]
    est = est[est["year"].isin(years)]
    out = pd.DataFrame({
        "region": est["new_kato"].to_numpy(),
        "year": est["year"].astype(int).to_numpy(),
        "value": est["value"].astype(float).to_numpy(),
        "bound": "",
        "status": "crosswalk",
        "source": est["source"].to_numpy(),
        "note": [f"weight coverage {c:.0%}" if c < 0.999 else "" for c in est["weight_coverage"]],
        "period": "",
    })
    return out


def indicators_with_regional_data() -> list[Indicator]:
    ids = IndicatorValue.objects.filter(region__isnull=False, dims="").values_list("indicator_id", flat=True).distinct()
    return list(Indicator.objects.filter(pk__in=ids).order_by("sort_key"))


# ---------------------------------------------------------------------------------------------------------------
# published figures (VNR) and targets


def _figures(kind: str, measure: str = GapFigure.Measure.RATE) -> pd.DataFrame:
    rows = []
    for f in GapFigure.objects.filter(kind=kind, measure=measure).select_related("region"):
        rows.append({
            "region": f.region.kato if f.region_id else None,
            "scope": f.scope,
            "year": f.year,
            "period": f.period,
            "value": f.value,
            "bound": {"le": "le", "approx": "approx", "gt": "gt"}.get(f.qualifier, ""),
            "status": "published",
            "source": clean_source(f.source_text),
            "note": "",
            "target_year": f.target_year,
        })
    return pd.DataFrame(rows, columns=["region", "scope", "year", "period", "value", "bound", "status", "source",
                                       "note", "target_year"])


def _merge_published(frame: pd.DataFrame, figures: pd.DataFrame, value_name: str = "value") -> pd.DataFrame:
    """Add published regional figures for region-years without a value; note them where a value exists.

    A published figure never overwrites an official value: if both exist and differ, the official value stays and
    its note says what the document states.
    """
    figures = figures[(figures["scope"] == "total") & figures["region"].notna()]
    if figures.empty:
        return frame
    frame = frame.copy()
    add = []
    for f in figures.itertuples():
        hit = frame.index[(frame["region"] == f.region) & (frame["year"] == f.year)] if f.year else []
        if len(hit):
            i = hit[0]
            if number(frame.at[i, value_name]) is not None and abs(frame.at[i, value_name] - f.value) > 1e-9:
                note = frame.at[i, "note"] or ""
                frame.at[i, "note"] = (note + " " if note else "") + f"VNR: {f.value:g} ({f.source})"
            continue
        add.append({"region": f.region, "year": f.year, value_name: f.value, "bound": f.bound, "status": "published",
                    "source": f.source, "note": "", "period": f.period or ""})
    if add:
        frame = _append(frame, add)
    return frame


def _append(frame: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    new = pd.DataFrame(rows)
    if frame.empty:
        return new.reindex(columns=list(dict.fromkeys([*frame.columns, *new.columns])))
    return pd.concat([frame, new], ignore_index=True)


def _merge_national(national: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    figures = figures[(figures["scope"] == "total") & figures["region"].isna() & figures["year"].notna()]
    national = national.copy()
    add = []
    for f in figures.itertuples():
        hit = national.index[national["year"] == f.year]
        if len(hit):
            i = hit[0]
            if abs(national.at[i, "value"] - f.value) > 1e-9:
                national.at[i, "note"] = (national.at[i, "note"] + " " if national.at[i, "note"] else "") + \
                    f"{f.value:g} ({f.source})"
            continue
        if f.year in {a["year"] for a in add}:
            continue
        add.append({"year": int(f.year), "value": f.value, "status": "published", "source": f.source, "note": "",
                    "bound": f.bound, "period": ""})
    if add:
        national = _append(national, add)
    return national.sort_values("year").reset_index(drop=True)


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


# ---------------------------------------------------------------------------------------------------------------
# theme tables (all regions × years)


@dataclass
class ThemeTable:
    theme: str
    regional: pd.DataFrame  # one row per region × year (year NaN = not stated)
    national: pd.DataFrame
    targets: dict
    other: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())
    extra: dict = field(default_factory=dict)


def _with_targets(df: pd.DataFrame, targets: dict, population: dict) -> pd.DataFrame:
    df = df.copy()
    df["target"] = [targets[r].value if r in targets else np.nan for r in df["region"]]
    df["target_source"] = [targets[r].source if r in targets else "" for r in df["region"]]
    df["target_level"] = [targets[r].level if r in targets else "" for r in df["region"]]
    df["population"] = [population.get(r, np.nan) for r in df["region"]]
    return df


def poverty_table() -> ThemeTable:
    series = indicator_series(POVERTY_CODE)
    figures = _figures("poverty")
    frame = _merge_published(series.frame, figures)
    targets = resolve_targets("poverty")
    df = _with_targets(frame, targets, region_population())
    df = df.rename(columns={"value": "rate"})
    df["rate"] = df["rate"].astype(float)
    out = core.poverty_gaps(df) if len(df) else df
    national = _merge_national(series.national, figures)
    pop_total = sum(region_population().values()) or np.nan
    if len(national) and None in targets:
        national["target"] = targets[None].value
        national["gap_pp"] = national["value"] - national["target"]
        national["people_below"] = national["value"] / 100 * pop_total
    return ThemeTable("poverty", out, national, targets, other=series.other,
                      extra={"urban_rural": figures[figures["scope"] != "total"]})


def gasification_table() -> ThemeTable:
    series = indicator_series(GAS_CODE)
    figures = _figures("gasification")
    frame = _merge_published(series.frame, figures)
    targets = resolve_targets("gasification")
    df = _with_targets(frame, targets, region_population()).rename(columns={"value": "share"})
    df["share"] = df["share"].astype(float)
    df["year"] = pd.to_numeric(df["year"], errors="coerce")
    dated, undated = df[df["year"].notna()], df[df["year"].isna()]
    parts = [core.gasification_gaps(part) for part in (dated, undated) if len(part)]
    out = pd.concat(parts, ignore_index=True) if parts else df
    if len(out):
        bounded = out["bound"] == "le"
        out.loc[bounded, "years_to_target"] = np.nan
        out.loc[bounded, "projection"] = "insufficient data"
    national = _merge_national(series.national, figures)
    if len(national):
        national["year"] = national["year"].astype(int)
        nat = national.assign(region="KZ", share=national["value"], source=national["source"])
        if None in targets:
            nat["target"] = targets[None].value
        pace = core.annual_pace(nat, "share")
        national["pace"] = float(pace.iloc[0]) if len(pace) else np.nan
    stated_pace = _figures("gasification", GapFigure.Measure.PACE)
    return ThemeTable("gasification", out, national, targets, other=series.other, extra={"stated_pace": stated_pace})


def rss_catalogue_frame(include_examples: bool = False) -> pd.DataFrame:
    rows = []
    qs = RssStandard.objects.all() if include_examples else RssStandard.objects.filter(is_example=False)
    for s in qs:
        for t in s.settlement_types or []:
            rows.append({"standard_id": s.pk, "settlement_type": t})
    return pd.DataFrame(rows, columns=["standard_id", "settlement_type"])


def settlements_frame(region: str | None = None) -> pd.DataFrame:
    qs = Settlement.objects.filter(region__isnull=False)
    if region:
        qs = qs.filter(region__kato=region)
    rows = list(qs.values_list("pk", "type", "district__kato", "region__kato", "population", "source"))
    df = pd.DataFrame(rows, columns=["settlement_id", "settlement_type", "district_kato", "region_kato",
                                     "population", "source"])
    df["source"] = df["source"].map(clean_source)
    df["population"] = pd.to_numeric(df["population"], errors="coerce").astype(float)
    return df


def rss_computed(year: int | None = None, region: str | None = None) -> dict[int, core.RssProvision]:
    """RSS provision computed from entered observations of the official (non-example) standards, per year."""
    obs = RssObservation.objects.filter(standard__is_example=False, settlement__region__isnull=False)
    if region:
        obs = obs.filter(settlement__region__kato=region)
    if year:
        obs = obs.filter(year=year)
    rows = list(obs.values_list("settlement_id", "standard_id", "met", "year", "source"))
    if not rows:
        return {}
    df = pd.DataFrame(rows, columns=["settlement_id", "standard_id", "met", "year", "source"])
    df["source"] = df["source"].map(clean_source)
    catalogue = rss_catalogue_frame()
    if catalogue.empty:
        return {}
    settlements = settlements_frame(region)
    out = {}
    for y, part in df.groupby("year"):
        out[int(y)] = core.rss_provision(settlements, part.drop(columns="year"), catalogue)
    return out


def rss_table() -> ThemeTable:
    figures = _figures("rss")
    published = figures[(figures["scope"] == "total") & figures["region"].notna()]
    frame = published[["region", "year", "value", "bound", "status", "source", "note", "period"]].copy()
    frame = frame.rename(columns={"value": "provision"})
    computed = rss_computed()
    comp_rows = []
    for year, prov in computed.items():
        for r in prov.regions.itertuples():
            if r.settlements_assessed:
                comp_rows.append({"region": r.region_kato, "year": year, "computed_mean": r.provision_mean,
                                  "computed_weighted": r.provision_weighted, "assessed": r.settlements_assessed,
                                  "settlements": r.settlements, "computed_source": r.source})
    comp = pd.DataFrame(comp_rows, columns=["region", "year", "computed_mean", "computed_weighted", "assessed",
                                            "settlements", "computed_source"])
    comp["year"] = comp["year"].astype(float)
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce")
    if len(comp):
        frame = frame.merge(comp, on=["region", "year"], how="outer")
    else:
        for c in comp.columns[2:]:
            frame[c] = np.nan
    # where nothing is published, the computed (official-method) mean is the region's value, labelled as such
    no_pub = frame["provision"].isna() & frame["computed_mean"].notna()
    frame.loc[no_pub, "provision"] = frame.loc[no_pub, "computed_mean"]
    frame.loc[no_pub, "status"] = "computed"
    frame.loc[no_pub, "source"] = frame.loc[no_pub, "computed_source"]
    for col in ("bound", "note", "period"):
        frame[col] = frame[col].fillna("")
    frame["provision"] = frame["provision"].astype(float)
    frame["gap"] = 100.0 - frame["provision"]
    national = figures[figures["region"].isna()].rename(columns={"value": "value"})
    targets = resolve_targets("rss")
    return ThemeTable("rss", frame.reset_index(drop=True), national.reset_index(drop=True), targets,
                      extra={"computed": computed})


# ---------------------------------------------------------------------------------------------------------------
# data version and caching

_LOCAL = threading.local()


def data_version() -> str:
    """A short hash that changes whenever an input of the gap tables changes (cache key)."""
    codes = [POVERTY_CODE, GAS_CODE]
    parts = [
        IndicatorValue.objects.filter(indicator__code__in=codes).aggregate(n=Count("id"), m=Max("updated_at")),
        RegionalTarget.objects.filter(indicator__code__in=codes).aggregate(n=Count("id"), m=Max("updated_at")),
        list(Indicator.objects.filter(code__in=codes).values_list("code", "target_value", "target_year")),
        GapFigure.objects.aggregate(n=Count("id"), m=Max("id"), s=Sum("value")),
        RssObservation.objects.aggregate(n=Count("id"), m=Max("updated_at")),
        list(RssStandard.objects.values_list("pk", "is_example", "settlement_types")),
        Settlement.objects.aggregate(n=Count("id"), m=Max("updated_at")),
        Region.objects.aggregate(p=Sum("population_total")),
        _boundary_version(),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def theme_tables(refresh: bool = False, progress=None) -> dict[str, ThemeTable]:
    """All theme tables, cached per data version (``refresh`` recomputes them)."""
    version = data_version()
    key = f"geo:themes:{version}"
    if not refresh:
        local = getattr(_LOCAL, "themes", None)
        if local and local[0] == version:
            return local[1]
        found = cache.get(key)
        if found is not None:
            _LOCAL.themes = (version, found)
            return found
    steps = [(gettext_noop("crosswalk 2018 → 2024"), lambda: crosswalk_shares()), (gettext_noop("poverty"), poverty_table),
             (gettext_noop("gasification"), gasification_table), (gettext_noop("RSS provision"), rss_table)]
    keys = ["crosswalk", "poverty", "gasification", "rss"]
    tables: dict[str, ThemeTable] = {}
    for i, ((label, fn), name) in enumerate(zip(steps, keys)):
        if progress:
            progress(i, len(steps), label)
        if name == "crosswalk":
            if refresh:
                cache.delete(_crosswalk_key())
            fn()
        else:
            tables[name] = fn()
    if progress:
        progress(len(steps), len(steps), "")
    cache.set(key, tables, 6 * 3600)
    _LOCAL.themes = (version, tables)
    return tables


# ---------------------------------------------------------------------------------------------------------------
# per-region cells for one year (or the latest year of each region)


YEAR_LATEST = "latest"


def _pick(df: pd.DataFrame, region: str, year) -> pd.Series | None:
    rows = df[df["region"] == region]
    if rows.empty:
        return None
    if year == YEAR_LATEST:
        years = pd.to_numeric(rows["year"], errors="coerce")
        dated = rows[years.notna()]
        if len(dated):
            return dated.loc[pd.to_numeric(dated["year"]).idxmax()]
        return rows.iloc[0]
    rows = rows[pd.to_numeric(rows["year"], errors="coerce") == int(year)]
    return rows.iloc[0] if len(rows) else None


def _year_of(row) -> int | None:
    y = number(row.get("year"))
    return int(y) if y is not None else None


def _join(*sources) -> str:
    out = core.combine_sources([s for s in sources if isinstance(s, str) and s])
    return out if isinstance(out, str) else ""


def region_cells(tables: dict[str, ThemeTable], year=YEAR_LATEST) -> dict[str, dict[str, Cell]]:
    """``{region KATO: {measure key: Cell}}`` for every region, one year (or each region's latest year)."""
    out: dict[str, dict[str, Cell]] = {}
    pov, gas, rss = tables["poverty"], tables["gasification"], tables["rss"]
    for kato in Region.objects.values_list("kato", flat=True):
        cells: dict[str, Cell] = {}
        row = _pick(pov.regional, kato, year)
        if row is not None:
            y, st, src, period = _year_of(row), row["status"], row["source"], row.get("period", "") or ""
            note = row.get("note", "") or ""
            cells["poverty_rate"] = Cell(number(row["rate"]), y, st, src, row.get("bound", ""), note, period)
            cells["poverty_target"] = Cell(number(row["target"]), None, _target_status(row), row["target_source"])
            cells["poverty_gap_pp"] = Cell(number(row["gap_pp"]), y, st, _join(src, row["target_source"]), period=period)
            cells["poverty_people_below"] = Cell(number(row["people_below"]), y, st, _join(src, POPULATION_SOURCE), period=period)
            cells["poverty_gap_people"] = Cell(number(row["gap_people"]), y, st,
                                               _join(src, row["target_source"], POPULATION_SOURCE), period=period)
        row = _pick(gas.regional, kato, year)
        if row is not None:
            y, st, src, b = _year_of(row), row["status"], row["source"], row.get("bound", "") or ""
            period = row.get("period", "") or ""
            inv = "ge" if b == "le" else ""
            cells["gas_share"] = Cell(number(row["share"]), y, st, src, b, row.get("note", "") or "", period)
            cells["gas_target"] = Cell(number(row["target"]), None, _target_status(row), row["target_source"])
            cells["gas_gap_pp"] = Cell(number(row["gap_pp"]), y, st, _join(src, row["target_source"]), inv, period=period)
            cells["gas_people_without"] = Cell(number(row["people_without_gas"]), y, st, _join(src, POPULATION_SOURCE), inv,
                                               period=period)
            pace = number(row["pace_pp_per_year"])
            cells["gas_pace"] = Cell(pace, y, "derived" if pace is not None else st, src, period=period)
            years = number(row["years_to_target"])
            cells["gas_years"] = Cell(years if years is not None and math.isfinite(years) else None, y, st,
                                      _join(src, row["target_source"]), period=period,
                                      label="" if years is not None and math.isfinite(years) and years > 0 else row["projection"])
        row = _pick(rss.regional, kato, year)
        if row is not None and number(row["provision"]) is not None:
            y, st, src = _year_of(row), row["status"], row["source"]
            cells["rss_provision"] = Cell(number(row["provision"]), y, st, src, row.get("bound", "") or "")
            cells["rss_gap"] = Cell(number(row["gap"]), y, st, _join(src, RSS_REFERENCE[1]))
            if number(row.get("computed_weighted")) is not None:
                cells["rss_weighted"] = Cell(number(row["computed_weighted"]), y, "computed", row["computed_source"])
        out[kato] = cells
    _add_index(out)
    return out


def _target_status(row) -> str:
    level = row.get("target_level", "") or ""
    return f"target_{level}" if level else ""


def _add_index(cells: dict[str, dict[str, Cell]]) -> None:
    df = pd.DataFrame({
        "region": list(cells),
        **{c: [cells[r].get(c, MISSING).value for r in cells] for c in INDEX_COMPONENTS},
        "source": [_join(*(cells[r].get(c, MISSING).source for c in INDEX_COMPONENTS)) for r in cells],
    })
    for c in INDEX_COMPONENTS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    idx = core.composite_need_index(df, INDEX_COMPONENTS, higher_is_worse=True).set_index("region")
    for r in cells:
        value = number(idx.at[r, "need_index"])
        used = int(idx.at[r, "components_used"])
        years = sorted({cells[r][c].year for c in INDEX_COMPONENTS if c in cells[r] and cells[r][c].year})
        estimate = any(cells[r].get(c, MISSING).is_estimate for c in INDEX_COMPONENTS)
        cells[r]["need_index"] = Cell(value, max(years) if years else None, "crosswalk" if estimate else "derived",
                                      idx.at[r, "source"] if value is not None else "", count=used)
        for c in INDEX_COMPONENTS:
            norm = number(idx.at[r, f"norm_{c}"])
            cells[r][f"norm_{c}"] = Cell(norm, None, "derived")


def national_cells(tables: dict[str, ThemeTable], year=YEAR_LATEST) -> dict[str, Cell]:
    """The national figures (Kazakhstan) for the same measures, where a source states them."""
    cells: dict[str, Cell] = {}

    def pick(df):
        if df is None or df.empty:
            return None
        d = df[pd.to_numeric(df["year"], errors="coerce").notna()]
        if d.empty:
            return None
        years = pd.to_numeric(d["year"]).astype(int)
        if year == YEAR_LATEST:
            return d.loc[years.idxmax()]
        hit = d[years == int(year)]
        return hit.iloc[0] if len(hit) else None

    pov = tables["poverty"]
    row = pick(pov.national)
    if row is not None:
        y, st, src = _year_of(row), row["status"], row["source"]
        cells["poverty_rate"] = Cell(number(row["value"]), y, st, src, note=row.get("note", "") or "")
        t = pov.targets.get(None)
        if t is not None:
            cells["poverty_target"] = Cell(t.value, None, f"target_{t.level}", t.source)
            cells["poverty_gap_pp"] = Cell(number(row["value"]) - t.value, y, st, _join(src, t.source))
        pop = sum(region_population().values())
        if pop:
            cells["poverty_people_below"] = Cell(number(row["value"]) / 100 * pop, y, st, _join(src, POPULATION_SOURCE))
    gas = tables["gasification"]
    row = pick(gas.national)
    if row is not None:
        y, st, src = _year_of(row), row["status"], row["source"]
        cells["gas_share"] = Cell(number(row["value"]), y, st, src, note=row.get("note", "") or "")
        t = gas.targets.get(None)
        pace = number(row.get("pace"))
        if pace is not None:
            sources = _join(*gas.national["source"])
            cells["gas_pace"] = Cell(pace, y, "derived", sources)
        if t is not None:
            gap = t.value - number(row["value"])
            cells["gas_target"] = Cell(t.value, None, f"target_{t.level}", t.source)
            cells["gas_gap_pp"] = Cell(gap, y, st, _join(src, t.source))
            if pace and pace > 0 and gap > 0:
                cells["gas_years"] = Cell(gap / pace, y, "derived", _join(src, t.source))
        pop = sum(region_population().values())
        if pop:
            cells["gas_people_without"] = Cell((100 - number(row["value"])) / 100 * pop, y, st, _join(src, POPULATION_SOURCE))
    rss = tables["rss"]
    nat = rss.national[rss.national["scope"] == "total"] if len(rss.national) else rss.national
    row = pick(nat)
    if row is not None:
        y, src = _year_of(row), row["source"]
        cells["rss_provision"] = Cell(number(row["value"]), y, "published", src)
        cells["rss_gap"] = Cell(100 - number(row["value"]), y, "published", _join(src, RSS_REFERENCE[1]))
    return cells


def rankings(cells: dict[str, dict[str, Cell]]) -> dict[str, dict[str, int | None]]:
    """Rank of every region per gap and on the composite index (1 = greatest need); None without a value."""
    out: dict[str, dict[str, int | None]] = {r: {} for r in cells}
    for key in INDEX_COMPONENTS + ["need_index"]:
        df = pd.DataFrame({"region": list(cells), key: [cells[r].get(key, MISSING).value for r in cells], "source": "x"})
        df[key] = pd.to_numeric(df[key], errors="coerce").astype(float)
        ranked = core.rank_regions(df, key, higher_is_worse=True)
        for r, rank in zip(ranked["region"], ranked["rank"]):
            out[r][key] = None if rank is pd.NA else int(rank)
    return out


def years_available(tables: dict[str, ThemeTable], measure: str) -> list[int]:
    theme = MEASURES[measure].theme
    if theme == "index":
        years = set()
        for t in ("poverty", "gasification", "rss"):
            years |= set(pd.to_numeric(tables[t].regional["year"], errors="coerce").dropna().astype(int))
        return sorted(years)
    df = tables[theme].regional
    if df.empty:
        return []
    return sorted(set(pd.to_numeric(df["year"], errors="coerce").dropna().astype(int)))


def default_year(tables: dict[str, ThemeTable], measure: str):
    """The most recent year with the widest regional coverage (so a map compares one year), else "latest"."""
    theme = MEASURES[measure].theme
    if theme == "index":
        return YEAR_LATEST
    df = tables[theme].regional
    value_col = {"poverty": "rate", "gasification": "share", "rss": "provision"}[theme]
    years = pd.to_numeric(df["year"], errors="coerce")
    known = df[years.notna() & df[value_col].notna()]
    if known.empty:
        return YEAR_LATEST
    counts = known.groupby(pd.to_numeric(known["year"]).astype(int))["region"].nunique()
    undated = df[years.isna() & df[value_col].notna()]["region"].nunique()
    if undated > counts.max():
        return YEAR_LATEST
    best = counts[counts == counts.max()].index.max()
    return int(best)


# ---------------------------------------------------------------------------------------------------------------
# map layers


@dataclass
class LayerRow:
    kato: str
    name: str
    cell: Cell
    text: str


@dataclass
class LayerData:
    key: str
    label: str
    unit: str
    is_gap: bool
    higher_is_worse: bool | None
    decimals: int
    year: object
    years: list
    level: str  # region | district
    rows: list[LayerRow]
    theme: str = ""
    note: str = ""

    @property
    def values(self) -> list[float]:
        return [r.cell.value for r in self.rows if r.cell.value is not None and math.isfinite(r.cell.value)]


def layer_choices() -> list[tuple[str, str]]:
    choices = [(k, str(m.label)) for k, m in MEASURES.items() if m.map_layer]
    for ind in indicators_with_regional_data():
        choices.append((f"ind:{ind.code}", f"{ind.dotted} {ind.title}"))
    return choices


def layer_data(key: str, year=None, level: str = "region", lang: str | None = None) -> LayerData:
    """Values of one measure (or ``ind:<code>``) per region or district, ready for the map, CSV and GeoJSON."""
    lang = lang or current_lang()
    if key.startswith("ind:"):
        return _indicator_layer(key[4:], year, lang)
    measure = MEASURES[key]
    tables = theme_tables()
    years = years_available(tables, key)
    if year in (None, ""):
        year = default_year(tables, key)
    if year != YEAR_LATEST:
        year = int(year)
    if level == "district":
        return _district_layer(measure, tables, year, years, lang)
    cells = region_cells(tables, year)
    rows = []
    for region in Region.objects.all():
        cell = cells.get(region.kato, {}).get(key, MISSING)
        rows.append(LayerRow(region.kato, region.tr("name", lang), cell, cell.text(measure, lang)))
    return LayerData(key, str(measure.label), str(measure.unit), measure.is_gap, measure.higher_is_worse,
                     measure.decimals, year, years, "region", rows, measure.theme)


def _indicator_layer(code: str, year, lang: str) -> LayerData:
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        raise KeyError(code)
    series = indicator_series(code)
    df = series.frame
    years = sorted(set(df["year"].astype(int))) if len(df) else []
    if year in (None, ""):
        year = years[-1] if years else YEAR_LATEST
        if len(df):
            counts = df.groupby("year")["region"].nunique()
            year = int(counts[counts == counts.max()].index.max())
    if year != YEAR_LATEST:
        year = int(year)
    higher = None if indicator.direction is None else indicator.direction == Indicator.Direction.LOWER
    measure = Measure(f"ind:{code}", "indicator", f"{indicator.dotted} {indicator.title}", indicator.unit_label,
                      higher_is_worse=higher)
    rows = []
    for region in Region.objects.all():
        row = _pick(df, region.kato, year) if len(df) else None
        cell = MISSING if row is None else Cell(number(row["value"]), _year_of(row), row["status"], row["source"],
                                                note=row.get("note", "") or "")
        rows.append(LayerRow(region.kato, region.tr("name", lang), cell, cell.text(measure, lang)))
    return LayerData(measure.key, measure.label, str(measure.unit), False, higher, 1, year, years, "region", rows,
                     "indicator")


def _district_layer(measure: Measure, tables, year, years, lang) -> LayerData:
    rows = []
    computed = tables["rss"].extra.get("computed", {})
    per = None
    if measure.theme == "rss" and computed:
        y = max(computed) if year == YEAR_LATEST else year
        if y in computed:
            per = computed[y].districts.set_index("district_kato")
    for d in District.objects.all():
        cell = MISSING
        if per is not None and d.kato in per.index:
            r = per.loc[d.kato]
            if measure.key == "rss_provision":
                value = number(r["provision_mean"])
            elif measure.key == "rss_gap":
                value = number(r["gap_mean"])
            else:
                value = number(r["provision_weighted"])
            if value is not None:
                cell = Cell(value, year if year != YEAR_LATEST else max(computed), "computed", clean_source(r["source"]))
        rows.append(LayerRow(d.kato, d.tr("name", lang), cell, cell.text(measure, lang)))
    note = "" if per is not None else _("District figures exist only for the RSS provision computed from entered observations.")
    return LayerData(measure.key, str(measure.label), str(measure.unit), measure.is_gap, measure.higher_is_worse,
                     measure.decimals, year, years, "district", rows, measure.theme, note)


def district_layer_available(key: str) -> bool:
    return key in ("rss_provision", "rss_gap", "rss_weighted")


# ---------------------------------------------------------------------------------------------------------------
# downloads: long tables with sources


CSV_COLUMNS = ["region_kato", "region", "measure", "label", "unit", "year", "value", "bound", "text", "status",
               "source", "note"]


def layer_csv_rows(data: LayerData) -> list[dict]:
    rows = []
    for r in data.rows:
        c = r.cell
        rows.append({"region_kato": r.kato, "region": r.name, "measure": data.key, "label": data.label,
                     "unit": data.unit, "year": c.year or ("" if c.missing else c.year_text), "value": "" if c.value is None else round(c.value, 6),
                     "bound": c.bound, "text": r.text, "status": str(c.status_label) if c.status else "",
                     "source": localize_source(c.source), "note": localize_source(c.note)})
    return rows


def overview_csv_rows(cells: dict[str, dict[str, Cell]], names: dict[str, str], lang: str) -> list[dict]:
    rows = []
    for kato, by_measure in cells.items():
        for key, measure in MEASURES.items():
            c = by_measure.get(key, MISSING)
            rows.append({"region_kato": kato, "region": names.get(kato, kato), "measure": key, "label": str(measure.label),
                         "unit": str(measure.unit), "year": c.year or ("" if c.missing else c.year_text),
                         "value": "" if c.value is None else round(c.value, 6), "bound": c.bound,
                         "text": c.text(measure, lang), "status": str(c.status_label) if c.status else "",
                         "source": localize_source(c.source), "note": localize_source(c.note)})
    return rows


# ---------------------------------------------------------------------------------------------------------------
# priority settlements


def priority_list(region_kato: str, n: int = 10) -> tuple[pd.DataFrame, int | None]:
    """The ``n`` settlements of a region with the largest RSS gap in the latest year with observations."""
    computed = rss_computed(region=region_kato)
    if not computed:
        return pd.DataFrame(), None
    year = max(computed)
    return core.priority_settlements(computed[year], n=n), year


def priority_all(n: int = 10) -> tuple[pd.DataFrame, int | None]:
    """The ``n`` priority settlements of every region (latest year with observations), in one computation."""
    computed = rss_computed()
    if not computed:
        return pd.DataFrame(), None
    year = max(computed)
    return core.priority_settlements(computed[year], n=n), year


# ---------------------------------------------------------------------------------------------------------------
# background jobs with progress


def _set(job, **fields) -> None:
    # In a job, progress is visible at once and the final status only after the commit (jobs.runner).
    runner.update_row(job, **fields)


def run_job(job, func, *args) -> None:
    """Queue ``func(job, *args)`` on the task queue: a worker process runs it in one transaction, in the
    language of whoever started it (:mod:`jobs.runner`)."""
    runner.enqueue(job, _job_body, f"{func.__module__}.{func.__qualname__}", *args, fail=_job_failed)


def run_job_here(job, func, *args) -> None:
    """Run a job in this process (a command) as a worker would: one transaction, a lease (jobs.runner)."""
    runner.run_here(job, _job_body, f"{func.__module__}.{func.__qualname__}", *args, fail=_job_failed)
    job.refresh_from_db()


def _job_body(job, func_path: str, *args) -> None:
    model = type(job)
    _set(job, status=model.Status.RUNNING)
    import_string(func_path)(job, *args)
    _set(job, status=model.Status.FAILED if job.errors and not job.done else model.Status.DONE,
         finished_at=timezone.now(), message="")


def _job_failed(job, exc: BaseException) -> None:
    """A crashed or killed job: its transaction was rolled back; the row says so."""
    model = type(job)
    if isinstance(exc, runner.WorkerLost):
        text = "interrupted: the worker running this job stopped; nothing from it was kept"
    else:
        text = f"{exc.__class__.__name__}: {exc}"[:500]
    model.objects.filter(pk=job.pk, finished_at__isnull=True).update(
        status=model.Status.FAILED, finished_at=timezone.now(), errors=list(job.errors or []) + [text])


def expire_stale(job) -> None:
    """Fail the jobs whose worker is gone (:func:`jobs.runner.reap`) and show this job as it now stands."""
    if not job.finished:
        runner.reap()
        job.refresh_from_db()


def recompute(job: Recomputation) -> None:
    def progress(done, total, step):
        _set(job, done=done, total=total, message=step)

    theme_tables(refresh=True, progress=progress)


# ---------------------------------------------------------------------------------------------------------------
# settlement registry import


TYPE_SYNONYMS = {
    "city": "city", "город": "city", "қала": "city",
    "town": "town", "посёлок": "town", "поселок": "town", "пгт": "town", "кент": "town",
    "village": "village", "село": "village", "аул": "village", "ауыл": "village", "деревня": "village",
    "hamlet": "hamlet", "isolated_dwelling": "isolated_dwelling", "other": "other",
}
COLUMN_ALIASES = {
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
    "type": ("type", "place", "settlement_type"),
    "population": ("population", "pop"),
    "declared": ("declared_region", "region_kato", "adm1_kato", "region"),
    "osm_id": ("osm_id",),
    "source": ("source",),
    "name": ("name",),
    "name_kk": ("name_kk",),
    "name_ru": ("name_ru",),
    "name_en": ("name_en",),
}
REPORT_LIMIT = 2000
UPDATED_FIELDS = ["name_kk", "name_ru", "name_en", "type", "population", "lat", "lon", "district_id", "region_id",
                  "declared_region_id", "problem", "source", "imported_by_id", "updated_at"]
CHUNK = 500


class ImportFileError(ValueError):
    """The file cannot be read as a settlement registry."""


def read_registry(data: bytes) -> pd.DataFrame:
    """Parse a settlement CSV into canonical columns (every value a string; line = line in the file)."""
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The file is neither UTF-8 nor Windows-1251 text."))
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ImportFileError(_("The file is not a readable CSV table: %(error)s") % {"error": exc}) from exc
    lower = {c.strip().lower(): c for c in raw.columns}
    out = pd.DataFrame(index=raw.index)
    for canon, aliases in COLUMN_ALIASES.items():
        col = next((lower[a] for a in aliases if a in lower), None)
        out[canon] = raw[col].astype(str).str.strip() if col is not None else ""
    missing = [c for c in ("lat", "lon") if not any(a in lower for a in COLUMN_ALIASES[c])]
    if missing:
        raise ImportFileError(_("Missing column(s): %(columns)s. A settlement registry needs lat and lon.")
                              % {"columns": ", ".join(missing)})
    if not any(a in lower for a in ("name", "name_kk", "name_ru", "name_en")):
        raise ImportFileError(_("Missing name column: name, name_kk, name_ru or name_en."))
    out["line"] = raw.index + 2
    return out


def _has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def _declared_kato(value: str, iso: dict[str, str]) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value.upper() in iso:
        return iso[value.upper()]
    if value.replace(".", "").isdigit():
        try:
            return spatial.normalise_kato(int(float(value))) if "." in value else spatial.normalise_kato(value)
        except ValueError:
            return None
    return None


def import_settlements(job: SettlementImport, data: bytes, default_source: str) -> None:
    """Import a settlement registry: spatial join, problems reported, idempotent upsert, progress saved."""
    try:
        frame = read_registry(data)
    except ImportFileError as exc:
        _set(job, errors=[str(exc)], total=0)
        return
    _set(job, total=len(frame), message=gettext_noop("locating the settlements"))
    regions = {r.kato: r for r in Region.objects.all()}
    districts = {d.kato: d for d in District.objects.all()}
    iso = {r.iso_code.upper(): r.kato for r in regions.values()}
    errors: list[str] = []
    report: list[dict] = []
    problems: dict[str, int] = {}

    frame["lat_f"] = pd.to_numeric(frame["lat"].str.replace(",", "."), errors="coerce")
    frame["lon_f"] = pd.to_numeric(frame["lon"].str.replace(",", "."), errors="coerce")
    bad_range = (frame["lat_f"].abs() > 90) | (frame["lon_f"].abs() > 180)
    frame.loc[bad_range, ["lat_f", "lon_f"]] = np.nan
    frame["declared_region_kato"] = [_declared_kato(v, iso) for v in frame["declared"]]
    unknown_declared = [(ln, v) for ln, v, k in zip(frame["line"], frame["declared"], frame["declared_region_kato"])
                        if v and (k is None or k not in regions)]
    for ln, v in unknown_declared[:50]:
        errors.append(_("line %(line)s: declared region %(value)r is not a region code; ignored") % {"line": ln, "value": v})
    frame.loc[~frame["declared_region_kato"].isin(list(regions)), "declared_region_kato"] = None
    assigned = spatial.assign_points(frame.rename(columns={"lat_f": "lat_", "lon_f": "lon_"}),
                             boundary_frame(Boundary.Layer.DISTRICTS_2024), boundary_frame(Boundary.Layer.REGIONS_2024),
                             lat_col="lat_", lon_col="lon_")

    def note(line, name, problem, **extra):
        problems[problem] = problems.get(problem, 0) + 1
        if len(report) < REPORT_LIMIT:
            report.append({"line": int(line), "name": name, "problem": problem, **extra})

    prepared = []
    rejected = 0
    for r in assigned.itertuples():
        kk, ru, en = r.name_kk, r.name_ru, r.name_en
        if not (kk or ru or en) and r.name:
            if _has_cyrillic(r.name):
                ru = r.name
            else:
                en = r.name
        name = ru or kk or en
        if not name:
            rejected += 1
            note(r.line, "", "no_name")
            continue
        population = None
        if r.population:
            try:
                population = int(round(float(r.population.replace(" ", "").replace(",", "."))))
                if population < 0:
                    raise ValueError
            except ValueError:
                errors.append(_("line %(line)s: population %(value)r is not a number; left empty")
                              % {"line": r.line, "value": r.population})
        stype = TYPE_SYNONYMS.get((r.type or "").lower(), "other")
        osm_id = None
        if r.osm_id:
            try:
                osm_id = int(float(r.osm_id))
            except ValueError:
                errors.append(_("line %(line)s: osm_id %(value)r is not a number; ignored") % {"line": r.line, "value": r.osm_id})
        problem = r.problem or ""
        lat, lon = number(r.lat_), number(r.lon_)
        if problem:
            note(r.line, name, problem, declared=r.declared_region_kato or "", found=r.region_kato or "",
                 lat=lat, lon=lon)
        prepared.append({
            "line": r.line,
            "fields": {
                "name_kk": kk[:200], "name_ru": ru[:200], "name_en": en[:200], "type": stype, "population": population,
                "lat": lat, "lon": lon,
                "district": districts.get(r.district_kato) if r.district_kato else None,
                "region": regions.get(r.region_kato) if r.region_kato else None,
                "declared_region": regions.get(r.declared_region_kato) if r.declared_region_kato else None,
                "problem": problem, "source": clean_source(r.source or default_source)[:300],
            },
            "osm_id": osm_id,
        })
    _set(job, rejected=rejected, message=gettext_noop("saving"))
    created = updated = unchanged = 0
    compare = ["name_kk", "name_ru", "name_en", "type", "population", "lat", "lon", "district_id", "region_id",
               "declared_region_id", "problem", "source"]
    for start in range(0, len(prepared), CHUNK):
        chunk = prepared[start:start + CHUNK]
        osm_ids = [p["osm_id"] for p in chunk if p["osm_id"] is not None]
        by_osm = {s.osm_id: s for s in Settlement.objects.filter(osm_id__in=osm_ids)}
        plain = [p for p in chunk if p["osm_id"] is None]
        by_key = {}
        if plain:
            names = {p["fields"]["name_ru"] for p in plain} | {p["fields"]["name_kk"] for p in plain}
            for s in Settlement.objects.filter(osm_id__isnull=True, name_ru__in=names) | \
                    Settlement.objects.filter(osm_id__isnull=True, name_kk__in=names):
                by_key[(s.name_kk, s.name_ru, s.name_en, s.lat, s.lon)] = s
        new, changed = [], []
        seen_osm = set()
        for p in chunk:
            f = p["fields"]
            if p["osm_id"] is not None:
                if p["osm_id"] in seen_osm:
                    errors.append(_("line %(line)s: osm_id %(value)s repeated; the later row was skipped")
                                  % {"line": p["line"], "value": p["osm_id"]})
                    continue
                seen_osm.add(p["osm_id"])
                existing = by_osm.get(p["osm_id"])
            else:
                existing = by_key.get((f["name_kk"], f["name_ru"], f["name_en"], f["lat"], f["lon"]))
            obj = existing or Settlement(osm_id=p["osm_id"])
            before = None if existing is None else [getattr(existing, c) for c in compare]
            for k, v in f.items():
                setattr(obj, k, v)
            if existing is None:
                obj.imported_by_id = job.pk
                new.append(obj)
            elif [getattr(obj, c) for c in compare] != before:
                obj.imported_by_id = job.pk
                changed.append(obj)
            else:
                unchanged += 1
        with transaction.atomic():
            Settlement.objects.bulk_create(new)
            now = timezone.now()
            for obj in changed:  # one UPDATE per row: ~10x faster than bulk_update's CASE on SQLite
                obj.updated_at = now
                Settlement.objects.filter(pk=obj.pk).update(**{f: getattr(obj, f) for f in UPDATED_FIELDS})
        created += len(new)
        updated += len(changed)
        _set(job, done=min(len(frame), start + len(chunk) + rejected), created=created, updated=updated,
             unchanged=unchanged, problems=problems, report=report, errors=errors[:REPORT_LIMIT])
    _set(job, done=len(frame), created=created, updated=updated, unchanged=unchanged, problems=problems,
         report=report, errors=errors[:REPORT_LIMIT], source=job.source or default_source)


def locate(settlement: Settlement) -> Settlement:
    """Set a settlement's district, region and problem from its coordinates (as the import does)."""
    frame = pd.DataFrame({"lat": [settlement.lat], "lon": [settlement.lon],
                          "declared_region_kato": [settlement.declared_region.kato if settlement.declared_region_id else None]})
    row = spatial.assign_points(frame, boundary_frame(Boundary.Layer.DISTRICTS_2024),
                        boundary_frame(Boundary.Layer.REGIONS_2024)).iloc[0]
    settlement.region = Region.objects.filter(kato=row["region_kato"]).first() if row["region_kato"] else None
    settlement.district = District.objects.filter(kato=row["district_kato"]).first() if row["district_kato"] else None
    settlement.problem = row["problem"] or ""
    return settlement


def start_settlement_import(data: bytes, *, user=None, file_name: str = "", source: str = "") -> SettlementImport:
    source = source or (f"upload {file_name}" + (f" by {user.get_username()}" if user else ""))
    job = SettlementImport.objects.create(user=user, file_name=file_name[:200], source=source[:300])
    run_job(job, import_settlements, data, source)
    job.refresh_from_db()
    return job


def start_recomputation(user=None) -> Recomputation:
    job = Recomputation.objects.create(user=user, total=5)
    run_job(job, recompute)
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------------------------------------------------------
# demo data: OSM settlements, published figures, example RSS catalogue


SEED_KEYS = {
    "poverty_rate_subsistence": ("poverty", GapFigure.Measure.RATE),
    "gasification_rate": ("gasification", GapFigure.Measure.RATE),
    "rss_provision_rate": ("rss", GapFigure.Measure.RATE),
    "gasification_avg_annual_growth": ("gasification", GapFigure.Measure.PACE),
}
SCOPES = {"Kazakhstan": "total", "Kazakhstan (urban)": "urban", "Kazakhstan (rural)": "rural",
          "KZ": "total", "KZ-urban": "urban", "KZ-rural": "rural"}
QUALIFIERS = {"eq": "eq", "approx": "approx", "le": "le", "gt": "gt", "eq_text": "eq"}


def load_published_figures() -> dict[str, int]:
    """Load the poverty, gasification and RSS figures of ``fixtures/seed-facts`` (idempotent).

    Rows with a range or an unparseable value are skipped (they are not values); every stored figure keeps the
    document, file, line and the exact quote.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    regions = {r.iso_code: r for r in Region.objects.all()}
    rows = []
    seen: set = set()
    regional = pd.read_csv(FIXTURES / "seed-facts" / "regional_figures.csv", dtype=str, keep_default_na=False)
    for r in regional.to_dict("records"):
        rows.append(dict(r, kind_key=r["indicator_key"], scope_key=r["region_code"], measure_kind="observation"))
    national = pd.read_csv(FIXTURES / "seed-facts" / "national_series.csv", dtype=str, keep_default_na=False)
    for r in national.to_dict("records"):
        rows.append(dict(r, kind_key=r["indicator_key"], scope_key=r["scope"], measure_kind=r["kind"], iso_3166_2="KZ"))
    for r in rows:
        if r["kind_key"] not in SEED_KEYS:
            continue
        kind, measure = SEED_KEYS[r["kind_key"]]
        if r["measure_kind"] == "target":
            measure, raw_value = GapFigure.Measure.TARGET, r.get("target_value", "")
        elif r["measure_kind"] != "observation":
            counts["skipped"] += 1
            continue
        else:
            raw_value = r["value"]
        qualifier = QUALIFIERS.get(r["qualifier"])
        try:
            value = float(raw_value)
        except ValueError:
            qualifier = None
        if qualifier is None:
            counts["skipped"] += 1
            continue
        scope = SCOPES.get(r["scope_key"])
        region = None
        if scope is None:
            region = regions.get(r.get("iso_3166_2", ""))
            if region is None:
                counts["skipped"] += 1
                continue
            scope = "total"
        year_text = r.get("year", "")
        year = int(year_text) if year_text.isdigit() else None
        target_year = r.get("target_year", "")
        key = {"kind": kind, "measure": measure, "region": region, "scope": scope, "year": year,
               "seed_file": r["seed_file"], "seed_line": int(r["line"])}
        values = {"period": year_text if not year else "", "value": value, "qualifier": qualifier,
                  "unit": r["unit"][:120], "target_year": int(target_year) if target_year.isdigit() else None,
                  "document": SEED_DOCUMENTS.get(r["seed_file"], r["seed_file"]), "quote": r["quote"],
                  "note": r.get("note", "")}
        if not values["period"] and not year:
            found = re.search(r"context is (\d{4})-(\d{4})", values["note"])
            values["period"] = f"{found.group(1)}\u2013{found.group(2)}" if found else ""
        natural = tuple(key.values())
        if natural in seen:  # the same line quoted in both files: the first row (regional_figures.csv) wins
            continue
        seen.add(natural)
        existing = GapFigure.objects.filter(**key).first()
        if existing is None:
            GapFigure.objects.create(**key, **values)
            counts["created"] += 1
        elif any(getattr(existing, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(existing, k, v)
            existing.save()
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts


EXAMPLE_SOURCE = ("EXAMPLE for the demo only: the official RSS list of standards is not in the seed documents; "
                  "never used in a provision figure")
EXAMPLE_STANDARDS = [
    ("EX-01", "Жаяу жүру қашықтығындағы мектеп", "Школа в пешей доступности", "School within walking distance",
     ["city", "town", "village"]),
    ("EX-02", "Медициналық пункт немесе емхана", "Медицинский пункт или поликлиника", "Medical post or clinic",
     ["city", "town", "village", "hamlet"]),
    ("EX-03", "Орталықтандырылған ауыз су", "Централизованное питьевое водоснабжение", "Centralised drinking water",
     ["city", "town", "village", "hamlet"]),
    ("EX-04", "Аудан орталығына дейін қатты жабынды жол", "Дорога с твёрдым покрытием до районного центра",
     "Paved road to the district centre", ["town", "village", "hamlet"]),
    ("EX-05", "Кең жолақты интернет", "Широкополосный интернет", "Broadband internet",
     ["city", "town", "village", "hamlet"]),
    ("EX-06", "Мәдениет үйі немесе кітапхана", "Дом культуры или библиотека", "House of culture or library",
     ["city", "town", "village"]),
    ("EX-07", "Спорт алаңы", "Спортивная площадка", "Sports ground", ["city", "town", "village"]),
    ("EX-08", "Қоғамдық көлік аялдамасы", "Остановка общественного транспорта", "Public transport stop",
     ["city", "town", "village"]),
]


def load_example_catalogue() -> int:
    n = 0
    for code, kk, ru, en, types in EXAMPLE_STANDARDS:
        obj, made = RssStandard.objects.get_or_create(
            code=code, defaults={"name_kk": kk, "name_ru": ru, "name_en": en, "settlement_types": types,
                                 "is_example": True, "source": EXAMPLE_SOURCE})
        n += int(made)
    return n


def load_osm_settlements(stdout=None) -> SettlementImport:
    job = SettlementImport.objects.create(file_name=OSM_SETTLEMENTS.name, source=OSM_SOURCE)
    runner.run_inline(job, _job_body, f"{__name__}.import_settlements", OSM_SETTLEMENTS.read_bytes(), OSM_SOURCE,
                      fail=_job_failed)
    job.refresh_from_db()
    return job
