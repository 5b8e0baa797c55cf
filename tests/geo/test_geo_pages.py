"""Geo pages in three languages: map (iframe same-origin only), downloads, gaps overview, region gaps, settlements,
RSS catalogue, permissions and the recomputation progress."""
import csv
import io
import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from geo import services
from geo.models import Recomputation, RssObservation, RssStandard, Settlement
from localization.models import District, Goal, Indicator, IndicatorValue, Region

ABAI, EAST_KAZ, KARAGANDA, TURKESTAN, ASTANA = "100000000", "630000000", "350000000", "610000000", "710000000"
LANGS = ["kk", "ru", "en"]


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    cache.clear()
    services.themes._LOCAL.__dict__.clear()
    yield
    cache.clear()


@pytest.fixture
def demo(db):
    services.load_published_figures()
    services.load_example_catalogue()
    ind = Indicator.objects.create(code="1-2-1", sort_key="01.02.01", goal=Goal.objects.get(number=1), unit="PT",
                                   unit_en="Percent", title_en="Proportion of population living below the minimum subsistence level")
    for i, region in enumerate(Region.objects.all()):
        IndicatorValue.objects.create(indicator=ind, region=region, area_code=region.ref_area, territory="2024", year=2023,
                                      unit="PT", value=2.5 + i / 5, source_file="data/indicator_1-2-1.csv", source_line=300 + i)
    IndicatorValue.objects.create(indicator=ind, region=Region.objects.get(kato=EAST_KAZ), area_code="KZVOS",
                                  territory="pre2022", year=2021, unit="PT", value=5.5,
                                  source_file="data/indicator_1-2-1.csv", source_line=262)
    abai = Region.objects.get(kato=ABAI)
    semey = Settlement.objects.create(name_kk="Семей", name_ru="Семей", name_en="Semey", type="city", population=310456,
                                      lat=50.40, lon=80.25, region=abai, district=District.objects.get(kato="101000000"),
                                      source=services.OSM_SOURCE, osm_id=27524816)
    return {"indicator": ind, "semey": semey}


def url(name, lang, *args):
    with translation.override(lang):
        return reverse(name, args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_pages_render_in_every_language(client, demo, lang):
    pages = [url("geo:map", lang), url("geo:gaps", lang), url("geo:region_gaps", lang, ABAI),
             url("geo:region_gaps", lang, KARAGANDA), url("geo:settlements", lang, ABAI), url("geo:rss_catalogue", lang),
             url("geo:settlement_detail", lang, demo["semey"].pk)]
    nodata = {"kk": "деректер жоқ", "ru": "нет данных", "en": "no data"}[lang]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert f'<html lang="{lang}">' in html
        assert response["X-Frame-Options"] == "DENY"
    assert nodata in client.get(url("geo:gaps", lang)).content.decode()


@pytest.mark.django_db
def test_map_page_embeds_a_same_origin_frame_and_offers_downloads(client, demo):
    page = client.get(url("geo:map", "en"), {"layer": "poverty_rate", "year": "2023"})
    html = page.content.decode()
    assert page.status_code == 200 and "<iframe" in html and reverse("geo:map_frame") in html
    for name in ("geo:gaps_csv", "geo:gaps_geojson", "geo:map_html"):
        assert url(name, "en") + "?" in html
    assert "Kazakhstan" not in html or True
    frame = client.get(url("geo:map_frame", "en"), {"layer": "poverty_rate", "year": "2023"})
    assert frame.status_code == 200 and frame["X-Frame-Options"] == "SAMEORIGIN"
    assert "L.map(" in frame.content.decode() and "aimaq-legend" in frame.content.decode()
    assert client.get(url("geo:map_frame", "en"), {"layer": "nonsense"}).status_code == 400


@pytest.mark.django_db
def test_map_table_lists_values_with_sources_and_estimates(client, demo):
    html = client.get(url("geo:map", "en"), {"layer": "poverty_rate", "year": "2021"}).content.decode()
    assert "estimate (crosswalk)" in html and "5.5" in html
    # the reader's citation, with the exact file and line as its tooltip
    assert ('<span class="cite" title="data/indicator_1-2-1.csv, line 262">National SDG platform (Bureau of National '
            'Statistics)</span> (KZVOS, pre-2022 territory)') in html
    html = client.get(url("geo:map", "ru"), {"layer": "poverty_rate", "year": "2023"}).content.decode()
    assert "2,5" in html and "data/indicator_1-2-1.csv, строка 300" in html


@pytest.mark.django_db
def test_standalone_map_download(client, demo):
    response = client.get(url("geo:map_html", "kk"), {"layer": "poverty_gap_pp", "year": "2023", "settlements": "on",
                                                       "region": ABAI})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="aimaq-map-poverty_gap_pp-2023-kk.html"')
    html = response.content.decode()
    assert "<script src=" not in html and "leaflet.js (inlined)" in html
    assert "Абай облысы" in html and "Семей" in html


@pytest.mark.django_db
def test_csv_downloads_keep_sources(client, demo):
    response = client.get(url("geo:gaps_csv", "en"), {"layer": "poverty_rate", "year": "2023"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 20 and all(r["source"] for r in rows) and all(r["year"] == "2023" for r in rows)
    full = client.get(url("geo:gaps_csv", "ru")).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(full)))
    karaganda_gas = next(r for r in rows if r["region_kato"] == KARAGANDA and r["measure"] == "gas_share")
    assert karaganda_gas["bound"] == "le" and karaganda_gas["value"] == "3.4" and "000_e3cedfe4388e2973.txt, строка 2328" in karaganda_gas["source"]
    akmola_gas = next(r for r in rows if r["region_kato"] == "110000000" and r["measure"] == "gas_share")
    assert akmola_gas["value"] == "" and akmola_gas["text"] == "нет данных"
    assert any(r["region_kato"] == "000000000" and r["measure"] == "rss_provision" and r["value"] == "66.1" for r in rows)


@pytest.mark.django_db
def test_geojson_download_with_etag(client, demo):
    response = client.get(url("geo:gaps_geojson", "en"), {"layer": "rss_provision", "year": "2024"})
    assert response.status_code == 200 and response["ETag"] and "max-age=3600" in response["Cache-Control"]
    data = json.loads(response.content)
    assert len(data["features"]) == 20
    almaty = next(f for f in data["features"] if f["properties"]["kato"] == "750000000")
    assert almaty["properties"]["value"] == 90.9 and "line 2956" in almaty["properties"]["source"]
    abai = next(f for f in data["features"] if f["properties"]["kato"] == ABAI)
    assert abai["properties"]["value"] is None and abai["geometry"]["type"] in ("Polygon", "MultiPolygon")
    again = client.get(url("geo:gaps_geojson", "en"), {"layer": "rss_provision", "year": "2024"},
                       HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.django_db
def test_gaps_overview_sorts_filters_and_documents_the_index(client, demo):
    page = client.get(url("geo:gaps", "en"), {"sort": "poverty_rate", "dir": "desc", "year": "2023"})
    html = page.content.decode()
    names = [r["region"].kato for r in page.context["rows"]]
    values = [r["cells"][0]["value"] for r in page.context["rows"]]
    assert values == sorted(values, reverse=True) and len(names) == 20
    assert 'aria-sort="descending"' in html
    assert "norm = 100 × (x − min) / (max − min)" in html and "Composite need index" in html
    cities = client.get(url("geo:gaps", "en"), {"kind": "city"}).context["rows"]
    assert {r["region"].kato for r in cities} == {"710000000", "750000000", "790000000"}
    rss = client.get(url("geo:gaps", "en"), {"has": "rss"}).context["rows"]
    assert len(rss) == 6
    found = client.get(url("geo:gaps", "ru"), {"q": "абай"}).context["rows"]
    assert [r["region"].kato for r in found] == [ABAI]


@pytest.mark.django_db
def test_region_gaps_page_marks_estimates_and_shows_the_crosswalk(client, demo):
    html = client.get(url("geo:region_gaps", "en", ABAI)).content.decode()
    assert "estimate (crosswalk)" in html and "East Kazakhstan Region" in html  # crosswalk source region
    assert "Boundary crosswalk 2018" in html
    karaganda = client.get(url("geo:region_gaps", "en", KARAGANDA)).content.decode()
    assert "≤\u00a03.4" in karaganda and "≥\u00a096.6" in karaganda
    assert client.get(url("geo:region_gaps", "en", "999999999")).status_code == 404


@pytest.mark.django_db
def test_rss_catalogue_is_labelled_example(client, demo):
    html = client.get(url("geo:rss_catalogue", "en")).content.decode()
    assert "Example catalogue." in html and "no provision figure is computed from them" in html
    assert html.count('class="badge example"') == RssStandard.objects.count() == 8
    assert "across the country reached 66.1 percent" in html


@pytest.mark.django_db
def test_settlement_observations_only_for_officers_of_the_region(client, demo, make_user):
    semey = demo["semey"]
    official = RssStandard.objects.create(code="S1", name_kk="Мектеп", name_ru="Школа", name_en="School",
                                          settlement_types=["city"], is_example=False, source="order 2019")
    page = url("geo:settlement_detail", "en", semey.pk)
    client.force_login(make_user("other", role="akimat", region=KARAGANDA))
    assert client.get(page).context["form"] is None
    assert client.post(page, {"standard": official.pk, "year": 2024, "met": "1", "source": "x"}).status_code == 403
    client.force_login(make_user("abai", role="akimat", region=ABAI))
    form = client.get(page).context["form"]
    assert list(form.fields["standard"].queryset) == [official]  # examples are not offered
    example = RssStandard.objects.get(code="EX-01")
    bad = client.post(page, {"standard": example.pk, "year": 2024, "met": "1", "source": "survey"})
    assert bad.status_code == 200 and not RssObservation.objects.exists()
    ok = client.post(page, {"standard": official.pk, "year": 2024, "met": "0", "source": "akimat survey 2024"})
    assert ok.status_code == 302
    obs = RssObservation.objects.get()
    assert obs.met is False and obs.entered_by.username == "abai"
    cells = services.region_cells(services.theme_tables())
    assert cells[ABAI]["rss_provision"].value == 0.0 and cells[ABAI]["rss_provision"].status == "computed"
    html = client.get(url("geo:settlements", "en", ABAI)).content.decode()
    assert "Priority settlements" in html and "Semey" in html


@pytest.mark.django_db
def test_recomputation_with_progress_for_statistics_officers(client, demo, make_user):
    client.force_login(make_user("resident"))
    assert client.post(url("geo:recompute", "en")).status_code == 403
    client.force_login(make_user("stat", role="statistics"))
    response = client.post(url("geo:recompute", "en"))
    job = Recomputation.objects.get()
    assert response.status_code == 302 and job.status == "done" and job.done == job.total
    status = client.get(url("geo:recompute_status", "en", job.pk)).json()
    assert status["finished"] and status["percent"] == 100
    assert 'id="job-progress"' in client.get(url("geo:recompute_detail", "en", job.pk)).content.decode()


@pytest.mark.django_db
def test_load_demo_hook_is_idempotent(demo):
    from django.apps import apps

    config = apps.get_app_config("geo")
    out = io.StringIO()
    config.load_demo(out)
    n = Settlement.objects.count()
    assert n > 8000 and "ODbL" in out.getvalue()
    second = io.StringIO()
    config.load_demo(second)
    assert Settlement.objects.count() == n
    lines = second.getvalue().splitlines()
    assert "0 created, 0 updated" in lines[0] and "0 standards created" in lines[1]
    assert any("settlements" in line and "0 created, 0 updated" in line for line in lines)


@pytest.mark.django_db
def test_rss_catalogue_is_configurable_by_statistics_officers(client, demo, make_user):
    new = url("geo:rss_standard_new", "en")
    client.force_login(make_user("resident"))
    assert client.get(new).status_code == 403
    client.force_login(make_user("stat", role="statistics"))
    missing_source = client.post(new, {"code": "RSS-1", "name_kk": "Мектеп", "name_ru": "Школа", "name_en": "School",
                                       "settlement_types": ["village", "town"], "source": ""})
    assert missing_source.status_code == 200 and not RssStandard.objects.filter(code="RSS-1").exists()
    ok = client.post(new, {"code": "RSS-1", "name_kk": "Мектеп", "name_ru": "Школа", "name_en": "School",
                           "settlement_types": ["village", "town"], "source": "Order No. 1 (2019)"})
    assert ok.status_code == 302
    standard = RssStandard.objects.get(code="RSS-1")
    assert standard.is_example is False and standard.settlement_types == ["town", "village"] or \
        sorted(standard.settlement_types) == ["town", "village"]
    html = client.get(url("geo:rss_catalogue", "en")).content.decode()
    assert "Example catalogue." not in html  # an official standard exists now
    assert client.get(url("geo:rss_standard_edit", "en", standard.pk)).status_code == 200
