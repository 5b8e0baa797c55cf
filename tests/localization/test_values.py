"""Values entered by akimat officers (form and CSV/XLSX upload), verification, national indicator editing."""
import io

import pytest
from django.urls import reverse

from localization.forms.data import IndicatorForm
from localization.models import Indicator, IndicatorValue, Region
from localization.services import imports
from localization.services import values as value_service

from tests.localization.imported import national_import  # noqa: E402

pytestmark = pytest.mark.django_db

ABAI, ASTANA = "100000000", "710000000"


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker):
    """Indicator 1-2-1 of the national set, imported once for this module (each test is rolled back on top)."""
    with national_import(django_db_blocker, only=["1-2-1"]) as run:
        assert run.errors == []
        yield


@pytest.fixture
def indicator(imported, db):
    return Indicator.objects.get(code="1-2-1")


@pytest.fixture
def akim(make_user):
    return make_user("akim-abai", role="akimat", region=ABAI)


@pytest.fixture
def stat(make_user):
    return make_user("stat", role="statistics")


def entered():
    return IndicatorValue.objects.filter(entered_by__isnull=False)


def upload(client, kato, name, content, indicator="1-2-1", lang="en"):
    f = io.BytesIO(content.encode() if isinstance(content, str) else content)
    f.name = name
    return client.post(f"/{lang}/data/regions/{kato}/values/upload/", {"indicator": indicator, "file": f})


# ---------------------------------------------------------------------------------------------------------------
# entry by form


def test_akimat_officer_enters_a_value_for_own_region_as_unverified(client, indicator, akim):
    client.force_login(akim)
    response = client.post(f"/en/data/regions/{ABAI}/values/new/", {
        "indicator": "1-2-1", "year": "2024", "value": "7,5", "dim_SEX": "F", "note": "Akimat statistics unit"})
    assert response.status_code == 302 and response["Location"] == f"/en/data/regions/{ABAI}/values/"
    value = entered().get()
    assert (value.year, value.value, value.status) == (2024, 7.5, "unverified")
    assert (value.region.kato, value.area_code, value.unit, value.dims) == (ABAI, "KZABY", "PT", "SEX=F")
    assert value.disaggregation == {"SEX": "F"} and value.entered_by == akim
    assert value.source_note == "Akimat statistics unit"
    record = value.history.get()
    assert record.history_user == akim and record.history_change_reason == "Entered: Akimat statistics unit"
    html = client.get(response["Location"]).content.decode()
    assert "Unverified" in html and "entered by akim-abai" in html and "Akimat statistics unit" in html


def test_akimat_officer_corrects_an_unverified_value_and_history_keeps_the_old_one(client, indicator, akim):
    client.force_login(akim)
    url = f"/en/data/regions/{ABAI}/values/new/"
    client.post(url, {"indicator": "1-2-1", "year": "2024", "value": "7.5"})
    client.post(url, {"indicator": "1-2-1", "year": "2024", "value": "7.6", "note": "typo"})
    value = entered().get()
    assert value.value == 7.6
    assert [h.value for h in value.history.order_by("history_id")] == [7.5, 7.6]


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"year": "1985", "value": "5"}, "year", "The year must be between 1990 and"),
        ({"year": "2999", "value": "5"}, "year", "The year must be between 1990 and"),
        ({"year": "2024", "value": "120"}, "value", "The value must be between 0 and 100."),
        ({"year": "2024", "value": "-1"}, "value", "The value must be between 0 and 100."),
        ({"year": "2024", "value": "abc"}, "value", "Enter a number."),
        ({"year": "2024", "value": "5", "dim_SEX": "X"}, "dim_SEX", "Select a valid choice. X is not one of the"),
        ({"year": "2024", "value": "5", "unit": "KG"}, "unit", "Select a valid choice. KG is not one of the"),
        ({"year": "2023", "value": "9.1"}, "value", "already has a value (8, Official statistics)"),
        ({"year": "2024", "value": "5", "indicator": "99-9-9"}, "indicator", "Choose an indicator from the list."),
    ],
)
def test_bad_entries_show_field_errors_and_change_nothing(client, indicator, akim, data, field, message):
    client.force_login(akim)
    before = list(IndicatorValue.objects.order_by("pk").values_list("pk", "value", "status"))
    response = client.post(f"/en/data/regions/{ABAI}/values/new/", {"indicator": "1-2-1", **data})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html and message in html
    assert list(IndicatorValue.objects.order_by("pk").values_list("pk", "value", "status")) == before


def test_errors_are_in_the_users_language(client, indicator, akim):
    client.force_login(akim)
    html = client.post(f"/ru/data/regions/{ABAI}/values/new/", {"indicator": "1-2-1", "year": "2024", "value": "120"}).content.decode()
    assert "Значение должно быть от 0 до 100." in html
    html = client.post(f"/kk/data/regions/{ABAI}/values/new/", {"indicator": "1-2-1", "year": "1980", "value": "1"}).content.decode()
    assert "Жыл 1990" in html


def test_indicator_bounds_override_the_percentage_range(client, indicator, akim):
    indicator.value_max = 200
    indicator.save()
    client.force_login(akim)
    response = client.post(f"/en/data/regions/{ABAI}/values/new/", {"indicator": "1-2-1", "year": "2024", "value": "150"})
    assert response.status_code == 302 and entered().get().value == 150


# ---------------------------------------------------------------------------------------------------------------
# permissions


def test_akimat_officer_gets_403_for_another_region(client, indicator, akim):
    client.force_login(akim)
    for url in (f"/en/data/regions/{ASTANA}/values/", f"/en/data/regions/{ASTANA}/values/new/", f"/en/data/regions/{ASTANA}/values/upload/"):
        assert client.get(url).status_code == 403
    response = client.post(f"/en/data/regions/{ASTANA}/values/new/", {"indicator": "1-2-1", "year": "2024", "value": "5"})
    assert response.status_code == 403
    response = upload(client, ASTANA, "indicator_1-2-1.csv", "Year,UNIT_MEASURE,REF_AREA,Value\n2024,PT,KZNS,5\n")
    assert response.status_code == 403
    assert not entered().exists()
    with pytest.raises(Exception) as exc:
        value_service.enter_value(akim, indicator=indicator, region=Region.objects.get(kato=ASTANA), year=2024, value=5)
    assert exc.type.__name__ == "PermissionDenied"


def test_akimat_officer_cannot_verify_even_own_region(client, indicator, akim):
    value = value_service.enter_value(akim, indicator=indicator, region=akim.region, year=2024, value=6.0)
    client.force_login(akim)
    assert client.get("/en/data/verification/").status_code == 403
    assert client.post(f"/en/data/values/{value.pk}/verify/", {"action": "verify"}).status_code == 403
    other = IndicatorValue.objects.get(indicator=indicator, year=2023, area_code="KZNS", dims="")
    assert client.post(f"/en/data/values/{other.pk}/verify/", {"action": "reject", "reason": "x"}).status_code == 403
    value.refresh_from_db()
    assert value.status == "unverified" and value.verified_by is None


def test_residents_and_experts_cannot_enter_values(client, indicator, make_user):
    for role in ("resident", "expert"):
        client.force_login(make_user(f"u-{role}", role=role))
        assert client.get(f"/en/data/regions/{ABAI}/values/new/").status_code == 403
        assert client.get("/en/data/verification/").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client, indicator):
    value = IndicatorValue.objects.filter(indicator=indicator).first()
    urls = [
        reverse("data_import"), reverse("data_import_run", args=[1]), reverse("data_import_status", args=[1]),
        reverse("data_import_report", args=[1]), reverse("data_indicator_edit", args=["1-2-1"]),
        reverse("data_indicator_history", args=["1-2-1"]), reverse("data_region_values", args=[ABAI]),
        reverse("data_value_entry", args=[ABAI]), reverse("data_value_upload", args=[ABAI]),
        reverse("data_verification"), reverse("data_value_verify", args=[value.pk]),
    ]
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    # Public pages answer without login.
    assert client.get(reverse("data_index")).status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# upload


def test_upload_csv_for_own_region(client, indicator, akim):
    client.force_login(akim)
    text = "Year,UNIT_MEASURE,SEX,REF_AREA,Value\n2024,PT,,KZABY,7.9\n2024,PT,F,KZABY,7.1\n2024,PT,M,KZABY,8.6\n"
    response = upload(client, ABAI, "indicator_1-2-1.csv", text)
    assert response.status_code == 302
    values = entered().order_by("source_line")
    assert [(v.dims, v.value, v.status, v.source_line) for v in values] == [
        ("", 7.9, "unverified", 2), ("SEX=F", 7.1, "unverified", 3), ("SEX=M", 8.6, "unverified", 4)]
    assert values[0].source_file == "indicator_1-2-1.csv" and values[0].region.kato == ABAI


def test_upload_xlsx_for_own_region(client, indicator, akim):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Year", "UNIT_MEASURE", "URBANISATION", "REF_AREA", "Value"])
    sheet.append([2024, "PT", "U", "KZABY", 6.25])
    sheet.append([2024, "PT", "R", "KZABY", 9])
    buf = io.BytesIO()
    book.save(buf)
    client.force_login(akim)
    response = upload(client, ABAI, "abai.xlsx", buf.getvalue())
    assert response.status_code == 302
    assert sorted(entered().values_list("dims", "value", "source_line")) == [("URBANISATION=R", 9.0, 3), ("URBANISATION=U", 6.25, 2)]


def test_upload_with_another_regions_code_is_refused_whole_with_line_errors(client, indicator, akim):
    client.force_login(akim)
    text = "Year,UNIT_MEASURE,REF_AREA,Value\n2024,PT,KZABY,7.9\n2024,PT,KZNS,3.1\n2024,PT,,5.0\n"
    response = upload(client, ABAI, "indicator_1-2-1.csv", text)
    assert response.status_code == 200
    html = response.content.decode()
    assert "indicator_1-2-1.csv:3: REF_AREA KZNS is not your region (KZABY)" in html
    assert "indicator_1-2-1.csv:4: REF_AREA is empty" in html
    assert not entered().exists()


def test_upload_lists_every_bad_row(client, indicator, akim):
    client.force_login(akim)
    text = ("Year,UNIT_MEASURE,SEX,REF_AREA,Value\n2024,PT,,KZABY,7.9\n2024,PT,F,KZABY,abc\n"
            "2024,PT,M,KZABY,8.0\n2024,PT,M,KZABY,8.1\n")
    html = upload(client, ABAI, "data.csv", text).content.decode()
    assert "data.csv:3: non-numeric value" in html and "data.csv:5: duplicate key" in html
    text = "Year,UNIT_MEASURE,REF_AREA,Value\n1970,PT,KZABY,7.9\n2024,PT,KZABY,140\n"
    html = upload(client, ABAI, "data.csv", text).content.decode()
    assert "data.csv:2: The year must be between 1990" in html and "data.csv:3: The value must be between 0 and 100." in html
    html = upload(client, ABAI, "data.csv", "Year,COLOUR,Value\n2024,red,1\n").content.decode()
    assert "data.csv:1: unknown column" in html
    html = upload(client, ABAI, "indicator_3-1-1.csv", "Year,REF_AREA,Value\n2024,KZABY,1\n").content.decode()
    assert "named for indicator 3-1-1" in html
    html = upload(client, ABAI, "data.txt", "x").content.decode()
    assert "Only .csv and .xlsx files are accepted." in html
    assert not entered().exists()


def test_upload_cannot_overwrite_official_values(client, indicator, akim):
    client.force_login(akim)
    html = upload(client, ABAI, "data.csv", "Year,UNIT_MEASURE,REF_AREA,Value\n2023,PT,KZABY,9.9\n").content.decode()
    assert "data.csv:2:" in html and "only a statistics officer can change" in html
    assert IndicatorValue.objects.get(indicator=indicator, year=2023, area_code="KZABY", dims="").value == 8.0
    # The same official figure again is simply unchanged.
    response = upload(client, ABAI, "data.csv", "Year,UNIT_MEASURE,REF_AREA,Value\n2023,PT,KZABY,8.0\n2024,PT,KZABY,7.0\n")
    assert response.status_code == 302 and entered().count() == 1


# ---------------------------------------------------------------------------------------------------------------
# verification


def test_unverified_to_verified_and_rejected_with_reasons(client, indicator, akim, stat):
    first = value_service.enter_value(akim, indicator=indicator, region=akim.region, year=2024, value=7.7)
    second = value_service.enter_value(akim, indicator=indicator, region=akim.region, year=2024, value=7.2, disaggregation="SEX=F")
    client.force_login(stat)
    html = client.get("/en/data/verification/").content.decode()
    assert "2 values await verification." in html and "7.7" in html
    html = client.get(f"/en/data/verification/?region={ASTANA}").content.decode()
    assert "0 values await verification." in html

    response = client.post(f"/en/data/values/{first.pk}/verify/", {"action": "verify", "reason": "matches the bulletin"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "verified" and first.verified_by == stat and first.verified_at is not None
    latest = first.history.latest()
    assert latest.history_user == stat and latest.history_change_reason == "Verified: matches the bulletin"

    response = client.post(f"/en/data/values/{second.pk}/verify/", {"action": "reject", "reason": ""})
    assert IndicatorValue.objects.filter(pk=second.pk).exists()  # a rejection needs a reason
    client.post(f"/en/data/values/{second.pk}/verify/", {"action": "reject", "reason": "survey not yet published"})
    assert not IndicatorValue.objects.filter(pk=second.pk).exists()
    gone = IndicatorValue.history.filter(id=second.pk).latest()
    assert gone.history_type == "-" and gone.history_change_reason == "Rejected: survey not yet published"
    # Verifying twice is refused politely.
    response = client.post(f"/en/data/values/{first.pk}/verify/", {"action": "verify"}, follow=True)
    assert "not awaiting verification" in response.content.decode()

    client.force_login(akim)
    html = client.get(f"/en/data/regions/{ABAI}/values/").content.decode()
    assert "Verified" in html and "survey not yet published" in html


def test_verify_requires_post(client, indicator, stat):
    client.force_login(stat)
    value = IndicatorValue.objects.filter(indicator=indicator).first()
    assert client.get(f"/en/data/values/{value.pk}/verify/").status_code == 405
    assert client.post("/en/data/values/999999999/verify/", {"action": "verify"}).status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# national indicator list


def form_data(indicator, **changes):
    form = IndicatorForm(instance=indicator)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, (list, tuple)):
            data[name] = [str(v) for v in value]
        elif value is None or value is False:
            continue
        else:
            data[name] = value if value is not True else "on"
    data.update(changes)
    return data


def test_statistics_officer_edits_an_indicator_with_history(client, indicator, stat):
    client.force_login(stat)
    assert client.get("/en/data/indicators/1-2-1/edit/").status_code == 200
    data = form_data(indicator, direction_kind="lower", category="current", baseline_year="2015", baseline_value="2,6",
                     target_year="2030", target_value="1.5", responsible_body="Ministry of Labour",
                     series_breaks_text="2019", change_reason="National SDG council decision")
    response = client.post("/en/data/indicators/1-2-1/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    indicator.refresh_from_db()
    assert (indicator.direction, indicator.baseline_value, indicator.target_year, indicator.series_breaks) == (-1, 2.6, 2030, [2019])
    assert indicator.direction_kind == "lower" and indicator.direction_source_kind == "statcan"  # unchanged
    latest = indicator.history.latest()
    assert latest.history_user == stat and latest.history_change_reason == "National SDG council decision"
    # Changing the direction makes it the officer's, cited with the reason, kept in the history.
    data = form_data(indicator, direction_kind="none", target_year="", target_value="", baseline_year="",
                     baseline_value="", change_reason="Describes only: no desired direction")
    assert client.post("/en/data/indicators/1-2-1/edit/", data).status_code == 302
    indicator.refresh_from_db()
    assert (indicator.direction, indicator.direction_kind, indicator.direction_source_kind) == (None, "none", "officer")
    assert indicator.direction_source == "Describes only: no desired direction"
    assert indicator.history.filter(direction_kind="lower").exists()
    html = client.get("/en/data/indicators/1-2-1/history/").content.decode()
    assert "National SDG council decision" in html and "stat" in html and "baseline value" in html


def test_indicator_edit_validates_and_changes_nothing(client, indicator, stat):
    client.force_login(stat)
    data = form_data(indicator, baseline_year="2030", baseline_value="1", target_year="2020", target_value="2", change_reason="")
    response = client.post("/en/data/indicators/1-2-1/edit/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The target year must come after the baseline year." in html and "This field is required." in html
    indicator.refresh_from_db()
    assert indicator.baseline_year is None


def test_a_target_on_the_worsening_side_is_refused_with_a_message(client, indicator, stat):
    client.force_login(stat)
    data = form_data(indicator, direction_kind="lower", baseline_year="2023", baseline_value="5.2",
                     target_year="2030", target_value="6", change_reason="test")
    response = client.post("/en/data/indicators/1-2-1/edit/", data)
    assert response.status_code == 200
    assert "worsening side of the baseline" in response.content.decode()
    indicator.refresh_from_db()
    assert indicator.target_value is None


def test_officers_direction_is_kept_when_the_fixture_is_loaded_again(indicator):
    from localization.core.provenance import DirectionRow
    from localization.reference import LoadReport
    from localization.services.provenance import apply_directions

    rows = [DirectionRow("1-2-1", "lower", "statcan", "StatCan 1.2.1: negative", "poverty (%)", "", 2)]
    assert apply_directions([indicator], rows) == 1
    indicator.refresh_from_db()
    assert (indicator.direction, indicator.direction_source_kind) == (-1, "statcan")
    assert apply_directions([indicator], rows) == 0  # idempotent
    indicator.direction_kind, indicator.direction_source_kind = "higher", "officer"
    indicator.save()
    report = LoadReport()
    assert apply_directions([indicator], rows, report=report) == 0
    indicator.refresh_from_db()
    assert indicator.direction == 1 and "kept the statistics officer's direction" in report.notes[0]


def test_only_statistics_officers_edit_indicators(client, indicator, akim):
    client.force_login(akim)
    assert client.get("/en/data/indicators/1-2-1/edit/").status_code == 403
    assert client.post("/en/data/indicators/1-2-1/edit/", form_data(indicator, change_reason="x")).status_code == 403
    assert client.get("/en/data/indicators/1-2-1/history/").status_code == 403


def test_unknown_indicator_is_404(client, stat):
    client.force_login(stat)
    assert client.get("/en/data/indicators/99-9-9/edit/").status_code == 404


@pytest.mark.parametrize("lang,word", [("kk", "Өңірлер"), ("ru", "Регионы"), ("en", "Regions")])
def test_data_pages_answer_in_each_language(client, indicator, akim, stat, lang, word):
    value_service.enter_value(akim, indicator=indicator, region=akim.region, year=2024, value=6.5)
    run = imports.import_repository(imports.NATIONAL_REPOSITORY, only=["1-2-1"])
    client.force_login(stat)
    for url in (f"/{lang}/data/", f"/{lang}/data/import/", f"/{lang}/data/import/{run.pk}/",
                f"/{lang}/data/indicators/1-2-1/edit/", f"/{lang}/data/indicators/1-2-1/history/",
                f"/{lang}/data/regions/{ABAI}/values/", f"/{lang}/data/regions/{ABAI}/values/new/",
                f"/{lang}/data/regions/{ABAI}/values/upload/", f"/{lang}/data/verification/"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{lang}">' in html and word in html, url


def test_unknown_objects_are_404_not_500(client, stat):
    client.force_login(stat)
    for url in ("/en/data/import/999999/", "/en/data/import/999999/status/", "/en/data/regions/999999999/values/",
                "/en/data/regions/999999999/values/new/", "/en/data/indicators/x/history/"):
        assert client.get(url).status_code == 404, url


def test_damaged_or_oversized_xlsx_is_refused_cleanly(client, indicator, akim, monkeypatch):
    client.force_login(akim)
    html = upload(client, ABAI, "data.xlsx", b"PK\x03\x04 not really a workbook").content.decode()
    assert "data.xlsx:0: not a readable XLSX file" in html
    from openpyxl import Workbook

    monkeypatch.setattr(value_service, "MAX_XLSX_ROWS", 3)
    book = Workbook()
    for year in range(2015, 2020):
        book.active.append([year, "PT", "KZABY", 5])
    buf = io.BytesIO()
    book.save(buf)
    html = upload(client, ABAI, "big.xlsx", buf.getvalue()).content.decode()
    assert "big.xlsx:0: the sheet has more than 3 rows" in html
    assert not entered().exists()


def test_changing_bounds_reflags_suspect_values(client, indicator, stat):
    from localization.models import IndicatorValue

    IndicatorValue.objects.create(indicator=indicator, year=1995, value=85.5, unit="PT", source_file="f.csv",
                                  source_line=3)
    client.force_login(stat)
    data = form_data(indicator, value_min="0", value_max="50", change_reason="Bounds of the share")
    assert client.post("/en/data/indicators/1-2-1/edit/", data).status_code == 302
    assert IndicatorValue.objects.get(indicator=indicator, year=1995, area_code="").suspect
    data = form_data(indicator, value_min="0", value_max="100", change_reason="Back to 0-100")
    assert client.post("/en/data/indicators/1-2-1/edit/", data).status_code == 302
    assert not IndicatorValue.objects.get(indicator=indicator, year=1995, area_code="").suspect
