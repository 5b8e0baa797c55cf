"""Build the derived boundary files in ``fixtures/boundaries/derived/``.

Run ``python -m geo.core.build`` (``--check`` only verifies that the committed files are
up to date; ``--out DIR`` writes elsewhere).  Output is byte-for-byte deterministic.

Files (all EPSG:4326 GeoJSON, features sorted by KATO)
-------------------------------------------------------
``adm1_2024_clean.geojson``  20 regions, full resolution, 7 decimals; **dissolved from the
    cleaned districts**, so it nests the districts exactly.
``adm2_2024_clean.geojson``  224 districts, full resolution, 7 decimals.
``adm1_2024_web.geojson``    20 regions for web maps (≤ 300 KB), dissolved from the web districts.
``adm2_2024_web.geojson``    224 districts for web maps (≤ 1 MB).
``adm1_2018_clean.geojson``  17 pre-2022 regions, cleaned, 7 decimals (for the crosswalk).
``manifest.json``            sizes, vertex counts, sha256, parameters and nesting numbers.

Method and its consequences
---------------------------
1. ``clean_coverage`` on the raw geokz ADM1 and ADM2 layers (snap 1e-6°, fill gaps < 0.001°).
2. ``reconcile_nesting``: the **ADM1 region layer is authoritative** for region extents.
   Districts are clipped to their own region and uncovered region pieces go to the
   neighbouring district of that region.  Consequences on this data: Astana's Baikonyr
   district gains 7.8 km² (+4.2 %) that the raw district layer gives to Akmola's
   Tselinograd district (−0.11 %); Turkestan's Baydibek gains 13.8 km² from Zhambyl's Talas
   (−0.11 %); Zhetysu's Eskeldi gains a 7.4 km² strip no district covered.  Every other
   change is a sliver < 0.1 km².  Region areas therefore equal the ADM1 layer's, and a
   point's district always lies in its region.
3. The region files are the dissolve (``coverage_union_all``) of the district files, both
   at full resolution and for the web, so region borders are district borders, vertex for
   vertex, and the web districts nest 100 % in the web regions.
4. Web files: ``coverage_simplify`` of the whole district coverage with tolerance
   :data:`WEB_TOLERANCE` (0.002°, VW area threshold 4e-6 deg² ≈ 0.03 km²), then coordinates
   snapped to 4 decimals (~11 m).  Measured on this data: median displacement 28 m, max
   ~1 km (Hausdorff, on a narrow spit), max district area change 0.34 %.
   At 3 decimals the district coverage becomes invalid, so 4 is the minimum.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import geopandas as gpd
import shapely

from geo.core.boundaries import (
    DERIVED_DIR,
    DISTRICT_PROPERTIES,
    REGION_PROPERTIES,
    area_km2,
    clean_coverage,
    dissolve_coverage,
    fix_names,
    load_fixture,
    nesting_report,
    reconcile_nesting,
    region_kato_of,
    round_coverage,
    simplify_coverage,
    to_geojson_bytes,
    validate_coverage,
)

WEB_TOLERANCE = 0.002
FULL_PRECISION = 7
WEB_PRECISION = 4
#: Size limits of the web files in bytes (KB/MB taken as 1000/1,000,000 to be safe).
WEB_LIMITS = {"adm1_2024_web.geojson": 300_000, "adm2_2024_web.geojson": 1_000_000}


def _regions(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = fix_names(raw).sort_values("KATO", kind="stable").reset_index(drop=True)
    return out[REGION_PROPERTIES + ["geometry"]]


def _districts(raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = fix_names(raw).sort_values("KATO", kind="stable").reset_index(drop=True)
    out["ADM1_KATO"] = region_kato_of(out["KATO"])
    return out[DISTRICT_PROPERTIES + ["geometry"]]


def _with_region_attributes(dissolved: gpd.GeoDataFrame, regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    attrs = regions.drop(columns="geometry")
    out = dissolved.merge(attrs, on="KATO", how="left", validate="one_to_one")
    return gpd.GeoDataFrame(out[REGION_PROPERTIES + ["geometry"]], geometry="geometry", crs=dissolved.crs)


def build_layers(tolerance: float = WEB_TOLERANCE) -> dict[str, gpd.GeoDataFrame]:
    """All derived layers as GeoDataFrames (rounded as they will be written)."""
    regions = clean_coverage(_regions(load_fixture("kz_adm1_2024")))
    districts = clean_coverage(_districts(load_fixture("kz_adm2_2024")))
    districts = reconcile_nesting(districts, regions)
    adm2_clean = round_coverage(districts, FULL_PRECISION)
    adm1_clean = _with_region_attributes(dissolve_coverage(adm2_clean, "ADM1_KATO"), regions)
    adm2_web = round_coverage(simplify_coverage(adm2_clean, tolerance), WEB_PRECISION)
    adm1_web = _with_region_attributes(dissolve_coverage(adm2_web, "ADM1_KATO"), regions)
    old = _regions(load_fixture("kz_adm1_2018"))
    adm1_2018 = round_coverage(clean_coverage(old), FULL_PRECISION)
    return {
        "adm1_2024_clean.geojson": adm1_clean,
        "adm2_2024_clean.geojson": adm2_clean,
        "adm1_2024_web.geojson": adm1_web,
        "adm2_2024_web.geojson": adm2_web,
        "adm1_2018_clean.geojson": adm1_2018,
    }


def _precision(name: str) -> int:
    return WEB_PRECISION if name.endswith("_web.geojson") else FULL_PRECISION


def _manifest(layers: dict[str, gpd.GeoDataFrame], blobs: dict[str, bytes], tolerance: float) -> dict:
    files = {}
    for name, gdf in layers.items():
        files[name] = {
            "features": len(gdf),
            "bytes": len(blobs[name]),
            "vertices": int(shapely.get_num_coordinates(gdf.geometry.values).sum()),
            "decimals": _precision(name),
            "area_km2": round(float(area_km2(gdf).sum()), 1),
            "sha256": hashlib.sha256(blobs[name]).hexdigest(),
        }
    per_d, per_r = nesting_report(load_fixture("kz_adm2_2024"), load_fixture("kz_adm1_2024"))
    worst = per_d.nsmallest(3, "share_in_parent")
    return {
        "generator": "python -m geo.core.build",
        "crs": "EPSG:4326",
        "equal_area_crs_for_areas": "ESRI:102025",
        "web_simplification": {"method": "shapely.coverage_simplify on the district coverage",
                               "tolerance_degrees": tolerance},
        "regions_are": "dissolved districts (region layer authoritative, districts reconciled to it)",
        "raw_nesting": {
            "min_district_share_in_own_region": {r.KATO: round(r.share_in_parent, 6) for r in worst.itertuples()},
            "min_region_covered_by_own_districts": {
                r.KATO: round(r.covered_by_own_districts, 6)
                for r in per_r.nsmallest(3, "covered_by_own_districts").itertuples()},
        },
        "files": files,
    }


def build(out_dir: Path = DERIVED_DIR, tolerance: float = WEB_TOLERANCE, write: bool = True) -> dict[str, bytes]:
    """Build every derived file; write them to ``out_dir`` unless ``write`` is False.

    Returns ``{file name: bytes}`` including ``manifest.json``.  Raises ``ValueError`` if a
    layer is not a valid coverage or a web file exceeds :data:`WEB_LIMITS`.
    """
    layers = build_layers(tolerance)
    blobs = {name: to_geojson_bytes(gdf, precision=_precision(name)) for name, gdf in layers.items()}
    for name, gdf in layers.items():
        problems = validate_coverage(gdf)
        if problems:
            raise ValueError(f"{name}: {problems}")
    for name, limit in WEB_LIMITS.items():
        if len(blobs[name]) > limit:
            raise ValueError(f"{name} is {len(blobs[name])} bytes > {limit}; raise the tolerance")
    manifest = _manifest(layers, blobs, tolerance)
    blobs["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    if write:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, blob in blobs.items():
            (out_dir / name).write_bytes(blob)
    return blobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo.core.build", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DERIVED_DIR, help="output folder (default: %(default)s)")
    parser.add_argument("--tolerance", type=float, default=WEB_TOLERANCE, help="web simplification, degrees")
    parser.add_argument("--check", action="store_true", help="only compare with the files in --out")
    args = parser.parse_args(argv)
    blobs = build(args.out, args.tolerance, write=not args.check)
    stale = [n for n, b in blobs.items() if not (args.out / n).exists() or (args.out / n).read_bytes() != b]
    for name, blob in blobs.items():
        print(f"{name:28s} {len(blob):>10,d} bytes")
    if args.check and stale:
        print("out of date:", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
