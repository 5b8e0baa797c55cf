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
  charged is always exact (``mes`` never decides anything on a float). The
  exact money of the supporters surely poorer than the price is one sum through
  the rounds' payments, not one exact budget per class: a voter with money left
  paid exactly q_r in every round it paid in, so many classes cost a few exact
  operations (:meth:`_Run._path_sum`; Budapest 2024: 1.6x faster MES runs).
* Add1 (:func:`mes_add1`) needs the MES outcome at t_k = budget/n + k for
  k = 0, 1, ... until it stops. Two engines skip units, each with a proof:
  :class:`_Gallop`: every unit k is either run exactly or lies in a stretch
  [k_a, k_b] that a *certifying* run at k_b proves to give the outcome of k_a:
  with the winners' sequence fixed, every budget is non-decreasing in t and
  every price per unit of cost non-increasing, so if the run at k_b picks the
  same winners and, in every round, every rival is dearer at k_b than the
  round's winner was at k_a, no t in between can differ (:class:`_Run` with
  ``base``). Stretches double after a certificate and halve after a refusal.
  :class:`_Resume` (:class:`_TrackedRun`) bounds instead, round by round, how
  far the per-voter budget can grow before the outcome's structure can change
  (budgets affine in it; a rival's advantage is concave piecewise-linear, its
  first root found by Newton steps; exact ties in rationals), runs the first
  unit past the bound and recomputes only the rounds whose bounds do not reach
  it (:meth:`_TrackedRun.resume`). Which is faster depends on the election (see
  :func:`_add1_auto`, which lets them take turns and keeps the faster). Tests
  check each against one-by-one stepping (``_add1_indices(P, jump=False)``),
  against each other at budgets up to 10^9, a resumed run against a fresh one,
  and stepping against pabutools.

Non-approval ballots and MES
----------------------------
pabutools' ``Cost_Sat`` gives a voter the project's cost if the project is on
the ballot, whatever the points. We do the same: for ``mes``/``mes-add1`` a
cumulative, scoring or ordinal ballot counts as approval of every project that
has positive points on it (a project listed with 0 points is treated as not on
the ballot, for every vote type).

Layout
------
``common`` (exact number type ``_Q``, constants, :func:`_exact`) <- ``election``
(:class:`Election`, tallies, satisfactions) <- ``greedy_rules`` (greedy,
greedy-threshold); ``mes_engine`` (:class:`_Prep`, exact :class:`_Run`) <-
``equal_shares`` (:func:`mes`, other satisfactions), ``add1_tracked``
(:class:`_TrackedRun`) <- ``add1``
(:func:`mes_add1`, Add1 engines) <- ``dispatch`` (:data:`RULES`, :func:`count`);
``representation`` (:func:`fairness`). This package re-exports the public names.
"""

from __future__ import annotations

import sys
from fractions import Fraction

# private names (engines, hooks) are imported too: tests and bench reach them here
from .add1 import _Gallop, _Resume, _add1_auto, _add1_indices, mes_add1
from .add1_tracked import _TrackedRun
from .common import _EPS, MAX_MONEY, VOTE_TYPES, _exact
from .dispatch import RULES, count
from .election import SATS, Election, ordinal_points, tally
from .equal_shares import _mes_generic, mes
from .greedy_rules import greedy, greedy_threshold
from .mes_engine import _Prep, _Run
from .representation import fairness

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


def _use_fraction(flag: bool = True) -> None:
    """Testing hook: compute with fractions.Fraction instead of gmpy2.mpq (in every module using ``_Q``)."""
    if flag:
        q = Fraction
    else:
        try:
            from gmpy2 import mpq as q
        except ImportError:  # pragma: no cover
            q = Fraction
    for name, module in list(sys.modules.items()):
        if name.startswith(__name__ + ".") and hasattr(module, "_Q"):
            module._Q = q
