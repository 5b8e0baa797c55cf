"""Map statistics of the 17 pre-2022 regions onto the 20 regions of the 2022 reform.

In 2022 Abai (KATO 10) was split off East Kazakhstan (63), Zhetysu (33) off Almaty region
(19) and Ulytau (62) off Karaganda (35); Astana also grew into Akmola.  Series published
only for the old regions (everything before 2022) are re-estimated for the new ones here.

Method
------
1. :func:`old_to_new_shares` overlays the 2018 regions with the 2024 districts in the
   equal-area projection (ESRI:102025).  Each district's 2023 population is spread over
   its area (**population assumed uniform within a district**), so the piece of district
   *d* lying in old region *o* holds ``pop_d × area(d ∩ o) / area(d)`` people.  Pieces are
   summed per (old region, new region of the district): ``population``; ``share`` =
   that population / the old region's total, so the shares of every old region sum to 1.
   Districts without a 2023 population (Zhanasemey, Makanshy, Alatau, Nura, Turan were
   created after 1 Jan 2023; their people are still counted in the parent district) count
   0 people; an old region with no population at all falls back to area shares.  Pairs
   with a share below ``min_share`` (border slivers between the two boundary vintages) are
   dropped and the rest renormalised.  Optional refinement (``urban_population``): urban
   people stay in the old region holding most of their district — recommended, because
   the uniform assumption misplaces the dense parts of Astana's districts (see the
   function's docstring).
2. :func:`estimate_new_series` turns old-region values into new-region estimates.  For a
   **rate** (a percentage or per-capita value) the estimate for new region *n* in year *t*
   is the population-weighted mean of the old regions' rates::

       value(n, t) = Σ_o value(o, t) × w(o→n, t) / Σ_o w(o→n, t)
       w(o→n, t)   = share(o→n) × weight(o, t)   (old region population in year t, if given)
                   = population(o→n)             (the 2023 people of o living in n, otherwise)

   i.e. each old region's rate applies uniformly to its people, and its people are assumed
   to be split between new regions as in 2023.  For a **count** (people, tenge, …)
   ``value(n, t) = Σ_o share(o→n) × value(o, t)``.  Every output row has
   ``estimated = True``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core.boundaries import EQUAL_AREA_CRS, region_kato_of
from geo.core.gaps import combine_sources
from geo.core.spatial import normalise_kato

REFORM_2022 = {  # new region: old region it was split from
    "100000000": "630000000",  # Abai <- East Kazakhstan
    "330000000": "190000000",  # Zhetysu <- Almaty region
    "620000000": "350000000",  # Ulytau <- Karaganda
}


def _piece_table(old_regions: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """Area (m²) of every non-empty intersection old region × district, plus district area."""
    old = old_regions.to_crs(EQUAL_AREA_CRS)
    new = districts.to_crs(EQUAL_AREA_CRS)
    old_idx, new_idx = shapely.STRtree(new.geometry.values).query(old.geometry.values, predicate="intersects")
    pieces = shapely.intersection(old.geometry.values[old_idx], new.geometry.values[new_idx])
    parents = (new["ADM1_KATO"].astype(str).to_numpy() if "ADM1_KATO" in new.columns
               else region_kato_of(new["KATO"]))
    table = pd.DataFrame({
        "old_kato": old["KATO"].astype(str).to_numpy()[old_idx],
        "district_kato": new["KATO"].astype(str).to_numpy()[new_idx],
        "new_kato": parents[new_idx],
        "piece_area": shapely.area(pieces),
        "district_area": new.area.to_numpy()[new_idx],
    })
    return table[table["piece_area"] > 0]


def old_to_new_shares(
    old_regions_gdf: gpd.GeoDataFrame,
    new_districts_gdf: gpd.GeoDataFrame,
    district_population: pd.Series,
    min_share: float = 1e-4,
    urban_population: pd.Series | None = None,
) -> pd.DataFrame:
    """Share of each old region's population living in each new region (see module doc).

    ``district_population`` is indexed by district KATO (2023 total population).  Returns
    ``old_kato, new_kato, share, population, area_km2`` sorted by old and new KATO; the
    shares of each old region sum to 1.  ``population`` is the (2023) number of people of
    the old region in the new one, ``area_km2`` the overlap area.  ``min_share`` (default
    1e-4 = 0.01 %) drops sliver pairs such as a 0.6 km² stray Akmola polygon in the 2018
    layer and 13.8 km² of Zhambyl's border.

    ``urban_population`` (optional, by district KATO, e.g. BNS ``urban_total``) switches on
    a simple dasymetric refinement: a district's urban population is put wholly in the old
    region holding the largest part of the district (towns are assumed not to straddle the
    old border) and only the rest is spread uniformly over the area.  Without it, the pure
    area method moves 18 % of old Akmola's people (176k) into Astana, because 41 % of
    Astana's dense Esil district lies outside the 2018 city polygon; with it, none.
    """
    def by_kato(series: pd.Series) -> pd.Series:
        return pd.Series(series.to_numpy(dtype=float), index=[normalise_kato(k) for k in series.index])

    table = _piece_table(old_regions_gdf, new_districts_gdf)
    total = table["district_kato"].map(by_kato(district_population)).fillna(0.0)
    frac = table["piece_area"] / table["district_area"]
    if urban_population is None:
        table["population"] = frac * total
    else:
        urban = table["district_kato"].map(by_kato(urban_population)).fillna(0.0).clip(upper=total)
        largest = table.groupby("district_kato")["piece_area"].transform("max") == table["piece_area"]
        repeated = table.loc[largest, "district_kato"].duplicated().reindex(table.index, fill_value=True)
        first_largest = largest & ~repeated  # one piece per district, even on exact ties
        table["population"] = frac * (total - urban) + np.where(first_largest, urban, 0.0)
    table["area_km2"] = table["piece_area"] / 1e6
    flows = table.groupby(["old_kato", "new_kato"], as_index=False)[["population", "area_km2"]].sum()

    def shares(group: pd.DataFrame) -> pd.Series:
        basis = group["population"] if group["population"].sum() > 0 else group["area_km2"]
        return basis / basis.sum()

    flows["share"] = flows.groupby("old_kato", group_keys=False)[["population", "area_km2"]].apply(shares)
    flows = flows[flows["share"] >= min_share].copy()
    flows["share"] = flows["share"] / flows.groupby("old_kato")["share"].transform("sum")
    flows = flows.sort_values(["old_kato", "new_kato"]).reset_index(drop=True)
    return flows[["old_kato", "new_kato", "share", "population", "area_km2"]]


def estimate_new_series(old_values: pd.DataFrame, shares: pd.DataFrame, kind: str = "rate") -> pd.DataFrame:
    """Estimate a new-region series from an old-region series (see module doc).

    ``old_values``: ``old_kato, year, value``, optional ``weight`` (old region population in
    that year) and ``source``.  ``shares``: output of :func:`old_to_new_shares`.
    ``kind``: ``"rate"`` (population-weighted mean) or ``"count"`` (apportioned sum).

    Returns ``new_kato, year, value, estimated (True), weight_coverage, contributors,
    source`` sorted by new KATO and year (one row per new region and year of
    ``old_values``).  ``weight_coverage`` is the share of the new region's weight (people)
    whose old value was known: a rate is averaged over the known old values (coverage < 1
    flags a partial estimate, no known value gives NaN); a count is NaN unless every
    contributing old value is known.  ``source`` combines the old rows' sources, with
    ``"estimated from pre-2022 regions (geo.core.crosswalk)"`` appended.
    """
    if kind not in ("rate", "count"):
        raise ValueError("kind must be 'rate' or 'count'")
    vals = old_values.copy()
    vals["old_kato"] = vals["old_kato"].map(normalise_kato)
    vals["value"] = pd.to_numeric(vals["value"], errors="coerce")
    sh = shares.copy()
    sh["old_kato"] = sh["old_kato"].map(normalise_kato)
    years = pd.DataFrame({"year": sorted(vals["year"].dropna().unique())})
    grid = sh.merge(years, how="cross").merge(vals, on=["old_kato", "year"], how="left")
    flow = grid["population"] if "population" in grid.columns else pd.Series(np.nan, index=grid.index)
    if "weight" in grid.columns:
        flow = (grid["share"] * pd.to_numeric(grid["weight"], errors="coerce")).fillna(flow)
    if kind == "rate" and flow.isna().any():
        raise ValueError("rates need a weight column or the 'population' column of the shares")
    grid["w"] = flow if kind == "rate" else flow.fillna(grid["share"])
    known = grid["value"].notna()
    grid["wv"] = np.where(known, grid["value"] * (grid["w"] if kind == "rate" else grid["share"]), 0.0)
    grid["w_known"] = np.where(known, grid["w"], 0.0)
    g = grid.groupby(["new_kato", "year"], sort=True)
    out = pd.DataFrame({
        "sum_wv": g["wv"].sum(),
        "w_known": g["w_known"].sum(),
        "w_all": g["w"].sum(),
        "contributors": g["value"].count(),
        "n_old": g.size(),
    })
    out["weight_coverage"] = out["w_known"] / out["w_all"]
    if kind == "rate":
        out["value"] = np.where(out["w_known"] > 0, out["sum_wv"] / out["w_known"].where(out["w_known"] > 0), np.nan)
    else:
        out["value"] = np.where(out["contributors"] == out["n_old"], out["sum_wv"], np.nan)
    note = "estimated from pre-2022 regions (geo.core.crosswalk)"
    if "source" in grid.columns:
        src = g["source"].agg(combine_sources)
        out["source"] = [combine_sources([s, note]) if isinstance(s, str) else note for s in src]
    else:
        out["source"] = note
    out["estimated"] = True
    out = out.reset_index()
    columns = ["new_kato", "year", "value", "estimated", "weight_coverage", "contributors", "source"]
    return out[columns].reset_index(drop=True)
