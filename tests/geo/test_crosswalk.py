import math

import numpy as np
import pandas as pd
import pytest

from geo.core import boundaries as b
from geo.core.crosswalk import REFORM_2022, estimate_new_series, old_to_new_shares

NaN = np.nan
ABAI, ZHETYSU, ULYTAU = "100000000", "330000000", "620000000"
EAST_KAZ, ALMATY_REGION, KARAGANDA, AKMOLA, ASTANA = "630000000", "190000000", "350000000", "110000000", "710000000"


@pytest.fixture(scope="module")
def shares(old_regions, districts, district_population):
    return old_to_new_shares(old_regions, districts, district_population["total"])


@pytest.fixture(scope="module")
def shares_urban(old_regions, districts, district_population):
    return old_to_new_shares(old_regions, districts, district_population["total"],
                             urban_population=district_population["urban_total"])


def _sources_of(shares, new_kato):
    return shares[shares["new_kato"] == new_kato].set_index("old_kato")["share"]


@pytest.mark.parametrize("which", ["shares", "shares_urban"])
def test_shares_sum_to_one(which, request, old_regions):
    s = request.getfixturevalue(which)
    totals = s.groupby("old_kato")["share"].sum()
    assert set(totals.index) == set(old_regions["KATO"])  # all 17 old regions
    assert np.abs(totals - 1).max() < 1e-9
    assert set(s["new_kato"]) == set(b.load_fixture("adm1_2024_clean")["KATO"])  # all 20 new ones reached


@pytest.mark.parametrize("which", ["shares", "shares_urban"])
def test_new_regions_come_from_their_parents(which, request):
    s = request.getfixturevalue(which)
    for new, old in REFORM_2022.items():
        assert list(_sources_of(s, new).index) == [old]
    # 2023 people: Abai 610,189 of East Kazakhstan's 610,189 + 730,172 = 1,340,361 -> 0.4552
    assert _sources_of(s, ABAI)[EAST_KAZ] == pytest.approx(610_189 / 1_340_361, rel=1e-4)
    # Ulytau 221,395 of Karaganda's 221,395 + 1,134,753 -> 0.1633
    assert _sources_of(s, ULYTAU)[KARAGANDA] == pytest.approx(221_395 / 1_356_148, rel=1e-4)
    # Zhetysu ≈ 698,675 of 698,675 + 1,505,984 (minus ~95 people in a 7 km² border strip)
    assert _sources_of(s, ZHETYSU)[ALMATY_REGION] == pytest.approx(698_675 / 2_204_659, rel=1e-3)


def test_split_territories_come_from_the_parent(shares):
    area = b.area_km2(b.load_fixture("adm1_2024_clean")).set_axis(b.load_fixture("adm1_2024_clean")["KATO"])
    for new, old in REFORM_2022.items():
        row = shares[(shares["new_kato"] == new) & (shares["old_kato"] == old)].iloc[0]
        assert row["area_km2"] / area[new] > 0.9999


def test_unchanged_regions_map_one_to_one(shares_urban):
    for kato in ["150000000", "230000000", "550000000", "750000000", "790000000"]:
        rows = shares_urban[shares_urban["old_kato"] == kato]
        assert rows["new_kato"].tolist() == [kato] and rows["share"].iloc[0] == 1.0


def test_urban_refinement_fixes_astana_fringe(shares, shares_urban):
    # pure area weighting: 41 % of dense Esil district lies outside the 2018 Astana polygon
    assert _sources_of(shares, ASTANA)[AKMOLA] > 0.15
    assert AKMOLA not in _sources_of(shares_urban, ASTANA).index


def _toy_shares():
    # O1 (1,000 people in 2023): 600 now in N1, 400 in N2; O2 (1,600 people): all in N2
    return pd.DataFrame({"old_kato": ["O1", "O1", "O2"], "new_kato": ["N1", "N2", "N2"],
                         "share": [0.6, 0.4, 1.0], "population": [600.0, 400.0, 1600.0]})


def test_estimate_rate_hand_computed():
    old = pd.DataFrame({"old_kato": ["O1", "O2", "O1", "O2"], "year": [2020, 2020, 2021, 2021],
                        "value": [10.0, 20.0, NaN, 30.0], "source": "BNS"})
    out = estimate_new_series(old, _toy_shares()).set_index(["new_kato", "year"])
    # N1 2020: only O1 -> 10
    assert out.loc[("N1", 2020), "value"] == pytest.approx(10.0)
    # N2 2020: (10 × 400 + 20 × 1,600) / (400 + 1,600) = 36,000 / 2,000 = 18
    assert out.loc[("N2", 2020), "value"] == pytest.approx(18.0)
    # 2021: O1 unknown -> N1 NaN (coverage 0); N2 from O2 only = 30, coverage 1,600 / 2,000 = 0.8
    assert math.isnan(out.loc[("N1", 2021), "value"]) and out.loc[("N1", 2021), "weight_coverage"] == 0
    assert out.loc[("N2", 2021), "value"] == pytest.approx(30.0)
    assert out.loc[("N2", 2021), "weight_coverage"] == pytest.approx(0.8)
    assert out["estimated"].all()
    assert out["source"].str.contains("BNS").all() and out["source"].str.contains("pre-2022").all()


def test_estimate_rate_with_yearly_weights():
    old = pd.DataFrame({"old_kato": ["O1", "O2"], "year": 2020, "value": [10.0, 20.0], "weight": [2000.0, 1000.0]})
    out = estimate_new_series(old, _toy_shares()).set_index("new_kato")
    # w(O1→N2) = 0.4 × 2,000 = 800, w(O2→N2) = 1.0 × 1,000 = 1,000
    # N2 = (10 × 800 + 20 × 1,000) / 1,800 = 28,000 / 1,800 = 15.555…
    assert out.loc["N2", "value"] == pytest.approx(28_000 / 1_800)


def test_estimate_count_hand_computed():
    old = pd.DataFrame({"old_kato": ["O1", "O2", "O1", "O2"], "year": [2020, 2020, 2021, 2021],
                        "value": [1000.0, 500.0, NaN, 700.0]})
    out = estimate_new_series(old, _toy_shares(), kind="count").set_index(["new_kato", "year"])
    # N1 = 0.6 × 1,000 = 600; N2 = 0.4 × 1,000 + 1.0 × 500 = 900
    assert out.loc[("N1", 2020), "value"] == pytest.approx(600.0)
    assert out.loc[("N2", 2020), "value"] == pytest.approx(900.0)
    # a count with a missing contributor is unknown, not an undercount
    assert math.isnan(out.loc[("N2", 2021), "value"]) and math.isnan(out.loc[("N1", 2021), "value"])
    with pytest.raises(ValueError):
        estimate_new_series(old, _toy_shares(), kind="median")


def test_estimate_on_real_shares_keeps_unchanged_regions(shares_urban):
    old = pd.DataFrame({"old_kato": ["550000000", "630000000"], "year": 2020, "value": [5.0, 7.0]})
    out = estimate_new_series(old, shares_urban).set_index("new_kato")
    assert out.loc["550000000", "value"] == 5.0  # Pavlodar unchanged
    assert out.loc[ABAI, "value"] == 7.0 and out.loc[EAST_KAZ, "value"] == 7.0  # both halves inherit the rate
