"""Decomposition service: stored regional targets add up to the national target, and the proposal workflow.

The worked example is sdg-methods §2.6 (poverty, halving target) fed through four real regions whose weights
(population) are set to 2.0 / 1.0 / 0.5 / 1.5 million; the other 16 regions have no base value and are left out.
"""
import math

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from localization.core.decomposition import DecompositionError
from localization.models import Decomposition, Goal, Indicator, IndicatorValue, Region, RegionalTarget
from localization.services import decomposition as svc
from localization.services.status import StatusBoard

pytestmark = pytest.mark.django_db

A, B, C, D = "100000000", "110000000", "150000000", "190000000"  # Abai, Akmola, Aktobe, Almaty region
WORKED = {A: (2_000_000, 3.0), B: (1_000_000, 8.0), C: (500_000, 12.0), D: (1_500_000, 4.0)}


def make_indicator(code="1-2-1", goal=1, **fields):
    fields.setdefault("direction", -1)
    fields.setdefault("title_en", f"Indicator {code}")
    return Indicator.objects.create(code=code, sort_key=code.zfill(12), goal=Goal.objects.get(number=goal), **fields)


def put(indicator, kato, year, value, **extra):
    region = Region.objects.get(kato=kato) if kato else None
    return IndicatorValue.objects.create(
        indicator=indicator, region=region, area_code=region.ref_area if region else "", year=year, unit="PT",
        value=value, source_file=f"data/indicator_{indicator.code}.csv", source_line=year - 2000, **extra)


@pytest.fixture
def worked(db):
    ind = make_indicator(target_value=2.6, target_year=2030)
    for kato, (population, base) in WORKED.items():
        Region.objects.filter(kato=kato).update(population_total=population)
        put(ind, kato, 2022, base)
    put(ind, None, 2022, 5.2)
    return ind


@pytest.fixture
def stats(make_user):
    return make_user("stat", role="statistics")


def stored(decomposition):
    return {rt.region.kato: rt for rt in decomposition.targets.select_related("region")}


def check_consistent(decomposition, national_target):
    targets = stored(decomposition)
    sum_w = math.fsum(rt.weight for rt in targets.values())
    weighted = math.fsum(rt.weight * rt.target_value for rt in targets.values()) / sum_w
    assert abs(weighted - national_target) <= 1e-9
    assert abs(decomposition.weighted_result - national_target) <= 1e-9


@pytest.mark.parametrize("rule,params,expected", [
    ("relative", {}, {A: 1.50, B: 4.00, C: 6.00, D: 2.00}),
    # α = (2.6 − 5.2)/(1.0 − 5.2) = 0.619; T = x + α(E − x)
    ("gap_closure", {"end_value": 1.0}, {A: 1.76, B: 3.67, C: 5.19, D: 2.14}),
    # T = 2.6 + 0.25 (x − 5.2)
    ("convergence", {"gamma": 0.75}, {A: 2.05, B: 3.30, C: 4.30, D: 2.30}),
])
def test_worked_example_rules_stored_and_consistent(worked, stats, rule, params, expected):
    dec = svc.run_decomposition(worked, user=stats, rule=rule, base_year=2022, target_year=2030,
                                national_target=2.6, **params)
    assert dec.approved and dec.created_by == stats and dec.rule == rule
    assert dec.national_base == pytest.approx(5.2, abs=1e-12)  # X_N = (6 + 8 + 6 + 6)/5
    targets = stored(dec)
    assert set(targets) == set(WORKED)
    for kato, value in expected.items():
        assert targets[kato].target_value == pytest.approx(value, abs=0.005)
        assert targets[kato].status == RegionalTarget.Status.APPROVED and targets[kato].approved_by == stats
        assert targets[kato].base_value == WORKED[kato][1] and targets[kato].weight == WORKED[kato][0]
    check_consistent(dec, 2.6)
    assert len(dec.params["excluded"]) == 16  # the other regions have no 2022 value
    assert dec.params["national_published"] == 5.2


def test_worked_example_rescale_proposals(worked, stats, make_user):
    # P = (2.5, 6.0, 10.0, 3.5) → P_N = 4.25, k = 2.6/0.95 = 2.737; T = x − k(x − P) = 1.63, 2.53, 6.53, 2.63
    for kato, proposal in zip(WORKED, (2.5, 6.0, 10.0, 3.5)):
        officer = make_user(f"akim-{kato}", role="akimat", region=kato)
        svc.propose_target(worked, Region.objects.get(kato=kato), user=officer, base_year=2022,
                           target_value=proposal, target_year=2030, reason="plan")
    dec = svc.run_decomposition(worked, user=stats, rule="rescale_proposals", base_year=2022, target_year=2030,
                                national_target=2.6)
    targets = stored(dec)
    for kato, value in zip(WORKED, (1.63, 2.53, 6.53, 2.63)):
        assert targets[kato].target_value == pytest.approx(value, abs=0.005)
    assert dec.params["rule_params"]["k"] == pytest.approx(2.6 / 0.95, rel=1e-12)
    assert dec.params["rule_params"]["proposals_national"] == pytest.approx(4.25, rel=1e-12)
    check_consistent(dec, 2.6)


def test_rescale_needs_every_proposal(worked, stats):
    with translation.override("en"), pytest.raises(DecompositionError, match="needs a proposal from every region"):
        svc.run_decomposition(worked, user=stats, rule="rescale_proposals", base_year=2022, target_year=2030,
                              national_target=2.6)
    with translation.override("ru"), pytest.raises(DecompositionError, match="Абай, Акмолинская область"):
        svc.run_decomposition(worked, user=stats, rule="rescale_proposals", base_year=2022, target_year=2030,
                              national_target=2.6)
    assert not Decomposition.objects.exists()


def test_milestones_are_the_straight_line(worked, stats):
    dec = svc.run_decomposition(worked, user=stats, rule="relative", base_year=2022, target_year=2030,
                                national_target=2.6)
    a = stored(dec)[A]
    assert list(a.milestones) == [str(y) for y in range(2022, 2031)]
    assert a.milestones["2022"] == 3.0 and a.milestones["2030"] == 1.5
    assert a.milestones["2026"] == pytest.approx(2.25)  # 3.0 + (1.5 − 3.0)·4/8


def test_cagr_milestones(worked, stats):
    dec = svc.run_decomposition(worked, user=stats, rule="relative", base_year=2022, target_year=2030,
                                national_target=2.6, milestone_kind="cagr")
    a = stored(dec)[A]
    assert a.milestones["2026"] == pytest.approx(3.0 * 0.5 ** 0.5)  # halfway on a constant growth path


def test_weights_from_another_indicator(worked, stats):
    population = make_indicator("pop", direction=1)
    for kato, (people, _base) in WORKED.items():
        put(population, kato, 2021, people / 1e6)  # no 2022 value: the latest earlier year is used
    Region.objects.update(population_total=None)
    dec = svc.run_decomposition(worked, user=stats, rule="relative", base_year=2022, target_year=2030,
                                national_target=2.6, weight_kind="indicator", weight_indicator=population)
    assert dec.weight_kind == "indicator" and dec.params["weight_indicator"] == "pop"
    assert stored(dec)[B].weight == 1.0 and stored(dec)[B].target_value == pytest.approx(4.0)
    check_consistent(dec, 2.6)
    inputs = svc.gather_inputs(worked, 2022, "indicator", population)
    assert {ri.region.kato: ri.weight_year for ri in inputs.included} == dict.fromkeys(WORKED, 2021)


def test_clamp_holds_a_region_and_rescales_the_others(stats):
    # Uniform T_N = 4 with bases 2.0 and 8.0 (equal weights), lower is better: region A would regress to 4.0,
    # so it is held at 2.0 and B is rescaled: k = (10 − 8)/(8 − 4) = 0.5, T_B = 8 − 0.5·4 = 6.0; (2 + 6)/2 = 4.
    ind = make_indicator("1-2-9")
    for kato, base in ((A, 2.0), (B, 8.0)):
        Region.objects.filter(kato=kato).update(population_total=1000)
        put(ind, kato, 2022, base)
    dec = svc.run_decomposition(ind, user=stats, rule="uniform", base_year=2022, target_year=2030,
                                national_target=4.0)
    targets = stored(dec)
    assert targets[A].target_value == 2.0 and targets[B].target_value == pytest.approx(6.0)
    assert dec.params["clamped"] == [A] and dec.params["clamp_scale"] == pytest.approx(0.5)
    assert dec.params["unclamped"] == {A: 4.0, B: 4.0}
    table = svc.decomposition_table(dec)
    assert table["check"]["ok"] and table["check"]["result"] == pytest.approx(4.0, abs=1e-12)
    assert table["check"]["sum_w"] == 2000 and table["check"]["sum_wt"] == pytest.approx(8000)


def test_errors_are_decomposition_errors_and_store_nothing(worked, stats):
    with pytest.raises(DecompositionError):  # national target worse than the base (lower is better)
        svc.run_decomposition(worked, user=stats, rule="relative", base_year=2022, target_year=2030,
                              national_target=6.0)
    with pytest.raises(DecompositionError):  # no region has a 2019 value
        svc.run_decomposition(worked, user=stats, rule="relative", base_year=2019, target_year=2030,
                              national_target=2.6)
    worked.direction = None
    with pytest.raises(DecompositionError):
        svc.run_decomposition(worked, user=stats, rule="relative", base_year=2022, target_year=2030,
                              national_target=2.6)
    assert not Decomposition.objects.exists() and not RegionalTarget.objects.exists()


def test_only_statistics_officers_run_decompositions(worked, make_user):
    akimat = make_user("akim", role="akimat", region=A)
    with pytest.raises(PermissionDenied):
        svc.run_decomposition(worked, user=akimat, rule="relative", base_year=2022, target_year=2030,
                              national_target=2.6)


# --------------------------------------------------------------------------------------------- proposals


def test_proposal_approval_flow_with_history(worked, stats, make_user):
    abai = Region.objects.get(kato=A)
    officer = make_user("akim-abai", role="akimat", region=A)
    rt = svc.propose_target(worked, abai, user=officer, base_year=2022, target_value=2.0, target_year=2030,
                            reason="Programme of the akimat")
    assert rt.status == "proposed" and rt.base_value == 3.0 and rt.proposed_by == officer
    assert rt.milestones["2026"] == pytest.approx(2.5)
    assert StatusBoard([worked]).target_in_force(worked, abai) is None  # a proposal is not in force
    # A second proposal replaces the pending one instead of piling up.
    again = svc.propose_target(worked, abai, user=officer, base_year=2022, target_value=1.8, target_year=2030,
                               reason="Revised")
    assert again.pk == rt.pk and RegionalTarget.objects.filter(status="proposed").count() == 1
    with pytest.raises(PermissionDenied):
        svc.review_target(again, user=officer, approve=True)
    svc.review_target(again, user=stats, approve=True, comment="agreed")
    again.refresh_from_db()
    assert again.status == "approved" and again.approved_by == stats
    assert StatusBoard([worked]).target_in_force(worked, abai) == again
    history = list(again.history.order_by("history_date", "history_id"))
    assert [h.status for h in history] == ["proposed", "proposed", "approved"]
    assert [h.target_value for h in history] == [2.0, 1.8, 1.8]
    assert history[-1].history_change_reason == "approved: agreed"
    with pytest.raises(DecompositionError):  # already decided
        svc.review_target(again, user=stats, approve=False)


def test_rejection_keeps_the_target_in_force(worked, stats, make_user):
    abai = Region.objects.get(kato=A)
    dec = svc.run_decomposition(worked, user=stats, rule="relative", base_year=2022, target_year=2030,
                                national_target=2.6)
    officer = make_user("akim-abai", role="akimat", region=A)
    proposal = svc.propose_target(worked, abai, user=officer, base_year=2022, target_value=2.9, target_year=2030,
                                  reason="Too hard")
    svc.review_target(proposal, user=stats, approve=False, comment="not ambitious enough")
    assert RegionalTarget.objects.get(pk=proposal.pk).status == "rejected"
    assert StatusBoard([worked]).target_in_force(worked, abai) == stored(dec)[A]


def test_proposals_only_for_own_region_and_never_regressing(worked, make_user):
    officer = make_user("akim-abai", role="akimat", region=A)
    with pytest.raises(PermissionDenied):
        svc.propose_target(worked, Region.objects.get(kato=B), user=officer, base_year=2022, target_value=5.0,
                           target_year=2030, reason="x")
    with pytest.raises(DecompositionError):  # 3.5 is worse than the base 3.0 when lower is better
        svc.propose_target(worked, Region.objects.get(kato=A), user=officer, base_year=2022, target_value=3.5,
                           target_year=2030, reason="x")
    with pytest.raises(DecompositionError):  # no value in 2019
        svc.propose_target(worked, Region.objects.get(kato=A), user=officer, base_year=2019, target_value=2.0,
                           target_year=2030, reason="x")
    assert not RegionalTarget.objects.exists()


def test_unserved_counts_rule_stores_the_counts_and_the_page_shows_them(worked, stats, client):
    """R6 on the worked example with E = 0 (nobody poor): T_r = x_r / 2, as the notes say (R3 with E = 0); the
    indicator is a percentage of people, so the counts are people: U_r = w_r x_r / 100 = 60,000 / 80,000 / 60,000 /
    60,000 poor, of whom half (ΔN = 130,000) are to be lifted out of poverty."""
    Indicator.objects.filter(pk=worked.pk).update(unit="PT")
    worked.refresh_from_db()
    dec = svc.run_decomposition(worked, user=stats, rule="unserved_counts", base_year=2022, target_year=2030,
                                national_target=2.6, end_value=0.0)
    targets = stored(dec)
    assert {k: round(rt.target_value, 9) for k, rt in targets.items()} == {A: 1.5, B: 4.0, C: 6.0, D: 2.0}
    check_consistent(dec, 2.6)
    params = dec.params["rule_params"]
    assert params["count_scale"] == 100 and params["national_increment"] == pytest.approx(130_000)
    assert params["unserved"] == pytest.approx({A: 60_000, B: 80_000, C: 60_000, D: 60_000})
    assert params["counts"] == pytest.approx({A: 30_000, B: 40_000, C: 30_000, D: 30_000})
    html = client.get(f"/en/indicators/{worked.code}/").content.decode()
    assert "Units to serve" in html and "40,000" in html and "R6 Counts" in html


def test_unserved_counts_needs_the_full_coverage_value(worked, stats, client):
    client.force_login(stats)
    response = client.post(f"/en/indicators/{worked.code}/decompose/", {
        "rule": "unserved_counts", "base_year": "2022", "national_target": "2.6", "target_year": "2030",
        "weight_kind": "population", "clamp": "on", "milestone_kind": "linear"})
    assert response.status_code == 200 and "Rule R6 needs the full-coverage value E." in response.content.decode()
    assert not Decomposition.objects.exists()
