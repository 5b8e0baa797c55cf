"""Directions and published targets from ``fixtures/progress/`` (issue 10, items 1–2).

The files are read by :mod:`localization.core.provenance` (owned with the data); this module stores them:

* **Directions** are copied onto each :class:`~localization.models.Indicator` (``direction_kind``, its source kind,
  citation and note) by :func:`apply_directions`. It runs from ``load_reference`` (indicators already present) and
  after every import (indicators just created). **Idempotent, and an officer's choice wins:** an indicator whose
  direction a statistics officer set (``direction_source_kind == "officer"``) is never overwritten; the load
  report lists it ("kept the statistics officer's direction"). Every change is saved with a history reason.
* **Published targets** (national UNCF 2030 targets with their own baseline; global numeric targets of SDG
  target texts) are stored as :class:`~localization.models.PublishedTarget` rows, keyed by the national code, and
  replaced from the fixture on each load (the fixture is the record; officers set their own targets on the
  indicator). A target on the worsening side of its baseline, given the direction, is refused and reported.
"""
from __future__ import annotations

from django.db import transaction

from django.db.models import Q

from localization.core import provenance
from localization.core.progress import suspect_values, target_on_worsening_side
from localization.models import DIRECTION_SIGN, Indicator, IndicatorValue, PublishedTarget

TARGET_FIELDS = ("comparison", "target_value", "target_year", "baseline_value", "baseline_year", "unit", "series",
                 "source", "source_ref", "note", "line")


def read_directions() -> list:
    try:
        return provenance.read_directions()
    except FileNotFoundError:
        return []


def read_targets(directions=None) -> list:
    try:
        mapping = {r.code: r.direction for r in directions} if directions is not None else None
        return provenance.read_targets(directions=mapping)
    except FileNotFoundError:
        return []


def apply_directions(indicators=None, rows=None, report=None) -> int:
    """Give each indicator its direction from the fixture unless an officer chose one; returns rows changed."""
    rows = read_directions() if rows is None else rows
    by_code = {r.code: r for r in rows}
    indicators = Indicator.objects.all() if indicators is None else indicators
    changed = 0
    for indicator in indicators:
        row = by_code.get(indicator.code) or by_code.get(indicator.dotted)
        if row is None:
            continue
        if indicator.direction_source_kind == Indicator.DirectionSource.OFFICER:
            if report is not None and indicator.direction_kind != row.direction:
                report.notes.append(
                    f"{indicator.code}: kept the statistics officer's direction {indicator.direction_kind!r} "
                    f"(fixtures/progress/directions.csv:{row.line} says {row.direction!r})")
            continue
        wanted = {"direction_kind": row.direction, "direction_source_kind": row.source_kind,
                  "direction_source": (row.source or "")[:500], "direction_note": row.note or ""}
        diff = [k for k, v in wanted.items() if getattr(indicator, k) != v]
        if not diff:
            continue
        for key in diff:
            setattr(indicator, key, wanted[key])
        indicator._change_reason = f"fixtures/progress/directions.csv:{row.line}"[:100]
        indicator.save()
        changed += 1
        if report is not None:
            report.count("indicator directions", created=False)
    return changed


def load_published_targets(rows=None, directions=None, report=None) -> int:
    """Replace the PublishedTarget rows by the fixture's (refusing worsening targets); returns rows stored."""
    directions = read_directions() if directions is None else directions
    rows = read_targets(directions) if rows is None else rows
    sign = {r.code: DIRECTION_SIGN.get(r.direction) for r in directions}
    keep = []
    for row in rows:
        d = sign.get(row.code)
        if d is not None and row.baseline_value is not None and target_on_worsening_side(
                d, row.baseline_value, row.target_value):
            if report is not None:
                report.notes.append(f"fixtures/progress/targets.csv:{row.line}: {row.code} target {row.target_value:g} "
                                    f"lies on the worsening side of its baseline {row.baseline_value:g}; refused")
            continue
        keep.append(row)
    stored = 0
    with transaction.atomic():
        existing = {(t.code, t.kind, t.series, t.unit): t for t in PublishedTarget.objects.all()}
        seen = set()
        for row in keep:
            key = (row.code, row.kind, row.series or "", row.unit or "")
            seen.add(key)
            values = {name: getattr(row, name) for name in TARGET_FIELDS}
            values = {k: ("" if v is None and k in ("unit", "series", "source_ref", "note") else v)
                      for k, v in values.items()}
            obj = existing.get(key)
            if obj is None:
                PublishedTarget.objects.create(code=row.code, kind=row.kind, **values)
                if report is not None:
                    report.count("published targets", created=True)
            else:
                diff = [k for k, v in values.items() if getattr(obj, k) != v]
                if diff:
                    for k in diff:
                        setattr(obj, k, values[k])
                    obj.save(update_fields=diff)
                    if report is not None:
                        report.count("published targets", created=False)
            stored += 1
        stale = [t.pk for key, t in existing.items() if key not in seen]
        if stale and (keep or rows):
            PublishedTarget.objects.filter(pk__in=stale).delete()
    return stored


def load_provenance(report=None) -> None:
    """Directions onto the indicators present, the published targets, and the suspect flags of the values already
    stored (called by ``load_reference``, which every deployment runs: a database imported before values were
    flagged gets its flags here, with no data migration that would need today's bounds logic)."""
    directions = read_directions()
    if not directions:
        return
    apply_directions(rows=directions, report=report)
    load_published_targets(directions=directions, report=report)
    with_values = Indicator.objects.filter(pk__in=IndicatorValue.objects.values("indicator_id"))
    flagged = flag_suspect(with_values)
    if report is not None and flagged:
        report.notes.append(f"{len(flagged)} stored value(s) outside their indicator's bounds flagged suspect")


def flag_suspect(indicators) -> list[str]:
    """Flag the values outside each indicator's bounds (and unflag those back inside); ``file:line`` warnings."""
    warnings = []
    for indicator in indicators:
        values = IndicatorValue.objects.filter(indicator=indicator)
        bounds = indicator.bounds
        if bounds is None:
            values.filter(suspect=True).update(suspect=False)
            continue
        low, high = bounds
        outside = Q(pk__in=[])
        if low is not None:
            outside |= Q(value__lt=low)
        if high is not None:
            outside |= Q(value__gt=high)
        candidates = list(values.filter(outside).order_by("source_file", "source_line")
                          .values_list("pk", "value", "source_file", "source_line"))
        keys, found = suspect_values(indicator.code, candidates, bounds)
        warnings.extend(found)
        values.filter(suspect=True).exclude(pk__in=keys).update(suspect=False)
        values.filter(pk__in=keys, suspect=False).update(suspect=True)
    return warnings


def after_import(codes) -> list[str]:
    """Called once at the end of an import: directions for the indicators, suspect values flagged (warnings)."""
    indicators = list(Indicator.objects.filter(code__in=list(codes)))
    apply_directions(indicators)
    return flag_suspect(indicators)
