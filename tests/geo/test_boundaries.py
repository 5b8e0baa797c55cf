import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from geo.core import boundaries as b
from geo.core import build

DERIVED = ["adm1_2024_clean", "adm2_2024_clean", "adm1_2024_web", "adm2_2024_web", "adm1_2018_clean"]
COUNTS = {"adm1_2024_clean": 20, "adm2_2024_clean": 224, "adm1_2024_web": 20, "adm2_2024_web": 224,
          "adm1_2018_clean": 17}


# ----------------------------------------------------------------- raw fixtures


def test_raw_layers_have_20_regions_and_224_districts_all_valid(raw_regions, raw_districts):
    assert len(raw_regions) == 20 and raw_regions["KATO"].is_unique
    assert len(raw_districts) == 224 and raw_districts["KATO"].is_unique
    assert raw_regions.is_valid.all() and raw_districts.is_valid.all()
    assert set(b.region_kato_of(raw_districts["KATO"])) == set(raw_regions["KATO"])


def test_raw_layers_are_not_a_clean_coverage(raw_regions, raw_districts):
    # the documented quirk that clean_coverage exists for
    assert not shapely.coverage_is_valid(raw_regions.geometry.values)
    assert not shapely.coverage_is_valid(raw_districts.geometry.values)
    assert b.validate_coverage(raw_regions)  # reports it


def test_raw_nesting_numbers(raw_districts, raw_regions):
    """Real numbers behind "districts nest in regions except Astana (99 %)"."""
    per_d, per_r = b.nesting_report(raw_districts, raw_regions)
    assert per_d["share_in_parent"].min() > 0.998  # worst: Talas 99.886 %, Tselinograd 99.895 %
    worst = per_d.nsmallest(2, "share_in_parent")["KATO"].tolist()
    assert set(worst) == {"316200000", "116600000"}
    astana = per_r.set_index("KATO").loc["710000000", "covered_by_own_districts"]
    assert 0.985 < astana < 0.995  # 99.04 %: ~7.8 km² of Astana is in Akmola's Tselinograd district
    others = per_r[per_r["KATO"] != "710000000"]["covered_by_own_districts"]
    assert others.min() > 0.9998  # Turkestan 99.988 %, Zhetysu 99.994 %


# ----------------------------------------------------------------- derived files


@pytest.mark.parametrize("name", DERIVED)
def test_derived_files_are_valid_coverages(name):
    gdf = b.load_fixture(name)
    assert len(gdf) == COUNTS[name]
    assert b.validate_coverage(gdf) == []
    assert shapely.coverage_is_valid(gdf.geometry.values)
    assert gdf.is_valid.all() and not gdf.is_empty.any()
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert gdf["KATO"].is_monotonic_increasing and gdf["KATO"].is_unique


@pytest.mark.parametrize("name", DERIVED)
def test_derived_files_leave_no_gap_between_units(name):
    """coverage_is_valid checks overlaps, not gaps: the union of the units must have no hole (a sliver left
    between two regions or districts would be one)."""
    union = shapely.union_all(b.load_fixture(name).geometry.values)
    parts = list(getattr(union, "geoms", [union]))
    holes = [ring for part in parts for ring in part.interiors]
    assert holes == []


def test_derived_codes_match_raw(raw_regions, raw_districts):
    assert set(b.load_fixture("adm1_2024_web")["KATO"]) == set(raw_regions["KATO"])
    web = b.load_fixture("adm2_2024_web")
    assert set(web["KATO"]) == set(raw_districts["KATO"])
    assert (web["ADM1_KATO"] == b.region_kato_of(web["KATO"])).all()


def test_web_sizes_within_limits():
    d = b.DERIVED_DIR
    assert (d / "adm1_2024_web.geojson").stat().st_size <= 300_000
    assert (d / "adm2_2024_web.geojson").stat().st_size <= 1_000_000
    for level in ("adm1", "adm2"):
        assert (d / f"{level}_2024_web.geojson").stat().st_size < (d / f"{level}_2024_clean.geojson").stat().st_size


def test_web_properties_are_compact():
    doc = json.loads((b.DERIVED_DIR / "adm2_2024_web.geojson").read_text(encoding="utf-8"))
    assert set(doc["features"][0]["properties"]) == set(b.DISTRICT_PROPERTIES)
    regions = json.loads((b.DERIVED_DIR / "adm1_2024_web.geojson").read_text(encoding="utf-8"))
    assert set(regions["features"][0]["properties"]) == set(b.REGION_PROPERTIES)
    coords = shapely.get_coordinates(shapely.from_geojson(json.dumps(doc["features"][0]["geometry"])))
    assert np.allclose(coords, np.round(coords, 4), atol=0, rtol=0)


@pytest.mark.parametrize("name", ["kz_adm1_2024", "adm1_2024_clean", "adm1_2024_web"])
def test_total_area_matches_official(name):
    total = b.area_km2(b.load_fixture(name)).sum()
    assert total == pytest.approx(b.OFFICIAL_AREA_KM2, rel=0.005)  # measured: 2,728,309 (+0.13 %)


def test_clean_region_areas_equal_raw(raw_regions, regions):
    raw = b.area_km2(raw_regions).set_axis(raw_regions["KATO"])
    clean = b.area_km2(regions).set_axis(regions["KATO"])
    assert np.allclose(clean[raw.index], raw, rtol=1e-5, atol=0.5)  # < 0.5 km² per region


def test_every_district_within_its_region_clean(districts, regions):
    per_d, per_r = b.nesting_report(districts, regions)
    assert per_d["share_in_parent"].min() >= 0.99  # the brief's bar; it is in fact exact:
    assert per_d["share_in_parent"].min() > 0.999999
    assert per_r["covered_by_own_districts"].min() > 0.999999  # Astana included after reconciliation


def test_web_districts_nest_in_web_regions():
    per_d, per_r = b.nesting_report(b.load_fixture("adm2_2024_web"), b.load_fixture("adm1_2024_web"))
    assert per_d["share_in_parent"].min() > 0.999999
    assert per_r["covered_by_own_districts"].min() > 0.999999


def test_reconciliation_moves_little(raw_districts, districts):
    raw = b.area_km2(raw_districts).set_axis(raw_districts["KATO"])
    clean = b.area_km2(districts).set_axis(districts["KATO"])
    change = (clean[raw.index] - raw).abs()
    assert change.max() < 15  # km²: Baydibek +13.8, Talas −13.8, Baikonyr +7.8, Tselinograd −7.8
    assert (change > 1).sum() == 5


def test_name_typos_fixed(districts):
    assert "Zhanasemey" in set(districts["ADM2_EN"]) and "Zharasemey" not in set(districts["ADM2_EN"])
    assert not districts["ADM2_RU"].str.contains("[A-Za-z]").any()


def test_build_is_deterministic_and_committed_files_are_current():
    blobs = build.build(write=False)
    for name, blob in blobs.items():
        assert (b.DERIVED_DIR / name).read_bytes() == blob, f"{name} is stale: run python -m geo.core.build"


# ----------------------------------------------------------------- functions on small inputs


def _gdf(geoms, katos=None):
    katos = katos or [f"{i + 1}0000000{i}"[:9] for i in range(len(geoms))]
    return gpd.GeoDataFrame({"KATO": katos}, geometry=list(geoms), crs="EPSG:4326")


def _messy():
    """Overlapping boxes, and a 0.0005°-wide sliver gap enclosed by the frame boxes."""
    return _gdf([box(0, 0, 1, 1), box(0.99, 0, 2, 1), box(2.0005, 0, 3, 1), box(0, 1, 3, 2), box(0, -1, 3, 0)])


def test_clean_coverage_removes_overlap_and_gap():
    g = _messy()
    assert not shapely.coverage_is_valid(g.geometry.values)
    clean = b.clean_coverage(g)
    assert shapely.coverage_is_valid(clean.geometry.values)
    assert clean.is_valid.all() and not clean.is_empty.any()
    union = shapely.union_all(clean.geometry.values)
    assert shapely.get_num_interior_rings(union) == 0  # sliver gap filled
    assert union.area == pytest.approx(9.0)
    assert shapely.area(clean.geometry.values).sum() == pytest.approx(9.0)  # no overlap left


def test_polygonize_fallback_gives_valid_coverage(raw_regions):
    out = b._clean_by_polygonize(_messy().geometry.values, 1e-6)
    assert shapely.coverage_is_valid(out) and shapely.is_valid(out).all()
    assert shapely.area(out).sum() == pytest.approx(9.0)
    real = b._clean_by_polygonize(raw_regions.geometry.values, 1e-6)
    assert shapely.coverage_is_valid(real) and not shapely.is_empty(real).any()


def test_round_coverage_keeps_validity(districts):
    rounded = b.round_coverage(districts, 5)
    assert shapely.coverage_is_valid(rounded.geometry.values)
    coords = shapely.get_coordinates(rounded.geometry.values)
    assert np.abs(coords * 1e5 - np.round(coords * 1e5)).max() < 1e-6


def test_simplify_coverage_is_topological():
    rng = np.random.default_rng(1)
    ys = np.linspace(0, 1, 201)
    xs = 1 + np.cumsum(rng.normal(0, 0.003, 201))
    left = shapely.Polygon([(0, 0), *zip(xs, ys), (0, 1)])
    right = box(0, 0, 3, 1).difference(left)
    ring = list(right.exterior.coords)[:-1]
    right = shapely.Polygon(ring[len(ring) // 2:] + ring[:len(ring) // 2])  # ring starts mid-border
    g = _gdf([left, right])
    assert shapely.coverage_is_valid(g.geometry.values)
    s = b.simplify_coverage(g, 0.01)
    assert shapely.coverage_is_valid(s.geometry.values)
    before = shapely.get_num_coordinates(g.geometry.values).sum()
    assert shapely.get_num_coordinates(s.geometry.values).sum() < before / 4
    # whereas simplifying each polygon on its own breaks the shared border
    assert not shapely.coverage_is_valid(shapely.simplify(g.geometry.values, 0.01))


def test_to_geojson_bytes_compact_and_deterministic():
    g = _gdf([box(0.123456789, 0, 1, 1)], ["100000000"]).assign(
        ADM1_EN="Abay", ADM1_KK="Абай", ADM1_RU="Абайская", ADM1_PCODE="KZ10", Year=2024)
    blob = b.to_geojson_bytes(g, precision=3)
    assert blob == b.to_geojson_bytes(g, precision=3)
    doc = json.loads(blob)
    assert doc["features"][0]["properties"] == {"KATO": "100000000", "ADM1_PCODE": "KZ10", "ADM1_EN": "Abay",
                                                "ADM1_KK": "Абай", "ADM1_RU": "Абайская"}
    ring = doc["features"][0]["geometry"]["coordinates"][0]
    assert [0.123, 0.0] in ring
    assert shapely.Polygon(ring).exterior.is_ccw  # RFC 7946 orientation
    assert b", " not in blob and b": " not in blob


def test_validate_coverage_reports_problems():
    overlap = _gdf([box(0, 0, 1, 1), box(0.5, 0, 2, 1)])
    assert any("not a valid coverage" in p for p in b.validate_coverage(overlap))
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    assert any("invalid" in p for p in b.validate_coverage(_gdf([bowtie])))
    assert any("empty" in p for p in b.validate_coverage(_gdf([shapely.Polygon()])))
    dup = _gdf([box(0, 0, 1, 1), box(1, 0, 2, 1)], ["1", "1"])
    assert any("duplicate KATO" in p for p in b.validate_coverage(dup))
    assert b.validate_coverage(_gdf([box(0, 0, 1, 1), box(1, 0, 2, 1)])) == []


def test_area_km2_of_one_degree_cell():
    # 1°×1° at the equator: 111.32 km × 110.57 km ≈ 12,309 km² (ellipsoid)
    cell = gpd.GeoSeries([box(70, 0, 71, 1)], crs="EPSG:4326")
    assert b.area_km2(cell).iloc[0] == pytest.approx(12_309, rel=0.005)
