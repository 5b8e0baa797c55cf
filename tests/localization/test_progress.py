"""Tests for localization.core.progress (sdg-methods §2.3a, Open SDG 2.4 / Statistics Canada).

Expected numbers are recomputed by hand in the comments; the 2-decimal figures
are the ones printed in sdg-methods §2.3a.
"""

import math
import sys
from pathlib import Path

import pytest

# The editable install maps no packages and ``-p no:django`` skips pytest-django's
# path setup, so make the repository root importable (no-op when it already is).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from localization.core.progress import (  # noqa: E402
    STATUSES,
    SUMMARY_CLASSES,
    ProgressResult,
    indicator_status,
    limit_factor,
    progress_status,
    score_with_target,
    score_without_target,
    status_from_score,
    status_with_target,
    summarize,
    summary_class,
    time_distance,
)

# --------------------------------------------------------------------------- method 2 (target)


def test_poverty_worked_example_moderate():
    # CAGR_obs = 0.75^(1/8) − 1 = −3.53 %; CAGR_req = 0.5^(1/15) − 1 = −4.52 %;
    # R = (+1)(−1)(−0.03532)/0.04516 = 0.782 → moderate; score 7.1429·0.7822 − 4.2857 = 1.30
    r = progress_status({2015: 6.0, 2023: 4.5}, -1, target=3.0)
    assert r.method == "target"
    assert r.cagr_observed == pytest.approx(-0.0353, abs=5e-5)
    assert r.cagr_observed == pytest.approx(0.75 ** (1 / 8) - 1, rel=1e-12)
    assert r.cagr_required == pytest.approx(-0.0452, abs=5e-5)
    assert r.cagr_required == pytest.approx(0.5 ** (1 / 15) - 1, rel=1e-12)
    assert r.ratio == pytest.approx(0.782, abs=5e-4)
    assert r.status == "moderate_progress"
    assert r.summary == "limited_progress"
    assert r.score == pytest.approx(1.30, abs=0.005)
    assert r.score == pytest.approx(7.1429 * r.ratio - 4.2857, rel=1e-12)
    assert (r.base_year, r.base_value, r.current_year, r.current_value) == (2015, 6.0, 2023, 4.5)
    assert (r.target, r.target_year, r.direction) == (3.0, 2030, -1)
    assert r.growth is None and r.limit_factor is None and r.reason is None


def test_poverty_worked_example_deterioration():
    # CAGR_obs = 1.1^(1/8) − 1 = +1.199 %; R = −0.011985/0.045158 = −0.265; score 4.1667·R − 2.5 = −3.61
    r = progress_status({2015: 6.0, 2023: 6.6}, -1, target=3.0)
    assert r.ratio == pytest.approx(-0.265, abs=5e-4)
    assert r.status == "deterioration"
    assert r.summary == "reversed"
    assert r.score == pytest.approx(-3.61, abs=0.005)


def test_target_achieved_scores_five():
    # current 2.9 ≤ target 3.0 (lower is better) → achieved, score 5 even though R would be < 0.95
    r = progress_status({2015: 6.0, 2020: 5.0, 2023: 2.9}, -1, target=3.0)
    assert r.status == "target_achieved"
    assert r.summary == "on_track"
    assert r.score == 5
    # higher is better: 96 ≥ 95 achieved
    up = progress_status({2015: 80.0, 2023: 96.0}, 1, target=95.0)
    assert up.status == "target_achieved" and up.score == 5
    # same numbers, wrong direction: not achieved
    assert progress_status({2015: 80.0, 2023: 96.0}, -1, target=95.0).status == "deterioration"


def test_method_two_status_cut_offs():
    assert status_with_target(0.95) == "substantial_progress"
    assert status_with_target(0.9499) == "moderate_progress"
    assert status_with_target(0.6) == "moderate_progress"
    assert status_with_target(0.5999) == "limited_progress"
    assert status_with_target(0.0) == "limited_progress"
    assert status_with_target(-0.0001) == "deterioration"


def test_target_met_exactly_counts_as_achieved():
    assert progress_status({2015: 6.0, 2023: 3.0}, -1, target=3.0).status == "target_achieved"
    assert progress_status({2015: 60.0, 2023: 95.0}, 1, target=95.0).status == "target_achieved"


def test_method_two_score_is_capped():
    # 6.0 → 3.3 in one year: R = (0.55 − 1)·(−1)/0.04516 ≈ 9.96 → substantial, score capped at 5
    r = progress_status({2015: 6.0, 2016: 3.3}, -1, target=3.0)
    assert r.status == "substantial_progress"
    assert r.score == 5
    assert score_with_target(0.95) == pytest.approx(2.500055, abs=1e-9)
    assert score_with_target(-10) == -5


def test_zero_target_replaced():
    # target 0 → 0.001; 10 → 5 over 5 years vs 10 → 0.001 over 15 years
    r = progress_status({2015: 10.0, 2020: 5.0}, -1, target=0)
    assert r.target == 0.001
    expected_req = (0.001 / 10) ** (1 / 15) - 1
    assert r.cagr_required == pytest.approx(expected_req, rel=1e-12)
    assert r.ratio == pytest.approx(-(0.5 ** 0.2 - 1) / abs(expected_req), rel=1e-12)


# --------------------------------------------------------------------------- method 1 (no target)


def test_gasification_substantial():
    # g = 1.2^(1/8) − 1 = 2.31 %; C = 1 − 0.5^4.44 = 0.954; high = 1.5 %·C = 1.43 % → substantial;
    # score min(500·g/C − 5, 5) = min(7.08, 5) = 5
    r = progress_status({2015: 50.0, 2023: 60.0}, 1, limit=100)
    assert r.method == "no_target"
    assert r.growth == pytest.approx(0.0231, abs=5e-5)
    assert r.limit_factor == pytest.approx(0.954, abs=5e-4)
    assert r.limit_factor == pytest.approx(1 - 0.5**4.44, rel=1e-12)
    assert r.status == "substantial_progress"
    assert r.score == 5


def test_gasification_near_limit_moderate():
    # g = (96.5/95)^(1/8) − 1 = 0.196 %; C = 1 − 0.95^4.44 = 0.204; high 0.306 %, med 0.102 % → moderate;
    # score 250·g/C − 1.25 = 1.16
    r = progress_status({2015: 95.0, 2023: 96.5}, 1, limit=100)
    assert r.growth == pytest.approx(0.00196, abs=5e-6)
    assert r.limit_factor == pytest.approx(0.204, abs=5e-4)
    assert r.status == "moderate_progress"
    assert r.score == pytest.approx(1.16, abs=0.005)
    assert r.score == pytest.approx(250 * r.growth / r.limit_factor - 1.25, rel=1e-12)


def test_gasification_without_limit_is_limited():
    # C = 1: 0 ≤ 0.196 % < 0.5 % → limited; score 500·g − 2.5 = −1.52
    r = progress_status({2015: 95.0, 2023: 96.5}, 1)
    assert r.status == "limited_progress"
    assert r.limit_factor is None
    assert r.score == pytest.approx(500 * r.growth - 2.5, rel=1e-12)
    assert r.score == pytest.approx(-1.52, abs=0.005)


def test_limit_factor_branches():
    assert limit_factor(50, 100) == pytest.approx(1 - 0.5**4.44)
    assert limit_factor(150, 100) == pytest.approx(1 - 0.5**4.44)  # (2L − y0)/L = 0.5
    assert limit_factor(200, 100) == 1.0
    assert limit_factor(100, 100) == 0.0
    assert limit_factor(-50, -100) == pytest.approx(1 - 0.5**4.44)


def test_method_one_scores():
    assert score_without_target(-0.01) == pytest.approx(-3.75)  # 125·(−0.01) − 2.5
    assert score_without_target(-1) == -5
    assert score_without_target(0.01) == pytest.approx(1.25)  # 250·0.01 − 1.25
    assert score_without_target(0.002) == pytest.approx(-1.5)  # 500·0.002 − 2.5
    assert score_without_target(0.0, 0.0) == 5  # at the limit and holding


def test_negative_values_flip_direction():
    # both negative: s = −1. −10 → −5 over 5 years, higher is better: CAGR = 0.5^(1/5) − 1 = −12.9 %,
    # g = (−1)(+1)(−0.129) = +12.9 % → substantial
    r = progress_status({2015: -10.0, 2020: -5.0}, 1)
    assert r.growth == pytest.approx(1 - 0.5**0.2, rel=1e-12)
    assert r.status == "substantial_progress"


def test_zero_base_replaced():
    r = progress_status({2015: 0.0, 2020: 1.0}, 1)
    assert r.base_value == 0.001
    assert r.growth == pytest.approx(1000**0.2 - 1, rel=1e-12)


# --------------------------------------------------------------------------- data preparation


def test_base_year_falls_forward_and_back():
    # no 2015 value → next year after it (2017); 2012 is ignored
    r = progress_status({2012: 9.0, 2017: 6.0, 2023: 4.5}, -1)
    assert (r.base_year, r.base_value) == (2017, 6.0)
    # all data before 2015 → first year
    r = progress_status({2010: 6.0, 2012: 5.0, 2014: 4.0}, -1)
    assert (r.base_year, r.current_year) == (2010, 2014)


def test_missing_values_are_ignored():
    r = progress_status({2015: None, 2016: math.nan, 2017: 6.0, 2020: 5.0, 2023: None}, -1)
    assert (r.base_year, r.current_year) == (2017, 2020)


def test_period_year_counts_as_first_year():
    r = progress_status({"2015-16": 6.0, "2023": 4.5}, -1, target=3.0)
    assert r.base_year == 2015 and r.ratio == pytest.approx(0.782, abs=5e-4)


def test_insufficient_data():
    one = progress_status({2023: 4.5}, -1, target=3.0)
    assert one.method == "insufficient_data"
    assert one.status is None and one.summary is None and one.score is None
    assert "at least 2 years" in one.reason
    # two points but only one at/after the base year → Open SDG cannot compute either
    late = progress_status({2010: 6.0, 2023: 4.5}, -1)
    assert late.method == "insufficient_data" and "only one year" in late.reason
    assert progress_status({}, 1).method == "insufficient_data"


def test_opposite_signs_are_insufficient():
    r = progress_status({2015: 2.0, 2020: -1.0}, 1)
    assert r.method == "insufficient_data" and "opposite signs" in r.reason


def test_duplicate_year_raises():
    with pytest.raises(ValueError, match="duplicate year 2015"):
        progress_status({2015: 1.0, "2015-16": 2.0}, 1)


def test_bad_direction_raises():
    with pytest.raises(ValueError, match="direction"):
        progress_status({2015: 1.0, 2016: 2.0}, 0)


# --------------------------------------------------------------------------- series breaks (KZ poverty)

# National poverty rate below the subsistence minimum, % (sdg-methods §2.3a and seed facts):
# 2.6 (2015), 5.2 (2022), 5.2 (2023), 5.0 (2024). CF target 5.0 for 2030.


def test_kz_poverty_without_break_is_deterioration():
    # g = (−1)·(2^(1/8) − 1) = −9.05 %/yr → deterioration; 125·g − 2.5 = −13.8 → floored at −5
    r = progress_status({2015: 2.6, 2023: 5.2}, -1)
    assert r.growth == pytest.approx(-(2 ** (1 / 8) - 1), rel=1e-12)
    assert r.growth == pytest.approx(-0.0905, abs=5e-5)
    assert r.status == "deterioration" and r.score == -5
    assert r.rebased_for_break is None


def test_kz_poverty_rebased_after_break():
    # Break in 2018 (definition change): 2015 < 2018 ≤ 2023 → re-base to the first year ≥ 2018 with
    # data, 2022 (5.2). 5.2 → 5.2: g = 0 → limited progress (0 ≤ g < 0.5 %), score 500·0 − 2.5 = −2.5.
    series = {2015: 2.6, 2022: 5.2, 2023: 5.2}
    r = progress_status(series, -1, series_breaks=[2018])
    assert r.rebased_for_break == 2018
    assert (r.base_year, r.base_value, r.current_year) == (2022, 5.2, 2023)
    assert r.growth == 0
    assert r.status == "limited_progress" and r.score == pytest.approx(-2.5)
    # with 2024 (5.0): g = −((5.0/5.2)^(1/2) − 1) = +1.942 % ≥ 1.5 % → substantial; 500·g − 5 = 4.71
    r = progress_status({**series, 2024: 5.0}, -1, series_breaks=[2018])
    assert r.growth == pytest.approx(1 - (5.0 / 5.2) ** 0.5, rel=1e-12)
    assert r.status == "substantial_progress"
    assert r.score == pytest.approx(4.71, abs=0.005)
    # the same data without the break: 2.6 → 5.0 over 9 years is still deterioration
    assert progress_status({**series, 2024: 5.0}, -1).status == "deterioration"


def test_kz_poverty_rebased_with_target():
    # Re-based to 2022: CAGR_obs = 0 (5.2 → 5.2), CAGR_req = (5.0/5.2)^(1/8) − 1 = −0.489 %;
    # R = 0 → limited progress, score 4.1667·0 − 2.5 = −2.5
    r = progress_status({2015: 2.6, 2022: 5.2, 2023: 5.2}, -1, target=5.0, series_breaks=[2018])
    assert r.cagr_required == pytest.approx((5.0 / 5.2) ** (1 / 8) - 1, rel=1e-12)
    assert r.ratio == 0
    assert r.status == "limited_progress" and r.score == pytest.approx(-2.5)


def test_breaks_outside_window_are_ignored_and_latest_break_wins():
    series = {2015: 2.6, 2019: 4.0, 2022: 5.2, 2024: 5.0}
    assert progress_status(series, -1, series_breaks=[2010, 2015, 2030]).rebased_for_break is None
    r = progress_status(series, -1, series_breaks=[2016, 2020])
    assert (r.rebased_for_break, r.base_year) == (2020, 2022)


def test_break_leaving_one_point_is_insufficient():
    r = progress_status({2015: 2.6, 2022: 5.2, 2023: 5.2}, -1, series_breaks=[2023])
    assert r.method == "insufficient_data"
    assert r.rebased_for_break == 2023
    assert "series break in 2023" in r.reason


# --------------------------------------------------------------------------- aggregation


def test_indicator_status_mean_of_scores():
    a = progress_status({2015: 6.0, 2023: 4.5}, -1, target=3.0)  # +1.3012
    b = progress_status({2015: 6.0, 2023: 6.6}, -1, target=3.0)  # −3.6058
    missing = progress_status({2023: 1.0}, -1)
    score, status = indicator_status([a, b, missing])
    assert score == pytest.approx((a.score + b.score) / 2)
    assert score == pytest.approx(-1.152, abs=5e-4)
    assert status == "limited_progress"  # −2.5 ≤ −1.15 < 0
    assert indicator_status([missing]) == (None, None)


def test_indicator_target_achieved_only_if_all_achieved():
    done = progress_status({2015: 6.0, 2023: 2.9}, -1, target=3.0)
    also_done = progress_status({2015: 50.0, 2023: 99.0}, 1, target=95.0)
    assert indicator_status([done, also_done]).status == "target_achieved"
    moderate = progress_status({2015: 6.0, 2023: 4.5}, -1, target=3.0)
    mixed = indicator_status([done, moderate])
    assert mixed.score == pytest.approx((5 + moderate.score) / 2)
    assert mixed.status == "substantial_progress"  # 3.15 ≥ 2.5


def test_status_from_score_bands():
    assert status_from_score(5) == "substantial_progress"
    assert status_from_score(2.5) == "substantial_progress"
    assert status_from_score(2.4999) == "moderate_progress"
    assert status_from_score(0) == "moderate_progress"
    assert status_from_score(-2.5) == "limited_progress"
    assert status_from_score(-2.51) == "deterioration"
    assert status_from_score(None) is None


def test_summary_class_mapping():
    assert [summary_class(s) for s in STATUSES] == [
        "on_track", "on_track", "limited_progress", "limited_progress", "reversed",
    ]
    assert summary_class(None) is None
    assert all(summary_class(c) == c for c in SUMMARY_CLASSES)
    with pytest.raises(ValueError):
        summary_class("great")


def test_summarize_regions():
    # 20 regions: 3 achieved + 4 substantial = 7 on track; 5 moderate + 3 limited = 8; 3 deteriorated; 2 no data
    statuses = (
        ["target_achieved"] * 3 + ["substantial_progress"] * 4 + ["moderate_progress"] * 5
        + ["limited_progress"] * 3 + ["deterioration"] * 3 + [None, "not_available"]
    )
    s = summarize(statuses)
    assert s["counts"] == {"on_track": 7, "limited_progress": 8, "reversed": 3}
    assert (s["n_assessed"], s["n_no_data"], s["n_total"]) == (18, 2, 20)
    assert s["shares"]["on_track"] == pytest.approx(7 / 18)


def test_summarize_reproduces_kazakhstan_shares():
    # 29 / 23 / 16 of 68 targets = 42.6 % / 33.8 % / 23.5 %
    s = summarize(["on_track"] * 29 + ["limited_progress"] * 23 + ["reversed"] * 16)
    assert [round(100 * s["shares"][c], 1) for c in SUMMARY_CLASSES] == [42.6, 33.8, 23.5]
    assert summarize([])["shares"]["on_track"] is None


def test_time_distance_worked_example():
    # path 6.0 (2015) → 3.0 (2030) reaches 4.5 in 2015 + 1.5/3·15 = 2022.5; actual 4.5 in 2023 → 0.5 years behind
    assert time_distance(2015, 6.0, 2030, 3.0, 2023, 4.5) == pytest.approx(-0.5)
    assert time_distance(2015, 6.0, 2030, 3.0, 2020, 4.5) == pytest.approx(2.5)  # ahead
    with pytest.raises(ValueError):
        time_distance(2015, 3.0, 2030, 3.0, 2020, 3.0)


def test_result_is_frozen():
    r = progress_status({2015: 6.0, 2023: 4.5}, -1, target=3.0)
    assert isinstance(r, ProgressResult)
    with pytest.raises(AttributeError):
        r.score = 0
