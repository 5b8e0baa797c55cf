"""Regions, indicators and maps at 390×844 (phone) and 1366×900 (desktop), in kk and ru: no page is wider than the
viewport, axe finds no serious or critical violation, and a screenshot of each page at each width is written to
tests/artifacts/mobile_pages-<lang>/ for review. One live server and one browser for the whole module's pages."""
import re

import pytest

from tests.browser.conftest import assert_language, url
from tests.browser.test_accessibility import axe, describe

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

WIDTHS = {"phone": (390, 844), "desktop": (1366, 900)}
ASTANA = "710000000"
PAGES = [
    ("regions", "region_list", ()),
    ("region", "region_detail", (ASTANA,)),
    ("region-indicators", "ind_region", (ASTANA,)),
    ("indicators", "ind_list", ()),
    ("indicator", "ind_detail", ("1-2-1",)),
    ("map", "geo:map", ()),
    ("gaps", "geo:gaps", ()),
]
WIDTH_JS = "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_pages_fit_the_phone_and_the_desktop(site, lang):
    page = site.new_page(lang)
    problems = []
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, route, args in PAGES:
            page.goto(url(lang, route, *args))
            assert_language(page, lang)
            page.wait_for_load_state("load")
            wide = page.evaluate(WIDTH_JS)
            if wide > width:
                problems.append(f"{name} at {width} px is {wide} px wide")
            site.shot(page, f"{name}-{width_name}")
            if width_name == "phone":
                violations = axe(page)
                if violations:
                    problems.append(f"{name}: {describe(violations)}")
    assert not problems, "\n".join(problems)
    assert not site.page_errors, site.page_errors


@pytest.mark.browser
def test_map_on_the_phone_fits_kazakhstan_with_the_legend_below(site):
    page = site.new_page("kk")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url("kk", "geo:map"))
    frame = page.frame_locator("iframe.map-frame")
    legend = frame.locator(".aimaq-legend")
    expect(legend).to_have_class(re.compile(r"\baimaq-legend-below\b"))
    expect(legend.locator("details")).not_to_have_attribute("open", "")
    # The legend is below the map, not on it.
    map_box = frame.locator(".folium-map").bounding_box()
    legend_box = legend.bounding_box()
    assert legend_box["y"] >= map_box["y"] + map_box["height"] - 1
    # Kazakhstan is inside the map: every region shape is within the map's box.
    shapes = frame.locator("path.leaflet-interactive")
    assert shapes.count() >= 20
    for i in range(shapes.count()):
        box = shapes.nth(i).bounding_box()
        if box:
            assert box["x"] >= map_box["x"] - 2 and box["x"] + box["width"] <= map_box["x"] + map_box["width"] + 2
    # Cities are labelled (Astana, Almaty, Shymkent and the oblast centres, from the settlements the site holds).
    labels = frame.locator(".aimaq-city")
    assert labels.count() >= 17
    expect(frame.locator(".aimaq-city", has_text="Астана")).to_have_count(1)
    legend.locator("summary").click()
    expect(legend.locator("details")).to_have_attribute("open", "")
    site.shot(page, "map-phone-legend-open")
    assert not site.page_errors, site.page_errors


@pytest.mark.browser
def test_indicator_list_on_the_phone_opens_goals_in_place_and_searches_as_you_type(site):
    """The list is grouped by goal, every goal closed: opening one loads its indicators in place (?partial=1),
    and typing in the search shows the server's results without reloading the page."""
    page = site.new_page("kk")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url("kk", "ind_list"))
    goal1 = page.locator("details#goal-1")
    expect(goal1).not_to_have_attribute("open", "")
    expect(goal1.locator("a[href$='/indicators/1-2-1/']")).to_have_count(0)
    goal1.locator("summary").click()
    expect(goal1.locator("a[href$='/indicators/1-2-1/']")).to_have_count(1)
    site.shot(page, "indicators-phone-goal-open")
    page.fill("#indicator-filters input[name=q]", "1.2.1")
    expect(page.locator("details.goal-group")).not_to_have_count(17)  # only the goals holding a match, open
    expect(page.locator("details.goal-group:not([open])")).to_have_count(0)
    expect(page.locator("details#goal-1[open] a[href$='/indicators/1-2-1/']")).to_have_count(1)
    expect(page.locator("#indicator-count")).to_contain_text("көрсетілді")
    assert "q=1.2.1" in page.url
    wide = page.evaluate(WIDTH_JS)
    assert wide <= 390, wide
    assert not site.page_errors, site.page_errors
