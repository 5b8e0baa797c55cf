"""Per-region SDG gap arithmetic on plain pandas DataFrames.

Conventions used everywhere in this module
------------------------------------------
* Percentages are 0–100 (``12.5`` means 12.5 %); "pp" = percentage points.
* Missing stays missing: a NaN input gives NaN in every output that depends on it — never 0.
* Every output has a ``source`` column.  Where rows are combined, their sources are merged
  into one string: the distinct sources, split on ``";"``, sorted, joined with ``"; "``
  (:func:`combine_sources`).
* Inputs are never modified; functions return new DataFrames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

SOURCE = "source"


# --------------------------------------------------------------------------- helpers


def combine_sources(values: Iterable) -> str | float:
    """Merge source strings: distinct entries (split on ``;``), sorted, joined by ``"; "``.

    ``combine_sources(["BNS 2023", "OSM; BNS 2023", None]) == "BNS 2023; OSM"``; NaN if
    there is no source at all.
    """
    parts: set[str] = set()
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            continue
        parts.update(p.strip() for p in str(v).split(";") if p.strip())
    return "; ".join(sorted(parts)) if parts else np.nan


def sources_by_group(keys: pd.Series, sources: pd.Series) -> pd.Series:
    """:func:`combine_sources` per group, fast: only distinct (group, source) pairs are combined.

    Returns a Series indexed by the group key (sorted); groups without any source are absent.
    """
    pairs = pd.DataFrame({"key": keys.to_numpy(), "src": sources.to_numpy()}).dropna().drop_duplicates()
    counts = pairs.groupby("key", sort=False)["src"].transform("size")
    single = pairs[counts == 1]
    normal = {v: combine_sources([v]) for v in single["src"].unique()}
    result = single["src"].map(normal).set_axis(single["key"])
    multi = pairs[counts > 1]
    if len(multi):
        result = pd.concat([result, multi.groupby("key", sort=False)["src"].agg(combine_sources)])
    return result.sort_index()


def _require(df: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{where}: missing column(s) {missing}")


def _numeric(df: pd.DataFrame, col: str) -> pd.Series:
    """Column as float (NaN if absent)."""
    if col not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def _check_percent(s: pd.Series, name: str) -> None:
    bad = s[(s < 0) | (s > 100)]
    if len(bad):
        raise ValueError(f"{name} must be a percentage in 0..100; got {bad.tolist()[:5]}")


# --------------------------------------------------------------------------- poverty


def poverty_gaps(df: pd.DataFrame) -> pd.DataFrame:
    """Poverty gap per row (region × year).

    Input columns: ``region, year, rate`` (% of the population below the subsistence
    minimum), ``source``; optional ``target`` (%, may be NaN) and ``population`` (persons,
    may be NaN).  Added columns:

    * ``gap_pp = rate − target`` — positive means worse than the target;
    * ``people_below = rate / 100 × population``;
    * ``gap_people = (rate − target) / 100 × population`` — people to lift out of poverty
      to reach the target (negative = margin below the target);
    * ``meets_target`` — ``gap_pp ≤ 0`` (nullable boolean, NA when the gap is unknown).
    """
    _require(df, ["region", "year", "rate", SOURCE], "poverty_gaps")
    out = df.copy()
    rate, target, pop = _numeric(df, "rate"), _numeric(df, "target"), _numeric(df, "population")
    _check_percent(rate, "rate")
    out["gap_pp"] = rate - target
    out["people_below"] = rate / 100.0 * pop
    out["gap_people"] = (rate - target) / 100.0 * pop
    out["meets_target"] = pd.array(np.where(out["gap_pp"].isna(), None, out["gap_pp"] <= 0), dtype="boolean")
    return out


# --------------------------------------------------------------------------- gasification


def annual_pace(df: pd.DataFrame, value_col: str = "share", group_col: str = "region") -> pd.Series:
    """Mean annual change of ``value_col`` per ``group_col`` (pp per year).

    ``pace = (last observed value − first observed value) / (last year − first year)``,
    using only rows where the value is known.  For consecutive years this equals the mean
    of the year-on-year changes (the sum telescopes); with gaps in the series it is the
    average change per calendar year over the span.  NaN with fewer than two observed years.
    """
    known = df.loc[_numeric(df, value_col).notna(), [group_col, "year", value_col]].copy()
    known[value_col] = pd.to_numeric(known[value_col])
    known["year"] = pd.to_numeric(known["year"])
    known = known.sort_values([group_col, "year"])
    grouped = known.groupby(group_col, sort=True)
    first, last = grouped.first(), grouped.last()
    span = last["year"] - first["year"]
    pace = (last[value_col] - first[value_col]) / span.where(span > 0)
    return pace.rename("pace_pp_per_year")


def gasification_gaps(df: pd.DataFrame) -> pd.DataFrame:
    """Gas-access gap per row (region × year) and years to target at the observed pace.

    Input columns: ``region, year, share`` (% of the population with gas access), ``source``;
    optional ``target`` (%) and ``population``.  Added columns:

    * ``gap_pp = target − share`` (positive = below target);
    * ``people_without_gas = (100 − share) / 100 × population``;
    * ``pace_pp_per_year`` — the region's mean annual change over all its observed years
      (:func:`annual_pace`), the same on every row of the region;
    * ``years_to_target = gap_pp / pace`` from that row's share, with these rules:
      target already met (gap ≤ 0) → ``0.0``; pace unknown (< 2 observed years) or gap
      unknown → NaN; **pace ≤ 0 with a positive gap → ``inf``** (never at this pace);
    * ``projection`` — a label for the page: ``"target met"``, ``"on track"``,
      ``"not at this pace"``, ``"insufficient data"`` or ``"no target"``.

    ``inf`` is not valid JSON: serialise ``years_to_target`` with the ``projection`` label.
    """
    _require(df, ["region", "year", "share", SOURCE], "gasification_gaps")
    out = df.copy()
    share, target, pop = _numeric(df, "share"), _numeric(df, "target"), _numeric(df, "population")
    _check_percent(share, "share")
    out["gap_pp"] = target - share
    out["people_without_gas"] = (100.0 - share) / 100.0 * pop
    pace = df["region"].map(annual_pace(df, "share")).astype(float)
    out["pace_pp_per_year"] = pace
    gap = out["gap_pp"]
    with np.errstate(divide="ignore", invalid="ignore"):
        years = np.where(gap <= 0, 0.0, np.where(pace > 0, gap / pace, np.where(pace <= 0, np.inf, np.nan)))
    years = np.where(gap.isna(), np.nan, years)
    out["years_to_target"] = years.astype(float)
    out["projection"] = np.select(
        [target.isna(), share.isna(), gap <= 0, pace.isna(), pace <= 0],
        ["no target", "insufficient data", "target met", "insufficient data", "not at this pace"],
        default="on track",
    )
    return out


# --------------------------------------------------------------------------- RSS provision


@dataclass(frozen=True)
class RssProvision:
    """Result of :func:`rss_provision`: one DataFrame per level."""

    settlements: pd.DataFrame
    districts: pd.DataFrame
    regions: pd.DataFrame


def _settlement_provision(settlements: pd.DataFrame, standards_met: pd.DataFrame,
                          catalogue: pd.DataFrame) -> pd.DataFrame:
    applicable = catalogue[["standard_id", "settlement_type"]].drop_duplicates()
    n_applicable = applicable.groupby("settlement_type").size().rename("applicable")
    met = standards_met.copy()
    if "met" in met.columns:
        met = met[met["met"].notna()].copy()  # unknown outcome = not assessed
        met["met"] = met["met"].astype(bool)
    else:
        met["met"] = True
    # keep only assessments of standards that apply to the settlement's type
    met = met.merge(settlements[["settlement_id", "settlement_type"]], on="settlement_id", how="inner")
    met = met.merge(applicable, on=["standard_id", "settlement_type"], how="inner")
    met = met.drop_duplicates(["settlement_id", "standard_id"], keep="last")
    per = met.groupby("settlement_id").agg(met=("met", "sum"))
    if SOURCE in met.columns:
        per["met_source"] = sources_by_group(met["settlement_id"], met[SOURCE])
    out = settlements.merge(per, left_on="settlement_id", right_index=True, how="left")
    out["applicable"] = out["settlement_type"].map(n_applicable).astype(float)
    assessed = out["met"].notna()
    out["met"] = out["met"].astype(float)
    out["provision"] = np.where(assessed & (out["applicable"] > 0), 100.0 * out["met"] / out["applicable"], np.nan)
    out["gap"] = 100.0 - out["provision"]
    if "met_source" in out:
        pair = pd.Series(list(zip(out[SOURCE], out["met_source"])), index=out.index)
        cache = {p: combine_sources(p) for p in set(pair)}
        out[SOURCE] = pair.map(cache)
        out = out.drop(columns="met_source")
    return out


def _aggregate_provision(per_settlement: pd.DataFrame, by: str) -> pd.DataFrame:
    d = per_settlement
    known = d["provision"].notna()
    weighted = known & d["population"].notna() & (d["population"] > 0)
    work = pd.DataFrame({
        by: d[by],
        "provision_known": d["provision"].where(known),
        "pw": (d["provision"] * d["population"]).where(weighted),
        "w": d["population"].where(weighted),
        "pop": d["population"],
        SOURCE: d[SOURCE],
    })
    g = work.groupby(by, sort=True, dropna=True)
    out = pd.DataFrame({
        "settlements": g.size(),
        "settlements_assessed": g["provision_known"].count(),
        "provision_mean": g["provision_known"].mean(),
        "settlements_weighted": g["w"].count(),
        "population_weighted": g["w"].sum(min_count=1),
        "population_total": g["pop"].sum(min_count=1),
        "provision_weighted": g["pw"].sum(min_count=1) / g["w"].sum(min_count=1),
    })
    out[SOURCE] = sources_by_group(d[by], d[SOURCE]).reindex(out.index)
    out["gap_mean"] = 100.0 - out["provision_mean"]
    out["gap_weighted"] = 100.0 - out["provision_weighted"]
    return out.reset_index()


def rss_provision(settlements: pd.DataFrame, standards_met: pd.DataFrame,
                  catalogue: pd.DataFrame) -> RssProvision:
    """Provision of Regional Standards System (RSS) services, per settlement, district, region.

    Inputs
    ------
    ``settlements``: ``settlement_id, settlement_type, district_kato, region_kato,
    population`` (may be NaN), ``source``.
    ``standards_met``: one row per assessed (settlement, standard): ``settlement_id,
    standard_id``, optional ``met`` (bool; default True = the row lists a met standard),
    optional ``source``.
    ``catalogue``: which standards apply to which settlement type, one row per pair:
    ``standard_id, settlement_type``.

    Method
    ------
    * settlement: ``provision = 100 × met / applicable`` where ``applicable`` = number of
      catalogue standards for its type and ``met`` = applicable standards recorded as met
      (records of standards that do not apply to the type, and records with ``met`` NaN,
      are ignored).  A settlement with **no** such assessment row has NaN provision
      (unknown, not 0), as has a type with no applicable standard; an assessed
      settlement's applicable standards without a record count as not met.  ``gap = 100 −
      provision``.
    * district / region: ``provision_mean`` = simple mean over assessed settlements (the
      official RSS measure, each settlement counts once); ``provision_weighted`` =
      population-weighted mean over assessed settlements with a known population > 0;
      ``gap_mean``/``gap_weighted`` = 100 − provision; plus counts of settlements
      (all / assessed / weighted) and populations so the page can show coverage.
    """
    _require(settlements, ["settlement_id", "settlement_type", "district_kato", "region_kato", SOURCE],
             "rss_provision(settlements)")
    _require(standards_met, ["settlement_id", "standard_id"], "rss_provision(standards_met)")
    _require(catalogue, ["standard_id", "settlement_type"], "rss_provision(catalogue)")
    if settlements["settlement_id"].duplicated().any():
        raise ValueError("rss_provision: settlement_id must be unique")
    s = settlements.copy()
    s["population"] = _numeric(s, "population")
    per = _settlement_provision(s, standards_met, catalogue)
    return RssProvision(
        settlements=per,
        districts=_aggregate_provision(per, "district_kato"),
        regions=_aggregate_provision(per, "region_kato"),
    )


def priority_settlements(per_settlement: pd.DataFrame | RssProvision, n: int = 10,
                         by: str = "region_kato") -> pd.DataFrame:
    """The ``n`` settlements with the largest provision gap in each region (or ``by`` group).

    Settlements with unknown provision are skipped.  Ties: larger population first, then
    ``settlement_id`` — so the order is deterministic.  Adds ``priority`` (1 = largest gap).
    """
    if isinstance(per_settlement, RssProvision):
        per_settlement = per_settlement.settlements
    d = per_settlement[per_settlement["gap"].notna()].copy()
    d["_pop"] = d["population"].fillna(-1.0) if "population" in d else -1.0
    d = d.sort_values([by, "gap", "_pop", "settlement_id"], ascending=[True, False, False, True], kind="stable")
    d["priority"] = d.groupby(by, sort=False).cumcount() + 1
    return d[d["priority"] <= n].drop(columns="_pop").reset_index(drop=True)


# --------------------------------------------------------------------------- ranking & index


def rank_regions(df: pd.DataFrame, value_col: str, higher_is_worse: bool = True) -> pd.DataFrame:
    """Rank regions by ``value_col``: ``rank`` 1 = the **worst** region (greatest need).

    Ties share the best (lowest) rank number (``method="min"``: 1, 2, 2, 4).  Rows with a
    missing value get ``rank`` NA and come last.  Also adds ``ranked`` = number of regions
    with a value.  Output sorted by rank, then ``region``.
    """
    _require(df, ["region", value_col, SOURCE], "rank_regions")
    out = df.copy()
    values = _numeric(df, value_col)
    out["rank"] = values.rank(method="min", ascending=not higher_is_worse).astype("Int64")
    out["ranked"] = int(values.notna().sum())
    return out.sort_values(["rank", "region"], na_position="last", kind="stable").reset_index(drop=True)


def composite_need_index(
    df: pd.DataFrame,
    cols: Sequence[str],
    higher_is_worse: bool | Mapping[str, bool] = True,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Composite need index, 0 = best region … 100 = worst region on every component.

    Normalisation (min–max across the regions in ``df``, per component ``c``)::

        higher is worse:  norm_c = 100 × (x − min) / (max − min)
        higher is better: norm_c = 100 × (max − x) / (max − min)

    so on each component the best region scores 0 and the worst 100.  ``min``/``max`` are
    taken over the regions that have a value.  A component with no spread (all known
    values equal, or only one region known) says nothing about relative need and is left
    out (its ``norm_c`` is NaN).

    ``need_index`` = weighted mean (default equal weights) of the **available** ``norm_c``
    of the region; ``components_used`` = how many entered it.  A region with no available
    component gets NaN.  The index is not rescaled afterwards, so the neediest region
    scores 100 only if it is the worst on every component it has.

    Input needs ``region``, the ``cols`` and ``source``; one row per region.
    """
    _require(df, ["region", *cols, SOURCE], "composite_need_index")
    if df["region"].duplicated().any():
        raise ValueError("composite_need_index: one row per region expected")
    out = df.copy()
    norm_cols, w = [], []
    for c in cols:
        x = _numeric(df, c)
        worse = higher_is_worse[c] if isinstance(higher_is_worse, Mapping) else higher_is_worse
        lo, hi = x.min(), x.max()
        spread = hi - lo
        if not np.isfinite(spread) or spread == 0:
            norm = pd.Series(np.nan, index=df.index)
        else:
            norm = 100.0 * ((x - lo) if worse else (hi - x)) / spread
        out[f"norm_{c}"] = norm
        norm_cols.append(f"norm_{c}")
        w.append(1.0 if weights is None else float(weights[c]))
    norms = out[norm_cols].to_numpy(dtype=float)
    wts = np.where(np.isnan(norms), 0.0, np.asarray(w)[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.nansum(norms * wts, axis=1) / wts.sum(axis=1)
    out["components_used"] = (~np.isnan(norms)).sum(axis=1)
    out["need_index"] = np.where(out["components_used"] > 0, index, np.nan)
    return out
