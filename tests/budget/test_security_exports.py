"""Security 4: no CSV or XLSX cell the site writes starts a spreadsheet formula; numbers stay numbers."""
import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from budget import services
from budget.models import Stage
from localization.core import safecells
from localization.core.safecells import DANGEROUS_START, safe_cell
from localization.models import Goal, Indicator, IndicatorValue, Region
from tests.budget.helpers import admit, move, propose
from tests.test_api_support import api, no_throttle  # noqa: F401

PAYLOAD = "=cmd|' /C calc'!A0"
DIM_PAYLOAD = '=HYPERLINK("http://evil.example";"x")'  # "|" separates disaggregations, so a value cannot hold it
ASTANA = "710000000"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@given(st.text())
def test_safe_cell_never_leaves_a_formula(text):
    out = safe_cell(text)
    if out.startswith(DANGEROUS_START):
        assert out == text and _is_number(text)  # only a plain number may start with + or -
    assert out in (text, "'" + text)


@given(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                 st.decimals(allow_nan=False, allow_infinity=False)))
def test_numbers_are_never_changed(number):
    assert safe_cell(number) is number
    assert safe_cell(str(number)) == str(number)  # "-3.5", "-1E+3" stay numbers in a CSV


def test_worked_examples():
    assert safe_cell(PAYLOAD) == "'" + PAYLOAD
    assert [safe_cell(v) for v in ["+7 701", "-", "@SUM(A1)", "\tx", "\rx", "-12.5", "+3", "1e5", "a=b", ""]] == [
        "'+7 701", "'-", "'@SUM(A1)", "'\tx", "'\rx", "-12.5", "+3", "1e5", "a=b", ""]
    assert safe_cell(-4) == -4 and safe_cell(Decimal("-1.5")) == Decimal("-1.5") and safe_cell(None) is None
    buf = io.StringIO()
    safecells.writer(buf).writerows([[PAYLOAD, -1, "-2"]])
    assert buf.getvalue().strip() == "'=cmd|' /C calc'!A0,-1,-2" or buf.getvalue().startswith("\"'=cmd")


def _cells_of_csv(text):
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def _assert_no_formula(cells):
    bad = [c for c in cells if isinstance(c, str) and c.startswith(DANGEROUS_START) and not _is_number(c)]
    assert bad == []


@pytest.fixture
def closed_with_payload(make_cycle, make_resident, expert_for):
    cycle = make_cycle()
    expert = expert_for(cycle)
    p = propose(cycle, make_resident(), title=PAYLOAD)
    move(cycle, Stage.REVIEW)
    admit(p, expert)
    move(cycle, Stage.VOTING)
    bucket = cycle.buckets.get()
    services.cast_ballot(bucket, make_resident(), [p.pk])
    move(cycle, Stage.COUNTING)
    (result,) = services.close_cycle(cycle)
    return cycle, p, result


@pytest.mark.django_db
def test_budget_exports_neutralise_the_title(client, api, closed_with_payload):  # noqa: F811
    cycle, p, result = closed_with_payload
    with translation.override("en"):
        results_csv = client.get(reverse("budget:result_csv", args=[result.pk])).content.decode()
    api_proposals = api.get("/api/v1/budget/proposals/?format=csv").content.decode()
    api_results = api.get("/api/v1/budget/results/?format=csv").content.decode()
    for text in (results_csv, api_proposals, api_results):
        cells = _cells_of_csv(text)
        assert PAYLOAD not in cells
        _assert_no_formula(cells)
    for text in (results_csv, api_proposals):
        assert "'" + PAYLOAD in _cells_of_csv(text)  # shown, as text
    assert PAYLOAD.replace('"', '""') in api_results  # only inside the winners' JSON cell, which starts with [
    assert f"{p.pk},'{PAYLOAD},{p.cost},1,1" in results_csv.replace('"', "")


@pytest.fixture
def formula_values(db):
    indicator = Indicator.objects.create(code="99-9-9", sort_key="99.09.09", goal=Goal.objects.get(number=1),
                                         title_en="Test", unit="PT")
    region = Region.objects.get(kato=ASTANA)
    IndicatorValue.objects.create(indicator=indicator, region=region, area_code=region.ref_area, year=2020,
                                  dims=f"SERIES={DIM_PAYLOAD}", disaggregation={"SERIES": DIM_PAYLOAD}, value=-3.5)
    IndicatorValue.objects.create(indicator=indicator, region=region, area_code=region.ref_area, year=2021,
                                  dims="SERIES=+7", disaggregation={"SERIES": "+7"}, value=-0.25)
    return indicator


@pytest.mark.django_db
def test_values_csv_and_xlsx_downloads(client, formula_values):
    text = client.get("/en/data/download/?format=csv&indicator=99-9-9").content.decode()
    cells = _cells_of_csv(text)
    _assert_no_formula(cells)
    assert "'" + DIM_PAYLOAD in cells and "-3.5" in cells and "-0.25" in cells
    book = load_workbook(io.BytesIO(client.get("/en/data/download/99-9-9.xlsx").content))
    values = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    _assert_no_formula(values)
    assert "'" + DIM_PAYLOAD in values and -3.5 in values and -0.25 in values  # numbers stay numbers
    archive = zipfile.ZipFile(io.BytesIO(client.get("/en/data/download/?format=csv").content))
    for name in archive.namelist():
        if name.endswith(".csv"):
            _assert_no_formula(_cells_of_csv(archive.read(name).decode()))


@pytest.mark.django_db
def test_api_values_csv(api, formula_values):  # noqa: F811
    text = api.get(f"/api/v1/values/?indicator=99-9-9&region={ASTANA}&format=csv").content.decode()
    cells = _cells_of_csv(text)
    _assert_no_formula(cells)
    assert "-3.5" in cells
