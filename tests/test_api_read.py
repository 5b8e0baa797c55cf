"""Read API (/api/v1/): each endpoint returns what the pages show for the same query (spot checks on real national
data imported from fixtures/kazstat-sdg-data), filters, CSV/GeoJSON, languages, query validation, ETags."""
import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from geo.models import Boundary
from localization.models import District, Indicator, IndicatorValue, Region, RegionalTarget
from localization.services import decomposition as targets_service
from tests.test_api_support import ALMATY_CITY, ASTANA, api, national, no_throttle, results  # noqa: F401

pytestmark = pytest.mark.django_db


def page(client, name, lang="en", query="", **kwargs):
    with translation.override(lang):  # also restores the language the page's middleware activates
        response = client.get(reverse(name, kwargs=kwargs) + query)
    assert response.status_code == 200
    return response


# --------------------------------------------------------------------------------------------- territory


def test_regions_match_the_region_list_page(api, client):
    body = api.get("/api/v1/regions/?lang=ru").json()
    assert body["count"] == 20 == Region.objects.count()
    html = page(client, "region_list", "ru").content.decode()
    for item in body["results"]:
        region = Region.objects.get(kato=item["kato"])
        assert item["name"] == region.name_ru and item["name"] in html
        assert (item["iso_code"], item["ref_area"], item["population_total"]) == (
            region.iso_code, region.ref_area, region.population_total)
        assert {item["name_kk"], item["name_ru"], item["name_en"]} == {region.name_kk, region.name_ru, region.name_en}
    astana = api.get(f"/api/v1/regions/{ASTANA}/").json()
    assert astana["iso_code"] == "KZ-71" and astana["ref_area"] == Region.objects.get(kato=ASTANA).ref_area
    assert astana["area_km2"] > 0


def test_region_filters(api):
    cities = results(api.get("/api/v1/regions/?kind=city"))
    assert sorted(r["kato"] for r in cities) == sorted(Region.objects.filter(kind="city").values_list("kato", flat=True))
    assert len(cities) == 3
    by_iso = results(api.get("/api/v1/regions/?iso_code=KZ-71"))
    assert [r["kato"] for r in by_iso] == [ASTANA]


def test_districts_match_the_region_page(api, client):
    body = api.get(f"/api/v1/districts/?region={ALMATY_CITY}&lang=en").json()
    expected = list(District.objects.filter(region__kato=ALMATY_CITY).order_by("kato"))
    assert body["count"] == len(expected) > 0
    html = page(client, "region_detail", "en", kato=ALMATY_CITY).content.decode()
    for item, district in zip(body["results"], expected, strict=True):
        assert item["kato"] == district.kato and item["region"] == ALMATY_CITY
        assert item["name"] == district.name_en and f"<th scope=\"row\">{district.name_en}</th>" in html


def test_regions_geojson_is_the_simplified_boundary_served_to_the_map(api, client):
    response = api.get("/api/v1/regions/?format=geojson")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/geo+json")
    body = json.loads(response.content)
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 20 and body["count"] == 20
    with translation.override("en"):
        map_layer = json.loads(client.get(reverse("geo:regions_geojson")).content)
    map_geometry = {f["properties"]["kato"]: f["geometry"] for f in map_layer["features"]}
    for feature in body["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        kato = feature["properties"]["kato"]
        assert feature["id"] == kato and feature["geometry"] == map_geometry[kato]
        boundary = Boundary.objects.get(layer=Boundary.Layer.REGIONS_2024, code=kato)
        assert feature["geometry"] == json.loads(boundary.web_geometry)
    one = json.loads(api.get(f"/api/v1/districts/?region={ASTANA}&format=geojson").content)
    assert len(one["features"]) == District.objects.filter(region__kato=ASTANA).count()
    single = json.loads(api.get(f"/api/v1/regions/{ASTANA}/?format=geojson").content)
    assert single["type"] == "Feature" and single["properties"]["kato"] == ASTANA
    # JSON has no geometry (it is heavy): only the GeoJSON rendering carries it
    assert "geometry" not in api.get(f"/api/v1/regions/{ASTANA}/").json()


# --------------------------------------------------------------------------------------------- SDG framework


def test_goals_and_targets(api, client):
    goals = api.get("/api/v1/goals/?lang=en").json()
    assert goals["count"] == 17 and goals["results"][0]["short"] == "No poverty"
    html = page(client, "goal_list", "en").content.decode()
    assert all(goal["short"] in html for goal in goals["results"])
    goal_page = page(client, "goal_detail", "ru", number=1).context
    api_targets = results(api.get("/api/v1/targets/?goal=1&lang=ru"))
    with translation.override("ru"):
        assert [(t.code, t.title) for t in goal_page["targets"]] == [(t["code"], t["title"]) for t in api_targets]
    one = api.get("/api/v1/goals/1/?lang=ru").json()
    assert one["number"] == 1 and "1.2" in one["targets"]
    targets = results(api.get("/api/v1/targets/?goal=1"))
    assert [t["code"] for t in targets] == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.a", "1.b"]
    assert api.get("/api/v1/targets/1.2/").json()["global_indicators"] == ["1.2.1", "1.2.2"]


def test_indicators_match_the_indicator_list_page(api, client, national):
    Indicator.objects.filter(code="7-1-1").update(category="current", localized=True)
    for query in ("", "?goal=1", "?goal=7&category=current", "?localized=1"):
        api_query = query.replace("localized=1", "localized=true")
        codes = [i["code"] for i in results(api.get(f"/api/v1/indicators/{api_query}"))]
        shown = [row["indicator"].code for row in page(client, "ind_list", "en", query).context["rows"]]
        assert codes == shown, query
    detail = api.get("/api/v1/indicators/1-2-1/?lang=en").json()
    indicator = Indicator.objects.get(code="1-2-1")
    assert detail["title"] == indicator.title_en and detail["goal"] == 1 and "1.2" in detail["targets"]
    assert detail["has_regional_data"] is True
    assert [i["code"] for i in results(api.get("/api/v1/indicators/?regional=true&goal=1"))] == ["1-2-1"]


# --------------------------------------------------------------------------------------------- values


def test_values_of_a_region_are_the_series_on_the_indicator_page(api, client, national):
    context = page(client, "ind_detail", "en", code="1-2-1").context
    unit, series = context["headline"]
    astana_row = next(r["row"] for r in context["regional"] if r["row"].region.kato == ASTANA)
    query = f"indicator=1-2-1&region={ASTANA}&disaggregation=total&unit={unit}&series={series}"
    values = results(api.get(f"/api/v1/values/?{query}&limit=1000"))
    assert {v["year"]: v["value"] for v in values} == astana_row.series and len(values) >= 10
    assert all(v["source"] == f"{v['source_file']}:{v['source_line']}" for v in values)
    national_values = results(api.get(f"/api/v1/values/?indicator=1-2-1&region=national&disaggregation=total&unit={unit}"))
    assert {v["year"]: v["value"] for v in national_values} == context["national"].series


def test_region_accepts_iso_3166_2_codes_as_well_as_kato(api, national):
    """``region=`` takes KATO, ISO 3166-2 alpha (KZ-AKT) and numeric (KZ-15) codes wherever the API takes a region."""
    def ids(url):
        return sorted(v["id"] for v in results(api.get(url)))

    base = "/api/v1/values/?indicator=1-2-1&limit=1000&region="
    kato = ids(base + "150000000")
    assert kato and ids(base + "KZ-AKT") == ids(base + "KZ-15") == ids(base + "kz-akt") == kato
    districts = api.get("/api/v1/districts/?region=KZ-71").json()
    assert districts["results"] and all(d["region"] == ASTANA for d in districts["results"])
    assert api.get("/api/v1/districts/?region=KZ-XXX").status_code == 400
    status = api.get("/api/v1/statuses/?indicator=1-2-1&region=KZ-AST").json()
    assert status["count"] == 1 and status["results"][0]["region"] == ASTANA
    assert api.get("/api/v1/regional-targets/?region=KZ-AST").status_code == 200
    bad = api.get(base + "KZ-XXX")
    assert bad.status_code == 400 and "KZ-AKT" in bad.json()["region"][0]


def test_value_filters(api, national):
    qs = IndicatorValue.objects.filter(indicator__code="1-2-1")
    body = api.get("/api/v1/values/?indicator=1-2-1&year_min=2015&year_max=2018").json()
    assert body["count"] == qs.filter(year__gte=2015, year__lte=2018).count() > 0
    assert {v["year"] for v in body["results"]} <= {2015, 2016, 2017, 2018}
    women = api.get("/api/v1/values/?indicator=1-2-1&disaggregation=SEX=F").json()
    assert women["count"] == qs.filter(dims="SEX=F").count() > 0
    assert all(v["disaggregation"] == {"SEX": "F"} for v in women["results"])
    assert api.get("/api/v1/values/?indicator=1-2-1&verified=true").json()["count"] == qs.count()
    assert api.get("/api/v1/values/?indicator=1-2-1&verified=false").json()["count"] == 0
    IndicatorValue.objects.filter(pk=qs.first().pk).update(status="unverified")
    assert api.get("/api/v1/values/?indicator=1-2-1&verified=false").json()["count"] == 1
    assert api.get("/api/v1/values/?indicator=1-2-1&status=unverified").json()["count"] == 1
    assert api.get("/api/v1/values/?goal=7").json()["count"] == IndicatorValue.objects.filter(indicator__code="7-1-1").count()


def test_values_as_csv(api, national):
    response = api.get(f"/api/v1/values/?indicator=1-2-1&region={ASTANA}&format=csv&limit=1000")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert len(rows) == IndicatorValue.objects.filter(indicator__code="1-2-1", region__kato=ASTANA).count()
    assert {"indicator", "region", "year", "value", "status", "source"} <= set(rows[0])
    assert all(r["indicator"] == "1-2-1" and r["region"] == ASTANA for r in rows)
    stored = {(v.year, v.dims): v.value for v in IndicatorValue.objects.filter(indicator__code="1-2-1", region__kato=ASTANA)}
    assert {(int(r["year"]), r["dims"]): float(r["value"]) for r in rows} == stored


# --------------------------------------------------------------------------------------------- statuses and targets


def _assessable(code="1-2-1"):
    """Give the indicator what a statistics officer sets on its edit page: direction and a national target."""
    Indicator.objects.filter(code=code).update(direction=-1, target_value=2.0, target_year=2030, baseline_year=2015)


def test_statuses_are_the_statuses_on_the_indicator_page(api, client, national):
    _assessable()
    context = page(client, "ind_detail", "en", code="1-2-1").context
    body = api.get("/api/v1/statuses/?indicator=1-2-1&lang=en").json()
    assert body["count"] == 21  # national + 20 regions
    by_region = {item["region"]: item for item in body["results"]}
    with translation.override("en"):  # labels of the page's rows are read now, in the page's language
        _compare_statuses(context, by_region)
    only = api.get(f"/api/v1/statuses/?indicator=1-2-1&region={ASTANA}").json()
    assert only["count"] == 1 and only["results"][0]["region"] == ASTANA
    assert api.get("/api/v1/statuses/?indicator=1-2-1&region=national").json()["count"] == 1
    assert api.get("/api/v1/statuses/?goal=7&region=national").json()["results"][0]["indicator"] == "7-1-1"


def _compare_statuses(context, by_region):
    national_row = context["national"]
    assert by_region[None]["status"] == national_row.status is not None
    assert by_region[None]["status_label"] == national_row.status_label
    assert by_region[None]["inputs"]["current_value"] == national_row.result.current_value
    assert by_region[None]["target_kind"] == "national" and by_region[None]["target_value"] == 2.0
    assessed = 0
    for entry in context["regional"]:
        row, item = entry["row"], by_region[entry["row"].region.kato]
        assert (item["status"], item["status_label"], item["reason"]) == (row.status, row.status_label, row.reason)
        assert {p["year"]: p["value"] for p in item["points"]} == row.series
        if row.result is not None:
            assessed += 1
            assert item["inputs"]["base_year"] == row.result.base_year
            assert item["inputs"]["ratio"] == row.result.ratio
    assert assessed >= 10


def test_statuses_follow_the_request_language(api, national):
    _assessable()
    labels = {lang: api.get(f"/api/v1/statuses/?indicator=1-2-1&region=national&lang={lang}").json()["results"][0]
              for lang in ("kk", "ru", "en")}
    assert len({item["status_label"] for item in labels.values()}) == 3
    assert labels["ru"]["region_name"] == "Казахстан"


def test_regional_targets_are_the_decomposition_on_the_indicator_page(api, client, national, make_user):
    _assessable()
    stat = make_user("stat", role="statistics")
    base_year = max(v.year for v in IndicatorValue.objects.filter(indicator__code="1-2-1", region__isnull=False, dims=""))
    indicator = Indicator.objects.get(code="1-2-1")
    decomposition = targets_service.run_decomposition(
        indicator, user=stat, rule="relative", base_year=base_year, target_year=2030, national_target=2.0)
    body = api.get("/api/v1/regional-targets/?indicator=1-2-1&in_force=true&limit=100").json()
    table = page(client, "ind_detail", "en", code="1-2-1").context["table"]
    assert body["count"] == len(table["rows"]) == decomposition.targets.count() > 0
    by_region = {item["region"]: item for item in body["results"]}
    for row in table["rows"]:
        item = by_region[row["region"].kato]
        assert (item["target_value"], item["base_value"], item["weight"]) == (row["target"], row["base"], row["weight"])
        assert item["decomposition"]["rule"] == "relative" and item["decomposition"]["id"] == decomposition.pk
        assert item["decomposition"]["params"]["rule_params"] == decomposition.params["rule_params"]
        assert item["milestones"]
    one = api.get(f"/api/v1/decompositions/{decomposition.pk}/").json()
    assert one["indicator"] == "1-2-1" and one["national_target"] == 2.0 and len(one["targets"]) == body["count"]
    # the regional status now uses the regional target, as the page says
    status = api.get(f"/api/v1/statuses/?indicator=1-2-1&region={ASTANA}&lang=en").json()["results"][0]
    if ASTANA in by_region:
        assert status["target_kind"] == "decomposed" and status["regional_target"] == by_region[ASTANA]["id"]
        assert status["target_source"] == f"decomposition #{decomposition.pk}" and status["direction"] == "lower"


def test_proposals_are_not_public(api, national, make_user):
    _assessable()
    akim = make_user("akim", role="akimat", region=ASTANA)
    year = max(v.year for v in IndicatorValue.objects.filter(indicator__code="1-2-1", region__kato=ASTANA, dims="", unit="PT"))
    indicator, region = Indicator.objects.get(code="1-2-1"), Region.objects.get(kato=ASTANA)
    targets_service.propose_target(indicator, region, user=akim, base_year=year, target_value=0.5, target_year=2030,
                                   reason="Programme of the akimat")
    assert RegionalTarget.objects.filter(status="proposed").count() == 1
    assert api.get("/api/v1/regional-targets/").json()["count"] == 0
    api.force_authenticate(get_user_model().objects.get(username="akim"))
    assert api.get("/api/v1/regional-targets/?status=proposed").json()["count"] == 1


# --------------------------------------------------------------------------------------------- language


def test_names_and_messages_follow_the_request_language(api):
    region = Region.objects.get(kato=ASTANA)
    for lang, name in (("kk", region.name_kk), ("ru", region.name_ru), ("en", region.name_en)):
        by_param = api.get(f"/api/v1/regions/{ASTANA}/?lang={lang}")
        by_header = api.get(f"/api/v1/regions/{ASTANA}/", HTTP_ACCEPT_LANGUAGE=f"{lang},en;q=0.5")
        assert by_param.json()["name"] == by_header.json()["name"] == name
        assert by_param["Content-Language"] == by_header["Content-Language"] == lang
        assert "Accept-Language" in by_header["Vary"]
    assert api.get(f"/api/v1/regions/{ASTANA}/?lang=en", HTTP_ACCEPT_LANGUAGE="ru").json()["name"] == region.name_en
    ru = api.get("/api/v1/values/?region=abc&lang=ru").json()["region"][0]
    en = api.get("/api/v1/values/?region=abc", HTTP_ACCEPT_LANGUAGE="en").json()["region"][0]
    assert en == ("Give a region's KATO code (e.g. 150000000), its ISO 3166-2 code (e.g. KZ-AKT) or 'national'."
                  ) and ru != en and "КАТО" in ru
    missing = api.get("/api/v1/indicators/9-9-9/?lang=ru")
    assert missing.status_code == 404 and missing.json()["detail"] != api.get("/api/v1/indicators/9-9-9/?lang=en").json()["detail"]
    assert api.get("/api/v1/regions/?lang=xx").status_code == 400


# --------------------------------------------------------------------------------------------- validation and ETags


@pytest.mark.parametrize("query", [
    "values/?year_min=abc", "values/?year_max=2020.5", "values/?year_min=2020&year_max=2010", "values/?year=99999999999999999999",
    "values/?region=12", "values/?disaggregation=SEX", "values/?disaggregation=NOPE=1", "values/?verified=maybe",
    "values/?status=invented", "indicators/?goal=18", "indicators/?goal=x", "indicators/?category=future",
    "targets/?goal=0", "regions/?kind=village", "statuses/?region=123", "statuses/?goal=99",
    "regional-targets/?decomposition=99999999999999999999", "regions/?lang=de",
])
def test_bad_query_parameters_are_400_with_a_message(api, query):
    response = api.get(f"/api/v1/{query}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body and all(isinstance(v, list) and v and all(isinstance(m, str) and m for m in v) for v in body.values())


@pytest.mark.parametrize("query", ["values/?offset=100000000000000000000000", "values/?limit=100000000000000000000",
                                   "values/?limit=-5&offset=-5", "regions/?limit=abc"])
def test_paging_parameters_never_fail(api, query):
    response = api.get(f"/api/v1/{query}")
    assert response.status_code == 200 and len(response.json()["results"]) <= 1000


@pytest.mark.parametrize("url", ["regions/", "districts/?format=geojson", "values/?format=csv", "indicators/", "statuses/?limit=5"])
def test_conditional_get_with_etag(api, national, url):
    first = api.get(f"/api/v1/{url}")
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    again = api.get(f"/api/v1/{url}", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    other_language = api.get(f"/api/v1/{url}", HTTP_ACCEPT_LANGUAGE="ru" if "ru" not in first["Content-Language"] else "en")
    assert other_language["ETag"] != etag or url.startswith("values")
    assert api.get(f"/api/v1/{url}", HTTP_IF_NONE_MATCH='"stale"').status_code == 200
