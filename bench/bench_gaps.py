"""Benchmark of the geo core: 20 regions × 10,000 settlements.

    .venv/bin/python bench/bench_gaps.py [--runs 3]

* settlements: the 8,157 OSM places of fixtures/settlements plus seeded random points
  inside the country (rejection-sampled against the regions) up to 10,000;
* RSS data: a synthetic catalogue (30 standards, applicability by place type) and a
  seeded met/not-met record per applicable standard (~190,000 rows);
* timed: point → district/region assignment + settlement/district/region RSS provision +
  top-10 priority settlements per region (must be < 1 s);
* then: sizes of the web GeoJSON files against the full-resolution ones, and a coverage
  validity check of every derived layer.

Reads only fixtures/; exits 1 if the timing or a check fails.  Runs in a few seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.core import boundaries as b  # noqa: E402
from geo.core.gaps import priority_settlements, rss_provision  # noqa: E402
from geo.core.spatial import assign_points  # noqa: E402

N_POINTS = 10_000
SEED = 20240101
LIMIT_SECONDS = 1.0
TYPES = ["city", "town", "village", "hamlet", "isolated_dwelling"]


def load_points(regions, rng: np.random.Generator) -> pd.DataFrame:
    osm = pd.read_csv(b.FIXTURES_DIR / "settlements" / "kz_settlements_osm_hotosm.csv",
                      dtype={"ADM1_KATO": str, "ADM2_KATO": str})
    pts = pd.DataFrame({
        "settlement_id": "osm" + osm["osm_id"].astype(str),
        "settlement_type": osm["place"],
        "lat": osm["lat"], "lon": osm["lon"],
        "population": pd.to_numeric(osm["population"], errors="coerce"),
        "declared_region_kato": osm["ADM1_KATO"],
        "source": "OSM/HOT populated places (ODbL)",
    })
    country = shapely.union_all(regions.geometry.values)
    shapely.prepare(country)
    minx, miny, maxx, maxy = country.bounds
    need, extra = N_POINTS - len(pts), []
    while need > 0:
        lon, lat = rng.uniform(minx, maxx, 4 * need), rng.uniform(miny, maxy, 4 * need)
        inside = shapely.contains_xy(country, lon, lat)
        extra.append(pd.DataFrame({"lon": lon[inside][:need], "lat": lat[inside][:need]}))
        need -= int(min(inside.sum(), need))
    synth = pd.concat(extra, ignore_index=True)
    synth["settlement_id"] = [f"synthetic{i:05d}" for i in range(len(synth))]
    synth["settlement_type"] = rng.choice(["village", "hamlet"], len(synth), p=[0.6, 0.4])
    synth["population"] = np.where(rng.random(len(synth)) < 0.5, rng.integers(20, 3000, len(synth)), np.nan)
    synth["declared_region_kato"] = None
    synth["source"] = "synthetic (bench)"
    return pd.concat([pts, synth[pts.columns]], ignore_index=True)


def synthetic_rss(points: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    applies = {"city": 30, "town": 26, "village": 20, "hamlet": 10, "isolated_dwelling": 4}
    catalogue = pd.DataFrame([(f"RSS{i:02d}", t) for t, n in applies.items() for i in range(1, n + 1)],
                             columns=["standard_id", "settlement_type"])
    pairs = points[["settlement_id", "settlement_type"]].merge(catalogue, on="settlement_type")
    p_met = pairs["settlement_type"].map({"city": 0.9, "town": 0.8, "village": 0.6, "hamlet": 0.4,
                                          "isolated_dwelling": 0.3})
    pairs["met"] = rng.random(len(pairs)) < p_met
    unassessed = rng.choice(points["settlement_id"], 300, replace=False)  # some settlements without data
    met = pairs[~pairs["settlement_id"].isin(unassessed)][["settlement_id", "standard_id", "met"]]
    return catalogue, met.assign(source="synthetic RSS records (bench)")


def timed_pipeline(points, districts, regions, catalogue, met):
    start = time.perf_counter()
    assigned = assign_points(points, districts, regions)
    settlements = assigned[["settlement_id", "settlement_type", "district_kato", "region_kato",
                             "population", "source"]]
    result = rss_provision(settlements[settlements["region_kato"].notna()], met, catalogue)
    top = priority_settlements(result, n=10)
    return time.perf_counter() - start, assigned, result, top


def size_report() -> bool:
    ok = True
    print("\nfile sizes (web vs full resolution)")
    pairs = [("adm1", "kz_adm1_2024.geojson", 300_000), ("adm2", "kz_adm2_2024.geojson", 1_000_000)]
    for level, raw_name, limit in pairs:
        raw = (b.BOUNDARIES_DIR / raw_name).stat().st_size
        clean = (b.DERIVED_DIR / f"{level}_2024_clean.geojson").stat().st_size
        web = (b.DERIVED_DIR / f"{level}_2024_web.geojson").stat().st_size
        print(f"  {level}: raw {raw:>10,d} B | clean {clean:>10,d} B | web {web:>9,d} B "
              f"(web/clean {web / clean:.1%}, web/raw {web / raw:.1%}, limit {limit:,d}: "
              f"{'ok' if web <= limit else 'OVER'})")
        ok &= web <= limit
    print("\ncoverage validity (shapely.coverage_is_valid) of the derived files")
    for name in ["adm1_2024_clean", "adm2_2024_clean", "adm1_2024_web", "adm2_2024_web", "adm1_2018_clean"]:
        gdf = b.load_fixture(name)
        problems = b.validate_coverage(gdf)
        verts = int(shapely.get_num_coordinates(gdf.geometry.values).sum())
        print(f"  {name:16s} {len(gdf):>3d} features {verts:>6,d} vertices "
              f"coverage valid: {shapely.coverage_is_valid(gdf.geometry.values)}"
              + (f" PROBLEMS: {problems}" if problems else ""))
        ok &= not problems
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs (best and worst are printed)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    regions, districts = b.load_fixture("adm1_2024_clean"), b.load_fixture("adm2_2024_clean")
    points = load_points(regions, rng)
    catalogue, met = synthetic_rss(points, rng)
    print(f"setup: {len(regions)} regions, {len(districts)} districts, {len(points):,d} settlements, "
          f"{len(met):,d} RSS records, {time.perf_counter() - t0:.2f} s")

    times = []
    for _ in range(max(1, args.runs)):
        elapsed, assigned, result, top = timed_pipeline(points, districts, regions, catalogue, met)
        times.append(elapsed)
    print(f"spatial join + RSS aggregation + priorities: first {times[0]:.3f} s, best {min(times):.3f} s, "
          f"worst {max(times):.3f} s (limit {LIMIT_SECONDS} s)")
    print(f"  problems: {assigned['problem'].value_counts().to_dict() or 'none'}; "
          f"regions {len(result.regions)}, districts {len(result.districts)}, priority rows {len(top)}")
    print(result.regions[["region_kato", "settlements", "settlements_assessed", "provision_mean",
                          "provision_weighted"]].round(1).to_string(index=False))
    ok = max(times) < LIMIT_SECONDS and len(result.regions) == 20
    ok &= size_report()
    print(f"\ntotal {time.perf_counter() - t0:.1f} s — {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
