"""Downloads: CSV in the Open SDG layout (reads back to the same values) and XLSX, per indicator, region or all."""
import io
import zipfile

import pytest
from django.core.management import call_command

from localization.core import opensdg
from localization.models import Indicator, IndicatorValue, Region
from localization.services import imports
from localization.services import values as value_service
from tests.localization.imported import national_import

pytestmark = pytest.mark.django_db

#: 1-2-1: regions, SEX and URBANISATION; 2-3-1: GeoCode column; 11-6-2: SERIES, cities, file-specific codes;
#: 17-3-1-3: pre-2022 territories and repeated keys in the source.
CODES = ["1-2-1", "2-3-1", "11-6-2", "17-3-1-3", "1-2-2"]
ABAI = "100000000"


@pytest.fixture(scope="module", autouse=True)
def imported(django_db_setup, django_db_blocker):
    with national_import(django_db_blocker, only=CODES) as run:
        assert run.errors == [] and run.files_total == len(CODES)
        yield


def stored(code, region=None):
    """The published values of an indicator as comparable tuples."""
    qs = IndicatorValue.objects.filter(indicator__code=code, status__in=value_service.PUBLISHED)
    if region is not None:
        qs = qs.filter(region=region)
    return sorted(qs.values_list("year", "unit", "area_code", "dims", "value", "territory"))


def read_back(text, code):
    f = opensdg.read_indicator_text(text, code, codes=imports.code_table())
    assert f.errors == []
    fr = f.frame
    return sorted(zip(fr["year"].tolist(), fr["unit"].tolist(), fr["region_code"].tolist(), fr["dims"].tolist(),
                      fr["value"].tolist(), fr["territory"].tolist()))


@pytest.mark.parametrize("code", ["1-2-1", "2-3-1", "11-6-2", "17-3-1-3"])
def test_indicator_csv_reads_back_to_the_same_values(client, code):
    response = client.get(f"/en/data/download/?format=csv&indicator={code}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="indicator_{code}.csv"'
    text = response.content.decode()
    assert text.startswith("Year,") and text.splitlines()[0].endswith(",Value")
    assert read_back(text, code) == stored(code)


def test_csv_layout_and_spot_value(client):
    text = client.get("/en/data/download/?format=csv&indicator=1-2-1").content.decode()
    lines = text.splitlines()
    assert lines[0] == "Year,UNIT_MEASURE,SEX,URBANISATION,REF_AREA,Value"
    assert "2023,PT,,,KZABY,8" in lines and "2023,PT,,,,5.2" in lines


def test_format_defaults_to_csv(client):
    response = client.get("/en/data/download/?indicator=1-2-1")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('indicator_1-2-1.csv"')


def test_region_csv_has_only_that_region(client):
    abai = Region.objects.get(kato=ABAI)
    text = client.get(f"/en/data/download/?format=csv&indicator=1-2-1&region={ABAI}").content.decode()
    rows = read_back(text, "1-2-1")
    assert rows == stored("1-2-1", abai) and {r[2] for r in rows} == {"KZABY"}


def test_everything_as_a_zip_imports_back_without_errors(client, tmp_path):
    response = client.get("/en/data/download/?format=csv")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        names = sorted(zf.namelist())
        # 1-2-2 has no values in the national set: no file for it.
        data = [n for n in names if n.startswith("data/")]
        assert data == sorted(f"data/indicator_{c}.csv" for c in CODES if c != "1-2-2")
        assert [n for n in names if n.startswith("meta/")] == sorted(f"meta/{c}.md" for c in CODES if c != "1-2-2")
        assert "README.txt" in names and "translations/ru/national_indicators.yml" in names
        assert "Bureau of National Statistics" in zf.read("README.txt").decode()
        for code in CODES[:4]:
            assert read_back(zf.read(f"data/indicator_{code}.csv").decode(), code) == stored(code)
        path = tmp_path / "export.zip"
        path.write_bytes(response.content)
    out = io.StringIO()
    call_command("import_opensdg", str(path), stdout=out, stderr=io.StringIO())
    assert "0 failed" in out.getvalue()


def test_region_zip(client):
    response = client.get(f"/en/data/download/?format=csv&region={ABAI}")
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        codes = set()
        for name in zf.namelist():
            if name.startswith("data/"):
                f = opensdg.read_indicator_text(zf.read(name).decode(), name[15:-4], codes=imports.code_table())
                codes |= set(f.frame["region_kato"])
    assert codes == {ABAI}


def test_indicator_xlsx(client):
    from openpyxl import load_workbook

    response = client.get("/ru/data/download/?format=xlsx&indicator=1-2-1")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('indicator_1-2-1.xlsx"')
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["About", "1-2-1"]
    rows = list(book["1-2-1"].iter_rows(values_only=True))
    assert rows[0] == ("Year", "UNIT_MEASURE", "SEX", "URBANISATION", "REF_AREA", "Value")
    assert (2023, "PT", "", "", "KZABY", 8.0) in [tuple("" if c is None else c for c in r) for r in rows]
    assert len(rows) - 1 == len(stored("1-2-1"))
    about = [r for r in book["About"].iter_rows(values_only=True) if r and r[0] == "1-2-1"][0]
    assert about[1].startswith("Доля населения") and about[2] == "процент"


def test_everything_xlsx_has_a_sheet_per_indicator_with_data(client):
    from openpyxl import load_workbook

    response = client.get("/en/data/download/?format=xlsx")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["About", "1-2-1", "2-3-1", "11-6-2", "17-3-1-3"]


def test_region_xlsx_uploads_back_unchanged(client, make_user):
    response = client.get(f"/en/data/download/?format=xlsx&indicator=1-2-1&region={ABAI}")
    upload = io.BytesIO(response.content)
    upload.name = "abai.xlsx"
    client.force_login(make_user("akim", role="akimat", region=ABAI))
    response = client.post(f"/en/data/regions/{ABAI}/values/upload/", {"indicator": "1-2-1", "file": upload})
    assert response.status_code == 302
    assert not IndicatorValue.objects.filter(entered_by__isnull=False).exists()  # every figure was already there


def test_unverified_values_are_not_downloaded_until_verified(client, make_user):
    akim = make_user("akim", role="akimat", region=ABAI)
    value = value_service.enter_value(akim, indicator=Indicator.objects.get(code="1-2-1"), region=akim.region, year=2024, value=7.3)
    assert "2024,PT,,,KZABY,7.3" not in client.get("/en/data/download/?format=csv&indicator=1-2-1").content.decode()
    value_service.verify_value(make_user("stat", role="statistics"), value, "ok")
    assert "2024,PT,,,KZABY,7.3" in client.get("/en/data/download/?format=csv&indicator=1-2-1").content.decode()


def test_indicator_without_values_gives_an_empty_table(client):
    response = client.get("/en/data/download/?format=csv&indicator=1-2-2")
    assert response.status_code == 200 and response.content.decode() == "Year,Value\n"


@pytest.mark.parametrize("query", ["format=pdf", "indicator=99-9-9", "region=abc", "format=csv&region=999999999",
                                   "format=xlsx&indicator=%00"])
def test_bad_parameters_get_a_clear_error_not_a_500(client, query):
    response = client.get(f"/en/data/download/?{query}")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_data_page_in_each_language(client):
    for lang, word in (("kk", "Жүктеп алу"), ("ru", "Скачать"), ("en", "Download")):
        html = client.get(f"/{lang}/data/").content.decode()
        assert f'<html lang="{lang}">' in html and word in html


def test_indicator_download_links(client):
    from django.urls import reverse

    url = reverse("data_download", kwargs={"code": "1-2-1"})
    assert url == "/kk/data/download/1-2-1.csv" or url.endswith("/data/download/1-2-1.csv")
    assert "2023,PT,,,KZABY,8" in client.get(url).content.decode()
    response = client.get(reverse("data_download_xlsx", kwargs={"code": "1-2-1"}) + f"?region={ABAI}")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('indicator_1-2-1_KZABY.xlsx"')
    assert client.get(reverse("data_download", kwargs={"code": "99-9-9"})).status_code == 400
