"""Boundary layers for Kazakhstan's 2024 regions and districts: load, clean, simplify, write.

Pure geopandas/shapely code (no Django). All layers are kept in EPSG:4326 (lon/lat degrees);
areas are measured in an equal-area projection (see :data:`EQUAL_AREA_CRS`).

Vocabulary
----------
*coverage*
    A set of polygons that do not overlap and whose shared borders have exactly the same
    vertices (``shapely.coverage_is_valid`` is True).  The raw geokz layers are valid
    polygons but **not** a clean coverage: neighbours' borders differ by tiny amounts and
    there are sliver gaps (24 holes inside the district layer, 6 in the region layer).
*KATO*
    9-digit administrative code, always a string.  A district's region is
    ``KATO[:2] + "0000000"`` (checked for all 224 districts; see :func:`region_kato_of`).

Column / property names produced here (the Django layer relies on them)
-----------------------------------------------------------------------
regions:   ``KATO, ADM1_PCODE, ADM1_EN, ADM1_KK, ADM1_RU``
districts: ``KATO, ADM1_KATO, ADM2_PCODE, ADM2_EN, ADM2_KK, ADM2_RU``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"
BOUNDARIES_DIR = FIXTURES_DIR / "boundaries"
DERIVED_DIR = BOUNDARIES_DIR / "derived"

#: Asia North Albers Equal Area Conic (ESRI:102025): standard parallels 15°N and 65°N,
#: central meridian 95°E.  Kazakhstan (40–56°N) lies well inside the standard parallels'
#: range, so area distortion is negligible; the 20 regions sum to 2,728,308 km², +0.13 %
#: against the official 2,724,900 km².
EQUAL_AREA_CRS = "ESRI:102025"
OFFICIAL_AREA_KM2 = 2_724_900.0
WGS84 = "EPSG:4326"

REGION_PROPERTIES = ["KATO", "ADM1_PCODE", "ADM1_EN", "ADM1_KK", "ADM1_RU"]
DISTRICT_PROPERTIES = ["KATO", "ADM1_KATO", "ADM2_PCODE", "ADM2_EN", "ADM2_KK", "ADM2_RU"]

#: Unambiguous typos in the geokz attributes (see shared SOURCES.md §6), fixed in derived files.
#: (column, wrong value) -> right value.  Only mixed scripts and doubled suffixes are fixed.
NAME_FIXES = {
    ("ADM2_EN", "Zharasemey"): "Zhanasemey",  # Жаңасемей
    ("ADM2_RU", "Aршалинский"): "Аршалинский",  # Latin "A" -> Cyrillic "А"
    ("ADM2_RU", "Енбекшинскийский"): "Енбекшинский",
    ("ADM2_RU", "Каратаускийский"): "Каратауский",
    ("ADM1_KK", "Солтүстiк Қазақстан"): "Солтүстік Қазақстан",  # Latin "i" -> Kazakh "і"
}

#: Defaults for :func:`clean_coverage` (degrees).  1e-6° is ~0.1 m; 0.001° is ~70–110 m.
DEFAULT_SNAP_DISTANCE = 1e-6
DEFAULT_GAP_WIDTH = 1e-3


# --------------------------------------------------------------------------- loading


def load_geojson(path: str | Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON file into a GeoDataFrame in EPSG:4326.

    ``KATO`` (if present) is read as a string (codes keep their 9 digits), Z coordinates
    are dropped, and a missing CRS is taken to be the GeoJSON default (WGS 84).
    """
    gdf = gpd.read_file(path)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    elif not gdf.crs.equals(WGS84):
        gdf = gdf.to_crs(WGS84)
    for col in ("KATO", "ADM1_KATO"):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype(str)
    if shapely.has_z(gdf.geometry.values).any():
        gdf = gdf.set_geometry(shapely.force_2d(gdf.geometry.values), crs=gdf.crs)
    return gdf


def load_fixture(name: str) -> gpd.GeoDataFrame:
    """Load ``fixtures/boundaries/<name>.geojson`` or, failing that, ``derived/<name>.geojson``.

    Examples: ``load_fixture("kz_adm1_2024")`` (raw) or ``load_fixture("adm2_2024_web")``.
    """
    for folder in (BOUNDARIES_DIR, DERIVED_DIR):
        path = folder / f"{name}.geojson"
        if path.exists():
            return load_geojson(path)
    raise FileNotFoundError(f"no boundary fixture named {name!r} in {BOUNDARIES_DIR}")


def region_kato_of(district_kato: Iterable[str]) -> np.ndarray:
    """Region KATO of each district KATO: first two digits + ``"0000000"``."""
    return np.array([str(k)[:2] + "0000000" for k in district_kato], dtype=object)


def fix_names(gdf: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with the known attribute typos (:data:`NAME_FIXES`) corrected."""
    out = gdf.copy()
    for (col, wrong), right in NAME_FIXES.items():
        if col in out.columns:
            out.loc[out[col] == wrong, col] = right
    return out


# --------------------------------------------------------------------------- cleaning


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygon parts of each geometry (drops stray lines/points)."""
    out = geoms.copy()
    for i, g in enumerate(geoms):
        if g is not None and g.geom_type not in ("Polygon", "MultiPolygon"):
            parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
            out[i] = shapely.union_all(parts) if parts else shapely.Polygon()
    return out


def _clean_by_polygonize(geoms: np.ndarray, grid_size: float) -> np.ndarray:
    """Rebuild a coverage from one noded linework on a fixed grid.

    Used to round a coverage to a coordinate grid without breaking it, and as the
    cleaning fallback for shapely builds without ``coverage_clean`` (GEOS < 3.14).

    Method: node all polygon boundaries together with snap-rounding on a grid of
    ``grid_size`` degrees (``union_all(..., grid_size=...)``), ``polygonize`` the linework
    into faces, and give each face to the input polygon that contains the face's interior
    point (on overlaps the lowest index wins).  Faces no input contains (gaps enclosed by
    the layer, whatever their width, and faces displaced by rounding) go to the owner of
    the adjacent faces with the longest shared border.  All faces come from one linework
    whose vertices lie on the grid, so shared borders are vertex-identical and rounding
    the coordinates to the grid changes nothing.  Features narrower than the grid vanish.
    """
    geoms = _polygonal(np.asarray(shapely.make_valid(geoms), dtype=object))
    linework = shapely.union_all(shapely.boundary(geoms), grid_size=grid_size)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
    faces = faces[shapely.area(faces) > 0]
    owner = np.full(len(faces), -1)
    face_idx, geom_idx = shapely.STRtree(geoms).query(shapely.point_on_surface(faces), predicate="within")
    for f, g in zip(face_idx, geom_idx):
        owner[f] = g if owner[f] < 0 else min(owner[f], g)
    gaps = list(np.flatnonzero(owner < 0))
    face_tree = shapely.STRtree(faces)
    while gaps:  # faces share the noded linework exactly, so border lengths are exact
        remaining = []
        for f in gaps:
            border: dict[int, float] = {}
            for n in face_tree.query(faces[f], predicate="intersects"):
                if n != f and owner[n] >= 0:
                    length = shapely.length(shapely.intersection(faces[f].boundary, faces[n].boundary))
                    border[int(owner[n])] = border.get(int(owner[n]), 0.0) + length
            best = max(border.items(), key=lambda kv: (kv[1], -kv[0]), default=(None, 0.0))
            if best[1] > 0:
                owner[f] = best[0]
            else:
                remaining.append(f)
        if len(remaining) == len(gaps):
            break
        gaps = remaining
    out = np.array([shapely.coverage_union_all(faces[owner == i]) if (owner == i).any() else shapely.Polygon()
                    for i in range(len(geoms))], dtype=object)
    return _polygonal(out)


def clean_coverage(
    gdf: gpd.GeoDataFrame,
    snap_distance: float = DEFAULT_SNAP_DISTANCE,
    gap_width: float = DEFAULT_GAP_WIDTH,
) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` whose geometries form a valid polygonal coverage.

    Uses ``shapely.coverage_clean`` (shapely ≥ 2.2 / GEOS ≥ 3.14): vertices closer than
    ``snap_distance`` (degrees) are snapped together, overlaps go to the neighbour with
    the longest shared border, and gaps narrower than ``gap_width`` (degrees; default
    0.001° ≈ 100 m, which removes every sliver hole in the geokz layers) are merged into
    the neighbour with the longest shared border.  Older builds use
    :func:`_clean_by_polygonize` (node on a ``snap_distance`` grid and polygonize; fills
    every enclosed gap whatever its width).

    Raises ``ValueError`` if the result is not a valid coverage or any feature is invalid
    or empty — callers never get a silently broken layer.
    """
    geoms = shapely.make_valid(gdf.geometry.values)
    geoms = _polygonal(np.asarray(geoms, dtype=object))
    if hasattr(shapely, "coverage_clean"):
        cleaned = shapely.coverage_clean(geoms, snapping_distance=snap_distance, gap_width=gap_width)
    else:  # pragma: no cover - depends on the shapely build
        cleaned = _clean_by_polygonize(geoms, max(snap_distance, 1e-9))
    cleaned = _polygonal(np.asarray(cleaned, dtype=object))
    out = gdf.copy()
    out = out.set_geometry(gpd.GeoSeries(cleaned, index=gdf.index, crs=gdf.crs))
    problems = validate_coverage(out)
    if problems:
        raise ValueError("clean_coverage produced an invalid coverage: " + "; ".join(problems))
    return out


def reconcile_nesting(
    districts: gpd.GeoDataFrame, regions: gpd.GeoDataFrame, parent_col: str = "ADM1_KATO"
) -> gpd.GeoDataFrame:
    """Make districts nest exactly in regions; the **region layer is authoritative**.

    Both inputs must be clean coverages (:func:`clean_coverage`).  Each district is clipped
    to its own region (``districts[parent_col]`` = ``regions.KATO``); every piece of a
    region that none of its districts covers is merged into the district of that region
    sharing the longest border with it (nearest district if none touches).  The result is
    cleaned again so it is a valid coverage.

    On the geokz 2024 data this moves at most 13.8 km² per district: Astana region's
    7.8 km² covered by Akmola's Tselinograd district go to Astana's Baikonyr district;
    13.8 km² of Turkestan region covered by Zhambyl's Talas district go to Baydibek;
    a 7.4 km² uncovered strip of Zhetysu goes to Eskeldi; the rest are slivers < 0.1 km².
    """
    regions_by_kato = dict(zip(regions["KATO"].astype(str), regions.geometry.values))
    parents = districts[parent_col].astype(str).to_numpy()
    missing = sorted(set(parents) - set(regions_by_kato))
    if missing:
        raise ValueError(f"districts refer to unknown regions: {missing}")
    geoms = np.array(
        [shapely.intersection(g, regions_by_kato[p]) for g, p in zip(districts.geometry.values, parents)],
        dtype=object,
    )
    geoms = _polygonal(geoms)
    for kato, region in regions_by_kato.items():
        members = np.flatnonzero(parents == kato)
        if len(members) == 0:
            continue
        leftover = shapely.difference(region, shapely.union_all(geoms[members]))
        for part in shapely.get_parts(leftover):
            if part.is_empty or part.geom_type != "Polygon":
                continue
            shared = [shapely.length(shapely.intersection(part.boundary, geoms[i].boundary)) for i in members]
            if max(shared) > 0:
                target = members[int(np.argmax(shared))]
            else:
                target = members[int(np.argmin([shapely.distance(part, geoms[i]) for i in members]))]
            geoms[target] = shapely.union(geoms[target], part)
    out = districts.copy()
    out = out.set_geometry(gpd.GeoSeries(_polygonal(geoms), index=districts.index, crs=districts.crs))
    return clean_coverage(out, snap_distance=0.0, gap_width=DEFAULT_GAP_WIDTH)


def dissolve_coverage(gdf: gpd.GeoDataFrame, by: str) -> gpd.GeoDataFrame:
    """Union the polygons of a clean coverage per value of ``by`` (``coverage_union_all``).

    Exact on a valid coverage (no new vertices), so the dissolved borders reuse the members'
    vertices and stay edge-matched with the members.  Result: one row per group, sorted by
    ``by``, column ``by`` renamed to ``KATO``.
    """
    rows = []
    for key, group in gdf.groupby(by, sort=True):
        rows.append({"KATO": str(key), "geometry": shapely.coverage_union_all(group.geometry.values)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=gdf.crs)


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Topology-preserving simplification of the **whole** coverage (``shapely.coverage_simplify``).

    Shared borders are simplified once, so neighbours stay edge-matched and no gaps or
    overlaps appear (a per-polygon ``simplify`` would break that).  Uses GEOS's
    Visvalingam–Whyatt coverage simplifier: ``tolerance`` is in degrees, vertices whose
    effective triangle area is below ``tolerance²`` are removed; polygons are never
    collapsed.  The outer border of the country is simplified too.
    """
    geoms = shapely.coverage_simplify(gdf.geometry.values, tolerance)
    out = gdf.copy()
    return out.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


def round_coverage(gdf: gpd.GeoDataFrame, precision: int) -> gpd.GeoDataFrame:
    """Put every vertex of a coverage on a grid of ``10**-precision`` degrees, keeping it valid.

    Rounding each polygon on its own (``set_precision``) is not enough: on the geokz
    districts it breaks the coverage even at 7 decimals, because snap-rounding nodes a
    thin sliver differently in the two neighbours.  So the coverage is rebuilt from one
    linework noded on the grid (:func:`_clean_by_polygonize`); writing the result with
    ``precision`` decimals is then lossless.  Raises ``ValueError`` if a feature vanishes
    or the result is not a valid coverage.
    """
    grid = 10.0 ** -precision
    geoms = _clean_by_polygonize(np.asarray(gdf.geometry.values, dtype=object), grid)
    out = gdf.copy().set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    problems = validate_coverage(out)
    if problems:
        raise ValueError(f"rounding to {precision} decimals breaks the coverage: " + "; ".join(problems))
    return out


# --------------------------------------------------------------------------- output


def _round_coords(obj, precision: int):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), precision) for v in obj]
        return [_round_coords(o, precision) for o in obj]
    return obj


def to_geojson_bytes(
    gdf: gpd.GeoDataFrame,
    precision: int = 4,
    properties: Sequence[str] | None = None,
) -> bytes:
    """Compact, deterministic GeoJSON (RFC 7946) as UTF-8 bytes.

    * coordinates rounded to ``precision`` decimals (4 ≈ 11 m; 7 ≈ 1 cm) and written in
      shortest form, no whitespace;
    * only ``properties`` are kept (default: :data:`REGION_PROPERTIES` or
      :data:`DISTRICT_PROPERTIES` columns present in ``gdf``), as strings/numbers;
    * exterior rings counter-clockwise, holes clockwise (``shapely.orient_polygons``);
    * features in the order of ``gdf`` (callers sort by KATO); no CRS member (WGS 84).

    Rounding here is plain decimal rounding; use :func:`round_coverage` first if the
    coverage must stay valid after rounding (the build does).
    """
    if gdf.crs is not None and not gdf.crs.equals(WGS84):
        gdf = gdf.to_crs(WGS84)
    if properties is None:
        wanted = DISTRICT_PROPERTIES if "ADM2_PCODE" in gdf.columns else REGION_PROPERTIES
        properties = [c for c in wanted if c in gdf.columns]
    geoms = shapely.orient_polygons(gdf.geometry.values, exterior_cw=False)
    features = []
    for (_, row), geom in zip(gdf[list(properties)].iterrows(), geoms):
        props = {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
        gj = json.loads(shapely.to_geojson(geom))
        gj["coordinates"] = _round_coords(gj["coordinates"], precision)
        features.append({"type": "Feature", "properties": props, "geometry": gj})
    doc = {"type": "FeatureCollection", "features": features}
    return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- measures & checks


def area_km2(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Area of each feature in km², measured in :data:`EQUAL_AREA_CRS` (ESRI:102025)."""
    geo = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    return geo.to_crs(EQUAL_AREA_CRS).area / 1e6


def _label(gdf: gpd.GeoDataFrame, i: int) -> str:
    return f"KATO {gdf['KATO'].iloc[i]}" if "KATO" in gdf.columns else f"row {i}"


def validate_coverage(gdf: gpd.GeoDataFrame) -> list[str]:
    """List of human-readable problems; an empty list means a clean, usable coverage.

    Checks: CRS present, no missing/empty/invalid/non-polygonal geometry, unique KATO (if
    the column exists), and ``shapely.coverage_is_valid`` (no overlaps, shared edges
    vertex-identical; the features reported are those with invalid edges).
    """
    problems: list[str] = []
    if gdf.crs is None:
        problems.append("no CRS")
    geoms = gdf.geometry.values
    for i, g in enumerate(geoms):
        if g is None:
            problems.append(f"{_label(gdf, i)}: missing geometry")
        elif g.is_empty:
            problems.append(f"{_label(gdf, i)}: empty geometry")
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"{_label(gdf, i)}: {g.geom_type} is not polygonal")
        elif not g.is_valid:
            problems.append(f"{_label(gdf, i)}: invalid ({shapely.is_valid_reason(g)})")
    if "KATO" in gdf.columns and gdf["KATO"].duplicated().any():
        problems.append(f"duplicate KATO: {sorted(gdf.loc[gdf['KATO'].duplicated(), 'KATO'].astype(str))}")
    if problems:
        return problems
    if not shapely.coverage_is_valid(geoms):
        bad = ~shapely.is_empty(shapely.coverage_invalid_edges(geoms))
        labels = [_label(gdf, i) for i in np.flatnonzero(bad)]
        problems.append(f"not a valid coverage: {len(labels)} features with unmatched edges or overlaps "
                        f"({', '.join(labels[:10])}{'…' if len(labels) > 10 else ''})")
    return problems


def nesting_report(districts: gpd.GeoDataFrame, regions: gpd.GeoDataFrame,
                   parent_col: str = "ADM1_KATO") -> tuple[pd.DataFrame, pd.DataFrame]:
    """How well districts nest in regions, measured in the equal-area projection.

    Returns ``(per_district, per_region)``:

    * ``per_district``: KATO, parent, area_km2, ``share_in_parent`` = area(district ∩ its
      region) / area(district);
    * ``per_region``: KATO, area_km2, ``covered_by_own_districts`` = area(region ∩ union of
      its districts) / area(region).
    """
    d = districts.to_crs(EQUAL_AREA_CRS)
    r = regions.to_crs(EQUAL_AREA_CRS)
    parents = (d[parent_col] if parent_col in d.columns else pd.Series(region_kato_of(d["KATO"]), index=d.index))
    parents = parents.astype(str).to_numpy()
    reg = dict(zip(r["KATO"].astype(str), r.geometry.values))
    inter = shapely.area([shapely.intersection(g, reg[p]) for g, p in zip(d.geometry.values, parents)])
    per_district = pd.DataFrame({"KATO": d["KATO"].astype(str).to_numpy(), "parent": parents,
                                 "area_km2": d.area.to_numpy() / 1e6,
                                 "share_in_parent": inter / d.area.to_numpy()})
    rows = []
    for kato, geom in reg.items():
        own = shapely.union_all(d.geometry.values[parents == kato])
        rows.append({"KATO": kato, "area_km2": geom.area / 1e6,
                     "covered_by_own_districts": shapely.area(shapely.intersection(geom, own)) / geom.area})
    return per_district, pd.DataFrame(rows)
