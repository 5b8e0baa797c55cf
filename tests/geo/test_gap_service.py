"""The gap service on the database: published figures with their lines, gap arithmetic, crosswalk estimates,
missing values, bounds, RSS (examples never used), targets, ranks and the composite index."""
import math

import pytest
from django.core.cache import cache

from geo import services
from geo.models import GapFigure, RssObservation, RssStandard, Settlement
from localization.models import District, Goal, Indicator, IndicatorValue, Region, RegionalTarget

ABAI, EAST_KAZ, ALMATY_REGION, ZHETYSU, KARAGANDA, ULYTAU = (
    "100000000", "630000000", "190000000", "330000000", "350000000", "620000000")
AKMOLA, TURKESTAN, ASTANA, KOSTANAY = "110000000", "610000000", "710000000", "390000000"
VNR = "000_e3cedfe4388e2973.txt"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    cache.clear()
    services.themes._LOCAL.__dict__.clear()
    yield
    cache.clear()
    services.themes._LOCAL.__dict__.clear()


def indicator(code, goal=1):
    return Indicator.objects.get_or_create(
        code=code, defaults={"sort_key": code, "goal": Goal.objects.get(number=goal), "unit": "PT", "unit_en": "Percent"})[0]


def add(ind, kato, year, value, territory="2024", area=None, status="official", line=1):
    region = Region.objects.get(kato=kato) if kato else None
    return IndicatorValue.objects.create(
        indicator=ind, region=region, area_code=area or (region.ref_area if region else ""), territory=territory,
        year=year, unit="PT", value=value, status=status, source_file=f"data/indicator_{ind.code}.csv",
        source_line=line)


@pytest.fixture
def figures(db):
    return services.load_published_figures()


@pytest.fixture
def poverty(db):
    """1-2-1 as the platform publishes it: 2021 with pre-2022 parents, 2023 on the 2024 territories (Astana missing)."""
    ind = indicator("1-2-1")
    add(ind, None, 2021, 5.2, territory="", line=244)
    add(ind, EAST_KAZ, 2021, 5.5, territory="pre2022", area="KZVOS", line=262)
    add(ind, ALMATY_REGION, 2021, 4.2, territory="pre2022", area="KZALM", line=251)
    add(ind, KARAGANDA, 2021, 3.2, territory="pre2022", area="KZKAR", line=255)
    add(ind, AKMOLA, 2021, 6.4, line=249)
    add(ind, TURKESTAN, 2013, 5.9, territory="pre2018", area="KZONT", line=80)
    for i, region in enumerate(Region.objects.exclude(kato=ASTANA)):
        add(ind, region.kato, 2023, 3.0 + i / 4, line=300 + i)
    return ind


# --------------------------------------------------------------------------- published figures


@pytest.mark.django_db
def test_published_figures_keep_their_exact_line_and_load_once(figures):
    assert figures["created"] > 30 and figures["skipped"] >= 2  # the ranges (9-10, 2-3 percent) are no values
    again = services.load_published_figures()
    assert (again["created"], again["updated"]) == (0, 0)
    turkestan = GapFigure.objects.get(kind="poverty", region__kato=TURKESTAN, year=2024)
    assert turkestan.value == 8.5 and turkestan.seed_file == VNR and turkestan.seed_line == 946
    assert turkestan.quote == "Turkestan (8.5 percent)"
    assert "line 946" in turkestan.source_text and "\u201cTurkestan (8.5 percent)\u201d" in turkestan.source_text
    karaganda = GapFigure.objects.get(kind="gasification", region__kato=KARAGANDA)
    assert karaganda.qualifier == "le" and karaganda.value == 3.4 and karaganda.year is None
    assert karaganda.period == "2015\u20132024"
    target = GapFigure.objects.get(kind="poverty", measure="target")
    assert (target.value, target.target_year, target.seed_line) == (5.0, 2030, 858)
    assert not GapFigure.objects.filter(value__in=[9, 10, 2, 3], kind="poverty", region__kato=TURKESTAN, year=None).exists()
    assert GapFigure.objects.filter(kind="rss", region__isnull=False).count() == 6


# --------------------------------------------------------------------------- poverty


@pytest.mark.django_db
def test_poverty_gap_arithmetic_with_sources(poverty, figures):
    tables = services.theme_tables()
    cells = services.region_cells(tables, 2023)
    akmola = Region.objects.get(kato=AKMOLA)
    rate = IndicatorValue.objects.get(indicator=poverty, region=akmola, year=2023).value
    c = cells[AKMOLA]
    assert c["poverty_rate"].value == pytest.approx(rate) and c["poverty_rate"].status == "official"
    assert c["poverty_target"].value == 5.0 and c["poverty_target"].status == "target_national"
    assert c["poverty_gap_pp"].value == pytest.approx(rate - 5.0)
    assert c["poverty_people_below"].value == pytest.approx(rate / 100 * akmola.population_total)
    assert c["poverty_gap_people"].value == pytest.approx((rate - 5.0) / 100 * akmola.population_total)
    assert "data/indicator_1-2-1.csv line" in c["poverty_rate"].source
    assert "004_a471b3897bac7629.txt line 858" in c["poverty_gap_pp"].source  # the target's source
    assert "1 January 2023" in c["poverty_people_below"].source  # the population's source


@pytest.mark.django_db
def test_missing_stays_missing_never_zero(poverty, figures):
    tables = services.theme_tables()
    astana = services.region_cells(tables, 2023)[ASTANA]
    assert "poverty_rate" not in astana or astana["poverty_rate"].value is None
    data = services.layer_data("poverty_rate", 2023)
    row = next(r for r in data.rows if r.kato == ASTANA)
    assert row.cell.missing and row.cell.value is None and row.text == "деректер жоқ"
    csv_row = next(r for r in services.layer_csv_rows(data) if r["region_kato"] == ASTANA)
    assert csv_row["value"] == "" and csv_row["source"] == ""
    # in the latest mode Astana has the VNR 2024 figure
    latest = services.region_cells(tables)[ASTANA]["poverty_rate"]
    assert latest.value == 2.7 and latest.year == 2024 and latest.status == "published"


@pytest.mark.django_db
def test_crosswalk_estimates_replace_old_territory_values(poverty):
    frame = services.indicator_series("1-2-1").frame
    rows = frame[frame["year"] == 2021].set_index("region")
    for kato, parent_value in [(ABAI, 5.5), (EAST_KAZ, 5.5), (ZHETYSU, 4.2), (ALMATY_REGION, 4.2),
                               (ULYTAU, 3.2), (KARAGANDA, 3.2)]:
        assert rows.at[kato, "status"] == "crosswalk", kato  # never shown as an official value
        assert rows.at[kato, "value"] == pytest.approx(parent_value)  # one old region feeds each: its rate
        assert "estimated from pre-2022 regions" in rows.at[kato, "source"]
        assert "pre-2022 territory" in rows.at[kato, "source"]
    assert rows.at[AKMOLA, "status"] == "official" and rows.at[AKMOLA, "value"] == 6.4
    other = services.indicator_series("1-2-1").other
    assert set(other["territory"]) == {"pre2022", "pre2018"}  # kept apart, for the record
    assert not ((frame["region"] == TURKESTAN) & (frame["year"] == 2013)).any()  # South Kazakhstan incl. Shymkent
    cell = services.layer_data("poverty_rate", 2021).rows
    abai = next(r for r in cell if r.kato == ABAI)
    assert abai.cell.is_estimate and abai.cell.status_label == "бағалау (шекараларды қайта есептеу)"


@pytest.mark.django_db
def test_official_value_on_the_new_territory_wins_over_the_estimate(poverty):
    add(poverty, ABAI, 2021, 7.7, line=999)  # a recalculated series on today's boundaries
    rows = services.indicator_series("1-2-1").frame
    abai = rows[(rows["region"] == ABAI) & (rows["year"] == 2021)]
    assert len(abai) == 1 and abai.iloc[0]["status"] == "official" and abai.iloc[0]["value"] == 7.7


@pytest.mark.django_db
def test_published_figure_never_overwrites_an_official_value(poverty, figures):
    add(poverty, TURKESTAN, 2024, 8.0, line=500)
    cell = services.region_cells(services.theme_tables(), 2024)[TURKESTAN]["poverty_rate"]
    assert cell.value == 8.0 and cell.status == "official"
    assert "VNR: 8.5" in cell.note and "line 946" in cell.note


@pytest.mark.django_db
def test_approved_regional_target_is_used(poverty, figures):
    region = Region.objects.get(kato=TURKESTAN)
    RegionalTarget.objects.create(indicator=poverty, region=region, base_year=2023, base_value=8.0, target_year=2030,
                                  target_value=6.0, status=RegionalTarget.Status.APPROVED)
    RegionalTarget.objects.create(indicator=poverty, region=Region.objects.get(kato=AKMOLA), base_year=2023,
                                  base_value=5.0, target_year=2030, target_value=1.0,
                                  status=RegionalTarget.Status.PROPOSED)  # not approved: not used
    cells = services.region_cells(services.theme_tables(), 2024)
    assert cells[TURKESTAN]["poverty_gap_pp"].value == pytest.approx(8.5 - 6.0)
    assert cells[TURKESTAN]["poverty_target"].status == "target_regional"
    assert cells[AKMOLA].get("poverty_target") is None or cells[AKMOLA]["poverty_target"].value == 5.0


# --------------------------------------------------------------------------- gasification


@pytest.mark.django_db
def test_gasification_bounds_pace_and_years(figures):
    gas = indicator("7-1-2", goal=7)
    add(gas, None, 2015, 42.98, territory="")
    add(gas, None, 2023, 60.0, territory="")
    add(gas, KOSTANAY, 2022, 30.0, status="verified")
    add(gas, KOSTANAY, 2024, 40.0, status="verified")
    tables = services.theme_tables()
    cells = services.region_cells(tables)
    karaganda = cells[KARAGANDA]
    assert karaganda["gas_share"].bound == "le" and karaganda["gas_share"].value == 3.4
    assert karaganda["gas_share"].text("gas_share", "en") == "\u2264\u00a03.4"
    assert karaganda["gas_gap_pp"].bound == "ge" and karaganda["gas_gap_pp"].value == pytest.approx(96.6)
    assert karaganda["gas_years"].value is None and karaganda["gas_years"].label == "insufficient data"
    assert "line 2306" in karaganda["gas_target"].source  # universal gasification, the VNR's goal
    kostanay = cells[KOSTANAY]
    assert kostanay["gas_share"].status == "verified" and kostanay["gas_share"].year == 2024
    assert kostanay["gas_pace"].value == pytest.approx(5.0)
    assert kostanay["gas_years"].value == pytest.approx(60.0 / 5.0)
    assert cells[AKMOLA].get("gas_share") is None  # no figure: no data
    national = services.national_cells(tables)
    assert national["gas_share"].value == 62.4 and national["gas_share"].year == 2024
    assert national["gas_pace"].value == pytest.approx((62.4 - 42.98) / 9)  # the VNR says "around 2.16"
    assert national["gas_years"].value == pytest.approx(37.6 / ((62.4 - 42.98) / 9))


# --------------------------------------------------------------------------- RSS


def _settlements(kato, n, population=(1000, 500, 200, 50)):
    region = Region.objects.get(kato=kato)
    district = District.objects.filter(region=region).first()
    return [Settlement.objects.create(name_ru=f"Посёлок {i}", type="village", population=population[i % len(population)],
                                      lat=50.0, lon=70.0, region=region, district=district, source="test registry")
            for i in range(n)]


@pytest.mark.django_db
def test_example_standards_never_enter_a_provision_figure(figures):
    services.load_example_catalogue()
    assert RssStandard.objects.filter(is_example=False).count() == 0
    places = _settlements(AKMOLA, 3)
    example = RssStandard.objects.get(code="EX-01")
    for s in places:
        RssObservation.objects.create(settlement=s, standard=example, year=2024, met=True, source="survey")
    assert services.rss_computed() == {}
    cells = services.region_cells(services.theme_tables())
    assert cells[AKMOLA].get("rss_provision") is None  # still no data
    top, year = services.priority_list(AKMOLA)
    assert top.empty and year is None


@pytest.mark.django_db
def test_rss_provision_mean_weighted_and_priorities(figures):
    a = RssStandard.objects.create(code="S1", name_kk="a", name_ru="a", name_en="a", settlement_types=["village"],
                                   is_example=False, source="order 2019")
    b = RssStandard.objects.create(code="S2", name_kk="b", name_ru="b", name_en="b", settlement_types=["village"],
                                   is_example=False, source="order 2019")
    s1, s2, s3, s4 = _settlements(AKMOLA, 4)  # populations 1000, 500, 200, 50
    for s, met_a, met_b in [(s1, True, True), (s2, True, False), (s3, False, False)]:
        RssObservation.objects.create(settlement=s, standard=a, year=2024, met=met_a, source="akimat survey")
        RssObservation.objects.create(settlement=s, standard=b, year=2024, met=met_b, source="akimat survey")
    # s4 is not assessed: unknown, not 0
    cells = services.region_cells(services.theme_tables())[AKMOLA]
    assert cells["rss_provision"].status == "computed"
    assert cells["rss_provision"].value == pytest.approx((100 + 50 + 0) / 3)  # official: mean over settlements
    assert cells["rss_weighted"].value == pytest.approx((100 * 1000 + 50 * 500 + 0 * 200) / 1700)
    assert cells["rss_gap"].value == pytest.approx(100 - 50)
    assert "akimat survey" in cells["rss_provision"].source
    top, year = services.priority_list(AKMOLA)
    assert year == 2024 and list(top["settlement_id"]) == [s3.pk, s2.pk, s1.pk]
    district = services.layer_data("rss_provision", level="district")
    row = next(r for r in district.rows if r.kato == s1.district.kato)
    assert row.cell.value == pytest.approx(50.0) and row.cell.status == "computed"
    # the published VNR figure stays the region's value where it exists
    astana = services.region_cells(services.theme_tables())[ASTANA]["rss_provision"]
    assert astana.value == 87.6 and astana.status == "published"


# --------------------------------------------------------------------------- ranks and composite index


@pytest.mark.django_db
def test_ranks_and_composite_index(poverty, figures):
    cells = services.region_cells(services.theme_tables())
    ranks = services.rankings(cells)
    index = {k: c["need_index"].value for k, c in cells.items() if c["need_index"].value is not None}
    assert index and all(0 <= v <= 100 for v in index.values())
    worst = max(index, key=index.get)
    assert ranks[worst]["need_index"] == 1
    # Karaganda: gasification ≤3.4 % is the largest gasification gap → 100 on that component
    assert cells[KARAGANDA]["norm_gas_gap_pp"].value == pytest.approx(100.0)
    # with a single component the index is that component's rescaled gap
    single = [k for k, c in cells.items() if c["need_index"].count == 1 and c["need_index"].value is not None]
    for k in single:
        comps = [cells[k][f"norm_{c}"].value for c in services.INDEX_COMPONENTS if cells[k][f"norm_{c}"].value is not None]
        assert cells[k]["need_index"].value == pytest.approx(comps[0])
    gaps = {k: c["poverty_gap_pp"].value for k, c in cells.items() if c.get("poverty_gap_pp") and c["poverty_gap_pp"].value is not None}
    assert ranks[max(gaps, key=gaps.get)]["poverty_gap_pp"] == 1


@pytest.mark.django_db
def test_default_map_year_is_the_latest_with_the_widest_coverage(poverty, figures):
    assert services.layer_data("poverty_rate").year == 2023  # 19 regions in 2023, 7 in 2024
    assert services.layer_data("gas_share").year == services.YEAR_LATEST  # only undated VNR figures
    assert services.layer_data("rss_provision").year == 2024


@pytest.mark.django_db
def test_tables_follow_data_changes(poverty, figures):
    before = services.region_cells(services.theme_tables(), 2023)[ASTANA].get("poverty_rate")
    assert before is None or before.value is None
    add(poverty, ASTANA, 2023, 1.9, line=777)
    after = services.region_cells(services.theme_tables(), 2023)[ASTANA]["poverty_rate"]
    assert after.value == 1.9


@pytest.mark.django_db
def test_format_numbers_in_the_page_language():
    assert services.fmt_number(1234567.891, 1, "ru") == "1\u00a0234\u00a0567,9"
    assert services.fmt_number(-2.25, 1, "en") == "\u22122.2" or services.fmt_number(-2.25, 1, "en") == "\u22122.3"
    assert services.fmt_number(float("nan"), 1, "kk") == ""
    assert services.fmt_number(-0.04, 1, "en") == "0.0"
    assert math.isinf(float("inf")) and services.fmt_number(float("inf")) == "\u221e"


@pytest.mark.django_db
def test_jobs_are_queued_and_a_worker_records_the_outcome_in_the_starters_language(task_queue):
    """A geo job goes onto the database queue; the worker loop runs it in the language of whoever started it and
    rolls back everything it wrote when it fails."""
    from django.utils import translation
    from django_tasks_db.models import DBTaskResult

    from geo.models import SettlementImport

    with translation.override("ru"):
        job = services.start_settlement_import(b"name,lat,lon\n", file_name="x.csv", source="test")
    assert job.status == SettlementImport.Status.PENDING
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"][:2] == ["geo.SettlementImport", job.pk] and task.args_kwargs["args"][-1] == "ru"
    task_queue()
    job.refresh_from_db()
    assert job.finished and job.finished_at is not None
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def _broken_job(job):
    Settlement.objects.create(name_en="half-written", lat=43.2, lon=76.9, source="test")
    services.jobs._set(job, done=1, total=2, message="step one")
    raise RuntimeError("boom")


@pytest.mark.django_db
def test_a_failing_job_leaves_the_data_as_before_and_the_job_failed(task_queue, monkeypatch):
    from geo.models import Recomputation

    before = Settlement.objects.count()
    job = Recomputation.objects.create(total=2)
    services.run_job(job, _broken_job)
    task_queue()
    job.refresh_from_db()
    assert job.status == Recomputation.Status.FAILED and job.errors == ["RuntimeError: boom"]
    assert Settlement.objects.count() == before  # the job's writes were rolled back
