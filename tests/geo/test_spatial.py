import time

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.core.spatial import PROBLEMS, assign_points, normalise_kato, problem_summary

ASTANA, ABAI, ALMATY_REGION, ALMATY_CITY = "710000000", "100000000", "190000000", "750000000"


def _one(lat, lon, districts, regions, declared=None):
    pts = pd.DataFrame({"lat": [lat], "lon": [lon], "declared_region_kato": [declared]})
    return assign_points(pts, districts, regions).iloc[0]


def test_astana_centre(districts, regions):
    row = _one(51.128, 71.430, districts, regions)
    assert row["region_kato"] == ASTANA
    assert row["district_kato"].startswith("71")
    assert row["problem"] is None


def test_semey_is_in_abai(districts, regions):
    row = _one(50.411, 80.227, districts, regions, declared=ABAI)
    assert row["region_kato"] == ABAI
    assert row["district_kato"] == "101000000"  # Semey city administration
    assert row["problem"] is None


def test_caspian_point_is_outside(districts, regions):
    row = _one(43.0, 50.0, districts, regions)
    assert row["region_kato"] is None and row["district_kato"] is None
    assert row["problem"] == "outside"


def test_declared_region_mismatch(districts, regions):
    # Almaty city centre declared as Almaty *region* (a common mix-up)
    row = _one(43.238, 76.945, districts, regions, declared=int(ALMATY_REGION))
    assert row["region_kato"] == ALMATY_CITY
    assert row["problem"] == "region_mismatch"
    assert _one(43.238, 76.945, districts, regions, declared="75")["problem"] is None


def test_missing_coordinates(districts, regions):
    assert _one(np.nan, 71.4, districts, regions)["problem"] == "no_coordinates"


def test_points_on_shared_border_get_one_district(districts, regions):
    a, c = districts.geometry.values[0], districts.geometry.values[1]
    border = shapely.intersection(a.boundary, c.boundary)
    if border.is_empty:
        pytest.skip("first two districts do not touch")
    p = shapely.get_coordinates(border)[0]
    row = _one(p[1], p[0], districts, regions)
    assert row["district_kato"] in (districts["KATO"].iloc[0], districts["KATO"].iloc[1])
    assert row["problem"] is None


def test_raw_layers_show_why_districts_were_reconciled(raw_districts, raw_regions, districts, regions):
    """A point in Astana region that the raw district layer puts in Akmola's Tselinograd."""
    astana = raw_regions.set_index("KATO").geometry[ASTANA]
    own = shapely.union_all(raw_districts[raw_districts["KATO"].str.startswith("71")].geometry.values)
    piece = max(shapely.get_parts(shapely.difference(astana, own)), key=lambda g: g.area)
    p = piece.representative_point()
    raw = _one(p.y, p.x, raw_districts, raw_regions)
    assert raw["region_kato"] == ASTANA and raw["district_kato"] == "116600000"
    assert raw["problem"] == "district_region_mismatch"
    clean = _one(p.y, p.x, districts, regions)
    assert clean["region_kato"] == ASTANA and clean["district_kato"].startswith("71")
    assert clean["problem"] is None


def test_osm_settlements_agree_with_fixture_join(settlements, districts, regions):
    pts = settlements.rename(columns={"ADM1_KATO": "declared_region_kato"})
    out = assign_points(pts, districts, regions)
    assert out["problem"].isna().all()
    assert (out["district_kato"] == out["ADM2_KATO"]).all()
    assert list(out.index) == list(pts.index) and "name" in out.columns
    assert problem_summary(out).empty


def test_ten_thousand_points_under_a_second(settlements, districts, regions):
    rng = np.random.default_rng(7)
    n = 10_000 - len(settlements)
    extra = pd.DataFrame({"lat": rng.uniform(40.5, 55.5, n), "lon": rng.uniform(46.5, 87.3, n)})
    pts = pd.concat([settlements[["lat", "lon"]], extra], ignore_index=True)
    start = time.perf_counter()
    out = assign_points(pts, districts, regions)
    counts = out.groupby("region_kato").size()
    elapsed = time.perf_counter() - start
    assert len(out) == 10_000 and counts.sum() > 8_157
    assert elapsed < 1.0
    assert set(out["problem"].dropna()) <= {"outside"}  # random points in the bbox may be abroad


def test_problem_values_documented(districts, regions):
    pts = pd.DataFrame({"lat": [43.0, np.nan, 51.128], "lon": [50.0, 1.0, 71.43],
                        "declared_region_kato": [None, None, "190000000"]})
    out = assign_points(pts, districts, regions)
    assert set(out["problem"].dropna()) <= set(PROBLEMS)
    assert problem_summary(out).set_index("problem")["points"].to_dict() == {
        "outside": 1, "no_coordinates": 1, "region_mismatch": 1}


@pytest.mark.parametrize("value, expected", [
    (100000000, "100000000"), (1e8, "100000000"), ("10", "100000000"), (" 710000000 ", "710000000"),
    (None, None), (np.nan, None), ("", None), (pd.NA, None),
])
def test_normalise_kato(value, expected):
    assert normalise_kato(value) == expected
