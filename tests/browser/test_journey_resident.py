"""Resident journey through the People's Participation Budget: sign up with an IIN, submit a proposal with a pin on
the map, revise it when the expert asks, see it admitted, vote, and read the results with the .pb checksum.

The cycle's stage follows its dates, so time is moved by shifting the dates between steps (``move``)."""
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from tests.browser.conftest import (
    ESIL,
    INSIDE_ESIL_2,
    PASSWORD,
    admit,
    assert_language,
    assign_expert,
    main_text,
    make_cycle,
    make_resident,
    make_user,
    messages_text,
    move,
    propose,
    t,
    url,
)

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

CRITERIA = ["common_use", "public_land", "inside_district", "cost_within_cap", "allowed_category",
            "documents_complete", "technically_feasible"]

#: Finds a point well inside the district's polygon on the pin map (SVG hit-testing follows the polygon's shape).
INSIDE_POINT_JS = """() => {
  const path = document.querySelector('#pin-map path.leaflet-interactive');
  const r = path.getBoundingClientRect();
  const inside = (x, y) => document.elementFromPoint(x, y) === path;
  const hits = [];
  for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
    const x = r.left + r.width * i / 24, y = r.top + r.height * j / 24;
    if (inside(x, y)) hits.push([x, y]);
  }
  const deep = hits.filter(([x, y]) => [[-15, 0], [15, 0], [0, -15], [0, 15]]
    .every(([dx, dy]) => inside(x + dx, y + dy)));
  const pool = deep.length ? deep : hits;
  const cx = pool.reduce((s, p) => s + p[0], 0) / pool.length, cy = pool.reduce((s, p) => s + p[1], 0) / pool.length;
  pool.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
  return pool[0] || null;
}"""


def review(page, *, decision, failing=None, explanation=""):
    """Fill the expert's checklist: every criterion met except ``failing`` ({criterion: reason code})."""
    failing = failing or {}
    for criterion in CRITERIA:
        page.check(f"input[name=verdict_{criterion}][value={'fail' if criterion in failing else 'pass'}]")
        if criterion in failing:
            page.select_option(f"#id_reason_{criterion}", failing[criterion])
    page.check(f"input[name=decision][value={decision}]")
    if explanation:
        page.fill("#id_explanation", explanation)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_resident_proposal_review_vote_results(site, lang):
    from django.contrib.auth import get_user_model

    from budget import services
    from budget.core.iin import make_valid_iin
    from budget.models import Ballot, CountResult, Proposal, Stage
    from localization.models import District, Region

    cycle = make_cycle(f"resident journey {lang}")
    expert = assign_expert(cycle, f"expert-{lang}")
    officer = make_user(f"akimat-astana-{lang}", "akimat", region=Region.objects.get(kato="710000000"))
    neighbours = [make_resident(f"neighbour-{lang}-{i}", 200 + i, language=lang) for i in range(3)]
    benches = propose(cycle, neighbours[0], "Benches and lighting", 15_000_000, INSIDE_ESIL_2)
    trees = propose(cycle, neighbours[1], "Trees along the path", 9_000_000)
    title = {"kk": "Аулаға балалар алаңы", "ru": "Детская площадка во дворе"}[lang]
    iin = make_valid_iin(dt.date(1991, 4, 12), "F", 4242)

    # 1. Sign up with an IIN, from the cycle's page.
    page = site.new_page(lang)
    page.goto(url(lang, "budget:cycle_detail", cycle.pk))
    assert_language(page, lang)
    with page.expect_navigation():
        page.get_by_role("link", name=t(lang, "Sign up as a resident to submit a proposal")).click()
    page.fill("#id_username", f"aigerim-{lang}")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_iin", iin)
    page.select_option("#id_district", str(District.objects.get(kato=ESIL).pk))
    page.fill("#id_full_name", "Aigerim Test")
    page.fill("#id_email", f"aigerim-{lang}@example.kz")
    site.shot(page, "signup")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith(url(lang, "budget:proposal_submit", cycle.pk)), (page.url, main_text(page)[:800])
    resident = services.resident_of(get_user_model().objects.get(username=f"aigerim-{lang}"))
    assert resident is not None and resident.district.kato == ESIL and resident.iin_hash == services.hash_iin(iin)
    services.verify_resident(resident, officer, method="in_person")  # her ID checked at the service centre

    # 2. Submit a proposal with a pin placed by clicking the map inside the district.
    page.fill("#id_title", title)
    page.fill("#id_description", "Swings, a sandbox and a soft surface for the courtyard.")
    page.select_option("#id_category", "playgrounds")
    page.fill("#id_address", "Mangilik El 10")
    page.fill("#id_estimated_cost", "12000000")
    page.locator("#pin-map path.leaflet-interactive").wait_for()
    page.locator("#pin-map").scroll_into_view_if_needed()
    point = page.evaluate(INSIDE_POINT_JS)
    assert point, "the district's boundary is not drawn on the pin map"
    page.mouse.click(*point)
    expect(page.locator("#pin-map .leaflet-marker-icon")).to_have_count(1)
    lat, lon = float(page.input_value("#id_lat")), float(page.input_value("#id_lon"))
    assert 50.9 < lat < 51.3 and 71.2 < lon < 71.7, (lat, lon)
    assert page.input_value("input[name=pin_lat]") == page.input_value("#id_lat")
    site.shot(page, "proposal-form")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    mine = Proposal.objects.filter(cycle=cycle, title=title).first()
    assert mine is not None, main_text(page)[:1500]
    assert mine.status == Proposal.Status.SUBMITTED
    assert (round(mine.lat, 6), round(mine.lon, 6)) == (round(lat, 6), round(lon, 6))
    assert page.url.endswith(url(lang, "budget:proposal_detail", mine.pk))
    expect(page.locator("main .lead")).to_contain_text(t(lang, "Submitted"))
    site.shot(page, "proposal-submitted")

    # 3. The expert asks for a revision (no cost estimate); the other proposals are admitted.
    move(cycle, Stage.REVIEW)
    expert_page = site.new_page(lang)
    site.login(expert_page, lang, expert.username, next_url=url(lang, "budget:review_queue"))
    with expert_page.expect_navigation():
        expert_page.locator("main tr", has_text=title).get_by_role("link", name=t(lang, "Review"), exact=True).click()
    explanation = "Attach a cost estimate, please."
    review(expert_page, decision="needs_revision", failing={"documents_complete": "no_estimate"},
           explanation=explanation)
    site.shot(expert_page, "review-needs-revision")
    with expert_page.expect_navigation():
        expert_page.locator("main form button[type=submit]").click()
    assert expert_page.url.endswith(url(lang, "budget:review_queue")), main_text(expert_page)[:1500]
    mine.refresh_from_db()
    assert mine.status == Proposal.Status.NEEDS_REVISION
    admit(benches, expert)
    admit(trees, expert)

    # 4. The resident sees the request and revises the proposal.
    move(cycle, Stage.REVISION)
    page.goto(url(lang, "budget:proposal_detail", mine.pk))
    expect(page.locator("main .lead")).to_contain_text(t(lang, "Needs revision"))
    expect(page.locator("main")).to_contain_text(explanation)
    site.shot(page, "needs-revision")
    with page.expect_navigation():
        page.get_by_role("link", name=t(lang, "Revise the proposal")).click()
    assert page.input_value("#id_lat"), "the pin is kept in the edit form"
    page.fill("#id_description", "Swings, a sandbox and a soft surface. Estimate: 12 000 000 tenge (attached list).")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    mine.refresh_from_db()
    assert mine.status == Proposal.Status.REVISED, main_text(page)[:1500]
    expect(page.locator("main .lead")).to_contain_text(t(lang, "Revised"))

    # 5. Second review: admitted to the vote.
    move(cycle, Stage.REREVIEW)
    expert_page.goto(url(lang, "budget:review_form", mine.pk))
    review(expert_page, decision="admitted")
    with expert_page.expect_navigation():
        expert_page.locator("main form button[type=submit]").click()
    mine.refresh_from_db()
    assert mine.status == Proposal.Status.ADMITTED, main_text(expert_page)[:1500]
    page.goto(url(lang, "budget:proposal_detail", mine.pk))
    expect(page.locator("main .lead")).to_contain_text(t(lang, "Admitted to the vote"))
    site.shot(page, "admitted")

    # 6. Voting: the resident chooses their project and the benches; the neighbours vote too.
    move(cycle, Stage.VOTING)
    page.goto(url(lang, "budget:cycle_detail", cycle.pk))
    with page.expect_navigation():
        page.get_by_role("link", name=t(lang, "Vote"), exact=True).click()
    page.check(f"input[name=choices][value='{mine.pk}']")
    page.check(f"input[name=choices][value='{benches.pk}']")
    site.shot(page, "ballot")
    with page.expect_navigation():
        page.locator("main form.ballot button[type=submit]").click()
    assert t(lang, "Your vote was recorded.") in messages_text(page), main_text(page)[:1500]
    ballot = services.my_ballot(cycle.buckets.get(), resident.user, profile=resident)
    assert sorted(ballot.choices.values_list("pk", flat=True)) == sorted([mine.pk, benches.pk])
    bucket = cycle.buckets.get()
    services.cast_ballot(bucket, neighbours[0], [mine.pk, benches.pk])
    services.cast_ballot(bucket, neighbours[1], [mine.pk, trees.pk])
    services.cast_ballot(bucket, neighbours[2], [trees.pk])

    # 7. After voting closes, the akimat officer counts the votes.
    move(cycle, Stage.COUNTING)
    officer_page = site.new_page(lang)
    site.login(officer_page, lang, officer.username, next_url=url(lang, "budget:cycle_detail", cycle.pk))
    with officer_page.expect_navigation():
        officer_page.get_by_role("link", name=t(lang, "Count the votes and publish the results")).click()
    with officer_page.expect_navigation():
        officer_page.get_by_role("button", name=t(lang, "Count the votes"), exact=True).click()
    assert officer_page.url.endswith(url(lang, "budget:results", cycle.pk)), main_text(officer_page)[:1500]
    result = CountResult.objects.get(bucket=bucket)
    assert result.winners == [mine.pk, benches.pk]  # 3 and 2 votes: 27 M of 30 M; the trees (9 M) no longer fit

    # 8. The results page shows the winners and the checksum of the published .pb file.
    page.goto(url(lang, "budget:results", cycle.pk))
    winners = page.locator("main table.data").first
    expect(winners.locator("tbody tr")).to_have_count(2)
    expect(winners.locator("tbody tr").first).to_contain_text(title)
    expect(winners.locator("tbody tr").nth(1)).to_contain_text("Benches and lighting")
    expect(page.locator("main table.data", has_text="Trees along the path")).to_have_count(1)
    shown = page.locator("main code.hash").inner_text().strip()
    assert shown == result.pb_sha256
    site.shot(page, "results")
    with page.expect_download() as info:
        page.locator("main a[href$='.pb']").click()
    body = Path(info.value.path()).read_bytes()
    assert hashlib.sha256(body).hexdigest() == shown
    assert iin not in body.decode("utf-8") and f"aigerim-{lang}" not in body.decode("utf-8")
    mine.refresh_from_db()
    assert mine.status == Proposal.Status.WINNER
    assert not site.page_errors, site.page_errors
