"""Geo API: gaps/ returns the figures of the gaps page (real national data and the published VNR figures),
settlements/ the registry of the settlements page, with bbox, CSV and GeoJSON."""
import csv
import io
import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from geo import services
from geo.models import Settlement
from localization.models import Region
from tests.test_api_support import ASTANA, api, no_throttle, results  # noqa: F401

pytestmark = pytest.mark.django_db
GAP_KEYS = ["poverty_rate", "poverty_gap_pp", "poverty_gap_people", "gas_share", "gas_gap_pp", "gas_people_without",
            "gas_years", "rss_provision", "rss_gap", "need_index"]


@pytest.fixture
def fresh_geo(settings):
    cache.clear()
    services.themes._LOCAL.__dict__.clear()
    yield
    services.themes._LOCAL.__dict__.clear()


@pytest.fixture
def gap_data(fresh_geo):
    """Poverty (1-2-1) and gasification (7-1-2) from the national platform plus the VNR figures, as load_demo does."""
    from localization.services import imports

    run = imports.import_repository(imports.NATIONAL_REPOSITORY, only=["1-2-1", "7-1-2"])
    assert run.status == "done", run.errors
    services.load_published_figures()


@pytest.fixture
def osm(fresh_geo):
    job = services.load_osm_settlements()
    assert job.created > 1000
    return job


def gaps_page(client, lang="en", query=""):
    with translation.override(lang):
        response = client.get(reverse("geo:gaps") + query)
    assert response.status_code == 200
    return response.context


@pytest.mark.parametrize("year", ["latest", "2023"])
def test_gaps_are_the_figures_of_the_gaps_page(api, client, gap_data, year):
    context = gaps_page(client, "en", f"?year={year}")
    body = api.get(f"/api/v1/gaps/?year={year}&lang=en").json()
    assert body["count"] == 20
    by_region = {item["region"]: item for item in body["results"]}
    compared = 0
    for row in context["rows"]:
        item = by_region[row["region"].kato]
        assert item["region_name"] == row["region"].name_en and item["year"] == year
        for key, cell in zip(GAP_KEYS, row["cells"], strict=True):
            figure = item["figures"].get(key)
            if cell["missing"]:
                assert figure is None, (row["region"].kato, key)
                continue
            compared += 1
            assert (figure["value"], figure["text"], figure["status"], figure["bound"], figure["source"]) == (
                cell["value"], cell["text"], cell["status"], cell["bound"], cell["source"]), (row["region"].kato, key)
            assert figure["estimate"] == cell["estimate"]
        assert item["ranks"].get("need_index") == row["rank"]
    assert compared >= 40
    national = api.get(f"/api/v1/gaps/?year={year}&region=national&lang=en").json()["results"][0]
    assert national["region"] is None
    for key, cell in zip(GAP_KEYS, context["national"], strict=True):
        if not cell["missing"]:
            assert national["figures"][key]["text"] == cell["text"]


def test_gaps_by_kind_csv_and_geojson(api, gap_data):
    poverty = api.get("/api/v1/gaps/?kind=poverty").json()["results"]
    assert all(f["kind"] == "poverty" for item in poverty for f in item["figures"].values())
    assert any(item["figures"] for item in poverty)
    response = api.get(f"/api/v1/gaps/?kind=gasification&region={ASTANA}&format=geojson")
    assert response["Content-Type"].startswith("application/geo+json")
    feature = json.loads(response.content)["features"][0]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon") and feature["properties"]["region"] == ASTANA
    rows = list(csv.DictReader(io.StringIO(api.get("/api/v1/gaps/?kind=poverty&format=csv").content.decode())))
    assert rows and {r["kind"] for r in rows} == {"poverty"}
    assert {"region", "measure", "value", "year", "status", "source", "rank"} <= set(rows[0])
    by_key = {(item["region"], key): f for item in poverty for key, f in item["figures"].items()}
    for r in rows:
        assert r["text"] == by_key[(r["region"], r["measure"])]["text"]


def test_gaps_and_settlements_take_iso_3166_2_codes(api, gap_data, osm):
    """``region=`` on the geo API takes KATO, ISO 3166-2 alpha (KZ-AST) and numeric (KZ-71), like the rest of it."""
    by_kato = api.get(f"/api/v1/gaps/?kind=poverty&region={ASTANA}").json()["results"]
    assert [i["region"] for i in by_kato] == [ASTANA]
    for code in ("KZ-AST", "KZ-71", "kz-ast"):
        assert api.get(f"/api/v1/gaps/?kind=poverty&region={code}").json()["results"] == by_kato
    ids = {s["id"] for s in results(api.get(f"/api/v1/settlements/?region={ASTANA}&limit=1000"))}
    assert ids and {s["id"] for s in results(api.get("/api/v1/settlements/?region=KZ-AST&limit=1000"))} == ids
    for url in ("/api/v1/gaps/?region=KZ-XXX", "/api/v1/settlements/?region=KZ-XXX"):
        response = api.get(url)
        assert response.status_code == 400 and "KZ-AKT" in json.dumps(response.json(), ensure_ascii=False)


@pytest.mark.parametrize("query", ["year=abc", "year=1800", "kind=wealth", "region=123", "region=999999999",
                                   "region=KZ-XXX", "region=" + "x" * 60])
def test_bad_gap_queries_are_400(api, fresh_geo, query):
    response = api.get(f"/api/v1/gaps/?{query}")
    assert response.status_code == 400 and all(response.json().values())


def test_missing_gaps_stay_missing(api, fresh_geo):
    """Without any data every region is listed with no figures — nothing is filled with 0."""
    body = api.get("/api/v1/gaps/?kind=poverty").json()
    assert body["count"] == 20 and all(item["figures"] == {} for item in body["results"])


def test_settlements_are_the_settlements_page(api, client, osm):
    with translation.override("en"):
        context = client.get(reverse("geo:settlements", kwargs={"kato": ASTANA})).context
    body = api.get(f"/api/v1/settlements/?region={ASTANA}&limit=1000").json()
    assert body["count"] == context["page"].paginator.count == Settlement.objects.filter(region__kato=ASTANA).count()
    shown = {s.pk for s in context["page"].object_list}
    assert shown <= {s["id"] for s in body["results"]}
    with translation.override("en"):
        points = json.loads(client.get(reverse("geo:settlements_geojson", kwargs={"kato": ASTANA})).content)
    geo_api = json.loads(api.get(f"/api/v1/settlements/?region={ASTANA}&format=geojson&limit=1000").content)
    located = {f["properties"]["id"]: f["geometry"] for f in points["features"]}
    assert {f["id"]: f["geometry"] for f in geo_api["features"] if f["geometry"]} == located


def test_settlements_bbox_filter(api, osm):
    bbox = (71.2, 50.9, 71.7, 51.3)  # around Astana
    body = api.get("/api/v1/settlements/?bbox=" + ",".join(map(str, bbox)) + "&limit=1000").json()
    expected = Settlement.objects.filter(lon__gte=bbox[0], lon__lte=bbox[2], lat__gte=bbox[1], lat__lte=bbox[3])
    assert body["count"] == expected.count() > 0
    assert all(bbox[0] <= s["lon"] <= bbox[2] and bbox[1] <= s["lat"] <= bbox[3] for s in body["results"])
    astana = Region.objects.get(kato=ASTANA)
    assert any(s["region"] == astana.kato for s in body["results"])
    towns = results(api.get("/api/v1/settlements/?type=town&region=110000000&limit=1000"))
    assert towns and all(s["type"] == "town" for s in towns)


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "10,10,5,5", "0,0,200,10", "nan,0,1,1", "0,0,inf,1"])
def test_bad_bbox_is_400(api, fresh_geo, bbox):
    response = api.get(f"/api/v1/settlements/?bbox={bbox}")
    assert response.status_code == 400 and response.json()["bbox"]


def test_geo_messages_follow_the_request_language(api, fresh_geo):
    en = api.get("/api/v1/settlements/?bbox=1,2&lang=en").json()["bbox"][0]
    ru = api.get("/api/v1/settlements/?bbox=1,2", HTTP_ACCEPT_LANGUAGE="ru").json()["bbox"][0]
    assert en == "Give bbox as min_lon,min_lat,max_lon,max_lat." and ru == "Укажите bbox в виде min_lon,min_lat,max_lon,max_lat."
    assert api.get("/api/v1/gaps/?year=abc&lang=kk").json()["year"][0].startswith("1990 және 2100")
