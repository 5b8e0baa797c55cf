"""Directions and targets with provenance: the reader of ``fixtures/progress/directions.csv`` and ``targets.csv``.

Pure Python (no Django). Both files are ground truth for every progress status the site shows, so the reader is
strict: every row is validated, every bad row is reported as ``file:line: reason`` and a file with any bad row
returns nothing (:class:`ProvenanceError` lists them all).

``directions.csv`` — one row per national indicator::

    code,direction,source_kind,source,checked_against,note

* ``direction``: ``higher`` | ``lower`` | ``binary`` | ``none`` (not applicable).
* ``source_kind``: ``statcan`` (Statistics Canada's Open SDG progress-direction table; only ``higher``, ``lower``
  or ``binary``), ``target_text`` (decided from the SDG target's text; not ``none``) or ``decision`` (only for
  ``none``, with the reason in ``note``).
* ``source`` and ``checked_against`` are required.

``targets.csv`` — explicit numeric targets::

    code,kind,comparison,target_value,target_year,baseline_value,baseline_year,unit,series,source,source_ref,note

* ``kind``: ``national`` (UN Cooperation Framework results matrix) or ``global`` (figure stated by an SDG target).
* ``comparison``: ``<``, ``<=``, ``>=``, ``>`` or ``=``. Given the directions, ``<``/``<=`` need ``lower``,
  ``>``/``>=`` need ``higher``, ``=`` needs ``binary``; an indicator whose direction is ``none`` takes no target.
* Exception, national targets only: a row whose ``note`` starts with ``Other series:`` was set on a series the
  platform does not publish as that indicator's headline (a different definition, a sub-group such as women or
  children, or a matrix indicator without a national counterpart). Its comparison states that series' own
  direction, so it is not checked against the indicator's direction, and no headline status may be computed from
  it (:attr:`TargetRow.other_series`).
* A baseline is given as value and year together or not at all, and comes before the target year. Whether the
  target lies on the improving side of its baseline is not checked here: the file records what the source says
  (a target already passed is a fact about the source); the status engine refuses such a target with a message.
* A percentage (``%``) target or baseline lies in 0–100.
"""
from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIRECTIONS_CSV = ROOT / "fixtures" / "progress" / "directions.csv"
TARGETS_CSV = ROOT / "fixtures" / "progress" / "targets.csv"

DIRECTION_COLUMNS = ("code", "direction", "source_kind", "source", "checked_against", "note")
TARGET_COLUMNS = (
    "code", "kind", "comparison", "target_value", "target_year", "baseline_value", "baseline_year",
    "unit", "series", "source", "source_ref", "note",
)
DIRECTIONS = ("higher", "lower", "binary", "none")
SOURCE_KINDS = ("statcan", "target_text", "decision")
TARGET_KINDS = ("national", "global")
COMPARISONS = ("<", "<=", ">=", ">", "=")
# Which direction each comparison needs.
COMPARISON_DIRECTION = {"<": "lower", "<=": "lower", ">": "higher", ">=": "higher", "=": "binary"}
STATCAN_DIRECTION = {"positive": "higher", "negative": "lower", "binary": "binary"}
PERCENT_UNITS = ("%",)
OTHER_SERIES = "Other series:"
YEAR_RANGE = (1990, 2100)

# National codes: goal-target-indicator[-sub...], e.g. 1-2-1, 17-3-1-3, 4-c-1-2, 10-5-1-1.
CODE_RE = re.compile(r"(?:[1-9]|1[0-7])-(?:[1-9][0-9]?|[a-z])-[1-9][0-9]?(?:-[0-9]{1,2})*")


@dataclass(frozen=True)
class DirectionRow:
    code: str  # national code, e.g. "1-2-1"
    direction: str  # "higher" | "lower" | "binary" | "none"
    source_kind: str  # "statcan" | "target_text" | "decision"
    source: str
    checked_against: str
    note: str
    line: int  # line in the CSV file (header = line 1)


@dataclass(frozen=True)
class TargetRow:
    code: str
    kind: str  # "national" | "global"
    comparison: str  # "<", "<=", ">=", ">", "="
    target_value: float
    target_year: int
    baseline_value: float | None
    baseline_year: int | None
    unit: str
    series: str
    source: str
    source_ref: str
    note: str
    line: int

    @property
    def other_series(self) -> bool:
        """Set on a series other than the indicator's headline series (see the module docstring)."""
        return self.note.startswith(OTHER_SERIES)


class ProvenanceError(ValueError):
    """Every bad row of a file, each as ``file:line: reason``."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        shown = "\n".join(self.errors[:20])
        more = f"\n… and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
        super().__init__(f"{len(self.errors)} error(s):\n{shown}{more}")


def _label(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _records(path: Path, columns: tuple[str, ...]) -> tuple[str, list[tuple[int, dict[str, str]]], list[str]]:
    """(file label, [(line, row)], errors) — rows of the right width keyed by column; blank lines are skipped."""
    label = _label(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        return label, [], [f"{label}:0: cannot read the file ({exc.__class__.__name__}: {exc})"]
    # Lines end only at \n, \r or \r\n (as in the csv module), not at other Unicode line separators.
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[str] = []
    records: list[tuple[int, dict[str, str]]] = []
    header_seen = False
    previous_end = 0
    try:
        for fields in reader:
            start, previous_end = previous_end + 1, reader.line_num
            # csv skips nothing itself: a blank physical line comes back as []
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if not header_seen:
                header_seen = True
                if tuple(fields) != columns:
                    errors.append(f"{label}:{start}: the header must be exactly {','.join(columns)}; got {','.join(fields)}")
                    return label, [], errors
                continue
            if len(fields) != len(columns):
                errors.append(f"{label}:{start}: expected {len(columns)} fields, got {len(fields)}")
                continue
            records.append((start, dict(zip(columns, fields))))
    except csv.Error as exc:
        errors.append(f"{label}:{reader.line_num}: unreadable CSV ({exc})")
    if not header_seen:
        errors.append(f"{label}:1: empty file (the header must be {','.join(columns)})")
    return label, records, errors


def _text_problem(name: str, value: str, required: bool) -> str | None:
    if required and not value.strip():
        return f"{name} is empty"
    if value != value.strip():
        return f"{name} has leading or trailing spaces"
    return None


def read_directions(path=DIRECTIONS_CSV) -> list[DirectionRow]:
    """Read and validate ``directions.csv``; raise :class:`ProvenanceError` listing every bad row."""
    label, records, errors = _records(Path(path), DIRECTION_COLUMNS)
    rows: list[DirectionRow] = []
    seen: dict[str, int] = {}
    for line, r in records:
        problems = []
        code, direction, kind = r["code"], r["direction"], r["source_kind"]
        if not CODE_RE.fullmatch(code):
            problems.append(f"{code!r} is not a national indicator code (e.g. 1-2-1, 17-3-1-3)")
        elif code in seen:
            problems.append(f"duplicate code {code} (first on line {seen[code]})")
        if direction not in DIRECTIONS:
            problems.append(f"unknown direction {direction!r} (one of {', '.join(DIRECTIONS)})")
        if kind not in SOURCE_KINDS:
            problems.append(f"unknown source_kind {kind!r} (one of {', '.join(SOURCE_KINDS)})")
        if direction in DIRECTIONS and kind in SOURCE_KINDS:
            if direction == "none" and kind != "decision":
                problems.append(f"direction none needs source_kind decision, not {kind}")
            if kind == "decision" and direction != "none":
                problems.append(f"source_kind decision is only for direction none, not {direction}")
            if kind == "decision" and not r["note"].strip():
                problems.append("a decision needs its reason in note")
        for name in ("source", "checked_against"):
            problem = _text_problem(name, r[name], required=True)
            if problem:
                problems.append(problem)
        problem = _text_problem("note", r["note"], required=False)
        if problem:
            problems.append(problem)
        if CODE_RE.fullmatch(code) and code not in seen:
            seen[code] = line
        if problems:
            errors.extend(f"{label}:{line}: {p}" for p in problems)
            continue
        rows.append(DirectionRow(code, direction, kind, r["source"], r["checked_against"], r["note"], line))
    if errors:
        raise ProvenanceError(errors)
    return rows


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and value == value.strip() else None


def _year(value: str) -> int | None:
    if not re.fullmatch(r"[0-9]{4}", value):
        return None
    year = int(value)
    return year if YEAR_RANGE[0] <= year <= YEAR_RANGE[1] else None


def read_targets(path=TARGETS_CSV, directions: Mapping[str, str] | None = None) -> list[TargetRow]:
    """Read and validate ``targets.csv``; raise :class:`ProvenanceError` listing every bad row.

    With ``directions`` (national code → direction), a comparison that contradicts the indicator's direction is
    an error, and so is a target on an indicator the mapping does not know or whose direction is ``none`` —
    except national targets marked ``Other series:`` (see the module docstring).
    """
    label, records, errors = _records(Path(path), TARGET_COLUMNS)
    rows: list[TargetRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, r in records:
        problems = []
        code, kind, comparison = r["code"], r["kind"], r["comparison"]
        if not CODE_RE.fullmatch(code):
            problems.append(f"{code!r} is not an indicator code (e.g. 1-2-1, 17-3-1-3)")
        if kind not in TARGET_KINDS:
            problems.append(f"unknown kind {kind!r} (one of {', '.join(TARGET_KINDS)})")
        if comparison not in COMPARISONS:
            problems.append(f"unknown comparison {comparison!r} (one of {', '.join(COMPARISONS)})")
        value = _number(r["target_value"])
        if value is None:
            problems.append(f"target_value {r['target_value']!r} is not a number")
        year = _year(r["target_year"])
        if year is None:
            problems.append(f"target_year {r['target_year']!r} is not a year")
        base_value = base_year = None
        if r["baseline_value"] or r["baseline_year"]:
            base_value, base_year = _number(r["baseline_value"]), _year(r["baseline_year"])
            if base_value is None:
                problems.append(f"baseline_value {r['baseline_value']!r} is not a number (give value and year, or neither)")
            if base_year is None:
                problems.append(f"baseline_year {r['baseline_year']!r} is not a year (give value and year, or neither)")
            elif year is not None and base_year >= year:
                problems.append(f"baseline_year {base_year} is not before target_year {year}")
        for name in ("unit", "source", "source_ref"):
            problem = _text_problem(name, r[name], required=True)
            if problem:
                problems.append(problem)
        for name in ("series", "note"):
            problem = _text_problem(name, r[name], required=False)
            if problem:
                problems.append(problem)
        if r["unit"] in PERCENT_UNITS:
            for name, number in (("target_value", value), ("baseline_value", base_value)):
                if number is not None and not 0 <= number <= 100:
                    problems.append(f"{name} {number:g} is outside 0–100 for a percentage")
        other = r["note"].startswith(OTHER_SERIES)
        if other and kind != "national":
            problems.append(f"only a national target can be marked '{OTHER_SERIES}'")
        if directions is not None and comparison in COMPARISONS and CODE_RE.fullmatch(code) and not other:
            direction = directions.get(code)
            if direction is None:
                problems.append(f"{code} has no direction row (a target on another series starts its note "
                                f"with '{OTHER_SERIES}')")
            elif direction == "none":
                problems.append(f"{code} has direction none, so it takes no target")
            elif COMPARISON_DIRECTION[comparison] != direction:
                problems.append(f"comparison {comparison} contradicts the direction of {code} ({direction})")
        key = (code, kind, r["series"])
        if key in seen:
            problems.append(f"duplicate target for {code} ({kind}, series {r['series']!r}; first on line {seen[key]})")
        else:
            seen[key] = line
        if problems:
            errors.extend(f"{label}:{line}: {p}" for p in problems)
            continue
        rows.append(TargetRow(code, kind, comparison, value, year, base_value, base_year, r["unit"], r["series"],
                              r["source"], r["source_ref"], r["note"], line))
    if errors:
        raise ProvenanceError(errors)
    return rows


def direction_map(rows) -> dict[str, str]:
    """National code → direction, for :func:`read_targets`."""
    return {row.code: row.direction for row in rows}


def write_csv(path, rows, columns) -> None:
    """Write rows (dataclasses or dicts) with the given columns; ``line`` is not written."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            get = row.get if isinstance(row, dict) else (lambda name, row=row: getattr(row, name))
            writer.writerow(["" if get(c) is None else _cell(get(c)) for c in columns])


def _cell(value) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)
