"""Issue 10 "done when", on the real national data (fixtures/kazstat-sdg-data, imported once for this module)."""
import csv

import pytest
from django.utils import translation

from localization.models import Indicator, IndicatorValue, PublishedTarget, Region
from localization.services import imports
from localization.services.status import StatusBoard
from tests.localization.imported import national_import

pytestmark = pytest.mark.django_db
NATIONAL = imports.NATIONAL_REPOSITORY


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    with national_import(django_db_blocker) as run:
        yield run


@pytest.fixture(scope="module")
def board(national, django_db_blocker):
    with django_db_blocker.unblock():
        b = StatusBoard(Indicator.objects.select_related("goal"))
        # Evaluate everything once while the database is open.
        for ind in b.indicators:
            b.national(ind)
            for region in b.regions:
                b.regional(ind, region)
        yield b


def published_totals(code, series=None):
    """{year: value} of the national total rows of a national CSV (no area; every disaggregation empty or _T)."""
    path = NATIONAL / "data" / f"indicator_{code}.csv"
    out = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        dims = [c for c in reader.fieldnames if c not in ("Year", "Value", "UNIT_MEASURE", "REF_AREA", "SERIES")]
        first_series = None
        for row in reader:
            if row.get("REF_AREA") or any(row[c] not in ("", "_T") for c in dims) or row["Value"] == "":
                continue
            first_series = first_series if first_series is not None else row.get("SERIES", "")
            if row.get("SERIES", "") != (series if series is not None else first_series):
                continue
            out.setdefault(int(row["Year"][:4]), float(row["Value"]))
    return out


def test_most_indicators_with_two_years_of_national_data_are_assessed(board):
    with_two = [i for i in board.indicators if len({p.year for p in board.points(i) if not p.suspect}) >= 2]
    assessed = [i for i in with_two if board.national(i).status is not None]
    assert len(with_two) > 100
    assert len(assessed) / len(with_two) >= 0.60, (len(assessed), len(with_two))


def test_region_dashboards_show_a_real_mix_of_statuses(board):
    for region in board.regions:
        counts = board.region_summary(region)["counts"]
        assert sum(1 for n in counts.values() if n > 0) == 3, (region.kato, counts)
        assert board.region_summary(region)["n_assessed"] >= 20


def test_nothing_worse_than_its_base_is_achieved_or_on_track(board):
    checked = 0
    for ind in board.indicators:
        for row in [board.national(ind), *board.across_regions(ind)]:
            r = row.result
            if r is None or r.status is None:
                continue
            base = row.point(r.base_year)
            if ind.direction * (r.current_value - base.value) < 0:
                checked += 1
                assert row.status != "target_achieved" and row.summary != "on_track", (ind.code, row.region)
    assert checked > 50


@pytest.mark.parametrize("code", ["3-2-1", "3-2-2", "1-1-1"])
def test_national_values_equal_the_published_totals(board, code):
    ind = Indicator.objects.get(code=code)
    ours = {p.year: p.value for p in board.points(ind)}
    theirs = published_totals(code)
    assert theirs and ours == theirs
    regional = [r for r in board.regions if board.points(ind, r)]
    assert len(regional) >= 7


def test_1_2_1_uncf_target_is_measured_only_from_its_own_base_year(board):
    ind = Indicator.objects.get(code="1-2-1")
    assert ind.direction == -1 and ind.direction_source_kind == "statcan"
    target = PublishedTarget.objects.get(code="1-2-1", kind="national", source_ref__endswith=":858")
    assert target.citation.endswith("(004_a471b3897bac7629.txt:858)")
    row = board.national(ind)
    assert row.target_kind == "national" and row.target_source == target.citation
    # The platform's 2023 value (5.2) is the target's baseline, so the target is on this series; the series has
    # nothing after 2023, so progress toward it cannot be measured yet and it is never measured from 2015.
    assert row.point(2023).value == 5.2
    assert row.result.method != "target" and row.result.target_refused == "no_data_after_target_base"
    with translation.override("ru"):
        assert "2023" in row.reason
    # Aktobe and West Kazakhstan: poverty rose since 2015, so never "achieved" nor on track.
    for kato in ("150000000", "270000000"):
        r = board.regional(ind, Region.objects.get(kato=kato))
        assert r.trend == "worsening" and r.status == "deterioration" and r.target_kind is None


def test_4_2_1_855_is_flagged_suspect_and_reported(national, board):
    ind = Indicator.objects.get(code="4-2-1")
    value = IndicatorValue.objects.get(indicator=ind, year=2015, area_code="", dims="")
    assert value.value == 855 and value.suspect
    assert any("indicator_4-2-1.csv:34" in w and "855" in w for w in national.warnings)
    row = board.national(ind)
    assert 2015 not in row.series
    with translation.override("en"):
        assert "suspect" in row.point(2015).text


def test_kk_and_ru_reasons_are_not_english(board):
    english = {}
    with translation.override("en"):
        for ind in board.indicators:
            row = board.national(ind)
            if row.reason:
                english[ind.pk] = row.reason
    assert english
    for lang in ("kk", "ru"):
        with translation.override(lang):
            for ind in board.indicators:
                row = board.national(ind)
                if ind.pk in english:
                    assert row.reason != english[ind.pk], (lang, ind.code, row.reason)


def test_demo_check_reports_no_contradiction(board):
    import io

    from django.apps import apps

    out = io.StringIO()
    apps.get_app_config("localization")._demo_progress(out)
    text = out.getvalue()
    assert "0 on track while worse than their base year" in text
    assert "273 of 273 indicators have a direction" in text


@pytest.mark.parametrize("rule", ["relative", "uniform", "convergence"])
def test_5_b_1_regional_targets_never_exceed_100(board, make_user, rule):
    from localization.core.decomposition import DecompositionError
    from localization.models import Decomposition, RegionalTarget
    from localization.services import decomposition as targets_service

    ind = Indicator.objects.get(code="5-b-1")
    assert ind.direction == 1 and ind.bounds == (0.0, 100.0)
    stat = make_user("stat", role="statistics")
    years = sorted({p.year for r in board.regions for p in board.points(ind, r)})
    base_year = years[-1]
    inputs = targets_service.gather_inputs(ind, base_year)
    top = max(ri.base.value for ri in inputs.included)
    national_base = sum(ri.base.value * ri.weight for ri in inputs.included) / sum(ri.weight for ri in inputs.included)
    target = min(99.5, national_base + (100 - national_base) * 0.9)
    assert top * target / national_base > 100  # the relative rule alone would push the best region past 100 %
    try:
        dec = targets_service.run_decomposition(ind, user=stat, rule=rule, base_year=base_year, target_year=2030,
                                                national_target=target, gamma=0.5)
    except DecompositionError:
        assert rule != "relative"  # the relative rule is feasible here: the clamp holds the best regions at 100
        return  # refused with a message, nothing stored
    values = list(dec.targets.values_list("target_value", flat=True))
    assert values and all(0 <= v <= 100 for v in values)
    RegionalTarget.objects.filter(indicator=ind).delete()
    Decomposition.objects.filter(indicator=ind).delete()
