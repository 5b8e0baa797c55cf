"""The exact MES engine: :class:`_Prep` (an election grouped and indexed for MES, with
:func:`_clone_reps`) and :class:`_Run` (one exact MES run at a per-voter budget, floats
for screening, rationals for every decision; it can also certify a stretch of budgets)."""

from __future__ import annotations

import heapq
import math
from functools import cached_property
from itertools import chain

import numpy as np

from .common import _EPS, _Q, _exact
from .election import Election, _approval_groups

# _exact_price sums the money of up to this many surely poorer supporter classes class by class (an exact value
# each, from a chain of exact payments), of more in one sum through the rounds' payments (_Run._path_sum)
_AGG_MIN = 24


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
        ent_p = np.fromiter(map(index.__getitem__, chain.from_iterable(groups)), dtype=np.intp, count=int(lens.sum()))
        ent_g = np.repeat(np.arange(G, dtype=np.intp), lens)
        order = np.argsort(ent_p, kind="stable")
        self.ent_p = ent_p[order]
        self.ent_g = ent_g[order]
        self.ent_w = self.w[self.ent_g]
        self.ent_bounds = np.searchsorted(self.ent_p, np.arange(m + 1))  # project j's entries: [b[j], b[j + 1])
        bounds = self.ent_bounds.tolist()
        self.sup = [self.ent_g[bounds[j]:bounds[j + 1]] for j in range(m)]
        self.supw = [self.ent_w[bounds[j]:bounds[j + 1]] for j in range(m)]
        self.support_f = np.bincount(self.ent_p, weights=self.ent_w, minlength=m)
        self.support = [int(x) for x in self.support_f.tolist()]  # voters approving each project
        self.mes_projects = [j for j in range(m) if self.support[j] > 0]
        self.stale0 = {j: 1.0 / self.support[j] for j in self.mes_projects}
        self.min_cost_f = float(self.cost_f.min()) if m else 1.0

    @cached_property
    def clone_reps(self) -> np.ndarray:
        """See :func:`_clone_reps` (only tracked runs need it)."""
        return _clone_reps(self)


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
        self.qs = []  # exact payment of each round's winner's rich supporters (see rhos, _path_sum)
        # paths[c, r]: class c's voters paid (the full share) in round r; classes 0 (nothing left) and 1 (nothing
        # paid) pay in no round
        self.paths = np.zeros((64, 16), dtype=bool)  # rows and columns grow by doubling
        self.selected: list[int] = []  # winners so far (a resumed run starts with a prefix, see _TrackedRun)
        # error bounds: float budgets are within dabs of the exact ones; float
        # prices within relative tol (sums over <= n voters; cancellation when
        # poorer supporters cover most of the cost is bounded since a price is
        # at least cost/support). See _Prep for the constants.
        self.dabs = _EPS * tf
        self.step_abs = 2.0 * _EPS * tf
        self._set_tolerance(self.dabs + P.m * self.step_abs)

    @property
    def rhos(self) -> list:
        """Exact price per unit of cost of each round's winner."""
        cost_q = self.P.cost_q
        return [q / cost_q[j] for j, q in zip(self.selected, self.qs)]

    def _set_tolerance(self, dabs_max):
        """Relative error bound of float prices when no float budget is off by more than ``dabs_max``."""
        n = float(max(self.P.n_voters, 1))
        tol = 4.0 * n * n * (_EPS + dabs_max / self.P.min_cost_f) + 1e-13
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
            pc = paid[c]
            if pc is None:  # a payment made at another budget (see _TrackedRun.resume)
                pc = paid[c] = self._paid_here(c)
            v = v - pc
            val[c] = v
        return v

    def _paid_here(self, c):  # pragma: no cover - a plain run knows every payment it made
        raise AssertionError(f"class {c}: payment unknown")

    # -- pricing
    def _classes_of(self, j):
        """[(float budget, voter count, class id)] over j's supporters, by float budget."""
        return list(zip(*(a.tolist() for a in self._class_arrays(j))))

    def _class_arrays(self, j):
        """The same as three arrays: float budgets (ascending), voter counts, class ids."""
        P = self.P
        cnt = np.bincount(self.cls[P.sup[j]], weights=P.supw[j], minlength=len(self.val))
        nz = np.flatnonzero(cnt)
        vf = self.vf[nz]
        o = np.argsort(vf, kind="stable")
        return vf[o], cnt[nz[o]].astype(np.int64), nz[o]

    def _exact_price(self, j, rho=None):
        """Exact equal-share payment q for project j (None if unaffordable), and the
        number of poorer supporter classes (the first ``npoor`` of the returned list).

        ``rho``: j's float price per unit of cost, if known; the classes whose float budgets lie surely below
        the price it implies (within the run's tolerances) pay all they have without being tested one by one."""
        arrays = self._class_arrays(j)
        items = list(zip(*(a.tolist() for a in arrays)))
        cost = self.P.cost_q[j]
        rem = self.P.support[j]
        paid = 0
        ex = self._exact_val
        val = self.val
        q = None
        npoor = len(items)
        start = 0
        if rho is not None:
            # the exact price is >= rho * lo * cost; a float budget below this (less its error) is exactly below
            q_lo = rho * self.P.cost_f[j] * self.lo * (1.0 - 4.0 * _EPS) - self.dabs
            start = int(arrays[0].searchsorted(q_lo))  # as bisect_left on the items
            if start > _AGG_MIN:
                paid = self._path_sum(arrays[2][:start], arrays[1][:start], self.t, self.qs)
                rem -= int(arrays[1][:start].sum())
            else:
                for _, cnt, c in items[:start]:
                    v = val[c]
                    if v is None:
                        v = ex(c)
                    paid += cnt * v
                    rem -= cnt
        for k, (_, cnt, c) in enumerate(items[start:], start):
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

    def _path_sum(self, ids, counts, start, per_round):
        """Sum over the classes ``ids`` of ``counts`` x (``start`` - the sum of ``per_round[r]`` over the rounds
        r the class paid in, ``self.paths``); class 0 (nothing left) adds nothing. With ``start`` = t and the
        rounds' payments q_r this is the classes' exact money: a voter with money left has paid exactly q_r in
        every round it paid in (paying less leaves nothing). A few exact operations instead of one per class."""
        alive = ids != 0
        ids, cnt = ids[alive], counts[alive]
        total = int(cnt.sum()) * start
        R = len(per_round)
        if R:
            per_class = cnt @ self.paths[ids, :R]  # how many of the classes' voters paid in each round
            for r in np.flatnonzero(per_class).tolist():
                total -= int(per_class[r]) * per_round[r]
        return total

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

    def _float_price(self, j, rho_lo=0.0):
        """Float screening: (-1, _) surely unaffordable, (0, _) unsure, (1, rho) priced. ``rho_lo``: a lower
        bound on j's exact price per unit of cost (prices only rise within a run: an earlier round's price)."""
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
        # Newton steps on the concave money-raised function F(q) = sum w * min(b, q) from below the root (cost/n,
        # or the lower bound less the float tolerance, twice): the iterates rise to the root, one budget level at a
        # time, and stop when no budget lies in [q, q1) (the poor/rich split is final). A few O(supporters)
        # passes instead of sorting the supporters; rows that would need many steps are finished by sorting.
        wb = ws * b
        q = max(cost / n, rho_lo * cost * (self.lo / self.hi) ** 2)
        for _ in range(8):
            poor = (b < q).astype(float)  # a float mask: dot with a bool array is a slow generic loop
            rich = n - ws.dot(poor)
            if rich <= 0:  # impossible below the root (money is enough); leave any doubt to the sorting
                break
            q1 = (cost - wb.dot(poor)) / rich
            if not ((b >= q) & (b < q1)).any():
                return 1, q1 / cost
            q = q1
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
        selected = self.selected
        if P.n_groups == 0 or not P.mes_projects:
            if self.base is not None:
                self.certified = len(self.base) == 0
            return selected
        remaining = set(P.mes_projects).difference(selected)
        stale = dict(P.stale0)  # lower bounds on each project's price per unit of cost
        base = self.base
        cost_q = P.cost_q
        exact_q: dict[int, tuple] = {}
        heap = [(stale[j], j) for j in remaining]  # the remaining projects by lower bound
        heapq.heapify(heap)
        pop, push = heapq.heappop, heapq.heappush
        while heap:
            lo, hi = self.lo, self.hi
            best = math.inf
            evaluated = []
            exact_q.clear()
            while heap and heap[0][0] * lo <= best * hi:
                rho_lo, j = pop(heap)  # rho_lo == stale[j]
                status, rho = self._float_price(j, rho_lo)
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
                    known = self._exact_price(j, rho)
                    if known[0] is None:  # float screening misjudged affordability (never observed)
                        remaining.discard(j)
                        continue
                    exact_q[j] = known
                r = known[0] / cost_q[j]
                if winner is None or r < winner[0]:  # ids ascending: strict < keeps the smallest id
                    winner = (r, j, known)
            for j, rho in evaluated:  # back into the heap with their new bounds (stale[j] == rho)
                if j in remaining and (winner is None or j != winner[1]):
                    push(heap, (rho, j))
            if winner is None:
                continue
            r, j, known = winner
            if base is not None and not self._certify_round(len(selected), j, remaining, stale, exact_q):
                self.certified = False
                return selected
            self.qs.append(known[0])
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
        rnd = len(self.selected)
        if need > len(self.paths) or rnd >= self.paths.shape[1]:
            grown = np.zeros((max(len(self.vf), len(self.paths)), max(2 * rnd, self.paths.shape[1])), dtype=bool)
            grown[:nv, :rnd] = self.paths[:nv, :rnd]
            self.paths = grown
        remap = np.zeros(nv, dtype=np.intp)
        if rich:
            rich_a = np.array(rich, dtype=np.intp)
            new_ids = np.arange(nv, need, dtype=np.intp)
            remap[rich_a] = new_ids
            self.vf[nv:need] = np.maximum(self.vf[rich_a] - float(q), 0.0)
            self.paths[nv:need] = self.paths[rich_a]
            self.paths[nv:need, rnd] = True
            self.val.extend([None] * len(rich))
            self.parent.extend(rich)
            self.paid.extend([q] * len(rich))
        self.dabs += self.step_abs
        S = self.P.sup[j]
        newc = remap[self.cls[S]]
        self.cls[S] = newc
        self.bf[S] = self.vf[newc]


def _clone_reps(P: _Prep) -> np.ndarray:
    """For each project, the smallest-id project with the same supporters and exact cost
    (such "clones" always have exactly the same price, so ids decide between them)."""
    first: dict = {}
    reps = []
    for j in range(P.m):
        key = (P.sup[j].tobytes(), P.cost_q[j])
        reps.append(first.setdefault(key, j))
    return np.array(reps, dtype=np.intp)
