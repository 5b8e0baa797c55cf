"""Settlement registry import at the database level: spatial join, reported problems, idempotency, pages."""
import io
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from geo import services
from geo.models import Settlement, SettlementImport

ROOT = Path(__file__).resolve().parents[2]
OSM = ROOT / "fixtures" / "settlements" / "kz_settlements_osm_hotosm.csv"
ASTANA, ABAI, ALMATY_REGION, ALMATY_CITY = "710000000", "100000000", "190000000", "750000000"

CSV = """name_kk,name_ru,name_en,type,population,lat,lon,region_kato,osm_id
Астана орталығы,Центр Астаны,Astana centre,city,1354435,51.128,71.430,,
Семей,Семей,Semey,city,310456,50.411,80.227,10,
Каспий,Каспий,Caspian point,village,,43.0,50.0,,
Алматы,Алматы,Almaty,city,2161695,43.238,76.945,190000000,
Координатсыз,Без координат,No coordinates,village,120,,,,
,,,village,10,50.0,70.0,,
Жарқамыс,Жаркамыс,Zharkamys,village,abc,47.95,56.50,KZ-15,
"""


@pytest.fixture(autouse=True)
def inline_jobs(settings):
    cache.clear()
    services.themes._LOCAL.__dict__.clear()


def run(data: bytes, source="test registry") -> SettlementImport:
    with translation.override("en"):  # the report's messages are written in the language of whoever imports
        return services.start_settlement_import(data, file_name="test.csv", source=source)


@pytest.mark.django_db
def test_spatial_join_assigns_district_and_region():
    job = run(CSV.encode())
    assert job.status == SettlementImport.Status.DONE, job.errors
    astana = Settlement.objects.get(name_en="Astana centre")
    assert astana.region.kato == ASTANA and astana.district.kato.startswith("71")
    assert astana.problem == "" and astana.population == 1354435
    semey = Settlement.objects.get(name_en="Semey")
    assert semey.region.kato == ABAI and semey.district.kato == "101000000"
    assert semey.declared_region.kato == ABAI and semey.problem == ""
    assert semey.source == "test registry"


@pytest.mark.django_db
def test_caspian_point_is_in_no_region_and_reported():
    job = run(CSV.encode())
    caspian = Settlement.objects.get(name_en="Caspian point")
    assert caspian.region is None and caspian.district is None
    assert caspian.problem == "outside"
    assert caspian.population is None  # empty stays empty, never 0
    lines = {item["line"]: item for item in job.report}
    assert lines[4]["problem"] == "outside" and lines[4]["name"] == "Каспий"
    assert job.problems["outside"] == 1


@pytest.mark.django_db
def test_declared_region_that_disagrees_is_reported_not_accepted():
    job = run(CSV.encode())
    almaty = Settlement.objects.get(name_en="Almaty")
    assert almaty.region.kato == ALMATY_CITY  # where the coordinates are
    assert almaty.declared_region.kato == ALMATY_REGION  # what the file said, kept for the report
    assert almaty.problem == "region_mismatch"
    item = next(i for i in job.report if i["problem"] == "region_mismatch")
    assert item["declared"] == ALMATY_REGION and item["found"] == ALMATY_CITY and item["line"] == 5


@pytest.mark.django_db
def test_bad_rows_are_reported():
    job = run(CSV.encode())
    assert job.rejected == 1  # the row without any name
    assert Settlement.objects.get(name_en="No coordinates").problem == "no_coordinates"
    zharkamys = Settlement.objects.get(name_en="Zharkamys")  # ISO code as declared region, bad population
    assert zharkamys.region.kato == "150000000" and zharkamys.declared_region.kato == "150000000"
    assert zharkamys.population is None
    assert any("line 8" in e and "abc" in e for e in job.errors)
    assert job.total == 7 and job.created == 6 and job.done == job.total and job.percent == 100


@pytest.mark.django_db
def test_reimport_is_idempotent_and_updates_changes():
    run(CSV.encode())
    n = Settlement.objects.count()
    again = run(CSV.encode())
    assert Settlement.objects.count() == n
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    changed = run(CSV.replace("310456", "320000").encode())
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 5)
    assert Settlement.objects.get(name_en="Semey").population == 320000


@pytest.mark.django_db
def test_semicolon_file_and_generic_name_column():
    data = "name;place;lat;lon\nАқсу;town;52.04;76.93\nTest;hamlet;51.2;71.5\n".encode()
    job = run(data)
    assert job.created == 2
    s = Settlement.objects.get(name_ru="Ақсу")
    assert s.type == "town" and s.region.kato == "550000000"
    assert Settlement.objects.get(name_en="Test").type == "hamlet"


@pytest.mark.django_db
def test_unreadable_file_fails_with_a_message():
    job = run(b"foo,bar\n1,2\n")
    assert job.status == SettlementImport.Status.FAILED
    assert "lat" in job.errors[0]


@pytest.mark.django_db
def test_osm_fixture_rows_land_in_their_districts():
    lines = OSM.read_text(encoding="utf-8").splitlines()
    sample = "\n".join(lines[:1] + lines[1:8158:40]) + "\n"  # every 40th row, all regions
    job = run(sample.encode(), source=services.OSM_SOURCE)
    assert job.status == SettlementImport.Status.DONE and job.rejected == 0
    assert job.problems == {}
    import csv

    expected = {int(r["osm_id"]): r["ADM2_KATO"] for r in csv.DictReader(io.StringIO(sample))}
    got = dict(Settlement.objects.values_list("osm_id", "district__kato"))
    assert got == expected
    assert Settlement.objects.filter(source__contains="ODbL").count() == len(expected)


@pytest.mark.django_db
def test_management_command(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text(CSV, encoding="utf-8")
    out = io.StringIO()
    call_command("import_settlements", str(path), "--show-problems", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "6 created" in text and "outside: 1" in text and "region_mismatch: 1" in text
    assert "line 5" in text


@pytest.mark.django_db
def test_import_page_for_statistics_officers_with_progress(client, make_user):
    officer = make_user("stat", role="statistics")
    client.force_login(officer)
    url = reverse("geo:settlement_import")
    assert client.get(url).status_code == 200
    upload = io.BytesIO(CSV.encode())
    upload.name = "registry.csv"
    response = client.post(url, {"file": upload, "source": "Akimat list 2025"})
    job = SettlementImport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        reverse("geo:settlement_import_detail", args=[job.pk]))
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="job-progress"' in html and "Алматы" in html and "Каспий" in html
    status = client.get(reverse("geo:settlement_import_status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100 and status["created"] == 6 and status["problems"] == 4
    assert Settlement.objects.filter(source="Akimat list 2025").count() == 6


@pytest.mark.django_db
def test_import_page_is_for_statistics_officers_only(client, make_user):
    url = reverse("geo:settlement_import")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_user("akimat", role="akimat", region=ABAI))
    assert client.get(url).status_code == 403
    upload = io.BytesIO(CSV.encode())
    upload.name = "registry.csv"
    assert client.post(url, {"file": upload}).status_code == 403
    assert not SettlementImport.objects.exists()


@pytest.mark.django_db
def test_upload_must_be_csv(client, make_user):
    client.force_login(make_user("stat", role="statistics"))
    upload = io.BytesIO(b"x")
    upload.name = "registry.xlsx"
    response = client.post(reverse("geo:settlement_import"), {"file": upload})
    assert response.status_code == 200 and not SettlementImport.objects.exists()
