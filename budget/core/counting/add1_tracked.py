"""Add1: :class:`_TrackedRun`, an exact MES run that also bounds, round by round, how far the per-voter
budget can grow before the outcome can change (the next budget where MES can change), and that can be
resumed at a larger budget keeping the rounds whose bounds reach it (:meth:`_TrackedRun.resume`)."""

from __future__ import annotations

import math

import numpy as np

from .common import _EPS, _Q
from .mes_engine import _AGG_MIN, _Prep, _Run


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

    def __init__(self, P: _Prep, t, units: int = 0):
        super().__init__(P, t)
        self.units = units  # t = budget/n + units; paid0[c]: class c's payment extrapolated to units = 0
        self.paid0 = [None, None]
        # float slopes (self.sl) are within slerr of the exact ones (self.sval) and at most slmax
        self.slerr, self.slmax = 0.0, 1.0
        self.sl = np.zeros(len(self.vf))  # float slope per class
        self.sl[1] = 1.0
        self.sg = np.ones(P.n_groups)  # float slope per group
        self.sval = [_Q(0), _Q(1)]  # exact slope per class, None until needed
        self.spaid = [None, None]
        self.unsel_mask = np.zeros(P.m, dtype=bool)  # the projects not selected yet
        self.unsel_mask[P.mes_projects] = True
        self.bound = math.inf
        self._sigma = None
        self.tf = float(t)
        # for resume(): per round, the state before it (number of classes, each group's class), the bound after
        # it (the smallest over this and earlier rounds) and its exact payment and slope; the state after the
        # last round is appended by run()
        self.snaps: list[tuple] = []  # (classes, cls, dabs, slerr, slmax)
        self.round_bound: list[float] = []
        self.pays: list[tuple] = []

    def _paid_here(self, c):
        """The payment of a class kept by :meth:`resume`, at this run's budget (payments are affine in it)."""
        return self.paid0[c] + self.spaid[c] * self.units

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
        self.snaps.append((len(self.val), self.cls.copy(), self.dabs, self.slerr, self.slmax))
        if self.bound > 1:
            self._bound_end()
        return selected

    def resume(self, D: int, keep: bool = True) -> "_TrackedRun":
        """A tracked run at ``t + D`` (``D`` >= 1 whole units) that keeps this run's rounds whose structure is
        proven to hold there and starts over from the first round whose bound does not reach ``D``.

        A round's bound holds while the rounds before it keep their structure; then every class's budget is
        the same affine function of the per-voter budget (exact value + exact slope x D), the classes are the
        same sets of voters and the kept rounds' payments are ``q + sigma x D``. Call :meth:`run` on the result.
        ``keep=False`` keeps nothing: a fresh tracked run at ``t + D`` (for tests of what is kept).
        """
        P = self.P
        r0 = next((r for r, b in enumerate(self.round_bound) if b <= D), len(self.round_bound)) if keep else 0
        n_c, cls, dabs, slerr, slmax = self.snaps[r0]
        new = type(self)(P, self.t + D, self.units + D)
        # the kept classes: payments and slopes carry over (a payment is q + sigma x units); exact budgets are
        # computed from them when needed; float budgets are extrapolated, and their error bound grows by D times
        # the slopes' error bound and two roundings
        new.val = [None] * n_c
        new.val[0], new.val[1] = _Q(0), new.t
        new.parent = self.parent[:n_c]
        new.paid = [None] * n_c
        new.paid0 = self.paid0[:n_c]
        new.spaid = self.spaid[:n_c]
        new.sval = self.sval[:n_c]
        size = max(64, 2 * n_c)
        new.vf, new.sl = np.zeros(size), np.zeros(size)
        new.sl[:n_c] = self.sl[:n_c]
        new.vf[:n_c] = self.vf[:n_c] + self.sl[:n_c] * float(D)  # every kept class: an earlier snapshot may need it
        new.paths = np.zeros((size, self.paths.shape[1]), dtype=bool)
        new.paths[:n_c] = self.paths[:n_c]
        new.slerr, new.slmax = slerr, slmax
        new.dabs = dabs + 1.01 * D * slerr + 4.0 * _EPS * new.tf
        new._set_tolerance(new.dabs + P.m * new.step_abs)
        new.cls = cls.copy()
        new.bf = new.vf[new.cls]
        new.sg = new.sl[new.cls]
        kept = self.selected[:r0]
        new.selected = list(kept)
        new.unsel_mask[kept] = False
        new.pays = [(q + sigma * D, sigma) for q, sigma in self.pays[:r0]]
        new.qs = [q for q, _ in new.pays]
        new.snaps = self.snaps[:r0]
        new.round_bound = [b - D for b in self.round_bound[:r0]]
        new.bound = new.round_bound[-1] if r0 else math.inf
        return new

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
        cs = np.fromiter((c for _, _, c in poor), dtype=np.intp, count=npoor)
        if npoor > _AGG_MIN:  # the poor classes' slopes in one sum: 1 - the sigmas of the rounds each paid in
            counts = np.fromiter((cnt for _, cnt, _ in poor), dtype=np.int64, count=npoor)
            sigma = -self._path_sum(cs, counts, _Q(1), [s for _, s in self.pays]) / n_rich
        else:
            sigma = -sum((cnt * self._exact_slope(c) for _, cnt, c in poor), _Q(0)) / n_rich
        self._sigma = sigma
        if self.bound <= 0:
            return
        qf = float(q)
        sf = float(sigma)
        # 1. poor classes of the winner stay poor (b + beta d <= q + sigma d), all at once
        if poor:
            den = self.sl[cs] - sf
            up = den > 0
            if up.any():
                den = den[up]
                num = qf - np.fromiter((v for v, _, _ in poor), dtype=float, count=npoor)[up]
                self._cap(float((num / den * (1 - 1e-9) - self._err(1, qf) / den).min()))
        if self.bound <= 1:
            return  # as above: the next unit will be run
        # 2. no other project gets cheaper per unit of cost than w
        cw = P.cost_f[w]
        reps = P.clone_reps
        # a rival's price per unit of cost is never below 1/(its supporters) (all of them paying equal shares),
        # and w's never rises with d (sigma <= 0): only rivals with support x rho_w >= 1 can ever reach w
        rho_w = qf / cw
        ca = np.flatnonzero(self.unsel_mask & (P.support_f * rho_w >= 1.0 - 1e-9) & (reps != reps[w]))
        if not len(ca):
            return
        x0 = qf / cw * P.cost_f
        sx = sf / cw * P.cost_f
        # H_p(0) and its right slope for every rival at once, over the rivals' own entries
        starts = P.ent_bounds[ca]
        lens = P.ent_bounds[ca + 1] - starts
        seg = np.cumsum(lens) - lens
        idx = np.arange(int(lens.sum())) + np.repeat(starts - seg, lens)
        eg = P.ent_g[idx]
        ew = P.ent_w[idx]
        bb = self.bf[eg]
        X = np.repeat(x0[ca], lens)
        h = np.add.reduceat(ew * np.minimum(bb, X), seg) - P.cost_f[ca]
        sl = np.add.reduceat(ew * np.where(bb < X, self.sg[eg], np.repeat(sx[ca], lens)), seg)
        # the usual case, decided at once for all rivals: surely below 0 now and its tangent (an upper bound on the
        # concave H_p) reaches 0 only at or after the bound, or never
        n = P.support_f[ca]
        err = 1e-9 * n * (x0[ca] + self.tf + 1.0) + 4.0 * n * self.dabs  # self._err, for every rival at once
        with np.errstate(divide="ignore", invalid="ignore"):
            far = (h < -err) & ((sl <= 0) | ((-h - err) / sl >= self.bound))
        for i in np.flatnonzero(~far).tolist():
            p, h_p, sl_p, err_p = int(ca[i]), float(h[i]), float(sl[i]), float(err[i])
            if h_p < -err_p:  # below 0, its tangent reaching 0 before the bound (the rest are far): Newton
                self._newton(p, w, q, sigma, x0[p], sx[p], -h_p / sl_p, sl_p)
                continue
            # a (near-)tie: decide exactly
            items_p = self._classes_of(p)
            xq = q * P.cost_q[p] / P.cost_q[w]
            hq = -P.cost_q[p]
            for _, cnt, c in items_p:
                v = self._exact_val(c)
                hq += cnt * (v if v < xq else xq)
            if hq < 0:
                self._cap(0.0 if h_p >= -err_p else self.bound)  # pragma: no cover - float said near-tie
                continue
            if hq > 0:  # pragma: no cover - impossible: w was the cheapest
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
        for p in np.flatnonzero(self.unsel_mask).tolist():
            S = P.sup[p]
            ws = P.supw[p]
            total = ws.dot(self.bf[S])
            sl = ws.dot(self.sg[S])
            if sl > 0:
                err = self._err(P.support[p], self.tf)
                self._cap((P.cost_f[p] - total) / sl * (1 - 1e-9) - err / sl)

    def _pay(self, j, q, items, npoor):
        self.snaps.append((len(self.val), self.cls.copy(), self.dabs, self.slerr, self.slmax))
        self._bound_round(j, q, items, npoor)
        sigma = self._sigma
        self.round_bound.append(self.bound)
        self.pays.append((q, sigma))
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
            # float(sigma) and the subtraction round: each off by at most half an ulp of its size
            self.slmax = max(self.slmax, float(self.sl[nv:need].max()))
            self.slerr += _EPS * (abs(sf) + self.slmax)
            self.sval.extend([None] * len(rich))
            self.spaid.extend([sigma] * len(rich))
            self.paid0.extend([q - sigma * self.units] * len(rich))
        S = self.P.sup[j]
        self.sg[S] = self.sl[self.cls[S]]
        self.unsel_mask[j] = False
