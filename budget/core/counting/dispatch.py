"""Rule names to functions (:data:`RULES`) and :func:`count`, the entry point callers use."""

from __future__ import annotations

from .add1 import mes_add1
from .election import Election
from .equal_shares import mes
from .greedy_rules import greedy, greedy_threshold


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
