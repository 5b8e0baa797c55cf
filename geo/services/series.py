"""Regional series of one indicator on the 2024 regions (crosswalk estimates for the reformed regions)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from localization.models import Indicator, IndicatorValue

from .boundaries import crosswalk_shares, reform_regions
from .common import PLATFORM, RATE_UNITS, cw, pd
from .formatting import clean_source


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
    #: values outside the indicator's bounds (region or None, year, value, source): shown "as published,
    #: suspect", never used for a figure, a gap or a map colour
    suspect: pd.DataFrame | None = None
    series: str = ""  # the headline series (``SERIES`` code) the frame holds, "" when the file has none


SERIES_COLUMNS = ["region", "year", "value", "bound", "status", "source", "note", "period"]
OTHER_COLUMNS = ["region", "year", "value", "territory", "source"]
NATIONAL_COLUMNS = ["year", "value", "status", "source", "note", "bound", "period"]
SUSPECT_COLUMNS = ["region", "year", "value", "source"]
_FIELDS = ["region__kato", "region_id", "territory", "year", "unit", "series", "value", "status", "source_file", "source_line",
           "source_note", "area_code", "dims", "suspect"]


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _empty_series(unit: str = "") -> Series:
    return Series(_empty(SERIES_COLUMNS), _empty(OTHER_COLUMNS), _empty(NATIONAL_COLUMNS), unit, _empty(SUSPECT_COLUMNS))


def indicator_series(code: str, dims: str = "", *, preview: bool = False) -> Series:
    """Values of indicator ``code`` per 2024 region and year: the total (``dims=""``) of its headline series.

    Read the way the localization pages read it, so a map never disagrees with a status beside it:

    * **public means verified**: values awaiting verification are left out unless ``preview`` (an officer's
      marked preview);
    * **the total** is a row without disaggregation or with every disaggregation ``_T``;
    * **the headline series** (unit and ``SERIES``) is the one the statuses use
      (:func:`localization.services.status.choose_headline`: a statistics officer's choice, else the first in
      the published file);
    * **suspect values** (outside the indicator's bounds) go to ``Series.suspect``, never into the figures;
    * values on the 2024 territory are taken as they are (status from the database: official, verified, …);
    * values of East Kazakhstan, Almaty region and Karaganda **before 2022** describe the pre-reform territory
      (``territory="pre2022"``): they are not shown for the 2024 regions; instead the six regions concerned
      (those three and Abai, Zhetysu, Ulytau) get a crosswalk estimate (status ``crosswalk``), a
      population-weighted mean of the pre-2022 rates (rates only; other units stay "no data");
    * values of other old territories (South Kazakhstan before 2018) are kept in ``Series.other`` only.
    """
    from localization.services.status import ROW_FIELDS, STATUS_RANK, Row, choose_headline, is_total

    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        return _empty_series()
    qs = IndicatorValue.objects.filter(indicator=indicator)
    qs = qs.filter(dims=dims) if dims else qs.filter(Q(dims="") | Q(dims__contains="=_T") | Q(dims__startswith="SERIES="))
    if not preview:
        qs = qs.exclude(status=IndicatorValue.Verification.UNVERIFIED)
    rows = [r for r in qs.values(*_FIELDS) if dims or is_total(r["dims"])]
    if not rows:
        return _empty_series(indicator.unit)
    df = pd.DataFrame(rows)
    headline = None
    if not dims:  # the statuses' choice, from the rows they would read (today's units only; no second query)
        fields = [f for f in ROW_FIELDS if f != "indicator_id"]  # every other Row field is read in _FIELDS
        candidates = [Row(indicator.pk, **{f: r[f] for f in fields}) for r in rows]
        headline = choose_headline(indicator, [c for c in candidates if c.region_id is None or not c.former_unit])
    if headline is not None:
        unit, series = headline
    else:  # a disaggregation, or no national/current row to choose by: the most common unit, then series
        unit = df["unit"].value_counts().idxmax()
        in_unit = df[df["unit"] == unit]
        series = "" if (in_unit["series"] == "").any() else in_unit["series"].value_counts().idxmax()
    df = df[(df["unit"] == unit) & (df["series"] == series)].copy()
    # one row per territory version and year, chosen as the statuses choose (status.py ``_pick``): the
    # undisaggregated row first, then the best verified, then the area code
    df["_rank"] = [(d != "", STATUS_RANK.get(s, 9), a) for d, s, a in zip(df["dims"], df["status"], df["area_code"])]
    df = df.sort_values("_rank", kind="stable").drop_duplicates(["region__kato", "territory", "year"])
    df["source"] = [value_source(f, ln, n, s) for f, ln, n, s in
                    zip(df["source_file"], df["source_line"], df["source_note"], df["status"])]
    df = df.rename(columns={"region__kato": "region"})
    suspect = df[df["suspect"]][SUSPECT_COLUMNS].sort_values(["year"]).reset_index(drop=True)
    df = df[~df["suspect"]]
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
    return Series(frame, other.reset_index(drop=True), national.sort_values("year").reset_index(drop=True), unit,
                  suspect, series)


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
    """Indicators with a public (official or verified) regional total: the ones a map can show."""
    ids = (IndicatorValue.objects.filter(Q(dims="") | Q(dims__contains="=_T") | Q(dims__startswith="SERIES="),
                                         region__isnull=False)
           .exclude(status=IndicatorValue.Verification.UNVERIFIED).values_list("indicator_id", flat=True).distinct())
    return list(Indicator.objects.filter(pk__in=ids).order_by("sort_key"))
