"""Status service: statuses from IndicatorValue rows equal the numeric core's, with the right inputs.

Hand-computed numbers are in the comments; the worked examples are those of sdg-methods §2.3a.
"""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from localization.core.progress import progress_status
from localization.models import Goal, Indicator, IndicatorValue, Region, RegionalTarget
from localization.services.status import StatusBoard, choose_headline, fmt, regions_phrase

pytestmark = pytest.mark.django_db

ASTANA, ALMATY, SHYMKENT, ABAI = "710000000", "750000000", "790000000", "100000000"


def make_indicator(code="1-2-1", goal=1, **fields):
    fields.setdefault("direction", -1)
    fields.setdefault("title_en", f"Indicator {code}")
    fields.setdefault("unit", "PT")
    return Indicator.objects.create(code=code, sort_key=code.zfill(12), goal=Goal.objects.get(number=goal), **fields)


def put(indicator, region, series: dict, *, unit=None, dims="", status="official", territory="2024",
        area_code=None, series_code="", source_file=None, first_line=2):
    """Store a series {year: value}; region None = national. Each row gets a file:line source."""
    unit = unit if unit is not None else (indicator.unit or "PT")
    if isinstance(region, str):
        region = Region.objects.get(kato=region)
    rows = []
    for n, (year, value) in enumerate(sorted(series.items()), start=first_line):
        rows.append(IndicatorValue(
            indicator=indicator, region=region,
            area_code=area_code if area_code is not None else (region.ref_area if region else ""),
            territory=territory, year=year, unit=unit, series=series_code, dims=dims, value=value, status=status,
            source_file="" if status == "unverified" else (source_file or f"data/indicator_{indicator.code}.csv"),
            source_line=None if status == "unverified" else n))
    IndicatorValue.objects.bulk_create(rows)


# --------------------------------------------------------------------------------------------- equals the core


def test_national_with_target_equals_core_and_worked_example():
    ind = make_indicator(target_value=3.0, target_year=2030)
    put(ind, None, {2015: 6.0, 2023: 4.5})
    row = StatusBoard([ind]).national(ind)
    assert row.result == progress_status({2015: 6.0, 2023: 4.5}, -1, target=3.0, target_year=2030)
    # CAGR_obs = 0.75^(1/8) − 1 = −3.53 %; CAGR_req = 0.5^(1/15) − 1 = −4.52 %; R = 0.782 → moderate, score 1.30
    assert row.result.ratio == pytest.approx(0.782, abs=5e-4)
    assert row.status == "moderate_progress" and row.summary == "limited_progress"
    assert row.score == pytest.approx(1.30, abs=0.005)
    assert row.target_kind == "national" and row.trend == "improving"
    with translation.override("en"):
        inputs = dict(row.inputs())
    assert inputs["base year"] == "2015" and inputs["current value"] == "4.5" and inputs["R"] == "0.782"
    assert inputs["target value"] == "3 (2030)" and inputs["score"] == "1.3"


def test_regional_without_target_with_limit_equals_core():
    # Gasification, d = +1, limit 100, no target: 95 → 96.5 over 8 years: g = 0.196 %, C = 0.204 → moderate, +1.16
    ind = make_indicator("7-1-2", goal=7, direction=1, limit=100.0, unit="PT")
    put(ind, ASTANA, {2015: 95.0, 2023: 96.5})
    astana = Region.objects.get(kato=ASTANA)
    row = StatusBoard([ind]).regional(ind, astana)
    assert row.result == progress_status({2015: 95.0, 2023: 96.5}, 1, limit=100.0)
    assert row.result.method == "no_target" and row.target_kind is None
    assert row.result.growth == pytest.approx(0.00196, abs=5e-6)
    assert row.result.limit_factor == pytest.approx(0.204, abs=5e-4)
    assert row.status == "moderate_progress" and row.score == pytest.approx(1.16, abs=0.005)
    with translation.override("en"):
        inputs = dict(row.inputs())
    assert inputs["g"] == "0.2 %" and inputs["C"] == "0.204"


def test_without_target_without_limit():
    # 50 → 60 over 8 years: g = 1.2^(1/8) − 1 = 2.31 % ≥ 1.5 % → substantial, score min(500·0.0231 − 5, 5) = 5
    ind = make_indicator("6-1-9", goal=6, direction=1)
    put(ind, None, {2015: 50.0, 2019: 55.0, 2023: 60.0})
    row = StatusBoard([ind], regions=[]).national(ind)
    assert row.result == progress_status({2015: 50.0, 2019: 55.0, 2023: 60.0}, 1, bounds=(0.0, 100.0))
    assert row.result.growth == pytest.approx(1.2 ** (1 / 8) - 1, rel=1e-12)
    assert row.status == "substantial_progress" and row.score == 5.0


def test_series_break_rebases_the_calculation():
    # Without the break 2.6 (2015) → 5.0 (2023) is deterioration (g = −(5/2.6)^(1/8) + 1 = −8.5 %, score −5).
    # With a break in 2019 the base moves to 2019: 5.6 → 5.0 in 4 years, g = 1 − (5/5.6)^(1/4) = 2.79 % → substantial.
    series = {2015: 2.6, 2017: 2.7, 2019: 5.6, 2023: 5.0}
    plain = make_indicator("1-2-2")
    put(plain, None, series)
    broken = make_indicator("1-2-3", series_breaks=[2019])
    put(broken, None, series)
    board = StatusBoard([plain, broken], regions=[])
    before = board.national(plain)
    assert before.status == "deterioration" and before.score == -5.0
    after = board.national(broken)
    assert after.result == progress_status(series, -1, series_breaks=[2019])
    assert after.result.rebased_for_break == 2019 and after.result.base_year == 2019
    assert after.result.growth == pytest.approx(1 - (5 / 5.6) ** 0.25, rel=1e-12)
    assert after.status == "substantial_progress" and after.breaks == (2019,)
    assert after.base_point.value == 5.6


def test_pre_2022_units_are_never_todays_regions_series():
    # Almaty region before (2018 territory, with Zhetysu) and after (2024 territory) the 2022 split: the old
    # unit's values are kept in the data but are not today's Almaty region (issue 10, item 6).
    ind = make_indicator("1-2-4", direction=1)
    put(ind, "190000000", {2015: 10.0, 2018: 12.0, 2021: 14.0}, territory="pre2022", area_code="KZALM")
    put(ind, "190000000", {2022: 9.0, 2023: 9.5}, territory="2024", area_code="KZALA")
    row = StatusBoard([ind]).regional(ind, Region.objects.get(kato="190000000"))
    assert [p.year for p in row.points] == [2022, 2023]
    assert row.result.base_year == 2022 and row.result.rebased_for_break is None
    assert row.result.growth == pytest.approx(9.5 / 9.0 - 1, rel=1e-12)
    assert IndicatorValue.objects.filter(indicator=ind, territory="pre2022").count() == 3


def test_regional_target_used_when_approved_else_national():
    ind = make_indicator("3-1-9", goal=3, target_value=3.0, target_year=2030)
    put(ind, ASTANA, {2015: 6.0, 2023: 4.5})
    put(ind, ALMATY, {2015: 6.0, 2023: 4.5})
    put(ind, SHYMKENT, {2015: 6.0, 2023: 4.5})
    astana, almaty, shymkent = (Region.objects.get(kato=k) for k in (ASTANA, ALMATY, SHYMKENT))
    RegionalTarget.objects.create(indicator=ind, region=astana, base_year=2015, base_value=6.0, target_year=2030,
                                  target_value=4.0, status="approved")
    RegionalTarget.objects.create(indicator=ind, region=almaty, base_year=2015, base_value=6.0, target_year=2030,
                                  target_value=1.0, status="proposed")  # not approved: ignored
    RegionalTarget.objects.create(indicator=ind, region=shymkent, base_year=2015, base_value=6.0, target_year=2030,
                                  target_value=5.0, status="rejected")
    board = StatusBoard([ind])
    a = board.regional(ind, astana)
    # Target 4.0: CAGR_req = (4/6)^(1/15) − 1 = −2.67 %; CAGR_obs = −3.53 %; R = 1.32 → substantial, score 5
    assert a.target_kind == "regional" and a.target_value == 4.0
    assert a.result == progress_status({2015: 6.0, 2023: 4.5}, -1, target=4.0, bounds=(0.0, 100.0),
                                       strict_base=True)
    assert a.result.ratio == pytest.approx((1 - 0.75 ** (1 / 8)) / (1 - (4 / 6) ** (1 / 15)), rel=1e-12)
    assert a.status == "substantial_progress"
    # The national target is the nation's: a region without a target of its own is assessed without one.
    for region in (almaty, shymkent):
        r = board.regional(ind, region)
        assert r.target_kind is None and r.result.method == "no_target" and r.status == "substantial_progress"


def test_newest_approved_target_is_in_force():
    ind = make_indicator("3-1-2", goal=3)
    put(ind, ASTANA, {2015: 6.0, 2023: 4.5})
    astana = Region.objects.get(kato=ASTANA)
    RegionalTarget.objects.create(indicator=ind, region=astana, base_year=2015, base_value=6.0, target_year=2030,
                                  target_value=4.0, status="approved")
    newer = RegionalTarget.objects.create(indicator=ind, region=astana, base_year=2015, base_value=6.0,
                                          target_year=2030, target_value=2.0, status="approved")
    row = StatusBoard([ind]).regional(ind, astana)
    assert row.regional_target == newer and row.target_value == 2.0


def test_direction_missing_means_not_assessed_with_a_reason():
    ind = make_indicator("5-5-1", goal=5, direction=None)
    put(ind, None, {2015: 1.0, 2020: 2.0})
    row = StatusBoard([ind], regions=[]).national(ind)
    assert row.result is None and row.status is None and row.has_data
    with translation.override("en"):
        assert row.status_label == "not assessed" and "direction" in row.reason


def test_one_year_is_insufficient_and_no_rows_is_no_data():
    ind = make_indicator("5-5-2", goal=5)
    put(ind, ASTANA, {2023: 1.0})
    board = StatusBoard([ind])
    one = board.regional(ind, Region.objects.get(kato=ASTANA))
    assert one.result.method == "insufficient_data" and one.status is None
    none = board.regional(ind, Region.objects.get(kato=ALMATY))
    assert not none.has_data and none.result is None
    with translation.override("en"):
        assert none.status_label == "no data" and one.status_label == "not assessed"


# --------------------------------------------------------------------------------------------- headline series


def test_headline_is_the_total_in_the_main_unit_and_series():
    ind = make_indicator("8-5-2", goal=8, direction=-1, unit="PT")
    put(ind, None, {2015: 5.0, 2023: 4.0}, first_line=2)
    put(ind, None, {2015: 90.0, 2023: 10.0}, dims="SEX=F", first_line=4)  # a disaggregation: not the headline
    put(ind, None, {2015: 500.0, 2023: 400.0}, unit="NUMBER", first_line=6)  # another unit
    put(ind, None, {2015: 7.0, 2023: 1.0}, series_code="SL_X", first_line=8)  # another series of the same unit
    board = StatusBoard([ind], regions=[])
    assert board.headline(ind) == ("PT", "")
    assert board.national(ind).series == {2015: 5.0, 2023: 4.0}


def test_headline_is_the_first_series_in_the_file_unless_the_officer_chose_one():
    ind = make_indicator("8-5-3", goal=8, unit="")
    put(ind, None, {2015: 5.0, 2016: 5.0}, unit="PT", series_code="A", first_line=10)
    put(ind, None, {2015: 1.0}, unit="NUMBER", first_line=2)
    put(ind, None, {2015: 5.0, 2016: 5.0, 2017: 5.0}, unit="PT", series_code="B", first_line=3)
    rows = StatusBoard([ind], regions=[])._rows[ind.pk]
    assert choose_headline(ind, rows) == ("NUMBER", "")
    ind.headline_unit, ind.headline_series = "PT", "A"
    assert choose_headline(ind, rows) == ("PT", "A")
    ind.headline_series = ""
    assert choose_headline(ind, rows) == ("PT", "B")


def test_sex_total_code_is_the_total():
    # 3.2.1 publishes its totals as SEX=_T (URBANISATION empty): they are the headline values.
    ind = make_indicator("3-2-9", goal=3, unit="PER_1000_LIVE_BIRTHS")
    put(ind, None, {2015: 9.0, 2023: 7.0}, dims="SEX=_T")
    put(ind, None, {2015: 10.0, 2023: 8.0}, dims="SEX=M", first_line=5)
    put(ind, ASTANA, {2015: 8.0, 2023: 6.5}, dims="SEX=_T")
    board = StatusBoard([ind])
    assert board.national(ind).series == {2015: 9.0, 2023: 7.0}
    assert board.regional(ind, Region.objects.get(kato=ASTANA)).series == {2015: 8.0, 2023: 6.5}


def test_duplicate_region_year_prefers_current_territory_and_official_values():
    ind = make_indicator("8-5-4", goal=8, direction=1)
    put(ind, ASTANA, {2022: 1.0}, territory="pre2022", area_code="KZAST-OLD")
    put(ind, ASTANA, {2022: 2.0}, territory="2024")
    put(ind, ASTANA, {2023: 3.0}, status="unverified", area_code="KZAST-X")
    put(ind, ASTANA, {2023: 4.0}, area_code="KZAST")
    points = StatusBoard([ind]).points(ind, Region.objects.get(kato=ASTANA))
    assert [(p.year, p.value) for p in points] == [(2022, 2.0), (2023, 4.0)]


def test_sources_are_file_and_line_or_entered_by_akimat():
    ind = make_indicator("8-5-5", goal=8)
    put(ind, ASTANA, {2022: 1.0, 2023: 2.0})
    put(ind, ALMATY, {2023: 2.0}, status="unverified")
    board = StatusBoard([ind], preview=True)  # unverified values only in an officer's preview
    assert not StatusBoard([ind]).points(ind, Region.objects.get(kato=ALMATY))
    with translation.override("en"):
        assert board.points(ind, Region.objects.get(kato=ASTANA))[1].source == "data/indicator_8-5-5.csv:3"
        assert board.points(ind, Region.objects.get(kato=ALMATY))[0].source == "entered by akimat, unverified"
    with translation.override("ru"):
        assert board.points(ind, Region.objects.get(kato=ALMATY))[0].source == "внесено акиматом, не проверено"


# --------------------------------------------------------------------------------------------- summaries and gaps


def _twenty_regions_indicator():
    """d = +1, no target, 2015 → 2023: 7 regions 100 → 120 (g = 2.3 %, on track), 5 regions 100 → 106
    (g = 0.73 %, moderate → limited progress), 3 regions 100 → 90 (deterioration → reversed), 5 without data."""
    ind = make_indicator("9-1-1", goal=9, direction=1, unit="IX")
    regions = list(Region.objects.order_by("kato"))
    assert len(regions) == 20
    plan = [120.0] * 7 + [106.0] * 5 + [90.0] * 3 + [None] * 5
    for region, latest in zip(regions, plan):
        if latest is not None:
            put(ind, region, {2015: 100.0, 2023: latest})
    put(ind, None, {2015: 100.0, 2023: 99.0})  # the country itself: deterioration
    return ind, regions


def test_across_regions_summary_counts_and_phrase():
    ind, regions = _twenty_regions_indicator()
    board = StatusBoard([ind])
    summary = board.regional_summary(ind)
    assert summary["counts"] == {"on_track": 7, "limited_progress": 5, "reversed": 3}
    assert (summary["n_assessed"], summary["n_no_data"], summary["n_total"]) == (15, 5, 20)
    assert summary["shares"]["on_track"] == pytest.approx(7 / 15)
    with translation.override("en"):
        assert regions_phrase(summary) == "7 of 20 regions on track or achieved"
    with translation.override("ru"):
        assert regions_phrase(summary) == "7 из 20 регионов: по плану или цель достигнута"
    # The national status is computed from national data, never averaged from the regions.
    assert board.national(ind).status == "deterioration"
    statuses = [board.regional(ind, r).status for r in regions]
    assert statuses.count("substantial_progress") == 7 and statuses.count("moderate_progress") == 5


def test_region_summary_and_goal_summaries():
    astana = Region.objects.get(kato=ASTANA)
    up = make_indicator("1-1-1", goal=1, direction=1, unit="IX")
    put(up, astana, {2015: 100.0, 2023: 120.0})  # on track
    down = make_indicator("1-1-2", goal=1, direction=1, unit="IX")
    put(down, astana, {2015: 100.0, 2023: 90.0})  # reversed
    other = make_indicator("2-1-1", goal=2, direction=1, unit="IX")
    put(other, astana, {2015: 100.0, 2023: 106.0})  # limited
    empty = make_indicator("2-1-2", goal=2, direction=1, unit="IX")  # no data
    board = StatusBoard([up, down, other, empty], regions=[astana])
    summary = board.region_summary(astana)
    assert summary["counts"] == {"on_track": 1, "limited_progress": 1, "reversed": 1} and summary["n_no_data"] == 1
    goals = {g["goal"].number: g for g in board.goal_summaries(astana)}
    assert goals[1]["counts"] == {"on_track": 1, "limited_progress": 0, "reversed": 1}
    assert goals[2]["counts"]["limited_progress"] == 1 and goals[2]["n_no_data"] == 1
    assert goals[2]["n_indicators"] == 2 and goals[2]["n_with_data"] == 1


def test_gap_uses_the_latest_common_year_and_direction():
    ind = make_indicator("1-2-5")
    put(ind, None, {2022: 5.2, 2023: 5.0})
    put(ind, ABAI, {2022: 4.0, 2023: 4.4, 2024: 4.1})  # 2024 has no national value
    gap = StatusBoard([ind]).gap(ind, Region.objects.get(kato=ABAI))
    # 2023: 4.4 − 5.0 = −0.6; lower is better → better than national; relative −0.6 / 5.0 = −12 %
    assert gap.year == 2023 and gap.difference == pytest.approx(-0.6) and gap.better is True
    assert gap.relative == pytest.approx(-0.12)
    with translation.override("en"):
        assert gap.difference_text == "−0.6" and gap.relative_text == "−12 %"


def test_fmt_is_localised():
    with translation.override("ru"):
        assert fmt(1234567.891) == "1\xa0234\xa0567,891"
        assert fmt(-0.5) == "−0,5"
    with translation.override("en"):
        assert fmt(0.78217) == "0.782" and fmt(12.0) == "12" and fmt(0.00012345) == "0.000123"


# --------------------------------------------------------------------------------------------- queries


def _load(n_years: int, n_indicators: int, offset: int = 0):
    regions = list(Region.objects.all())
    made = []
    for k in range(n_indicators):
        ind = make_indicator(f"11-{offset + k}-1", goal=11, direction=1, target_value=200.0, target_year=2030,
                             unit="IX")
        series = {2000 + y: 100.0 + y for y in range(n_years)}
        put(ind, None, series)
        for region in regions:
            put(ind, region, series)
            put(ind, region, series, dims="SEX=F")
        made.append(ind)
    return made


def _count_board_queries(indicators):
    board = StatusBoard(Indicator.objects.filter(pk__in=[i.pk for i in indicators]).select_related("goal"))
    with CaptureQueriesContext(connection) as ctx:
        for region in board.regions:
            board.region_summary(region)
        for ind in board.indicators:
            board.regional_summary(ind)
            board.national(ind)
            for region in board.regions:
                board.gap(ind, region)
    return len(ctx.captured_queries)


def test_board_queries_do_not_grow_with_data():
    small = _load(n_years=3, n_indicators=2)
    big = _load(n_years=15, n_indicators=10, offset=100)
    assert _count_board_queries(small) == _count_board_queries(big) == 5  # indicators, regions, values, targets, published targets
