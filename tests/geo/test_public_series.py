"""Maps read an indicator the way its statuses do: public means verified, the total is ``_T``, the headline
series is the statuses' one, and a suspect value is shown as published but never coloured or counted.

The property test drives random stored rows through both readers and asserts that a map never shows a figure
the status beside it did not use."""
import pytest
from django.core.cache import cache
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import services
from localization.models import Goal, Indicator, IndicatorValue, Region
from localization.services.status import StatusBoard

AKMOLA, KOSTANAY = "110000000", "390000000"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    services.themes._LOCAL.__dict__.clear()
    yield
    cache.clear()


def indicator(code="3-2-1", unit="PT"):
    return Indicator.objects.get_or_create(code=code, defaults={
        "sort_key": code, "goal": Goal.objects.get(number=int(code.split("-")[0])), "unit": unit,
        "unit_en": "Percent"})[0]


def add(ind, kato, year, value, *, dims="", series="", status="official", line=1, suspect=False):
    region = Region.objects.get(kato=kato) if kato else None
    return IndicatorValue.objects.create(
        indicator=ind, region=region, area_code=region.ref_area if region else "", territory="2024" if region else "",
        year=year, unit="PT", series=series, dims=dims, value=value, status=status, suspect=suspect,
        source_file=f"data/indicator_{ind.code}.csv", source_line=line)


def cell(code, kato, year=None):
    with translation.override("en"):
        data = services.layer_data(f"ind:{code}", year, lang="en")
    return next(r for r in data.rows if r.kato == kato), data


@pytest.mark.django_db
def test_unverified_values_stay_off_public_maps_but_show_in_the_preview():
    ind = indicator()
    add(ind, AKMOLA, 2022, 10.0)
    add(ind, AKMOLA, 2023, 12.0, status="unverified", line=0)
    public = services.indicator_series(ind.code).frame
    assert list(public["year"]) == [2022] and list(public["value"]) == [10.0]
    preview = services.indicator_series(ind.code, preview=True).frame
    assert list(preview["year"]) == [2022, 2023] and list(preview["status"]) == ["official", "unverified"]
    row, data = cell(ind.code, AKMOLA, 2023)
    assert row.cell.missing and row.text == "no data"
    ind2 = indicator("3-2-2")
    add(ind2, KOSTANAY, 2023, 7.0, status="unverified")
    assert ind2 not in services.indicators_with_regional_data()  # nothing public to map yet


@pytest.mark.django_db
def test_totals_coded_T_and_the_headline_series_are_what_the_map_shows():
    ind = indicator()
    add(ind, None, 2023, 9.0, dims="SERIES=SH_DYN_MORT|SEX=_T", series="SH_DYN_MORT", line=2)
    add(ind, None, 2023, 5.0, dims="SERIES=SH_DYN_IMRT|SEX=_T", series="SH_DYN_IMRT", line=40)
    add(ind, AKMOLA, 2023, 11.0, dims="SERIES=SH_DYN_MORT|SEX=_T", series="SH_DYN_MORT", line=3)
    add(ind, AKMOLA, 2023, 12.5, dims="SERIES=SH_DYN_MORT|SEX=F", series="SH_DYN_MORT", line=4)
    add(ind, AKMOLA, 2023, 6.0, dims="SERIES=SH_DYN_IMRT|SEX=_T", series="SH_DYN_IMRT", line=41)
    series = services.indicator_series(ind.code)
    assert series.series == "SH_DYN_MORT"  # the first series in the file, as the statuses choose
    assert list(series.national["value"]) == [9.0] and list(series.frame["value"]) == [11.0]
    row, _ = cell(ind.code, AKMOLA, 2023)
    assert row.cell.value == 11.0
    assert ind in services.indicators_with_regional_data()


@pytest.mark.django_db
def test_a_suspect_value_is_shown_as_published_and_never_coloured():
    ind = indicator("4-2-1")
    add(ind, AKMOLA, 2023, 855.0, suspect=True)
    add(ind, KOSTANAY, 2023, 85.5)
    series = services.indicator_series(ind.code)
    assert list(series.frame["value"]) == [85.5]
    assert list(series.suspect["value"]) == [855.0]
    row, data = cell(ind.code, AKMOLA, 2023)
    assert row.cell.value is None and row.cell.status == "suspect"
    assert row.text == "855.0 (as published, suspect)"
    assert data.values == [85.5]  # the colour scale never sees 855
    with translation.override("en"):
        csv_row = next(r for r in services.layer_csv_rows(data) if r["region_kato"] == AKMOLA)
    assert csv_row["value"] == "" and "suspect" in csv_row["text"] and "suspect" in csv_row["status"]


ROW = st.tuples(
    st.sampled_from([None, AKMOLA, KOSTANAY]),  # national or a region
    st.integers(2019, 2023),
    st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1)),
    st.sampled_from(["", "SEX=_T", "SEX=F", "SERIES=A", "SERIES=B|SEX=_T"]),
    st.sampled_from(["official", "verified", "unverified"]),
    st.booleans(),  # suspect
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=12), preview=st.booleans())
def test_the_map_shows_exactly_the_values_the_statuses_use(rows, preview):
    ind = indicator("5-5-1")
    IndicatorValue.objects.filter(indicator=ind).delete()
    for line, (kato, year, value, dims, status, suspect) in enumerate(rows, start=1):
        series = dims.split("SERIES=")[1].split("|")[0] if "SERIES=" in dims else ""
        IndicatorValue.objects.get_or_create(
            indicator=ind, year=year, area_code=Region.objects.get(kato=kato).ref_area if kato else "", unit="PT",
            series=series, dims=dims,
            defaults={"region": Region.objects.get(kato=kato) if kato else None, "value": value, "status": status,
                      "suspect": suspect, "territory": "2024" if kato else "", "source_line": line,
                      "source_file": "data/indicator_5-5-1.csv"})
    board = StatusBoard([ind], Region.objects.filter(kato__in=[AKMOLA, KOSTANAY]), preview=preview)
    series = services.indicator_series(ind.code, preview=preview)
    shown = {(r.region, int(r.year)): (r.value, r.status) for r in series.frame.itertuples()}
    used = {}
    for region in board.regions:
        for p in board.points(ind, region):
            if not p.suspect:
                used[(region.kato, p.year)] = (p.value, p.status)
    assert shown == used
    national = {int(r.year): r.value for r in series.national.itertuples()}
    assert national == {p.year: p.value for p in board.points(ind) if not p.suspect}
    if not preview:
        assert "unverified" not in set(series.frame["status"]) | set(series.national["status"])
