"""budget.core.counting: greedy / MES / MES+Add1 against pabutools 1.2.3 (cost satisfaction).

Pure tests (no database): run with ``pytest -p no:django tests/budget/test_counting.py``.
Outcomes are compared as *lists*: our rules return the projects in the order
pabutools selects them, not only the same set.
"""

from __future__ import annotations

import contextlib
import math
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget.core import counting as C
from budget.core.counting import Election, count, fairness, greedy, mes, mes_add1, ordinal_points, tally

pabutools = pytest.importorskip("pabutools")
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project  # noqa: E402
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares  # noqa: E402


def pabu(e: Election, rule: str) -> list[str]:
    """pabutools' outcome; money handed over as exact gmpy2 rationals (as pabutools' own parser does)."""
    from gmpy2 import mpq

    projs = {pid: Project(pid, mpq(cost)) for pid, cost in e.projects.items()}
    instance = Instance(projs.values(), budget_limit=mpq(e.budget))
    profile = ApprovalProfile([ApprovalBallot(projs[p] for p in b if b[p] > 0) for b in e.ballots])
    if rule == "greedy":
        out = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    elif rule == "mes":
        out = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    else:
        out = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, voter_budget_increment=1)
    return [p.name for p in out]


def toy(scale=1) -> Election:
    """pb-anchors §2.4: 60 voters approve A(40), B(35), C(25); 40 approve D(30), E(30); budget 100."""
    costs = {"A": 40, "B": 35, "C": 25, "D": 30, "E": 30}
    return Election(
        budget=100 * scale,
        projects={p: c * scale for p, c in costs.items()},
        ballots=[{"A": 1, "B": 1, "C": 1} for _ in range(60)] + [{"D": 1, "E": 1} for _ in range(40)],
    )


# --------------------------------------------------------------------------- worked example


def test_toy_example_greedy_and_mes():
    e = toy()
    assert greedy(e) == ["A", "B", "C"] == pabu(e, "greedy")
    assert mes(e) == ["A", "D"] == pabu(e, "mes")


def test_toy_example_add1_in_thousands():
    # The anchor counts the envelope as 100 (M tenge). Add1 adds ONE unit of money per voter
    # per rerun; with the envelope written as 100,000 (k tenge) the completion gives A, C, D:
    e = toy(scale=1000)
    assert mes_add1(e) == ["A", "C", "D"] == pabu(e, "mes-add1")
    assert mes(e) == ["A", "D"] and greedy(e) == ["A", "B", "C"]


def test_toy_example_add1_in_whole_units_follows_pabutools():
    # With the literal numbers (budget 100 for 100 voters = 1 per voter) the first Add1 rerun
    # doubles every share, overspends, and pabutools keeps the plain MES outcome. We do too.
    e = toy()
    assert mes_add1(e) == ["A", "D"] == pabu(e, "mes-add1")


def test_toy_fairness():
    e = toy()
    groups = {i: ("centre" if i < 60 else "outskirts") for i in range(100)}
    g = fairness(e, greedy(e), groups)
    assert g["share_with_funded"] == pytest.approx(0.6)
    assert g["by_group"]["outskirts"]["share_with_funded"] == 0
    assert g["by_group"]["centre"]["money_per_voter"] == pytest.approx(100 / 60)
    m = fairness(e, mes(e), groups)
    assert m["share_with_funded"] == 1.0
    assert m["spent"] == 70 and m["budget"] == 100
    assert m["by_group"]["outskirts"]["money_per_voter"] == pytest.approx(30 / 40)
    assert m["money_per_voter"] == pytest.approx(0.7)
    assert "by_group" not in fairness(e, mes(e))


# --------------------------------------------------------------------------- tie-breaking & edge cases


def test_ties_go_to_the_lexicographically_smallest_id():
    # "10" < "9" as text: pabutools compares names as strings, so do we
    e = Election(10, {"9": 5, "10": 5, "x": 5}, [{"9": 1, "10": 1, "x": 1}] * 3)
    assert greedy(e) == ["10", "9"] == pabu(e, "greedy")
    assert mes(e) == ["10", "9"] == pabu(e, "mes")


def test_empty_ballots_count_for_the_share_and_unsupported_projects():
    e = Election(10, {"a": 6, "b": 3}, [{"a": 1}, {}, {}, {}])
    # each voter gets 10/4 = 2.5: the lone supporter of a cannot pay 6
    assert mes(e) == [] == pabu(e, "mes")
    # greedy (like pabutools) still funds projects nobody voted for when money is left
    assert greedy(e) == ["a", "b"] == pabu(e, "greedy")


def test_degenerate_elections():
    assert mes(Election(100, {"a": 10}, [])) == [] == mes_add1(Election(100, {"a": 10}, []))
    assert greedy(Election(0, {"a": 10}, [{"a": 1}])) == []
    e = Election(0, {"a": 10}, [{"a": 1}])
    assert mes(e) == [] == pabu(e, "mes") and mes_add1(e) == pabu(e, "mes-add1")


def test_exact_arithmetic_with_float_and_fraction_money():
    # 0.1 + 0.2 != 0.3 in floats; money is taken at its exact value, like mpq(float)
    e = Election(0.3, {"a": 0.1, "b": 0.2, "c": 0.3}, [{"a": 1, "b": 1}, {"c": 1}, {"a": 1, "c": 1}])
    for rule in ("greedy", "mes", "mes-add1"):
        assert count(e, rule) == pabu(e, rule)
    f = Election(Fraction(7, 3), {"a": Fraction(7, 9), "b": Fraction(7, 9)}, [{"a": 1}, {"b": 1}, {"a": 1, "b": 1}])
    for rule in ("greedy", "mes", "mes-add1"):
        assert count(f, rule) == pabu(f, rule)


def test_gmpy2_and_fraction_backends_agree():
    rng = random.Random(7)
    elections = [random_election(rng) for _ in range(40)]
    with_mpq = [[count(e, r) for r in ("greedy", "mes", "mes-add1")] for e in elections]
    C._use_fraction(True)
    try:
        with_fraction = [[count(e, r) for r in ("greedy", "mes", "mes-add1")] for e in elections]
    finally:
        C._use_fraction(False)
    assert with_mpq == with_fraction


def test_validation():
    with pytest.raises(ValueError, match="unknown project"):
        Election(10, {"a": 1}, [{"b": 1}])
    with pytest.raises(ValueError, match="> 0"):
        Election(10, {"a": 0}, [])
    with pytest.raises(ValueError, match="vote_type"):
        Election(10, {"a": 1}, [], vote_type="plurality")
    with pytest.raises(ValueError, match=">= 0"):
        Election(10, {"a": 1}, [{"a": -1}])
    with pytest.raises(ValueError, match="unknown rule"):
        count(Election(10, {"a": 1}, []), "phragmen")
    with pytest.raises(ValueError):
        ordinal_points(["a", "a"])


# --------------------------------------------------------------------------- non-approval ballots


def test_ordinal_greedy_ranks_by_borda_points():
    assert ordinal_points(["x", "y", "z"]) == {"x": 3, "y": 2, "z": 1}
    ballots = [ordinal_points(["a", "b", "c"]), ordinal_points(["c", "b"]), ordinal_points(["b"])]
    e = Election(10, {"a": 4, "b": 5, "c": 5}, ballots, vote_type="ordinal")
    assert tally(e) == {"a": 3, "b": 2 + 1 + 1, "c": 1 + 2}
    assert greedy(e) == ["b", "a"]  # b (4 points), a (3, fits: 9), c (3 points, tie with a, loses on id; no room)


def test_cumulative_greedy_ranks_by_points_not_by_voters():
    ballots = [{"a": 10}, {"b": 4, "c": 6}, {"b": 5, "c": 5}, {"b": 1, "c": 1}]
    e = Election(10, {"a": 6, "b": 5, "c": 5}, ballots, vote_type="cumulative")
    assert tally(e) == {"a": 10, "b": 10, "c": 12}
    assert greedy(e) == ["c", "b"]  # c 12 points; a and b tie at 10, a (id) first but does not fit
    # an approval count would have ranked b and c (3 voters) above a (1 voter) as well, but
    # with equal points the tie goes to the id: check that points, not voters, decide
    e2 = Election(6, {"a": 6, "b": 6}, [{"a": 9}, {"b": 1}, {"b": 1}], vote_type="scoring")
    assert greedy(e2) == ["a"]


def test_mes_on_points_ballots_uses_the_projects_on_the_ballot():
    ballots = [{"a": 9, "b": 1}, {"b": 5}, {"a": 0.5}]
    cum = Election(9, {"a": 6, "b": 3}, ballots, vote_type="cumulative")
    appr = Election(9, {"a": 6, "b": 3}, [{"a": 1, "b": 1}, {"b": 1}, {"a": 1}])
    assert mes(cum) == mes(appr) and mes_add1(cum) == mes_add1(appr)


# --------------------------------------------------------------------------- random elections vs pabutools


def random_election(rng: random.Random) -> Election:
    m = rng.randint(1, 7)
    names = rng.sample(["a", "b", "c", "9", "10", "p1", "p2", "zz"], m)
    pool = [rng.randint(1, 30) for _ in range(rng.randint(1, 3))]
    costs = {n: rng.choice(pool) for n in names}
    kinds = [{p: 1 for p in names if rng.random() < 0.45} for _ in range(rng.randint(1, 4))]
    ballots = [dict(rng.choice(kinds)) for _ in range(rng.randint(0, 14))]
    return Election(rng.randint(0, 60), costs, ballots)


@st.composite
def elections(draw):
    names = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "9", "10", "x1", "x2"]), min_size=1, max_size=7,
                          unique=True))
    cost_pool = draw(st.lists(st.integers(1, 40), min_size=1, max_size=3))  # few values: many equal costs
    money = draw(st.sampled_from(["int", "int", "fraction", "float"]))
    costs = {}
    for n in names:
        c = draw(st.sampled_from(cost_pool))
        if money == "fraction":
            c = Fraction(c, draw(st.sampled_from([1, 2, 3, 7])))
        elif money == "float":
            c = c / 4
        costs[n] = c
    kinds = draw(st.lists(st.sets(st.sampled_from(names)), min_size=1, max_size=5))  # may contain empty sets
    ballots = [{p: 1 for p in draw(st.sampled_from(kinds))} for _ in range(draw(st.integers(0, 16)))]
    budget = draw(st.integers(0, 80))
    return Election(budget, costs, ballots)


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(elections())
def test_greedy_equals_pabutools(e):
    assert greedy(e) == pabu(e, "greedy")


@SETTINGS
@given(elections())
def test_mes_equals_pabutools(e):
    assert mes(e) == pabu(e, "mes")


@SETTINGS
@given(elections())
def test_mes_add1_equals_pabutools(e):
    assert mes_add1(e) == pabu(e, "mes-add1")


@settings(max_examples=60, deadline=None)
@given(elections(), st.sampled_from([7, 100, 1000]))
def test_mes_add1_in_small_money_units_equals_pabutools(e, scale):
    # the same election with money in finer units: many Add1 reruns (the batched and
    # certified stretches of mes_add1 are exercised)
    scaled = Election(e.budget * scale, {p: c * scale for p, c in e.projects.items()}, e.ballots)
    assert mes_add1(scaled) == pabu(scaled, "mes-add1")


# --------------------------------------------------------------------------- the fast paths against the plain ones


def district_election(rng: random.Random, n_voters: int, scale: int) -> Election:
    projects = {f"P{j:02d}": rng.randint(20, 800) * scale for j in range(30)}
    home = {p: rng.randrange(4) for p in projects}
    ballots = []
    for _ in range(n_voters):
        hood = rng.randrange(4)
        pool = [p for p in projects if home[p] == hood] if rng.random() < 0.8 else list(projects)
        ballots.append({p: 1 for p in rng.sample(pool, min(len(pool), rng.randint(1, 4)))})
    return Election(3000 * scale, projects, ballots)


@pytest.mark.parametrize("seed,scale", [(4, 1), (5, 10), (6, 100)])
def test_add1_skipping_equals_stepping(seed, scale):
    # the same Add1 outcome whether every rerun is computed exactly (like pabutools) or
    # reruns are batched / skipped; scale 100 means ~1,700 reruns
    e = district_election(random.Random(seed), 200, scale)
    P = C._Prep(e)
    assert C._add1_indices(P, jump="gallop")[0] == C._add1_indices(P, jump=False)[0]


def test_add1_skips_long_stable_stretches():
    e = toy(scale=100_000)  # 100,000 per voter: pabutools reruns MES 8,335 times
    P = C._Prep(e)
    fast, runs = C._add1_indices(P, jump="gallop")
    assert [P.names[j] for j in fast] == ["A", "C", "D"]
    assert runs < 8335 / 5


def test_certificate_refuses_a_changed_outcome():
    e = toy(scale=1000)
    P = C._Prep(e)
    base = C._Run(P, P.budget / P.n_voters)
    out = base.run()
    far = C._Run(P, P.budget / P.n_voters + 10_000, base=list(zip(out, base.rhos)))
    far.run()
    assert not far.certified  # at 10 more per voter much more is affordable
    near = C._Run(P, P.budget / P.n_voters + 1, base=list(zip(out, base.rhos)))
    assert near.run() == out and near.certified


# --------------------------------------------------------------------------- other satisfactions, greedy-threshold


def pabu_sat(e: Election, rule: str, sat: str) -> list[str]:
    from gmpy2 import mpq
    from pabutools.election import (
        Additive_Cardinal_Sat,
        CardinalBallot,
        CardinalProfile,
        Cardinality_Sat,
    )

    projs = {pid: Project(pid, mpq(cost)) for pid, cost in e.projects.items()}
    instance = Instance(projs.values(), budget_limit=mpq(e.budget))
    if sat == "points":
        profile = CardinalProfile([CardinalBallot({projs[p]: mpq(v) for p, v in b.items() if v > 0})
                                   for b in e.ballots])
        sat_class = Additive_Cardinal_Sat
    else:
        profile = ApprovalProfile([ApprovalBallot(projs[p] for p in b if b[p] > 0) for b in e.ballots])
        sat_class = Cardinality_Sat if sat == "cardinality" else Cost_Sat
    if rule == "greedy":
        out = greedy_utilitarian_welfare(instance, profile, sat_class=sat_class)
    else:
        out = method_of_equal_shares(instance, profile, sat_class=sat_class)
    return [p.name for p in out]


@st.composite
def cumulative_elections(draw):
    e = draw(elections())
    ballots = [{p: draw(st.integers(1, 5)) for p in b} for b in e.ballots]
    return Election(e.budget, e.projects, ballots, vote_type="cumulative")


@SETTINGS
@given(elections(), st.sampled_from(["cost", "cardinality"]), st.sampled_from(["greedy", "mes"]))
def test_other_satisfactions_equal_pabutools(e, sat, rule):
    assert count(e, rule, sat=sat) == pabu_sat(e, rule, sat)


@SETTINGS
@given(cumulative_elections(), st.sampled_from(["greedy", "mes"]))
def test_points_satisfaction_equals_pabutools(e, rule):
    assert count(e, rule, sat="points") == pabu_sat(e, rule, "points")


@given(cumulative_elections(), st.integers(0, 30))
@SETTINGS
def test_greedy_threshold_is_greedy_among_projects_reaching_it(e, threshold):
    out = count(e, "greedy-threshold", threshold=threshold)
    support = tally(e)
    kept = {p: c for p, c in e.projects.items() if support[p] >= threshold}
    sub = Election(e.budget, kept, [{p: v for p, v in b.items() if p in kept} for b in e.ballots], "cumulative")
    assert out == greedy(sub)
    assert all(support[p] >= threshold for p in out)


def test_sat_errors():
    e = toy()
    with pytest.raises(ValueError, match="points needs cumulative or scoring"):
        count(e, "greedy", sat="points")
    with pytest.raises(ValueError, match="cost satisfaction only"):
        count(e, "mes-add1", sat="cardinality")
    with pytest.raises(ValueError, match="needs a threshold"):
        count(e, "greedy-threshold")


# --------------------------------------------------------------------------- Add1 by exact change bounds


@st.composite
def add1_elections(draw):
    """Small elections with money scaled up to 10^9 per unit and near-ties (costs differing by 1)."""
    e = draw(elections())
    scale = draw(st.sampled_from([1, 3, 100, 10**4, 10**6, 10**9]))
    nudge = {p: draw(st.sampled_from([0, 0, 1, -1])) for p in e.projects}
    projects = {p: max(1, int(c * scale) + nudge[p]) if c * scale >= 1 else c * scale for p, c in e.projects.items()}
    return Election(e.budget * scale, projects, e.ballots), scale


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(add1_elections())
def test_add1_by_bounds_equals_stepping(case):
    e, scale = case
    P = C._Prep(e)
    if P.n_voters == 0:
        return
    fast, runs = C._add1_indices(P, jump="bound")
    gallop = C._add1_indices(P, jump="gallop")[0]
    assert fast == gallop  # two engines that prove their skips differently
    assert C._add1_indices(P, jump="resume")[0] == fast  # the same bounds, each run keeping what still holds
    assert C._add1_indices(P, jump="auto")[0] == fast  # the two engines in turns
    if scale <= 100:  # one exact MES run per unit, as pabutools does
        assert fast == C._add1_indices(P, jump=False)[0]


@pytest.mark.parametrize("seed,scale", [(4, 1), (5, 10), (6, 100)])
def test_add1_by_bounds_equals_stepping_on_districts(seed, scale):
    e = district_election(random.Random(seed), 200, scale)
    P = C._Prep(e)
    fast, runs = C._add1_indices(P, jump="bound")
    slow, steps = C._add1_indices(P, jump=False)
    gallop, gallop_runs = C._add1_indices(P, jump="gallop")
    resumed, resumed_runs = C._add1_indices(P, jump="resume")
    assert fast == slow == gallop == resumed == C._add1_indices(P, jump="auto")[0]
    assert resumed_runs <= steps and (scale < 100 or resumed_runs < steps / 10)
    assert runs <= steps and (scale < 100 or runs < steps / 10)  # one run per change, not per unit
    assert scale < 100 or gallop_runs < steps / 4


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(add1_elections(), st.lists(st.integers(1, 40), min_size=1, max_size=6))
def test_resumed_run_equals_a_fresh_run_and_its_bound_holds(case, jumps):
    # a run that keeps the rounds whose bounds reach D gives exactly what MES gives at that budget, and every
    # unit its bound covers has that outcome too
    e, _ = case
    P = C._Prep(e)
    if P.n_voters == 0:
        return
    t = P.budget / P.n_voters
    run = C._TrackedRun(P, t)
    run.run()
    for D in jumps:
        run = run.resume(D)
        t += D
        out = run.run()
        assert out == C._Run(P, t).run()
        assert [P.names[j] for j in out] == mes(Election(t * P.n_voters, e.projects, e.ballots))
        if 2 <= run.bound < 10**6:
            inside = math.ceil(run.bound) - 1
            assert C._Run(P, t + inside).run() == out


# --------------------------------------------------------------------------- the poorer classes' money in one sum


class _CheckedRun(C._TrackedRun):
    """A tracked run that checks every sum through the rounds (money and slopes) against the class-by-class sum
    of exact budgets or slopes, and also runs the money sum over all the classes poorer than every price."""

    checked = 0

    def _path_sum(self, ids, counts, start, per_round):
        total = super()._path_sum(ids, counts, start, per_round)
        each = self._exact_val if per_round is self.qs else self._exact_slope
        assert total == sum(int(k) * each(int(c)) for c, k in zip(ids, counts))
        _CheckedRun.checked += len(ids) > 0
        return total

    def _exact_price(self, j, rho=None):
        q, items, npoor = super()._exact_price(j, rho)
        if q is not None and npoor:
            ids = np.array([c for _, _, c in items[:npoor]], dtype=np.intp)
            self._path_sum(ids, np.array([k for _, k, _ in items[:npoor]], dtype=np.int64), self.t, self.qs)
        return q, items, npoor


@contextlib.contextmanager
def aggregated_always():
    """Sums over the poorer classes go through the rounds however few the classes are."""
    from budget.core.counting import add1_tracked, mes_engine

    saved = mes_engine._AGG_MIN
    mes_engine._AGG_MIN = add1_tracked._AGG_MIN = -1
    try:
        yield
    finally:
        mes_engine._AGG_MIN = add1_tracked._AGG_MIN = saved


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(add1_elections(), st.lists(st.integers(1, 40), min_size=1, max_size=4))
def test_the_poorer_classes_money_through_the_rounds_payments(case, jumps):
    # the same outcome as pabutools and as the class-by-class sums, at every budget and in resumed runs
    e, _ = case
    P = C._Prep(e)
    if P.n_voters == 0:
        return
    t = P.budget / P.n_voters
    with aggregated_always():
        plain = C._Run(P, t).run()
        assert [P.names[j] for j in plain] == pabu(e, "mes")
        run = _CheckedRun(P, t)
        assert run.run() == plain
        for D in jumps:
            run = run.resume(D)  # a _CheckedRun too, keeping what still holds
            t += D
            assert run.run() == C._Run(P, t).run() == _CheckedRun(P, t).run()


def crowded_election(rng: random.Random, n_voters: int, scale: int) -> Election:
    """Cheap projects on random ballots: most voters run out of money along different paths (many poorer classes)."""
    projects = {f"P{j:02d}": rng.randint(10, 300) * scale for j in range(24)}
    ballots = [{p: 1 for p in rng.sample(list(projects), rng.randint(1, 8))} for _ in range(n_voters)]
    return Election(2000 * scale, projects, ballots)


@pytest.mark.parametrize("seed,scale", [(7, 1), (8, 1000), (9, 10**6)])
def test_the_poorer_classes_money_on_crowded_elections(seed, scale):
    # every aggregated sum equals the class-by-class sum; Add1's engines agree with the sums forced everywhere
    e = crowded_election(random.Random(seed), 300, scale)
    P = C._Prep(e)
    before = _CheckedRun.checked
    t = P.budget / P.n_voters
    with aggregated_always():
        run = _CheckedRun(P, t)
        run.run()
        for k in range(0, 40 * scale, 3 * scale):
            assert _CheckedRun(P, t + k).run() == C._Run(P, t + k).run()
            if k:
                run = run.resume(3 * scale)
                assert run.run() == C._Run(P, t + k).run()
        forced = C._add1_indices(P, jump="auto")[0]
    assert _CheckedRun.checked - before > 50
    assert forced == C._add1_indices(P, jump="gallop")[0]
    assert [P.names[j] for j in forced] == mes_add1(e)
