"""Accessibility: axe-core in the same Chromium session (assets from the axe-playwright-python package) on the
home page, a region's dashboard, the map page (and the map inside its frame), the proposal form, the ballot and
the results page: no serious or critical violations, every form field labelled, and voting with the keyboard only."""
import json
from pathlib import Path

import pytest

from tests.browser.conftest import (
    INSIDE_ESIL_2,
    admit,
    assert_language,
    assign_expert,
    make_cycle,
    make_resident,
    messages_text,
    move,
    propose,
    url,
)

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

LANGS = ["kk", "ru"]
BLOCKING = ("serious", "critical")


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


AXE_JS = None

UNLABELLED_JS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && !['submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => {
    const text = node => (node && node.textContent || '').trim();
    const byLabel = [...(el.labels || [])].some(label => text(label));
    const byAria = (el.getAttribute('aria-label') || '').trim();
    const byIds = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .some(id => text(document.getElementById(id)));
    return !(byLabel || byAria || byIds || (el.title || '').trim());
  })
  .map(el => el.outerHTML.slice(0, 200))"""


BROKEN_REFERENCES_JS = """() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby]')]
  .flatMap(el => ['aria-describedby', 'aria-labelledby'].flatMap(attr =>
    (el.getAttribute(attr) || '').split(/\\s+/).filter(id => id && !document.getElementById(id))
      .map(id => `${attr}="${id}" on ${el.outerHTML.slice(0, 120)}`)))"""


def axe(target) -> list[dict]:
    """Run axe-core in a page or frame; the serious and critical violations."""
    global AXE_JS
    if AXE_JS is None:
        AXE_JS = axe_source()
    if not target.evaluate("() => typeof window.axe !== 'undefined'"):
        target.add_script_tag(content=AXE_JS)
    # Frames are checked separately (axe in the parent would otherwise wait for axe inside every frame).
    results = target.evaluate("async () => await axe.run(document, {iframes: false, resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def describe(violations) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    {json.dumps(node['target'])}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def audit(site, page, name: str) -> None:
    """axe on the page (and on the frames it embeds) + every form field labelled; screenshot for the record."""
    site.shot(page, name, full_page=False)
    problems = axe(page)
    assert not problems, f"{page.url}\n{describe(problems)}"
    unlabelled = page.evaluate(UNLABELLED_JS)
    assert not unlabelled, f"{page.url}: form fields without a label: {unlabelled}"
    # axe leaves references to missing ids "incomplete" (not a violation); a help text that is never announced is.
    broken = page.evaluate(BROKEN_REFERENCES_JS)
    assert not broken, f"{page.url}: ARIA references to elements that do not exist: {broken}"
    for frame in page.frames[1:]:
        if frame.url.startswith(site.url):
            problems = axe(frame)
            assert not problems, f"frame {frame.url}\n{describe(problems)}"
            unlabelled = frame.evaluate(UNLABELLED_JS)
            assert not unlabelled, f"frame {frame.url}: form fields without a label: {unlabelled}"


# --------------------------------------------------------------------------------------------------- public pages


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name,path", [
    ("home", lambda lang: url(lang, "home")),
    ("region-dashboard", lambda lang: url(lang, "ind_region", "710000000")),
    ("map", lambda lang: url(lang, "geo:map")),
], ids=["home", "region-dashboard", "map"])
def test_public_pages(site, lang, name, path):
    page = site.new_page(lang)
    page.goto(path(lang))
    assert_language(page, lang)
    if name == "map":
        page.frame_locator("iframe.map-frame").locator(".aimaq-legend").wait_for()
    audit(site, page, name)
    assert not site.page_errors, site.page_errors


# --------------------------------------------------------------------------------------------------- budget pages


def cycle_with_candidates(lang):
    """A cycle with two admitted proposals, in the voting stage, and a resident who has not voted."""
    from budget.models import Stage

    cycle = make_cycle(f"accessibility {lang}")
    expert = assign_expert(cycle, f"a11y-expert-{lang}")
    authors = [make_resident(f"a11y-author-{lang}-{i}", 300 + i, language=lang) for i in range(2)]
    proposals = [propose(cycle, authors[0], "Playground", 12_000_000),
                 propose(cycle, authors[1], "Benches and lighting", 15_000_000, INSIDE_ESIL_2)]
    move(cycle, Stage.REVIEW)
    for proposal in proposals:
        admit(proposal, expert)
    move(cycle, Stage.VOTING)
    return cycle, proposals, authors


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
def test_proposal_form(site, lang):
    cycle = make_cycle(f"accessibility {lang}")
    resident = make_resident(f"a11y-resident-{lang}", 310, language=lang)
    page = site.new_page(lang)
    site.login(page, lang, resident.username, next_url=url(lang, "budget:proposal_submit", cycle.pk))
    page.locator("#pin-map path.leaflet-interactive").wait_for()
    audit(site, page, "proposal-form")
    assert not site.page_errors, site.page_errors


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
def test_ballot_and_keyboard_only_voting(site, lang):
    from budget import services

    cycle, proposals, _authors = cycle_with_candidates(lang)
    bucket = cycle.buckets.get()
    voter = make_resident(f"a11y-voter-{lang}", 320, language=lang)
    page = site.new_page(lang)
    site.login(page, lang, voter.username, next_url=url(lang, "budget:ballot", bucket.pk))
    audit(site, page, "ballot")

    # Keyboard only from here: Tab to each choice, Space to tick it, Tab to the button, Enter to vote.
    page.goto(url(lang, "budget:ballot", bucket.pk))
    page.locator("body").focus()

    def tab_to(predicate_js: str, what: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({predicate_js}); }}"):
                style = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
                assert style != "none", f"no visible focus on {what}"
                return
        raise AssertionError(f"{what} cannot be reached with Tab")

    for proposal in proposals:
        tab_to(f"el.name === 'choices' && el.value === '{proposal.pk}'", f"the choice {proposal.title}")
        page.keyboard.press("Space")
        assert page.evaluate("() => document.activeElement.checked"), proposal.title
    tab_to("el.matches('form.ballot button[type=submit]')", "the vote button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    ballot = services.my_ballot(bucket, voter)
    assert sorted(ballot.choices.values_list("pk", flat=True)) == sorted(p.pk for p in proposals)
    assert messages_text(page), "the page confirms the vote"
    site.shot(page, "voted-with-keyboard")
    assert not site.page_errors, site.page_errors


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
def test_results(site, lang):
    from budget import services
    from budget.models import Stage

    cycle, proposals, authors = cycle_with_candidates(lang)
    bucket = cycle.buckets.get()
    services.cast_ballot(bucket, authors[0], [proposals[0].pk])
    services.cast_ballot(bucket, authors[1], [proposals[0].pk, proposals[1].pk])
    move(cycle, Stage.COUNTING)
    services.close_cycle(cycle)
    page = site.new_page(lang)
    page.goto(url(lang, "budget:results", cycle.pk))
    expect(page.locator("main code.hash")).to_have_count(1)
    audit(site, page, "results")
    assert not site.page_errors, site.page_errors
