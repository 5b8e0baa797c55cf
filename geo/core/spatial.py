"""Assign points (settlements, projects, reports) to districts and regions.

Vectorised point-in-polygon join: the polygons are prepared and queried against an STR-tree
of the points (the same engine geopandas' ``sjoin(predicate="within")`` uses), so 10,000
points against the 224 full-resolution districts take a few tens of milliseconds.

Use the *clean* full-resolution layers (``derived/adm2_2024_clean.geojson`` and
``derived/adm1_2024_clean.geojson``) for assignment; the web layers are simplified by up to
~1 km near a few borders.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Values of the ``problem`` column, in priority order (only the first that applies is
#: reported; ``None`` means no problem).
PROBLEMS = (
    "no_coordinates",  # lat or lon missing / not finite
    "outside",  # the point is in no region (abroad, in the Caspian, a coordinate typo)
    "region_mismatch",  # the declared region differs from the region at the coordinates
    "no_district",  # in a region but in none of the districts (only with un-nested layers)
    "district_region_mismatch",  # the district found belongs to another region (un-nested layers)
)


def normalise_kato(value) -> str | None:
    """KATO code as a 9-character string (``100000000``); None for missing values.

    Accepts ints, floats (``1e8``), strings with spaces, and 2-digit region prefixes
    (``"10"`` → ``"100000000"``).
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return None
    if isinstance(value, (int, np.integer)) or (isinstance(value, (float, np.floating)) and float(value).is_integer()):
        text = str(int(value))
    else:
        text = str(value).strip()
    if not text or text.lower() in ("nan", "none"):
        return None
    return text.ljust(9, "0") if len(text) == 2 else text


def _first_containing(polygons: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Index of the first polygon covering each point (-1 if none).

    ``intersects`` so a point exactly on a shared border is still assigned; ties go to the
    polygon with the lowest position (layers are sorted by KATO, so this is deterministic).
    """
    result = np.full(len(points), -1, dtype=np.int64)
    valid = ~shapely.is_missing(points) & ~shapely.is_empty(points)
    if not valid.any():
        return result
    tree = shapely.STRtree(points)
    poly_idx, point_idx = tree.query(polygons, predicate="intersects")
    if len(point_idx):
        order = np.lexsort((poly_idx, point_idx))  # by point, then polygon position
        point_idx, poly_idx = point_idx[order], poly_idx[order]
        first = np.r_[True, point_idx[1:] != point_idx[:-1]]
        result[point_idx[first]] = poly_idx[first]
    return result


def _lookup(codes: np.ndarray, idx: np.ndarray) -> np.ndarray:
    out = np.full(len(idx), None, dtype=object)
    hit = idx >= 0
    out[hit] = codes[idx[hit]]
    return out


def assign_points(
    points: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    regions: gpd.GeoDataFrame,
    *,
    lat_col: str = "lat",
    lon_col: str = "lon",
    declared_col: str = "declared_region_kato",
    kato_col: str = "KATO",
) -> pd.DataFrame:
    """Copy of ``points`` with ``district_kato``, ``region_kato`` and ``problem`` added.

    ``points`` needs ``lat`` and ``lon`` (WGS 84 degrees) and may have
    ``declared_region_kato`` (the region a source *says* the point is in; any KATO spelling
    accepted, see :func:`normalise_kato`).  ``districts``/``regions`` are polygon layers with
    a ``KATO`` column (any CRS; converted to WGS 84).  Districts and regions are joined
    independently, so ``region_kato`` is the region at the coordinates even where the
    district layer does not nest.  ``problem`` holds the first applicable value of
    :data:`PROBLEMS`, or None.  The index and all input columns are kept.
    """
    if districts.crs is not None and districts.crs.to_epsg() != 4326:
        districts = districts.to_crs(4326)
    if regions.crs is not None and regions.crs.to_epsg() != 4326:
        regions = regions.to_crs(4326)
    lat = pd.to_numeric(points[lat_col], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(points[lon_col], errors="coerce").to_numpy(dtype=float)
    has_xy = np.isfinite(lat) & np.isfinite(lon)
    geoms = np.full(len(points), None, dtype=object)
    geoms[has_xy] = shapely.points(lon[has_xy], lat[has_xy])

    district_codes = districts[kato_col].astype(str).to_numpy()
    region_codes = regions[kato_col].astype(str).to_numpy()
    district = _lookup(district_codes, _first_containing(districts.geometry.values, geoms))
    region = _lookup(region_codes, _first_containing(regions.geometry.values, geoms))

    out = points.copy()
    out["district_kato"] = district
    out["region_kato"] = region
    declared = (points[declared_col].map(normalise_kato).to_numpy(dtype=object)
                if declared_col in points.columns else np.full(len(points), None, dtype=object))
    district_parent = np.array([d[:2] + "0000000" if d else None for d in district], dtype=object)

    problem = np.full(len(points), None, dtype=object)
    rules = [  # reverse priority: later rules overwrite earlier ones
        ("district_region_mismatch", (district != None) & (region != None) & (district_parent != region)),  # noqa: E711
        ("no_district", (region != None) & (district == None)),  # noqa: E711
        ("region_mismatch", (declared != None) & (region != None) & (declared != region)),  # noqa: E711
        ("outside", has_xy & (region == None)),  # noqa: E711
        ("no_coordinates", ~has_xy),
    ]
    for name, mask in rules:
        problem[mask.astype(bool)] = name
    out["problem"] = problem
    return out


def problem_summary(assigned: pd.DataFrame) -> pd.DataFrame:
    """Count of points per ``problem`` value (rows with no problem are not counted)."""
    counts = assigned["problem"].dropna().value_counts()
    return counts.rename_axis("problem").reset_index(name="points")
