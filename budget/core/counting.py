"""Vote counting for participatory budgeting (PB): plain data in, plain data out.

No Django here: the web layer builds an :class:`Election` (money of one bucket,
project costs, one ballot per voter) and asks :func:`count` for the winners.

Rules and their reference
-------------------------
Every rule gives the *same outcome, in the same order*, as pabutools 1.2.3
with cost satisfaction (``Cost_Sat``) and its default settings, on the same
approval election:

``greedy``
    ``greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)``.
    With cost satisfaction the "satisfaction per unit of money" of a project
    is its number of approvals, so projects are ranked by approvals (ties:
    project id, see below) and taken in that order, skipping any project that
    no longer fits in the remaining money. Like pabutools, projects nobody
    approved are *not* excluded: they come last and are taken if they still
    fit. Returned in selection order.
    For ``cumulative``, ``scoring`` and ``ordinal`` ballots, greedy ranks by
    the total number of points instead (ordinal ballots carry Borda-style
    points n, n-1, ..., 1, see :func:`ordinal_points`).
``mes``
    ``method_of_equal_shares(instance, profile, sat_class=Cost_Sat)``: every
    voter gets ``budget / number_of_ballots`` (empty ballots count); in each
    round the project that its supporters can pay for with the smallest
    maximal payment per unit of cost is bought, richer supporters paying equal
    shares and poorer ones everything they have left. Returned in selection
    order.
``greedy-threshold``
    pabulib's rule of the same name: greedy among the projects whose total
    support reaches a threshold (META ``min_project_score_threshold``).
``sat``
    ``greedy``/``mes`` also take ``sat="cost"|"cardinality"|"points"`` for
    pabutools' ``Cost_Sat``, ``Cardinality_Sat``, ``Additive_Cardinal_Sat``
    (see :func:`greedy`, :func:`_mes_generic`).
``mes-add1``
    ``method_of_equal_shares(..., voter_budget_increment=1)`` ("Add1"
    completion; cost satisfaction only): MES is rerun with the per-voter budget raised by 1 unit of
    money at a time; it stops at the first run whose outcome is exhaustive
    (no unselected *supported* project fits in the money left) and returns it,
    or at the first run whose outcome costs more than the budget and returns
    the outcome of the previous run.

Tie-breaking (deterministic)
----------------------------
Every tie is broken in favour of the lexicographically smallest project id
(Python ``str`` order, so ``"10" < "9"``), exactly like pabutools' default
``lexico_tie_breaking``. Ties are detected with exact rational arithmetic, as
pabutools does with gmpy2 ``mpq``: all money values are converted to exact
rationals (an ``int`` stays exact, a ``float`` is taken at its exact binary
value, the way ``mpq(float)`` does) and every decision of MES is taken on
exact values.

How the implementation stays exact and fast
-------------------------------------------
* Voters with identical approval sets are interchangeable: they are grouped
  (count + one budget). Voters with the same payment history share one
  *budget class* whose exact rational budget is computed only when an exact
  decision needs it (:class:`_Run`).
* MES candidates are screened with numpy floats (with a lazy lower bound on
  each project's price, as pabutools does); every project whose float price is
  within a rigorous error margin of the best one, and every affordability test
  inside the margin, is re-decided with exact rationals. The payment that is
  charged is always exact (``mes`` never decides anything on a float).
* Add1 (:func:`_add1_by_bounds`, used by :func:`mes_add1`) needs the MES outcome
  at t_k = budget/n + k for k = 0, 1, ... until it stops. Each exact run
  (:class:`_TrackedRun`) also returns a lower bound on how far the per-voter
  budget can grow before the outcome can change (budgets are affine in it while
  the winners and their poor/rich splits stay; a rival's advantage is a concave
  piecewise-linear function whose first root Newton steps find exactly; exact
  ties are decided in rationals), and the next run is at the first t_k past that
  bound. The older engine (vectorised float runs with proofs, :class:`_Batch`,
  and certified skipping) is kept as ``_add1_indices(P, jump=True)`` and the
  plain one-by-one stepping as ``jump=False``; tests compare all three, and
  stepping with pabutools.

Non-approval ballots and MES
----------------------------
pabutools' ``Cost_Sat`` gives a voter the project's cost if the project is on
the ballot, whatever the points. We do the same: for ``mes``/``mes-add1`` a
cumulative, scoring or ordinal ballot counts as approval of every project that
has positive points on it (a project listed with 0 points is treated as not on
the ballot, for every vote type).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

try:  # gmpy2 is what pabutools uses; ~10x faster than Fraction, same exact values.
    from gmpy2 import mpq as _Q
except ImportError:  # pragma: no cover - exercised by tests through _use_fraction()
    _Q = Fraction

__all__ = [
    "Election",
    "VOTE_TYPES",
    "ordinal_points",
    "greedy",
    "mes",
    "mes_add1",
    "greedy_threshold",
    "SATS",
    "RULES",
    "count",
    "tally",
    "fairness",
]

VOTE_TYPES = ("approval", "cumulative", "scoring", "ordinal")
_EPS = float(np.finfo(float).eps)
MAX_MONEY = 10**15  # larger amounts are refused: no budget comes near, floats stay far from overflow


def _use_fraction(flag: bool = True) -> None:
    """Testing hook: compute with fractions.Fraction instead of gmpy2.mpq."""
    global _Q
    if flag:
        _Q = Fraction
    else:
        try:
            from gmpy2 import mpq
        except ImportError:  # pragma: no cover
            mpq = Fraction
        _Q = mpq


def _exact(x, what: str):
    """Exact rational value of a money amount (int, float, Fraction, Decimal, mpq)."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        raise ValueError(f"{what} must be a number, got {x!r}")
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    try:
        return _Q(x)
    except (TypeError, ValueError):
        try:
            return _Q(Fraction(x))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what} must be a number, got {x!r}") from exc


@dataclass(frozen=True)
class Election:
    """One PB bucket: money, projects (id -> cost > 0), one ballot per voter.

    ``ballots[i]`` maps project id -> points. For approval ballots use 1 for
    every approved project. For ordinal ballots, convert a ranking with
    :func:`ordinal_points`. Entries with 0 points are ignored; negative points
    are rejected.
    """

    budget: int | Fraction | float
    projects: dict[str, int | float]
    ballots: list[dict[str, float]]
    vote_type: str = "approval"

    def __post_init__(self):
        if self.vote_type not in VOTE_TYPES:
            raise ValueError(f"vote_type must be one of {', '.join(VOTE_TYPES)}, got {self.vote_type!r}")
        if _exact(self.budget, "budget") < 0:
            raise ValueError("budget must be >= 0")
        if _exact(self.budget, "budget") > MAX_MONEY:
            raise ValueError("budget must be at most 10^15")
        for pid, cost in self.projects.items():
            if not isinstance(pid, str) or not pid:
                raise ValueError(f"project ids must be non-empty strings, got {pid!r}")
            if _exact(cost, f"cost of project {pid!r}") <= 0:
                raise ValueError(f"cost of project {pid!r} must be > 0, got {cost!r}")
            if _exact(cost, f"cost of project {pid!r}") > MAX_MONEY:
                raise ValueError(f"cost of project {pid!r} must be at most 10^15")
        used = set().union(*self.ballots) if self.ballots else set()
        unknown = used - self.projects.keys()
        if unknown:
            raise ValueError(f"ballots mention unknown project(s): {', '.join(sorted(map(str, unknown))[:5])}")
        has_zero = False
        for i, b in enumerate(self.ballots):
            if not b:
                continue
            try:
                lo = min(b.values())
                total = sum(b.values())
                bad = lo < 0 or not math.isfinite(total)
            except TypeError:
                bad = True
            if bad:
                raise ValueError(f"ballot {i}: points must be finite numbers >= 0")
            if lo == 0:
                has_zero = True
        object.__setattr__(self, "_has_zero_points", has_zero)


def ordinal_points(ranking) -> dict[str, int]:
    """Borda-style points for a ranking: n for the first, n-1 for the next, ..., 1 for the last."""
    ranking = list(ranking)
    if len(set(ranking)) != len(ranking):
        raise ValueError("a ranking cannot list a project twice")
    n = len(ranking)
    return {pid: n - i for i, pid in enumerate(ranking)}


# --------------------------------------------------------------------------- tallies / greedy


def _approval_groups(e: Election) -> Counter:
    """Counter: frozenset of approved (positive-points) project ids -> number of voters."""
    if getattr(e, "_has_zero_points", False):
        return Counter(frozenset(k for k, v in b.items() if v > 0) for b in e.ballots)
    return Counter(map(frozenset, e.ballots))


def _exact_scores(e: Election) -> dict:
    """Exact total support per project (approvals, or points for other vote types)."""
    scores = dict.fromkeys(e.projects, 0)
    if e.vote_type == "approval":
        for grp, cnt in _approval_groups(e).items():
            for pid in grp:
                scores[pid] += cnt
        return scores
    for b in e.ballots:
        for pid, v in b.items():
            scores[pid] += v if isinstance(v, int) else Fraction(v)
    return scores


def tally(e: Election) -> dict[str, float]:
    """Total points per project (approval: number of approvals). Ints stay ints."""
    return {pid: (s if isinstance(s, int) else float(s)) for pid, s in _exact_scores(e).items()}


SATS = ("cost", "cardinality", "points")


def _check_sat(e: Election, sat):
    if sat is not None and sat not in SATS:
        raise ValueError(f"unknown satisfaction {sat!r}; expected one of {', '.join(SATS)}")
    if sat == "points" and e.vote_type not in ("cumulative", "scoring"):
        raise ValueError("--sat points needs cumulative or scoring ballots (pabutools' Additive_Cardinal_Sat); "
                         f"this election has {e.vote_type} ballots")


def _supporters(e: Election) -> dict:
    """Exact number of voters with positive points on each project."""
    sup = dict.fromkeys(e.projects, 0)
    for grp, cnt in _approval_groups(e).items():
        for pid in grp:
            sup[pid] += cnt
    return sup


def greedy(e: Election, sat: str | None = None, threshold=None) -> list[str]:
    """Greedy, skipping projects that do not fit (see module docstring).

    ``sat=None`` ranks by total support (approvals, points, Borda points), the
    official greedy rule of pabulib files. With ``sat`` it is pabutools'
    ``greedy_utilitarian_welfare`` with that satisfaction, which ranks by total
    satisfaction per unit of cost: ``cost`` (Cost_Sat) by the number of voters
    with the project on the ballot, ``cardinality`` (Cardinality_Sat) by that
    number divided by the cost, ``points`` (Additive_Cardinal_Sat) by the total
    points divided by the cost. Ties: smallest project id.

    ``threshold`` (pabulib's ``greedy-threshold``, META ``min_project_score_threshold``):
    only projects whose total support reaches the threshold can be selected.
    """
    _check_sat(e, sat)
    costs = {pid: _exact(c, "cost") for pid, c in e.projects.items()}
    if sat is None:
        key = _exact_scores(e)
    elif sat == "cost":
        key = _supporters(e)
    elif sat == "cardinality":
        key = {p: Fraction(n) / Fraction(costs[p]) for p, n in _supporters(e).items()}
    else:
        key = {p: Fraction(v) / Fraction(costs[p]) for p, v in _exact_scores(e).items()}
    eligible = e.projects
    if threshold is not None:
        limit = _exact(threshold, "threshold")
        support = _exact_scores(e)
        eligible = [p for p in e.projects if support[p] >= limit]
    left = _exact(e.budget, "budget")
    chosen = []
    for pid in sorted(eligible, key=lambda p: (-key[p], p)):
        if costs[pid] <= left:
            chosen.append(pid)
            left -= costs[pid]
    return chosen


def greedy_threshold(e: Election, threshold=None, sat: str | None = None) -> list[str]:
    """pabulib's ``greedy-threshold``: greedy among projects with total support >= ``threshold``."""
    if threshold is None:
        raise ValueError("greedy-threshold needs a threshold (META min_project_score_threshold or --threshold)")
    return greedy(e, sat=sat, threshold=threshold)


def _mes_generic(e: Election, sat: str, per_voter) -> list[str]:
    """Exact MES with satisfaction ``cardinality`` or ``points`` at ``per_voter`` budget.

    pabutools' ``mes_inner_algo``: a supporter i pays min(budget_i, rho * u_i(p)),
    where u_i(p) is 1 (cardinality) or i's points on p; the project with the smallest
    rho is bought (ties: smallest id). Voters with identical ballots are grouped."""
    groups = Counter()
    for b in e.ballots:
        items = tuple(sorted((p, v) for p, v in b.items() if v > 0))
        if items:
            groups[items] += 1
    util = []  # per group: {project: exact utility}
    counts = []
    for items, cnt in groups.items():
        util.append({p: (_Q(1) if sat == "cardinality" else _Q(Fraction(v))) for p, v in items})
        counts.append(cnt)
    budgets = [_Q(per_voter)] * len(util)
    cost = {p: _exact(c, "cost") for p, c in e.projects.items()}
    sup = {p: [] for p in e.projects}
    for g, u in enumerate(util):
        for p in u:
            sup[p].append(g)
    total_sat = {p: sum((counts[g] * util[g][p] for g in sup[p]), _Q(0)) for p in e.projects}
    remaining = {p for p in e.projects if sup[p]}
    afford = {p: _Q(0) for p in remaining}  # lower bounds (prices only rise within a run)
    chosen = []
    while remaining:
        best = None
        best_p = None
        for p in sorted(remaining, key=lambda p: (afford[p], p)):
            if sum((counts[g] * budgets[g] for g in sup[p]), _Q(0)) < cost[p]:
                remaining.discard(p)
                continue
            if best is not None and afford[p] > best:
                break
            order = sorted(sup[p], key=lambda g: budgets[g] / util[g][p])
            paid = _Q(0)
            denom = total_sat[p]
            for g in order:
                rho = (cost[p] - paid) / denom
                if rho * util[g][p] <= budgets[g]:
                    afford[p] = rho
                    if best is None or rho < best or (rho == best and p < best_p):
                        best, best_p = rho, p
                    break
                paid += counts[g] * budgets[g]
                denom -= counts[g] * util[g][p]
        if best_p is None:
            break
        for g in sup[best_p]:
            budgets[g] -= min(budgets[g], best * util[g][best_p])
        chosen.append(best_p)
        remaining.discard(best_p)
    return chosen


# --------------------------------------------------------------------------- MES machinery


class _Prep:
    """Grouped, indexed form of an election for MES (projects indexed in id order)."""

    def __init__(self, e: Election):
        self.names = sorted(e.projects)
        index = {pid: j for j, pid in enumerate(self.names)}
        m = len(self.names)
        self.m = m
        self.cost_q = [_exact(e.projects[pid], "cost") for pid in self.names]
        self.cost_f = np.array([float(c) for c in self.cost_q], dtype=float)
        self.budget = _exact(e.budget, "budget")
        self.n_voters = len(e.ballots)
        groups = _approval_groups(e)
        # keep only non-empty approval sets; empty ballots still count in n_voters
        groups.pop(frozenset(), None)
        self.n_groups = G = len(groups)
        self.w = np.fromiter(groups.values(), dtype=float, count=G)
        lens = np.fromiter(map(len, groups), dtype=np.intp, count=G)
        ent_p = np.array([index[p] for grp in groups for p in grp], dtype=np.intp)
        ent_g = np.repeat(np.arange(G, dtype=np.intp), lens)
        order = np.argsort(ent_p, kind="stable")
        self.ent_p = ent_p[order]
        self.ent_g = ent_g[order]
        self.ent_w = self.w[self.ent_g]
        bounds = np.searchsorted(self.ent_p, np.arange(m + 1)).tolist()
        self.sup = [self.ent_g[bounds[j]:bounds[j + 1]] for j in range(m)]
        self.supw = [self.ent_w[bounds[j]:bounds[j + 1]] for j in range(m)]
        self.support_f = np.bincount(self.ent_p, weights=self.ent_w, minlength=m)
        self.support = [int(x) for x in self.support_f.tolist()]  # voters approving each project
        self.mes_projects = [j for j in range(m) if self.support[j] > 0]
        self.clone_reps = _clone_reps(self)
        self.stale0 = {j: 1.0 / self.support[j] for j in self.mes_projects}
        self.min_cost_f = float(self.cost_f.min()) if m else 1.0


class _Run:
    """One exact run of MES at per-voter budget ``t``.

    Voters with the same history of payments have the same budget and form a
    *budget class*. A class's exact budget (a rational) is only computed when
    an exact decision needs it; every class also has a float budget, the
    parent's float budget minus the rounded payment, whose absolute error is
    at most ``self.dabs`` (tracked).

    With ``base`` (the per-round ``(winner, exact price per unit of cost)`` of a
    run at a smaller budget ``t_a``) the run also *certifies* that every
    per-voter budget in ``[t_a, t]`` gives the same outcome (see
    :func:`_add1_indices`); ``self.certified`` tells whether it did. A
    certifying run stops early as soon as the certificate fails.
    """

    def __init__(self, P: _Prep, t, base=None):
        self.P = P
        self.t = t
        self.base = base
        self.certified = base is not None
        tf = float(t)
        # class 0: nothing left (exactly 0); class 1: the initial budget t
        self.val = [_Q(0), t]  # exact budget, or None until needed
        self.parent = [0, 1]
        self.paid = [None, None]  # exact payment subtracted from the parent's budget
        self.vf = np.zeros(64)
        self.vf[1] = tf
        self.cls = np.ones(P.n_groups, dtype=np.intp)
        self.bf = np.full(P.n_groups, tf)
        self.rhos = []  # exact price per unit of cost of each round's winner
        # error bounds: float budgets are within dabs of the exact ones; float
        # prices within relative tol (sums over <= n voters; cancellation when
        # poorer supporters cover most of the cost is bounded since a price is
        # at least cost/support). See _Prep for the constants.
        self.dabs = _EPS * tf
        self.step_abs = 2.0 * _EPS * tf
        n = float(max(P.n_voters, 1))
        m = float(P.m)
        tol = 4.0 * n * n * _EPS * (1.0 + (2.0 * m + 1.0) * tf / P.min_cost_f) + 1e-13
        self.lo, self.hi = 1.0 - tol, 1.0 + tol

    # -- exact budgets on demand
    def _exact_val(self, c):
        val = self.val
        v = val[c]
        if v is not None:
            return v
        chain_ = []
        while val[c] is None:
            chain_.append(c)
            c = self.parent[c]
        v = val[c]
        paid = self.paid
        for c in reversed(chain_):
            v = v - paid[c]
            val[c] = v
        return v

    # -- pricing
    def _classes_of(self, j):
        """[(float budget, voter count, class id)] over j's supporters, by float budget."""
        P = self.P
        cnt = np.bincount(self.cls[P.sup[j]], weights=P.supw[j], minlength=len(self.val))
        nz = np.flatnonzero(cnt)
        vf = self.vf[nz]
        o = np.argsort(vf, kind="stable")
        return list(zip(vf[o].tolist(), cnt[nz[o]].astype(np.int64).tolist(), nz[o].tolist()))

    def _exact_price(self, j):
        """Exact equal-share payment q for project j (None if unaffordable), and the
        number of poorer supporter classes (the first ``npoor`` of the returned list)."""
        items = self._classes_of(j)
        cost = self.P.cost_q[j]
        rem = self.P.support[j]
        paid = 0
        ex = self._exact_val
        val = self.val
        q = None
        npoor = len(items)
        for k, (_, cnt, c) in enumerate(items):
            v = val[c]
            if v is None:
                v = ex(c)
            if cost - paid <= v * rem:  # (cost - paid) / rem <= v
                q, npoor = (cost - paid) / rem, k
                break
            paid += cnt * v
            rem -= cnt
        if q is None:
            if paid < cost:
                return None, items, npoor
            return self._exact_price_slow(j)
        # the float order may misplace classes whose float budgets are within the error
        # bound of each other: check exactly every class near the threshold
        band = float(q) + 2.0 * self.dabs + 4.0 * _EPS * float(q)
        for k in range(npoor + 1, len(items)):
            vf_k, _, c = items[k]
            if vf_k > band:
                break
            if ex(c) < q:
                return self._exact_price_slow(j)
        return q, items, npoor

    def _exact_price_slow(self, j):
        """Same, ordering the classes by exact budget (only after a float misordering)."""
        items = self._classes_of(j)
        ex = self._exact_val
        items.sort(key=lambda it: ex(it[2]))
        cost = self.P.cost_q[j]
        rem = self.P.support[j]
        paid = 0
        for k, (_, cnt, c) in enumerate(items):
            v = ex(c)
            qk = (cost - paid) / rem
            if qk <= v:
                return qk, items, k
            paid += cnt * v
            rem -= cnt
        return None, items, len(items)

    def _float_price(self, j):
        """Float screening: (-1, _) surely unaffordable, (0, _) unsure, (1, rho) priced."""
        P = self.P
        b = self.bf[P.sup[j]]
        ws = P.supw[j]
        cost = P.cost_f[j]
        avail = ws.dot(b)
        if avail < cost * self.lo:
            return -1, 0.0
        if avail <= cost * self.hi:
            return 0, 0.0
        n = P.support_f[j]
        o = b.argsort()
        bs = b[o]
        wsrt = ws[o]
        cw = wsrt.cumsum()
        cp = (wsrt * bs).cumsum()
        # money raised if every supporter pays min(budget, bs[k]) is non-decreasing in k;
        # the first k where it reaches the cost is the first supporter paying the full share
        k = int((cp + bs * (n - cw)).searchsorted(cost))
        if k >= len(bs):
            k = len(bs) - 1
        wk = wsrt[k]
        return 1, (cost - cp[k] + wk * bs[k]) / (n - cw[k] + wk) / cost

    # -- main loop
    def run(self) -> list[int]:
        P = self.P
        selected: list[int] = []
        if P.n_groups == 0 or not P.mes_projects:
            if self.base is not None:
                self.certified = len(self.base) == 0
            return selected
        remaining = set(P.mes_projects)
        stale = dict(P.stale0)  # lower bounds on each project's price per unit of cost
        base = self.base
        cost_q = P.cost_q
        exact_q: dict[int, tuple] = {}
        while remaining:
            lo, hi = self.lo, self.hi
            best = math.inf
            evaluated = []
            exact_q.clear()
            for j in sorted(remaining, key=stale.__getitem__):
                if stale[j] * lo > best * hi:
                    break
                status, rho = self._float_price(j)
                if status == 0:
                    known = self._exact_price(j)
                    if known[0] is None:
                        status = -1
                    else:
                        exact_q[j] = known
                        status, rho = 1, float(known[0] / cost_q[j])
                if status < 0:
                    remaining.discard(j)
                    continue
                stale[j] = rho
                evaluated.append((j, rho))
                if rho < best:
                    best = rho
            if not evaluated:
                break
            limit = best * (hi / lo) * hi
            winner = None
            evaluated.sort()
            for j, rho in evaluated:
                if rho > limit:
                    continue
                known = exact_q.get(j)
                if known is None:
                    known = self._exact_price(j)
                    if known[0] is None:  # float screening misjudged affordability (never observed)
                        remaining.discard(j)
                        continue
                    exact_q[j] = known
                r = known[0] / cost_q[j]
                if winner is None or r < winner[0]:  # ids ascending: strict < keeps the smallest id
                    winner = (r, j, known)
            if winner is None:
                continue
            r, j, known = winner
            if base is not None and not self._certify_round(len(selected), j, remaining, stale, exact_q):
                self.certified = False
                return selected
            self.rhos.append(r)
            self._pay(j, *known)
            selected.append(j)
            remaining.discard(j)
        if base is not None and len(selected) != len(base):
            self.certified = False
        return selected

    def _certify_round(self, rnd, winner, remaining, stale, exact_q) -> bool:
        """Same winner as the base run, and no other project priced at or below the base price."""
        base = self.base
        if rnd >= len(base) or base[rnd][0] != winner:
            return False
        tau = base[rnd][1]
        tau_f = float(tau) * self.hi
        lo = self.lo
        cost_q = self.P.cost_q
        for p in sorted(remaining, key=stale.__getitem__):
            if p == winner:
                continue
            if stale[p] * lo > tau_f:
                break
            known = exact_q.get(p)
            if known is None:
                status, rho = self._float_price(p)
                if status < 0:
                    continue
                if status > 0:
                    stale[p] = rho
                    if rho * lo > tau_f:
                        continue
                known = self._exact_price(p)
                if known[0] is None:
                    continue
                exact_q[p] = known
            r = known[0] / cost_q[p]
            if r < tau or (r == tau and p < winner):
                return False
        return True

    def _pay(self, j, q, items, npoor):
        """Supporters of j pay min(budget, q): poorer classes drop to 0, the others get
        a new class (budget - q)."""
        rich = [c for _, _, c in items[npoor:]]
        nv = len(self.val)
        need = nv + len(rich)
        if need > len(self.vf):
            grown = np.zeros(max(2 * len(self.vf), need))
            grown[:nv] = self.vf[:nv]
            self.vf = grown
        remap = np.zeros(nv, dtype=np.intp)
        if rich:
            rich_a = np.array(rich, dtype=np.intp)
            new_ids = np.arange(nv, need, dtype=np.intp)
            remap[rich_a] = new_ids
            self.vf[nv:need] = np.maximum(self.vf[rich_a] - float(q), 0.0)
            self.val.extend([None] * len(rich))
            self.parent.extend(rich)
            self.paid.extend([q] * len(rich))
        self.dabs += self.step_abs
        S = self.P.sup[j]
        newc = remap[self.cls[S]]
        self.cls[S] = newc
        self.bf[S] = self.vf[newc]


# --------------------------------------------------------------------------- batched verified runs


def _clone_reps(P: _Prep) -> list[int]:
    """For each project, the smallest-id project with the same supporters and exact cost
    (such "clones" always have exactly the same price, so ids decide between them)."""
    first: dict = {}
    reps = []
    for j in range(P.m):
        key = (P.sup[j].tobytes(), P.cost_q[j])
        reps.append(first.setdefault(key, j))
    return reps


def _batch_prices(B, ws, n, cost, q0=None):
    """Float prices (per row of budgets B) of a project; inf where the float money is short.

    Newton steps on the concave money-raised function F(q) = sum w * min(b, q) from a
    starting guess ``q0``: after the first step the iterates increase to the root, one
    budget level at a time; rows that need many steps are finished by sorting."""
    K = B.shape[0]
    avail = B.dot(ws)
    q = np.full(K, cost / n) if q0 is None else np.where(np.isfinite(q0), q0, cost / n)
    for _ in range(6):
        poor = B <= q[:, None]
        pw = poor.dot(ws)
        rich = n - pw
        with np.errstate(divide="ignore", invalid="ignore"):
            q1 = (cost - (B * poor).dot(ws)) / rich
        q1 = np.where(rich > 0, q1, cost / n)
        # converged when no budget lies strictly between q and q1 (same partition)
        moved = ((B > np.minimum(q, q1)[:, None]) & (B < np.maximum(q, q1)[:, None])).any(axis=1)
        q = q1
        if not moved.any():
            break
    else:
        if moved.any():
            r = np.flatnonzero(moved)
            q[r] = _sorted_prices(B[r], ws, n, cost)
    return np.where(avail >= cost, q, np.inf)


def _sorted_prices(B, ws, n, cost):
    o = B.argsort(axis=1)
    ar = np.arange(B.shape[0])[:, None]
    bs = B[ar, o]
    wsrt = ws[o]
    cw = wsrt.cumsum(axis=1)
    cp = (wsrt * bs).cumsum(axis=1)
    reach = (cp + bs * (n - cw)) >= cost
    k = reach.argmax(axis=1)
    r = np.arange(B.shape[0])
    wk = wsrt[r, k]
    return (cost - cp[r, k] + wk * bs[r, k]) / (n - cw[r, k] + wk)


class _Batch:
    """MES for several per-voter budgets at once, in floats with rigorous bounds.

    Every exact budget is enclosed in [lo, hi] (directed rounding), every payment in
    [qlo, qhi]; the winner of a round is accepted only if every other project is
    *proved* more expensive per unit of cost (or is an exact clone, or both are paid
    by all their supporters in equal shares with the same number of supporters, where
    the tie is exact and ids decide). Rows where some decision cannot be proved this
    way are dropped (``None``) and computed by the exact engine instead.
    """

    def __init__(self, P: _Prep, ts):
        self.P = P
        self.ts = list(ts)
        self.reps = P.clone_reps
        self.results: list = [None] * len(self.ts)

    def run(self):
        P = self.P
        K = len(self.ts)
        if P.n_groups == 0 or not P.mes_projects:
            return [[] for _ in self.ts]
        tf = np.array([float(t) for t in self.ts])
        lo = np.repeat((tf * (1 - 2 * _EPS))[:, None], P.n_groups, axis=1)
        hi = np.repeat((tf * (1 + 2 * _EPS))[:, None], P.n_groups, axis=1)
        stale = np.zeros((K, P.m))
        for j in P.mes_projects:
            stale[:, j] = (1.0 / P.support[j]) * (1 - 4 * _EPS)
        guess = stale.copy()
        work = [(np.arange(K), lo, hi, stale, guess, [], set(P.mes_projects))]
        while work:
            self._rounds(*work.pop(), work)
        return self.results

    # -- rigorous money-raised test: sign of F(x) - cost for F(x) = sum w * min(b, x)
    @staticmethod
    def _raised(B, ws, x):
        return np.minimum(B, x[:, None]).dot(ws)

    def _rounds(self, rows, lo, hi, stale, guess, selected, remaining, work):
        P = self.P
        reps = self.reps
        while len(rows):
            Kb = len(rows)
            best = np.full(Kb, np.inf)
            bestj = np.full(Kb, -1)
            rem = sorted(remaining)
            if rem:
                gmin = guess[:, rem].min(axis=0)
                order = [rem[i] for i in np.argsort(gmin, kind="stable")]
            else:
                order = []
            for p in order:
                g = guess[:, p]
                if np.all(g > best * (1 + 1e-9)):
                    break
                S = P.sup[p]
                cp = P.cost_f[p]
                rho = _batch_prices(hi[:, S], P.supw[p], P.support_f[p], cp, g * cp) / cp
                guess[:, p] = rho
                # near-equal prices (often exactly equal: equal shares, equal support) go
                # to the smaller id, as an exact tie would; the proof below checks it
                better = (rho < best * (1 - 1e-12)) | ((rho <= best * (1 + 1e-12)) & (p < bestj))
                best = np.where(better, rho, best)
                bestj = np.where(better, p, bestj)
            # rows where nothing looks affordable: prove it, then they are finished
            done = bestj < 0
            if done.any():
                ok = done.copy()
                for p in rem:
                    S = P.sup[p]
                    avail = hi[done][:, S].dot(P.supw[p])
                    tol = (len(S) + 4) * _EPS
                    ok[np.flatnonzero(done)[~(avail * (1 + tol) < P.cost_f[p] * (1 - 2 * _EPS))]] = False
                for r in np.flatnonzero(done):
                    self.results[rows[r]] = list(selected) if ok[r] else None
                keep = ~done
                rows, lo, hi, bestj = rows[keep], lo[keep], hi[keep], bestj[keep]
                stale, guess = stale[keep], guess[keep]
                if not len(rows):
                    return
            winners = sorted(set(bestj.tolist()))
            if len(winners) > 1:  # rows disagree: split the batch
                for w in winners[1:]:
                    sel = bestj == w
                    work.append((rows[sel], lo[sel].copy(), hi[sel].copy(), stale[sel].copy(),
                                 guess[sel].copy(), list(selected), set(remaining)))
                sel = bestj == winners[0]
                rows, lo, hi, stale, guess = rows[sel], lo[sel], hi[sel], stale[sel], guess[sel]
            w = int(winners[0])
            rw = reps[w]
            if rw != w and rw in remaining:
                w = rw
            ok, qlo, qhi = self._accept(w, lo, hi, stale, remaining, guess[:, int(winners[0])], guess)
            if not ok.all():
                rows, lo, hi, stale, guess = rows[ok], lo[ok], hi[ok], stale[ok], guess[ok]
                qlo, qhi = qlo[ok], qhi[ok]
                if not len(rows):
                    return
            S = P.sup[w]
            a = lo[:, S] - qhi[:, None]
            lo[:, S] = np.maximum(a * (1 - 2 * _EPS), 0.0)
            b = hi[:, S] - qlo[:, None]
            hi[:, S] = np.maximum(b * (1 + 2 * _EPS), 0.0)
            selected.append(w)
            remaining.discard(w)
            stale[:, w] = np.inf
            guess[:, w] = np.inf

    @staticmethod
    def _equal_shares(Bl, Bh, ws, cost):
        """Rows where every supporter with money left (hi > 0; the others have exactly 0)
        surely has at least an equal share: there the exact price is cost / neff."""
        alive = Bh > 0
        neff = alive.dot(ws)
        share = cost / np.maximum(neff, 1)
        low = np.where(alive, Bl, np.inf).min(axis=1)
        return neff, (neff > 0) & (low >= share * (1 + 8 * _EPS))

    def _accept(self, w, lo, hi, stale, remaining, rho_guess, guess):
        """Prove, per row, that w is the (lowest-id) cheapest project.

        Returns (ok, qlo, qhi): the rows where the proof succeeded and, for them,
        bounds qlo < exact payment <= qhi."""
        P = self.P
        S = P.sup[w]
        ws = P.supw[w]
        cost = P.cost_f[w]
        Kb = lo.shape[0]
        Bh = hi[:, S]
        Bl = lo[:, S]
        tol = (len(S) + 4) * _EPS
        c_lo = cost * (1 - 2 * _EPS)
        c_hi = cost * (1 + 2 * _EPS)
        q = rho_guess * cost
        ok = np.isfinite(q)
        q = np.where(ok, q, cost)
        # equal shares paid by everybody who has money left (the others have exactly 0):
        # the exact price is cost / (number of such supporters)
        neff, allrich = self._equal_shares(Bl, Bh, ws, cost)
        qlo = np.zeros(Kb)
        qhi = np.zeros(Kb)
        for g in (1e-12, 1e-9, 1e-6):
            x = q * (1 - g)
            y = q * (1 + g)
            below = self._raised(Bh, ws, x) * (1 + tol) < c_lo  # exact price > x
            above = self._raised(Bl, ws, y) * (1 - tol) >= c_hi  # exact price <= y
            good = below & above & (qhi == 0)
            qlo = np.where(good, x, qlo)
            qhi = np.where(good, y, qhi)
        exact_share = cost / np.maximum(neff, 1)
        qlo = np.where(allrich, exact_share * (1 - 4 * _EPS), qlo)
        qhi = np.where(allrich, exact_share * (1 + 4 * _EPS), qhi)
        ok &= (qhi > 0) | allrich
        rho_hi = qhi / cost * (1 + 4 * _EPS)
        # every other project must be proved more expensive (or exactly tied and later by id)
        rem = [p for p in remaining if p != w]
        if rem:
            st = stale[:, rem]
            need = st <= rho_hi[:, None]
            cols = np.flatnonzero(need.any(axis=0))
            rw = self.reps[w]
            for ci in cols:
                p = rem[ci]
                rr = need[:, ci]
                if self.reps[p] == rw:  # clone of w: same price, w has the smaller id
                    continue
                Sp = P.sup[p]
                cp = P.cost_f[p]
                idx = np.flatnonzero(rr)
                Hp = hi[idx][:, Sp]
                slack = 1 + (len(Sp) + 4) * _EPS
                c_lo = cp * (1 - 2 * _EPS)
                # test at the screening guess when it is higher: a pass gives a better
                # lower bound, so p needs no test for a while
                level = np.maximum(rho_hi[idx], guess[idx, p] * (1 - 1e-9))
                worse = self._raised(Hp, P.supw[p], level * cp) * slack < c_lo
                retry = np.flatnonzero(~worse & (level > rho_hi[idx]))
                if len(retry):
                    level[retry] = rho_hi[idx[retry]]
                    worse[retry] = self._raised(Hp[retry], P.supw[p], level[retry] * cp) * slack < c_lo
                stale[idx[worse], p] = np.maximum(stale[idx[worse], p], level[worse])
                bad = idx[~worse]
                if len(bad):
                    # exact tie of two "everybody pays an equal share" projects?
                    np_, prich = self._equal_shares(lo[bad][:, Sp], hi[bad][:, Sp], P.supw[p], cp)
                    nw = neff[bad]
                    tie_ok = prich & allrich[bad] & ((np_ < nw) | ((np_ == nw) & (p > w)))
                    ok[bad[~tie_ok]] = False
        return ok, qlo, qhi


# --------------------------------------------------------------------------- Add1: the next budget where MES can change


class _TrackedRun(_Run):
    """An exact MES run at per-voter budget ``t`` that also bounds how far ``t`` can grow
    before the outcome can change.

    For per-voter budgets ``s = t + d`` with the same winners and, in every round, the
    same split of the winner's supporters into those who pay all they have ("poor") and
    those who pay the equal share, every budget is an affine function of ``d``: a voter
    class's budget is ``b + beta * d`` (``beta`` = 1 at the start; the winner's payment
    is ``q + sigma * d`` with ``sigma = -(sum of the poor classes' beta) / (number of rich
    supporters) <= 0``; a rich class's slope becomes ``beta - sigma``, a poor class
    drops to 0). The outcome at ``t + d`` is the same as at ``t`` as long as

    * no poor class of a round's winner gets more than the payment
      (``b + beta d <= q + sigma d``; rich classes stay rich since ``beta >= 0 >= sigma``);
    * in every round, no other unselected project p becomes cheaper per unit of cost
      than the winner w (equal only if p's id is larger): with
      ``x(d) = rho_w(d) * cost_p``, p is strictly dearer iff
      ``H_p(d) = sum_i min(b_i(d), x(d)) - cost_p < 0``. ``H_p`` is concave and
      piecewise linear in ``d``, so Newton steps from ``d = 0`` approach its first root
      from below, exactly, one breakpoint at a time. An exact tie at ``d = 0``
      (``H_p(0) = 0``; then p's id is larger) persists or turns in w's favour iff the
      right derivative of ``H_p`` at 0 is <= 0 (concavity), checked exactly;
    * after the last round every unselected project stays unaffordable.

    ``self.bound`` is a lower bound on the first ``d`` where one of these can fail
    (floats with error margins far above the rounding errors; any doubt gives 0), so
    every per-voter budget in ``[t, t + bound)`` has the outcome of this run. Once the
    bound is <= 1 the analysis stops (Add1 moves by whole units), so ``bound`` is then
    only known to be <= 1.
    """

    def __init__(self, P: _Prep, t):
        super().__init__(P, t)
        self.sl = np.zeros(len(self.vf))  # float slope per class
        self.sl[1] = 1.0
        self.sg = np.ones(P.n_groups)  # float slope per group
        self.sval = [_Q(0), _Q(1)]  # exact slope per class, None until needed
        self.spaid = [None, None]
        self.unsel = set(P.mes_projects)
        self.bound = math.inf
        self._sigma = None
        self.tf = float(t)

    def _exact_slope(self, c):
        sval = self.sval
        if sval[c] is not None:
            return sval[c]
        chain_ = []
        while sval[c] is None:
            chain_.append(c)
            c = self.parent[c]
        v = sval[c]
        for c in reversed(chain_):
            v = v - self.spaid[c]
            sval[c] = v
        return v

    def run(self) -> list[int]:
        selected = super().run()
        if self.bound > 1:
            self._bound_end()
        return selected

    # -- margins
    def _err(self, n, scale):
        """Bound on the float error of a sum over n voters of terms of size <= scale."""
        return 1e-9 * n * (scale + self.tf + 1.0) + 4.0 * n * self.dabs

    def _cap(self, d):
        if d < self.bound:
            self.bound = max(d, 0.0)

    def _bound_round(self, w, q, items, npoor):
        P = self.P
        if self.bound <= 1:
            # Add1 looks at whole units only: a bound <= 1 already means "run the next
            # unit", so nothing more (not even slopes) is needed from this run
            self._sigma = _Q(0)
            return
        poor = items[:npoor]
        n_rich = P.support[w] - sum(cnt for _, cnt, _ in poor)
        sigma = -sum((cnt * self._exact_slope(c) for _, cnt, c in poor), _Q(0)) / n_rich
        self._sigma = sigma
        if self.bound <= 0:
            return
        qf = float(q)
        sf = float(sigma)
        # 1. poor classes of the winner stay poor
        for vf_c, cnt, c in poor:
            den = self.sl[c] - sf
            if den > 0:
                num = qf - vf_c
                self._cap(num / den * (1 - 1e-9) - self._err(1, qf) / den)
        # 2. no other project gets cheaper per unit of cost than w
        cw = P.cost_f[w]
        reps = P.clone_reps
        cand = [p for p in self.unsel if p != w and reps[p] != reps[w]]
        if not cand:
            return
        x0 = qf / cw * P.cost_f
        sx = sf / cw * P.cost_f
        eg = P.ent_g
        ep = P.ent_p
        bb = self.bf[eg]
        X = x0[ep]
        h0 = np.bincount(ep, weights=P.ent_w * np.minimum(bb, X), minlength=P.m) - P.cost_f
        slope = np.bincount(ep, weights=P.ent_w * np.where(bb < X, self.sg[eg], sx[ep]), minlength=P.m)
        for p in cand:
            err = self._err(P.support[p], x0[p])
            if h0[p] < -err:
                if slope[p] <= 0:
                    continue  # concave and not increasing: never reaches 0
                d1 = -h0[p] / slope[p]
                if d1 - err / slope[p] >= self.bound:
                    continue
                self._newton(p, w, q, sigma, x0[p], sx[p], d1, slope[p])
                continue
            # a (near-)tie: decide exactly
            items_p = self._classes_of(p)
            xq = q * P.cost_q[p] / P.cost_q[w]
            h = -P.cost_q[p]
            for _, cnt, c in items_p:
                v = self._exact_val(c)
                h += cnt * (v if v < xq else xq)
            if h < 0:
                self._cap(0.0 if h0[p] >= -err else self.bound)  # pragma: no cover - float said near-tie
                continue
            if h > 0:  # pragma: no cover - impossible: w was the cheapest
                self._cap(0.0)
                continue
            sxq = sigma * P.cost_q[p] / P.cost_q[w]
            dh = _Q(0)
            for _, cnt, c in items_p:
                v = self._exact_val(c)
                dh += cnt * (self._exact_slope(c) if v < xq else sxq)
            if dh > 0:
                self._cap(0.0)

    def _newton(self, p, w, q, sigma, x0, sx, d, sl_prev):
        """First root of H_p after 0 (see class docstring), from the tangent root ``d``."""
        P = self.P
        S = P.sup[p]
        ws = P.supw[p]
        b = self.bf[S]
        beta = self.sg[S]
        cost = P.cost_f[p]
        err = self._err(P.support[p], x0)
        for _ in range(2 * len(S) + 10):
            if d >= self.bound:
                return
            bd = b + beta * d
            xd = x0 + sx * d
            h = ws.dot(np.minimum(bd, xd)) - cost
            sl = ws.dot(np.where(bd < xd, beta, sx))
            if h >= -err:
                if sl <= 0 and sigma == 0 and not self._plateau_beats(p, w, q):
                    return  # H levels off at 0 (an exact tie that w wins) or below
                self._cap(d * (1 - 1e-9) - 2 * err / sl_prev - 1e-6)
                return
            if sl <= 0:
                return  # concave, no longer increasing, below 0: never reaches 0
            d = d - h / sl
            sl_prev = sl
        self._cap(0.0)  # pragma: no cover - Newton ends in <= #breakpoints steps

    def _plateau_beats(self, p, w, q) -> bool:
        """With w's price constant, H_p levels off where every supporter of p with money
        left pays p's equal share: there p's price is cost_p / (those supporters). Does
        p then beat w (exactly cheaper, or tied with a smaller id)?"""
        P = self.P
        alive = int(P.supw[p][self.cls[P.sup[p]] != 0].sum())
        # rho_p = 1 / alive versus rho_w = q / cost_w
        lhs = alive * q
        rhs = P.cost_q[w]
        return lhs > rhs or (lhs == rhs and p < w)

    def _bound_end(self):
        P = self.P
        for p in self.unsel:
            S = P.sup[p]
            ws = P.supw[p]
            total = ws.dot(self.bf[S])
            sl = ws.dot(self.sg[S])
            if sl > 0:
                err = self._err(P.support[p], self.tf)
                self._cap((P.cost_f[p] - total) / sl * (1 - 1e-9) - err / sl)

    def _pay(self, j, q, items, npoor):
        self._bound_round(j, q, items, npoor)
        sigma = self._sigma
        sf = float(sigma)
        rich = [c for _, _, c in items[npoor:]]
        nv = len(self.val)
        super()._pay(j, q, items, npoor)
        need = len(self.val)
        if len(self.sl) < len(self.vf):
            grown = np.zeros(len(self.vf))
            grown[:nv] = self.sl[:nv]
            self.sl = grown
        if rich:
            rich_a = np.array(rich, dtype=np.intp)
            self.sl[nv:need] = self.sl[rich_a] - sf
            self.sval.extend([None] * len(rich))
            self.spaid.extend([sigma] * len(rich))
        S = self.P.sup[j]
        self.sg[S] = self.sl[self.cls[S]]
        self.unsel.discard(j)


def _batch_outcomes(P: _Prep, ts) -> list[list[int]]:
    """Exact MES outcomes for several per-voter budgets (verified floats, exact fallback)."""
    res = _Batch(P, ts).run()
    return [r if r is not None else _Run(P, t).run() for r, t in zip(res, ts)]


def mes(e: Election, sat: str | None = None) -> list[str]:
    """Method of Equal Shares, no completion (pabutools-identical); cost satisfaction
    unless ``sat`` is ``cardinality`` or ``points``."""
    _check_sat(e, sat)
    if not e.ballots:
        return []
    if sat in ("cardinality", "points"):
        return _mes_generic(e, sat, _exact(e.budget, "budget") / len(e.ballots))
    P = _Prep(e)
    return [P.names[j] for j in _Run(P, P.budget / P.n_voters).run()]


def _add1_by_bounds(P: _Prep, out, verdict) -> tuple[list[int], int]:
    """Add1 with one exact MES run per possible change (see :class:`_TrackedRun`)."""
    b0 = P.budget / P.n_voters
    k = 0
    run = _TrackedRun(P, b0)
    out = run.run()
    runs = 1
    while True:
        d = run.bound
        if not math.isfinite(d):  # pragma: no cover - some unselected project always gains money
            d = 1.0
        k += max(1, math.ceil(d))
        run = _TrackedRun(P, b0 + k)
        new = run.run()
        runs += 1
        v = verdict(new)
        if v == "overspent":
            return out, runs
        if v == "exhaustive":
            return new, runs
        out = new


def _add1_indices(P: _Prep, jump: bool | str = True) -> tuple[list[int], int]:
    """Add1 completion; returns (winners, number of MES runs computed).

    pabutools reruns MES at per-voter budgets t_k = budget/n + k, k = 0, 1, 2, ...
    and stops at the first k whose outcome is exhaustive (returns it) or
    overspends (returns the outcome of k - 1). We find the same k:

    * Steps are computed in chunks by :class:`_Batch` (one vectorised float run
      for many t_k with every decision proved, exact engine where a proof fails).
    * When a whole chunk gives the outcome we already had (long stable stretches,
      typical when money is counted in small units such as tenge), we try to skip
      ahead with a certificate: with the winners' sequence fixed, every budget is
      non-decreasing in t and every price per unit of cost non-increasing, so if
      the exact run at t_b picks the same winners as the run at t_a and, in every
      round, every other project is at t_b unaffordable or dearer than round's
      winner was at t_a (equal only if the winner's id is smaller), then every t
      in [t_a, t_b] gives that outcome (see :class:`_Run`). Doubling stretches are
      tried until a certificate fails.

    ``jump=False`` steps one exact run at a time, like pabutools (for tests).
    """
    B = P.budget
    b0 = B / P.n_voters

    def verdict(out):
        spent = sum((P.cost_q[j] for j in out), _Q(0))
        if spent > B:
            return "overspent"
        chosen = set(out)
        if all(p in chosen or P.cost_q[p] + spent > B for p in P.mes_projects):
            return "exhaustive"
        return None

    first = _Run(P, b0)
    out = first.run()
    runs = 1
    v = verdict(out)
    if v == "exhaustive":
        return out, runs
    if v == "overspent":  # impossible: at budget/n nobody can overspend
        return [], runs
    k = 0
    if jump == "bound":
        return _add1_by_bounds(P, out, verdict)
    if not jump:
        while True:
            k += 1
            new = _Run(P, b0 + k).run()
            runs += 1
            v = verdict(new)
            if v == "overspent":
                return out, runs
            if v == "exhaustive":
                return new, runs
            out = new
    # Vectorising many steps pays off while the per-call overhead of numpy dominates,
    # i.e. for small electorates; for large ones steps are run one by one.
    use_batch = P.n_groups <= 2500
    kmax = min(256, max(8, 120_000 // max(P.n_groups, 1)))
    chunk = 8
    spent0 = float(sum((P.cost_q[j] for j in out), _Q(0)))
    budget_f = float(B)
    stable_run = 0  # steps in a row without a change of outcome
    probe_after = 2 * kmax if use_batch else 16  # try a certificate after that many (doubles on failure)
    while True:
        if use_batch:
            if k:  # spending grows roughly linearly: do not compute far beyond the likely stop
                spent = float(sum((P.cost_q[j] for j in out), _Q(0)))
                rate = (spent - spent0) / k
                if rate > 0:
                    chunk = min(chunk, max(8, int(1.5 * (budget_f - spent) / rate) + 1))
            ts = [b0 + k + i for i in range(1, chunk + 1)]
            outs = _batch_outcomes(P, ts)
            chunk = min(2 * chunk, kmax)
        else:
            outs = [_Run(P, b0 + k + 1).run()]
        for new in outs:
            k += 1
            runs += 1
            v = verdict(new)
            if v == "overspent":
                return out, runs
            if v == "exhaustive":
                return new, runs
            stable_run = stable_run + 1 if new == out else 0
            out = new
        if stable_run < probe_after:
            continue
        # a long stretch without change: try to certify longer and longer stretches
        base = _Run(P, b0 + k)
        base.run()
        runs += 1
        stretch = stable_run
        certified = 0
        while True:
            probe = _Run(P, b0 + k + stretch, base=list(zip(out, base.rhos)))
            probe.run()
            runs += 1
            if not probe.certified:
                break
            certified += 1
            k += stretch
            base = probe
            stretch *= 2
        stable_run = 0
        if not certified:
            probe_after *= 2


def mes_add1(e: Election, sat: str | None = None) -> list[str]:
    """MES with Add1 completion (voter_budget_increment=1), pabutools-identical (cost satisfaction)."""
    _check_sat(e, sat)
    if sat not in (None, "cost"):
        raise ValueError("mes-add1 is available with cost satisfaction only")
    P = _Prep(e)
    if P.n_voters == 0:
        return []
    winners, _ = _add1_indices(P, jump="bound")
    return [P.names[j] for j in winners]


RULES = {"greedy": greedy, "greedy-threshold": greedy_threshold, "mes": mes, "mes-add1": mes_add1}


def count(e: Election, rule: str, sat: str | None = None, threshold=None) -> list[str]:
    """Winners of ``e`` under ``rule`` (one of :data:`RULES`), in selection order.

    ``sat``: satisfaction (see :func:`greedy`, :func:`mes`); ``threshold``: for
    ``greedy-threshold`` only."""
    try:
        fn = RULES[rule]
    except KeyError:
        raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}") from None
    if threshold is not None and rule != "greedy-threshold":
        raise ValueError("a threshold applies to greedy-threshold only")
    if rule == "greedy-threshold":
        return fn(e, threshold=threshold, sat=sat)
    return fn(e, sat=sat)


# --------------------------------------------------------------------------- fairness


def fairness(e: Election, winners, voter_groups: dict[int, str] | None = None) -> dict:
    """Representation statistics of an outcome.

    A voter "supports" a project if it has positive points on the ballot.

    * ``share_with_funded``: share of voters with at least one funded project on
      their ballot (empty ballots count as voters without one);
    * ``money_per_voter``: the cost of every funded project split equally among
      its supporters, summed per voter and averaged (projects nobody supported
      are attributed to nobody); it sums to the money spent on supported
      projects divided by the number of voters;
    * ``cost_satisfaction_per_voter``: average total cost of the funded projects
      on a voter's ballot;
    * ``by_group``: the same figures per voter group (``voter_groups`` maps a
      ballot index to a label, e.g. a district; unmapped voters go to ``None``).
    """
    winners = list(winners)
    costs = {pid: float(_exact(e.projects[pid], "cost")) for pid in winners}
    funded = set(winners)
    supporters = Counter()
    sets = []
    for b in e.ballots:
        s = frozenset(k for k, v in b.items() if v > 0 and k in funded)
        sets.append(s)
        supporters.update(s)
    share = {pid: costs[pid] / supporters[pid] for pid in winners if supporters[pid]}
    acc: dict = {}
    total = [0, 0, 0.0, 0.0]
    for i, s in enumerate(sets):
        label = voter_groups.get(i) if voter_groups is not None else None
        row = acc.setdefault(label, [0, 0, 0.0, 0.0])
        money = sum(share[p] for p in s)
        sat = sum(costs[p] for p in s)
        for r in (row, total):
            r[0] += 1
            r[1] += 1 if s else 0
            r[2] += money
            r[3] += sat

    def summary(r):
        n = r[0]
        return {
            "voters": n,
            "voters_with_funded": r[1],
            "share_with_funded": r[1] / n if n else 0.0,
            "money_per_voter": r[2] / n if n else 0.0,
            "cost_satisfaction_per_voter": r[3] / n if n else 0.0,
        }

    out = summary(total)
    out["spent"] = float(sum(costs.values()))
    out["budget"] = float(_exact(e.budget, "budget"))
    if voter_groups is not None:
        out["by_group"] = {label: summary(r) for label, r in acc.items()}
    return out
