import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.core.gaps import (
    annual_pace,
    combine_sources,
    sources_by_group,
    composite_need_index,
    gasification_gaps,
    poverty_gaps,
    priority_settlements,
    rank_regions,
    rss_provision,
)

NaN = np.nan


# --------------------------------------------------------------------------- sources


def test_combine_sources():
    assert combine_sources(["BNS 2023", "OSM; BNS 2023", None, NaN]) == "BNS 2023; OSM"
    assert math.isnan(combine_sources([None, NaN]))


def test_sources_by_group():
    keys = pd.Series(["a", "a", "b", "b", "c", None])
    src = pd.Series(["OSM", "BNS; OSM", "BNS", "BNS", NaN, "x"])
    assert sources_by_group(keys, src).to_dict() == {"a": "BNS; OSM", "b": "BNS"}


# --------------------------------------------------------------------------- poverty


def _poverty():
    return pd.DataFrame({
        "region": ["A", "B", "C", "D", "E"],
        "year": 2023,
        "rate": [5.0, 2.5, 4.0, NaN, 6.0],
        "target": [3.0, 3.0, NaN, 3.0, 3.0],
        "population": [1_000_000, 200_000, 500_000, 100, NaN],
        "source": "BNS 1-2-1",
    })


def test_poverty_gaps_hand_computed():
    out = poverty_gaps(_poverty()).set_index("region")
    # A: 5.0 − 3.0 = 2.0 pp; 5.0/100 × 1,000,000 = 50,000 below; 2.0/100 × 1,000,000 = 20,000 to lift
    assert out.loc["A", ["gap_pp", "people_below", "gap_people"]].tolist() == pytest.approx([2.0, 50_000, 20_000])
    assert out.loc["A", "meets_target"] == False  # noqa: E712
    # B: 2.5 − 3.0 = −0.5 pp (better than target); 2.5 % × 200,000 = 5,000; −0.5 % × 200,000 = −1,000
    assert out.loc["B", ["gap_pp", "people_below", "gap_people"]].tolist() == pytest.approx([-0.5, 5_000, -1_000])
    assert out.loc["B", "meets_target"] == True  # noqa: E712
    # C: no target -> gap unknown, but 4 % × 500,000 = 20,000 below the minimum is known
    assert math.isnan(out.loc["C", "gap_pp"]) and math.isnan(out.loc["C", "gap_people"])
    assert out.loc["C", "people_below"] == pytest.approx(20_000)
    assert out.loc["C", "meets_target"] is pd.NA
    # D: no rate -> everything NaN, never 0
    assert out.loc["D", ["gap_pp", "people_below", "gap_people"]].isna().all()
    # E: 6 − 3 = 3 pp, but no population -> people unknown
    assert out.loc["E", "gap_pp"] == 3.0 and math.isnan(out.loc["E", "people_below"])
    assert (out["source"] == "BNS 1-2-1").all()


def test_poverty_gaps_validates_input():
    with pytest.raises(ValueError):
        poverty_gaps(_poverty().assign(rate=[120.0, 1, 1, 1, 1]))
    with pytest.raises(KeyError):
        poverty_gaps(_poverty().drop(columns="source"))
    out = poverty_gaps(_poverty().drop(columns=["target", "population"]))  # optional columns
    assert out["gap_pp"].isna().all() and out["people_below"].isna().all()


@given(rate=st.one_of(st.just(NaN), st.floats(0, 100)), target=st.one_of(st.just(NaN), st.floats(0, 100)),
       pop=st.one_of(st.just(NaN), st.floats(0, 1e7)))
@settings(max_examples=60, deadline=None)
def test_poverty_nan_propagation(rate, target, pop):
    row = poverty_gaps(pd.DataFrame({"region": ["X"], "year": [2023], "rate": [rate], "target": [target],
                                     "population": [pop], "source": ["s"]})).iloc[0]
    assert math.isnan(row["gap_pp"]) == (math.isnan(rate) or math.isnan(target))
    assert math.isnan(row["people_below"]) == (math.isnan(rate) or math.isnan(pop))
    if not math.isnan(row["gap_people"]):
        assert row["gap_people"] == pytest.approx(row["gap_pp"] / 100 * pop)


# --------------------------------------------------------------------------- gasification


def _gas():
    rows = [
        # A: 40 → 42 → 45: year-on-year +2, +3, mean 2.5 pp/yr = (45 − 40) / (2022 − 2020)
        ("A", 2020, 40.0, 60.0, 1_000_000), ("A", 2021, 42.0, 60.0, 1_000_000), ("A", 2022, 45.0, 60.0, 1_000_000),
        # B: 50 → (2021 missing) → 48: pace (48 − 50) / 2 = −1 pp/yr
        ("B", 2020, 50.0, 60.0, 300_000), ("B", 2021, NaN, 60.0, 300_000), ("B", 2022, 48.0, 60.0, 300_000),
        ("C", 2022, 70.0, 60.0, 100_000),  # already above target
        ("D", 2022, 30.0, NaN, 100_000),  # no target
        ("E", 2022, 30.0, 50.0, NaN),  # one year only: no pace
    ]
    df = pd.DataFrame(rows, columns=["region", "year", "share", "target", "population"])
    return df.assign(source="akimat report")


def test_gasification_hand_computed():
    out = gasification_gaps(_gas())
    a22 = out[(out.region == "A") & (out.year == 2022)].iloc[0]
    assert a22["gap_pp"] == 15.0  # 60 − 45
    assert a22["people_without_gas"] == pytest.approx(550_000)  # (100 − 45) % × 1,000,000
    assert a22["pace_pp_per_year"] == pytest.approx(2.5)
    assert a22["years_to_target"] == pytest.approx(6.0)  # 15 / 2.5
    assert a22["projection"] == "on track"
    a20 = out[(out.region == "A") & (out.year == 2020)].iloc[0]
    assert a20["years_to_target"] == pytest.approx(8.0)  # 20 / 2.5, same regional pace on every row

    b22 = out[(out.region == "B") & (out.year == 2022)].iloc[0]
    assert b22["pace_pp_per_year"] == pytest.approx(-1.0)
    assert b22["years_to_target"] == math.inf and b22["projection"] == "not at this pace"
    b21 = out[(out.region == "B") & (out.year == 2021)].iloc[0]
    assert math.isnan(b21["gap_pp"]) and math.isnan(b21["years_to_target"]) and math.isnan(b21["people_without_gas"])
    assert b21["projection"] == "insufficient data"

    c = out[out.region == "C"].iloc[0]
    assert c["gap_pp"] == -10.0 and c["years_to_target"] == 0.0 and c["projection"] == "target met"
    d = out[out.region == "D"].iloc[0]
    assert math.isnan(d["years_to_target"]) and d["projection"] == "no target"
    assert d["people_without_gas"] == pytest.approx(70_000)
    e = out[out.region == "E"].iloc[0]
    assert math.isnan(e["pace_pp_per_year"]) and math.isnan(e["years_to_target"])
    assert e["projection"] == "insufficient data" and math.isnan(e["people_without_gas"])
    assert (out["source"] == "akimat report").all()


def test_annual_pace_uses_the_whole_span():
    df = pd.DataFrame({"region": "A", "year": [2015, 2020, 2022], "share": [30.0, 40.0, 41.0]})
    # (41 − 30) / (2022 − 2015) = 11 / 7, not the mean of the interval rates (2 + 0.5) / 2
    assert annual_pace(df).loc["A"] == pytest.approx(11 / 7)


# --------------------------------------------------------------------------- RSS


@pytest.fixture()
def rss():
    catalogue = pd.DataFrame(
        [("S1", "village"), ("S2", "village"), ("S3", "village"), ("S4", "village")]
        + [(f"S{i}", "town") for i in range(1, 6)]
        + [("S1", "hamlet"), ("S2", "hamlet")],
        columns=["standard_id", "settlement_type"])
    settlements = pd.DataFrame([
        ("v1", "village", "D1", "R1", 1_000), ("v2", "village", "D1", "R1", 3_000), ("h1", "hamlet", "D1", "R1", NaN),
        ("t1", "town", "D2", "R1", 10_000), ("v3", "village", "D3", "R2", 500), ("h2", "hamlet", "D3", "R2", 50),
    ], columns=["settlement_id", "settlement_type", "district_kato", "region_kato", "population"]).assign(source="OSM")
    met = pd.DataFrame([
        ("v1", "S1", True), ("v1", "S2", True), ("v1", "S3", True), ("v1", "S5", True),  # S5 not for villages
        ("v2", "S1", True), ("v2", "S2", False),
        ("h1", "S1", True),
        *[("t1", f"S{i}", True) for i in range(1, 6)],
        ("h2", "S1", False), ("h2", "S2", False),
    ], columns=["settlement_id", "standard_id", "met"]).assign(source="RSS survey 2024")
    return rss_provision(settlements, met, catalogue)


def test_rss_settlement_provision(rss):
    s = rss.settlements.set_index("settlement_id")
    # v1: S1–S3 of 4 village standards (S5 ignored) = 75 %; v2: 1 of 4 = 25 %; h1: 1 of 2 = 50 %
    # t1: 5 of 5 = 100 %; v3: no assessment -> unknown (NaN, not 0); h2: 0 of 2 = 0 %
    assert s["provision"].to_dict() == pytest.approx(
        {"v1": 75.0, "v2": 25.0, "h1": 50.0, "t1": 100.0, "v3": NaN, "h2": 0.0}, nan_ok=True)
    assert s.loc["v2", "gap"] == 75.0
    assert s.loc["v1", "source"] == "OSM; RSS survey 2024" and s.loc["v3", "source"] == "OSM"


def test_rss_district_simple_vs_weighted(rss):
    d = rss.districts.set_index("district_kato")
    # D1 simple mean: (75 + 25 + 50) / 3 = 50
    # D1 weighted: h1 has no population -> (75 × 1,000 + 25 × 3,000) / 4,000 = 150,000 / 4,000 = 37.5
    assert d.loc["D1", "provision_mean"] == pytest.approx(50.0)
    assert d.loc["D1", "provision_weighted"] == pytest.approx(37.5)
    assert d.loc["D1", ["gap_mean", "gap_weighted"]].tolist() == pytest.approx([50.0, 62.5])
    assert d.loc["D1", ["settlements", "settlements_assessed", "settlements_weighted"]].tolist() == [3, 3, 2]
    # D3: only h2 is assessed: 0 %; v3 (unknown) is not counted as 0
    assert d.loc["D3", "provision_mean"] == 0.0 and d.loc["D3", "settlements_assessed"] == 1


def test_rss_region_simple_vs_weighted(rss):
    r = rss.regions.set_index("region_kato")
    # R1 simple: (75 + 25 + 50 + 100) / 4 = 62.5
    # R1 weighted: (75×1,000 + 25×3,000 + 100×10,000) / (1,000 + 3,000 + 10,000) = 1,150,000 / 14,000 = 82.142857…
    assert r.loc["R1", "provision_mean"] == pytest.approx(62.5)
    assert r.loc["R1", "provision_weighted"] == pytest.approx(1_150_000 / 14_000)
    assert r.loc["R1", "gap_weighted"] == pytest.approx(100 - 1_150_000 / 14_000)
    assert r.loc["R2", "gap_mean"] == 100.0
    assert r.loc["R1", "source"] == "OSM; RSS survey 2024"


def test_priority_settlements(rss):
    top = priority_settlements(rss, n=2)
    # R1 gaps: v2 75, h1 50, v1 25, t1 0 -> v2, h1; R2: h2 (100), v3 unknown is skipped
    assert top.groupby("region_kato")["settlement_id"].apply(list).to_dict() == {"R1": ["v2", "h1"], "R2": ["h2"]}
    assert top["priority"].tolist() == [1, 2, 1]


def test_priority_ties_prefer_larger_population():
    s = pd.DataFrame({"settlement_id": ["a", "b", "c"], "region_kato": "R", "gap": [50.0, 50.0, 10.0],
                      "population": [10, 1000, 5]})
    assert priority_settlements(s, n=2)["settlement_id"].tolist() == ["b", "a"]


# --------------------------------------------------------------------------- ranking & index


def _regions():
    return pd.DataFrame({
        "region": ["A", "B", "C", "D", "E"],
        "poverty": [10.0, 20.0, 15.0, NaN, 30.0],
        "gas": [80.0, 40.0, NaN, NaN, 60.0],
        "value": [10.0, 30.0, NaN, 30.0, 5.0],
        "source": ["BNS", "BNS", "BNS", "BNS; akimat", "akimat"],
    })


def test_rank_regions():
    out = rank_regions(_regions(), "value").set_index("region")
    # worst first: B and D (30) share rank 1, A (10) is 3rd, E (5) 4th, C unranked
    assert out["rank"].dropna().to_dict() == {"B": 1, "D": 1, "A": 3, "E": 4}
    assert out["rank"].isna()["C"]
    assert list(out.index) == ["B", "D", "A", "E", "C"] and (out["ranked"] == 4).all()
    better = rank_regions(_regions(), "value", higher_is_worse=False).set_index("region")
    assert better["rank"].dropna().to_dict() == {"E": 1, "A": 2, "B": 3, "D": 3}
    assert out.loc["D", "source"] == "BNS; akimat"


def test_composite_need_index_hand_computed():
    out = composite_need_index(_regions(), ["poverty", "gas"], higher_is_worse={"poverty": True, "gas": False})
    out = out.set_index("region")
    # poverty: min 10, max 30 -> A 0, B 50, C 25, E 100
    # gas (higher is better): min 40, max 80 -> A (80−80)/40 = 0, B (80−40)/40 = 100, E (80−60)/40 = 50
    assert out["norm_poverty"].to_dict() == pytest.approx({"A": 0, "B": 50, "C": 25, "D": NaN, "E": 100}, nan_ok=True)
    assert out["norm_gas"].to_dict() == pytest.approx({"A": 0, "B": 100, "C": NaN, "D": NaN, "E": 50}, nan_ok=True)
    # index = mean of available: A 0, B (50+100)/2 = 75, C 25 (1 component), D NaN (none), E (100+50)/2 = 75
    assert out["need_index"].to_dict() == pytest.approx({"A": 0, "B": 75, "C": 25, "D": NaN, "E": 75}, nan_ok=True)
    assert out["components_used"].to_dict() == {"A": 2, "B": 2, "C": 1, "D": 0, "E": 2}
    assert "source" in out.columns


def test_composite_weights_and_constant_component():
    df = _regions().assign(flat=7.0)
    out = composite_need_index(df, ["poverty", "gas", "flat"], {"poverty": True, "gas": False, "flat": True},
                               weights={"poverty": 3, "gas": 1, "flat": 1}).set_index("region")
    assert out["norm_flat"].isna().all()  # no spread -> left out
    assert out.loc["B", "need_index"] == pytest.approx((3 * 50 + 1 * 100) / 4)  # 62.5
    with pytest.raises(ValueError):
        composite_need_index(pd.concat([df, df]), ["poverty"])


@given(st.lists(st.one_of(st.just(NaN), st.floats(-1e6, 1e6)), min_size=1, max_size=20),
       st.lists(st.one_of(st.just(NaN), st.floats(0, 100)), min_size=20, max_size=20))
@settings(max_examples=80, deadline=None)
def test_composite_index_bounds(xs, ys):
    df = pd.DataFrame({"region": [f"r{i}" for i in range(len(xs))], "x": xs, "y": ys[:len(xs)], "source": "s"})
    out = composite_need_index(df, ["x", "y"])
    idx = out["need_index"].dropna()
    assert ((idx >= -1e-9) & (idx <= 100 + 1e-9)).all()
    assert (out["need_index"].isna() == (out["components_used"] == 0)).all()
    for c in ("x", "y"):
        norm = out[f"norm_{c}"].dropna()
        if len(norm):
            assert norm.min() == pytest.approx(0) and norm.max() == pytest.approx(100)
