"""Issue 12, budget and account half, in Chromium: at 390×844 (phone) and 1366×900, in kk and ru, no budget or
account page is wider than the viewport, the main actions are at least 44 px tall, and axe finds no serious or
critical violation; the resident proposes with a pin found by the place search on the phone, votes, gets a receipt
and checks it on "my ballot". Screenshots of every page at both widths go to tests/artifacts/mobile_budget-…/.

The OpenStreetMap tiles are blocked in these tests (no network in CI): the map must fall back to the district's
outline and say so."""
import re

import pytest

from tests.browser.conftest import (
    INSIDE_ESIL,
    PASSWORD,
    admit,
    assert_language,
    assign_expert,
    main_text,
    make_cycle,
    make_resident,
    messages_text,
    move,
    propose,
    set_password,
    t,
    url,
)
from tests.browser.test_accessibility import axe, describe

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
TILES = re.compile(r"^https://tile\.openstreetmap\.org/")

WIDTH_JS = "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
#: Visible buttons (and links styled as buttons) of the page's main content lower than 44 px; the map's own
#: controls (Leaflet's zoom buttons) are not the page's actions.
SMALL_TARGETS_JS = """() => [...document.querySelectorAll('main button, main .button, main input[type=submit]')]
  .filter(el => !el.closest('.leaflet-container') && el.offsetParent !== null)
  .filter(el => el.getBoundingClientRect().height < 44)
  .map(el => `${el.outerHTML.slice(0, 120)} (${Math.round(el.getBoundingClientRect().height)} px)`)"""


def new_page(site, lang, viewport, **options):
    """A page at ``viewport`` whose OpenStreetMap tile requests fail (as offline)."""
    context = site.browser.new_context(
        base_url=site.url, locale={"kk": "kk-KZ", "ru": "ru-RU"}[lang], viewport=viewport,
        is_mobile=viewport is PHONE, has_touch=viewport is PHONE, **options,
    )
    context.set_default_timeout(20_000)
    context.route(TILES, lambda route: route.abort())
    site.contexts.append(context)
    page = context.new_page()
    page.on("pageerror", lambda error: site.page_errors.append(f"{page.url}: {error}"))
    return page


def login(page, lang, username):
    page.goto(url(lang, "login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/accounts/login/" not in page.url, main_text(page)[:300]


def check_page(site, page, name, width_name, *, run_axe):
    size = page.evaluate(WIDTH_JS)
    assert size["scroll"] <= size["inner"], f"{name} ({width_name}) is {size['scroll']} px wide: {page.url}"
    small = page.evaluate(SMALL_TARGETS_JS)
    assert not small, f"{name} ({width_name}): tap targets under 44 px: {small}"
    site.shot(page, f"{name}-{width_name}")
    if run_axe:
        problems = axe(page)
        assert not problems, f"{page.url}\n{describe(problems)}"


def counted_cycle(lang):
    """A counted cycle with long Kazakh/Russian titles: the results page has its tables."""
    from budget import services
    from budget.models import Stage

    cycle = make_cycle(f"counted {lang}")
    expert = assign_expert(cycle, f"counted-expert-{lang}")
    authors = [make_resident(f"counted-{lang}-{i}", 600 + i, language=lang) for i in range(3)]
    titles = ["Балалар ойын алаңын жаңарту және жарықтандыру", "Благоустройство двора: скамейки, урны, освещение",
              "Жаяу жүргінші жолын жөндеу"]
    proposals = [propose(cycle, a, title, 9_000_000) for a, title in zip(authors, titles)]
    move(cycle, Stage.REVIEW)
    for p in proposals:
        admit(p, expert)
    move(cycle, Stage.VOTING)
    bucket = cycle.buckets.get()
    for a, picks in zip(authors, [[0, 1], [1, 2], [0]]):
        services.cast_ballot(bucket, a, [proposals[i].pk for i in picks])
    move(cycle, Stage.COUNTING)
    services.close_cycle(cycle)
    return cycle


def demo_cycle():
    from budget.demo import DEMO_NAME_EN
    from budget.models import Cycle

    return Cycle.objects.get(name_en=DEMO_NAME_EN)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_budget_and_account_pages_fit_phone_and_desktop(site, lang):
    from budget import services

    cycle = demo_cycle()
    first, second = cycle.buckets.order_by("id")
    proposal = cycle.proposals.order_by("id").first()
    submission = make_cycle(f"width {lang}")
    resident = make_resident(f"phone-{lang}", 300, language=lang)
    ballot, _created = services.cast_ballot(first, resident, [proposal.pk])
    code = ballot.receipt_code
    propose(submission, resident, "Скамейки и фонари у подъезда", 9_000_000)
    set_password("demo-akimat")
    counted = counted_cycle(lang)

    public = [
        ("cycles", url(lang, "budget:cycle_list")),
        ("cycle", url(lang, "budget:cycle_detail", cycle.pk)),
        ("proposals", url(lang, "budget:proposal_list", cycle.pk)),
        ("proposal", url(lang, "budget:proposal_detail", proposal.pk)),
        ("protocol", url(lang, "budget:protocol", cycle.pk)),
        ("results", url(lang, "budget:results", cycle.pk)),
        ("results-counted", url(lang, "budget:results", counted.pk)),
        ("protocol-counted", url(lang, "budget:protocol", counted.pk)),
        ("implementation-counted", url(lang, "budget:implementation", counted.pk)),
        ("implementation", url(lang, "budget:implementation", cycle.pk)),
        ("my-ballot-check", url(lang, "budget:my_ballot", query=f"code={code}")),
        ("signup", url(lang, "budget:signup")),
        ("login", url(lang, "login")),
        ("password-reset", url(lang, "password_reset")),
        ("password-reset-done", url(lang, "password_reset_done")),
        ("password-reset-bad-link", url(lang, "password_reset_confirm", "MQ", "bad-token")),
        ("password-reset-complete", url(lang, "password_reset_complete")),
        ("home", url(lang, "home")),
    ]
    resident_pages = [
        ("ballot", url(lang, "budget:ballot", second.pk)),
        ("my-ballot", url(lang, "budget:my_ballot")),
        ("my-proposals", url(lang, "budget:my_proposals")),
        ("my-activity", url(lang, "budget:my_activity")),
        ("proposal-form", url(lang, "budget:proposal_submit", make_cycle(f"form {lang}").pk)),
    ]
    officer_pages = [
        ("paper-ballot", url(lang, "budget:paper_ballot", first.pk)),
        ("stage-form", url(lang, "budget:cycle_stage", cycle.pk)),
    ]
    for viewport, width_name in ((PHONE, "390"), (DESKTOP, "1366")):
        expert_pages = [("review-queue", url(lang, "budget:review_queue"))]
        for who, pages in ((None, public), (resident.username, resident_pages), ("demo-akimat", officer_pages),
                           (f"counted-expert-{lang}", expert_pages)):
            page = new_page(site, lang, viewport)
            if who:
                login(page, lang, who)
            for name, path in pages:
                response = page.goto(path)
                assert response.status == 200, (path, response.status)
                assert_language(page, lang)
                if name in ("proposal", "proposals", "proposal-form"):
                    page.locator(".leaflet-interactive").first.wait_for()
                check_page(site, page, name, width_name, run_axe=viewport is PHONE)
            page.context.close()
            site.contexts.remove(page.context)
    assert not site.page_errors, site.page_errors


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_resident_journey_on_a_phone(site, lang):
    from budget import services
    from budget.models import Ballot, Proposal

    cycle = make_cycle(f"phone journey {lang}")
    resident = make_resident(f"aruzhan-{lang}", 400, language=lang)
    title = {"kk": "Аулаға орындықтар мен шамдар", "ru": "Скамейки и фонари во дворе"}[lang]
    page = new_page(site, lang, PHONE)
    login(page, lang, resident.username)

    # 1. The home page says voting is open in the resident's region (the demo cycle).
    page.goto(url(lang, "home"))
    banner = page.locator("main .vote-banner")
    expect(banner.first).to_be_visible()
    expect(banner.first).to_contain_text(demo_cycle().tr("name", lang))
    site.shot(page, "home-banner")

    # 2. Propose, with the pin found by the place search (the OSM tiles fail: the outline stays, with a note).
    page.goto(url(lang, "budget:proposal_submit", cycle.pk))
    page.locator("#pin-map path.leaflet-interactive").wait_for()
    expect(page.locator("#pin-map-offline")).to_be_visible()
    page.fill("#id_title", title)
    page.fill("#id_description", "Benches and lights at the entrances.")
    page.select_option("#id_category", "equipment")
    page.fill("#id_address", "Astana, Mangilik El 10")
    page.fill("#id_estimated_cost", "8000000")
    page.fill("#place-q", "аст")
    page.press("#place-q", "Enter")
    result = page.locator("#place-results button", has_text="Астана")
    expect(result).to_have_count(1)
    result.click()
    expect(page.locator("#pin-map .leaflet-marker-icon")).to_have_count(1)
    lat, lon = float(page.input_value("#id_lat")), float(page.input_value("#id_lon"))
    assert abs(lat - 51.1282) < 0.001 and abs(lon - 71.4307) < 0.001, (lat, lon)
    expect(page.locator("#map-status")).to_contain_text("Астана")
    page.fill("#goal-filter", "11")
    expect(page.locator("#goal-picker li:visible")).to_have_count(1)
    page.locator("#goal-picker li:visible input").check()
    site.shot(page, "proposal-form-phone")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    mine = Proposal.objects.filter(cycle=cycle, title=title).first()
    assert mine is not None, main_text(page)[:1500]
    assert list(mine.sdg_goals.values_list("number", flat=True)) == [11]
    assert (round(mine.lat, 4), round(mine.lon, 4)) == (round(lat, 4), round(lon, 4))
    page.goto(url(lang, "budget:my_proposals"))
    expect(page.locator("main .ppb-card", has_text=title)).to_have_count(1)
    expect(page.locator("main .ppb-card .sdg-11")).to_have_count(1)

    # 3. Vote in the demo cycle on the phone: the sticky button, the receipt, the prompt for the next bucket.
    demo = demo_cycle()
    first, second = demo.buckets.order_by("id")
    page.goto(url(lang, "budget:cycle_detail", demo.pk))
    sticky = page.locator(".sticky-cta .button")
    expect(sticky).to_be_visible()
    box = sticky.bounding_box()
    assert box["height"] >= 44 and box["y"] + box["height"] <= PHONE["height"] + 1, box  # on screen at once
    site.shot(page, "cycle-sticky-vote", full_page=False)
    with page.expect_navigation():
        sticky.click()
    assert page.url.endswith(url(lang, "budget:ballot", first.pk)), page.url
    page.locator("main input[name=choices]").first.check()
    with page.expect_navigation():
        page.locator("main form.ballot button[type=submit]").click()
    assert t(lang, "Your vote was recorded.") in messages_text(page)
    code = page.locator(".receipt-code").inner_text().strip()
    ballot = Ballot.objects.get(bucket=first, voter_hash=services.ballot_voter_hash(services.resident_of(resident).iin_hash, first))
    assert services.receipt_hash(code) == ballot.receipt_hash
    expect(page.locator(".next-bucket a.button")).to_have_attribute("href", url(lang, "budget:ballot", second.pk))
    site.shot(page, "receipt")

    # 4. Check the receipt on "my ballot"; an anonymous visitor with the code sees the same, and no choice.
    with page.expect_navigation():
        page.locator(".receipt a").click()
    expect(page.locator("#receipt-result")).to_contain_text(first.tr("name", lang))
    site.shot(page, "my-ballot")
    chosen = ballot.choices.get().title
    other = new_page(site, lang, PHONE)
    other.goto(url(lang, "budget:my_ballot"))
    other.fill("#receipt-code", code.lower())
    with other.expect_navigation():
        other.locator("main form button[type=submit]").click()
    expect(other.locator("#receipt-result")).to_contain_text(first.tr("name", lang))
    assert chosen not in other.content()
    assert not site.page_errors, site.page_errors


@pytest.mark.browser
def test_use_my_location_and_refusal(site):
    cycle = make_cycle("geolocation")
    resident = make_resident("geo-resident", 500, language="ru")
    allowed = new_page(site, "ru", PHONE, geolocation={"latitude": INSIDE_ESIL[0], "longitude": INSIDE_ESIL[1]},
                       permissions=["geolocation"])
    login(allowed, "ru", resident.username)
    allowed.goto(url("ru", "budget:proposal_submit", cycle.pk))
    allowed.locator("#pin-map path.leaflet-interactive").wait_for()
    allowed.locator("#locate-me").click()
    expect(allowed.locator("#pin-map .leaflet-marker-icon")).to_have_count(1)
    assert (float(allowed.input_value("#id_lat")), float(allowed.input_value("#id_lon"))) == INSIDE_ESIL
    expect(allowed.locator("#map-status")).to_have_text(t("ru", "The pin is at your location. Click the map to correct it."))
    refused = new_page(site, "ru", PHONE)
    login(refused, "ru", resident.username)
    refused.goto(url("ru", "budget:proposal_submit", cycle.pk))
    refused.locator("#pin-map path.leaflet-interactive").wait_for()
    refused.locator("#locate-me").click()
    expect(refused.locator("#map-status")).to_have_text(t(
        "ru", "You did not allow the site to use your location. Search for the place or click the map instead."))
    expect(refused.locator("#pin-map .leaflet-marker-icon")).to_have_count(0)
    assert not site.page_errors, site.page_errors
