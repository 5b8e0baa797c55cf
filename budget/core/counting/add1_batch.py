"""Add1's older engine: :class:`_Batch` runs MES for many per-voter budgets at once in
floats with rigorous bounds (:func:`_batch_prices`, :func:`_sorted_prices`);
:func:`_batch_outcomes` falls back to the exact :class:`~.mes_engine._Run` where a proof
fails. Used by ``_add1_indices(P, jump=True)``."""

from __future__ import annotations

import numpy as np

from .common import _EPS
from .mes_engine import _Prep, _Run


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


def _batch_outcomes(P: _Prep, ts) -> list[list[int]]:
    """Exact MES outcomes for several per-voter budgets (verified floats, exact fallback)."""
    res = _Batch(P, ts).run()
    return [r if r is not None else _Run(P, t).run() for r, t in zip(res, ts)]
