"""Map HTML: every region, the legend, the chosen year's values, the page language, and no external asset."""
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import translation

from geo import maps, services
from geo.models import Settlement
from localization.models import District, Goal, Indicator, IndicatorValue, Region

ABAI, EAST_KAZ, KARAGANDA, ASTANA = "100000000", "630000000", "350000000", "710000000"
# Any reference to another host, with a scheme or protocol-relative ("//host/..."), in the page.
OTHER_HOST = re.compile(r"""(?:https?:)?//([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})""", re.I)


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    cache.clear()
    services.themes._LOCAL.__dict__.clear()
    yield
    cache.clear()


@pytest.fixture
def data(db):
    services.load_published_figures()
    ind = Indicator.objects.create(code="1-2-1", sort_key="01.02.01", goal=Goal.objects.get(number=1), unit="PT",
                                   unit_en="Percent")
    for i, region in enumerate(Region.objects.exclude(kato=ASTANA)):
        IndicatorValue.objects.create(indicator=ind, region=region, area_code=region.ref_area, territory="2024",
                                      year=2023, unit="PT", value=round(2.0 + i * 0.37, 2), source_file="data/x.csv",
                                      source_line=10 + i)
        IndicatorValue.objects.create(indicator=ind, region=region, area_code=region.ref_area, territory="2024",
                                      year=2022, unit="PT", value=99.0 if i == 0 else 4.0, source_file="data/x.csv",
                                      source_line=100 + i)
    IndicatorValue.objects.create(indicator=ind, region=Region.objects.get(kato=EAST_KAZ), area_code="KZVOS",
                                  territory="pre2022", year=2021, unit="PT", value=5.5, source_file="data/x.csv",
                                  source_line=262)
    return ind


def external_urls(html: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'<>)\\]+", html))


def asset_urls(html: str) -> list[str]:
    """URLs the browser loads by itself: script/img/iframe src, stylesheet href, CSS url(), JS fetch()."""
    found = re.findall(r"<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=[\"']([^\"']+)", html)
    found += re.findall(r"<link\b[^>]*\bhref=[\"']([^\"']+)", html)
    found += re.findall(r"url\(\s*['\"]?([^'\")]+)", html)
    found += re.findall(r"@import\s+['\"]([^'\"]+)", html)
    found += re.findall(r"fetch\(\s*\"([^\"]+)", html)
    return found


def on_site(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def render(layer="poverty_rate", year=2023, lang="ru", **options):
    with translation.override(lang):
        layer_data = services.layer_data(layer, year)
        return maps.render(maps.build_map(layer_data, maps.MapOptions(**options), lang), lang, layer_data.label), layer_data


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_map_contains_every_region_the_legend_and_the_years_values(data, lang):
    html, layer = render(lang=lang)
    for region in Region.objects.all():
        assert region.tr("name", lang) in html, region.kato
    assert "aimaq-legend" in html and "L.control" in html
    assert html.count("L.control.scale(") == 1 and "L.control.scale({imperial: false})" in html  # kilometres only
    for row in layer.rows:
        if row.cell.value is not None:
            assert row.text in html  # e.g. "2,4" in kk/ru, "2.4" in en
    texts = {"kk": ("деректер жоқ", "Өңір"), "ru": ("нет данных", "Регион"), "en": ("no data", "Region")}[lang]
    for text in texts:
        assert text in html
    assert f'<html lang="{lang}">' in html
    assert layer.year == 2023 and "99,0" not in html and "99.0" not in html  # 2022's values are not shown


def add_settlement(name="Семей"):
    region = Region.objects.get(kato=ABAI)
    return Settlement.objects.create(name_ru=name, type="city", lat=50.4, lon=80.2, region=region, population=310456,
                                     district=District.objects.filter(region=region).first(), source="test")


@pytest.mark.django_db
def test_map_references_no_external_host(data):
    add_settlement()
    html, _ = render(settlements=True, settlement_region=ABAI)
    for url in asset_urls(html):
        assert url.startswith("/static/") or url.startswith("data:") or on_site(url), url
    assert {m.group(0) for m in OTHER_HOST.finditer(html)} <= {"https://tile.openstreetmap.org"}
    # the only absolute URL is the opt-in OSM tile template, switched off until the user turns it on
    assert external_urls(html) == {maps.OSM_TILES}
    assert re.search(r'L\.tileLayer\(\s*"https://tile\.openstreetmap\.org/\{z\}/\{x\}/\{y\}\.png"', html)
    tiles = re.search(r'var (tile_layer_\w+) = L\.tileLayer', html).group(1)
    assert f"{tiles}.addTo(" not in html  # not shown by default
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/vendor/leaflet-markercluster/leaflet.markercluster.js" in html


@pytest.mark.django_db
def test_map_without_tiles_has_no_external_url_at_all(data):
    html, _ = render(tiles=False)
    assert external_urls(html) == set()


@pytest.mark.django_db
def test_standalone_file_inlines_leaflet(data):
    add_settlement()
    html, _ = render(settlements=True, settlement_region=ABAI, standalone=True)
    standalone = maps.standalone_html(html)
    assert not re.search(r"<script\b[^>]*\bsrc=", standalone)
    assert not re.search(r"<link\b[^>]*\bhref=", standalone)
    for url in asset_urls(standalone):
        assert url.startswith(("data:", "#")), url[:80]  # "#default#VML" is an old-IE behaviour in leaflet.css
    assert "leaflet.js (inlined)" in standalone and "leaflet.markercluster.js (inlined)" in standalone
    assert "L.map(" in standalone and "markerClusterGroup" in standalone
    # absolute URLs left are comments/namespaces inside the Leaflet source and the opt-in tiles, no assets
    leftovers = external_urls(standalone) - {maps.OSM_TILES}
    assert leftovers <= {"http://www.w3.org/2000/svg", "https://leafletjs.com",
                         "https://bugzilla.mozilla.org/show_bug.cgi?id=888319"}, leftovers


@pytest.mark.django_db
def test_estimates_are_marked_on_the_map(data):
    html, layer = render(year=2021, lang="en")
    abai = next(r for r in layer.rows if r.kato == ABAI)
    assert abai.cell.status == "crosswalk" and abai.text == "5.5"
    assert "estimate (crosswalk), dashed outline" in html
    assert '"dashArray": "6 4"' in html
    assert html.count("estimate (crosswalk)") >= 3  # legend + two tooltips (Abai, East Kazakhstan)


@pytest.mark.django_db
def test_gap_layer_uses_diverging_classes_and_grey_no_data(data):
    html, layer = render("poverty_gap_pp", 2023, "en")
    classes = maps.classify(layer.values, "quantiles", diverging=True)
    assert any(c.upper < 0 for c in classes) and any(c.lower > 0 for c in classes)
    assert all(c.colour in maps.DIV_BETTER for c in classes if c.side == "below")
    assert all(c.colour in maps.DIV_WORSE for c in classes if c.side == "above")
    assert "Blue: better than the target; red: worse than the target." in html
    astana = next(r for r in layer.rows if r.kato == ASTANA)
    assert astana.cell.missing and maps.colour_of(classes, astana.cell.value) == maps.NO_DATA
    assert f'"fillColor": "{maps.NO_DATA}"' in html


def test_classification_quantiles_and_natural_breaks():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50, 60]
    q = maps.classify(values, "quantiles", higher_is_worse=True)
    nb = maps.classify(values, "natural_breaks", higher_is_worse=True)
    assert len(q) == 5 and len(nb) == 5
    assert sum(c.count for c in q) == len(values) == sum(c.count for c in nb)
    assert [c.colour for c in q] == maps.SEQ_WORSE
    assert nb[-1].lower >= 10  # Jenks separates the two outliers
    assert maps.classify([], "quantiles") == []
    few = maps.classify([3.4, 3.4, 77.7], "quantiles")
    assert len(few) == 2 and sum(c.count for c in few) == 3
    assert maps.colour_of(few, None) == maps.NO_DATA and maps.colour_of(few, float("nan")) == maps.NO_DATA


@pytest.mark.django_db
def test_settlement_layer_is_clustered_and_names_are_escaped(data):
    add_settlement("<script>alert(1)</script>")
    html, _ = render(settlements=True, settlement_region=ABAI)
    assert "L.markerClusterGroup" in html and "<script>alert(1)</script>" not in html
    assert "ODbL" in html


@pytest.mark.django_db
def test_ppb_layer_only_when_the_budget_app_publishes_points(data):
    html, _ = render()
    with mock.patch.object(maps, "ppb_url", return_value=None):
        html_without, _ = render()
    assert "Participatory budget projects" not in html_without and "Жобалар" not in html_without
    with mock.patch.object(maps, "ppb_url", return_value="/ru/budget/projects.geojson"):
        html_with, _ = render()
        standalone, _ = render(standalone=True)
    assert 'fetch("/ru/budget/projects.geojson"' in html_with
    assert "budget/projects.geojson" not in standalone  # the offline file embeds the data or leaves the layer out


@pytest.mark.django_db
def test_rss_priority_settlements_are_highlighted(data):
    from django.utils import translation

    from geo.models import RssObservation, RssStandard

    translation.activate("en")  # the tooltip text is asserted in English

    standard = RssStandard.objects.create(code="S1", name_kk="a", name_ru="a", name_en="School", is_example=False,
                                          settlement_types=["city"], source="order")
    semey = add_settlement("Семей")
    RssObservation.objects.create(settlement=semey, standard=standard, year=2024, met=False, source="survey")
    for region in (ABAI, None):  # one region, and the whole country
        rows = maps.settlement_rows(region, "en")
        row = next(r for r in rows if r[2] == "Семей")
        assert row[4] == 1 and row[5] == "RSS priority 1: gap 100.0 pp (2024)"
    html, _ = render(lang="en", settlements=True)
    assert "aimaq-pt-priority" in html and "RSS priority 1: gap 100.0 pp (2024)" in html
