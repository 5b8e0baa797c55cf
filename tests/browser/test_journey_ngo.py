"""NGO journey: the map of indicators and gaps, its legend and downloads, then a region's SDG dashboard."""
import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.browser.conftest import assert_language, main_text, t, url

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

INDICATOR = "ind:1-2-1"  # 1.2.1 poverty rate: a national indicator with values for all 20 regions
YEAR = "2015"


def legend(page):
    """The map's legend, opened with a tap when it is collapsed (below the map on a phone)."""
    box = page.frame_locator("iframe.map-frame").locator(".aimaq-legend")
    if box.locator("details").get_attribute("open") is None:
        box.locator("summary").click()
    return box


def show(page, **choices):
    for name, value in choices.items():
        page.select_option(f"#id_{name}", value)
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()


def download(page, selector) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.locator(selector).click()
    done = info.value
    assert done.failure() is None, done.failure()
    return done.suggested_filename, Path(done.path()).read_bytes()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_ngo_map_downloads_and_dashboard(site, lang):
    page = site.new_page(lang)
    page.set_viewport_size({"width": 390, "height": 844})  # residents and NGOs use phones (issue 12)
    page.goto(url(lang, "geo:map"))
    assert_language(page, lang)
    expect(page.locator("h1")).to_have_text(t(lang, "Map of indicators and gaps"))
    expect(legend(page)).to_be_visible()
    first_title = legend(page).locator(".aimaq-legend-title").inner_text()
    first_unit = legend(page).locator(".aimaq-legend-unit").inner_text()
    site.shot(page, "map-default")

    # Another indicator: the legend's title follows it.
    show(page, layer=INDICATOR)
    label = page.locator(f"#id_layer option[value='{INDICATOR}']").inner_text().strip()
    expect(legend(page).locator(".aimaq-legend-title")).to_have_text(label)
    assert label != first_title
    site.shot(page, "map-indicator")
    latest_classes = legend(page).locator(".aimaq-legend-classes").inner_text()

    # Another year: the legend's year line and classes follow it.
    show(page, year=YEAR)
    assert re.search(rf"[?&]year={YEAR}\b", page.url), page.url
    unit_line = legend(page).locator(".aimaq-legend-unit")
    expect(unit_line).to_contain_text(YEAR)
    assert unit_line.inner_text() != first_unit
    assert legend(page).locator(".aimaq-legend-classes").inner_text() != latest_classes
    expect(page.locator("main table.data caption")).to_contain_text(YEAR)
    rows = page.locator("main table.data tbody tr")
    expect(rows).to_have_count(20)
    site.shot(page, "map-indicator-2015")

    # Downloads of exactly what the map shows.
    name, body = download(page, "a[href*='gaps.csv']")
    assert name.endswith(".csv") and YEAR in name, name
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(table) == 20, table[:3]
    assert {r["measure"] for r in table} == {INDICATOR}
    assert {r["year"] for r in table} == {YEAR}, {r["year"] for r in table}
    assert all(r["value"] for r in table), [r for r in table if not r["value"]]
    assert {r["label"] for r in table} == {label}  # the CSV speaks the page's language

    name, body = download(page, "a[href*='gaps.geojson']")
    assert name.endswith(".geojson"), name
    collection = json.loads(body)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 20
    by_kato = {f["properties"]["kato"]: f for f in collection["features"]}
    assert set(by_kato) == {r["region_kato"] for r in table}
    for r in table:
        feature = by_kato[r["region_kato"]]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert feature["properties"]["value"] == pytest.approx(float(r["value"]))
        assert str(feature["properties"]["year"]) == YEAR

    # A region's dashboard: map table → region's gaps → region page → its SDG dashboard.
    link = rows.first.locator("th a")
    region_name = link.inner_text().strip()
    with page.expect_navigation():
        link.click()
    expect(page.locator("h1")).to_contain_text(region_name)
    site.shot(page, "region-gaps")
    with page.expect_navigation():
        page.locator("main nav.breadcrumb a", has_text=region_name).click()
    with page.expect_navigation():
        page.get_by_role("link", name=t(lang, "SDG dashboard"), exact=True).click()
    assert_language(page, lang)
    expect(page.locator("h1")).to_have_text(t(lang, "SDG indicators: %(region)s", region=region_name))
    assert re.search(r"/regions/\d{9}/indicators/$", page.url), page.url
    expect(page.locator("#goals + ul.goal-cards > li")).to_have_count(17)
    assert t(lang, "Gaps compared with the national level") in main_text(page)
    site.shot(page, "region-dashboard")
    assert not site.page_errors, site.page_errors
