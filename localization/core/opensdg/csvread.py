"""Reading one CSV file's structure: text and bytes to a header and a matrix of stripped cells, ragged rows
repaired or rejected, the file's layout (BOM, newline) recorded. Values are checked later (:mod:`.validate`)."""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .common import RowError


# --------------------------------------------------------------------------------------------------
# reading: per-file parsing (structure only)


@dataclass
class _Parsed:
    indicator_id: str
    path: str
    header: list[str]  # Year, disaggregations, Value in source order; blank columns removed
    matrix: np.ndarray  # (rows, len(header)) object array of stripped str
    lines: np.ndarray
    errors: list[RowError]
    warnings: list[RowError]
    n_rows: int
    layout: dict


# blanks (not line breaks) at the start or end of a cell, i.e. after a line start or comma, before a comma or line end
_PADDING_HINTS = tuple(a + b for w in (" ", "\t", "\u00a0") for a, b in ((w, ","), (",", w), (w, "\n"), ("\n", w), (w, "\r")))
_CELL_PADDING = re.compile(r"(?:^|(?<=,))[^\S\r\n]+|[^\S\r\n]+(?=,|\r?$)", re.MULTILINE)


def _csv_rows(text: str) -> tuple[list[list[str]], np.ndarray | None]:
    """All records with every cell stripped, and their physical start lines when a quoted field may
    span lines (``None``: record i is on line i+1)."""
    if '"' not in text:
        # Without quoting, stripping around separators on the whole text (one C-level regex pass)
        # equals stripping every cell.
        if any(t in text for t in _PADDING_HINTS) or text[:1].isspace():
            text = _CELL_PADDING.sub("", text)
        return list(csv.reader(io.StringIO(text))), None
    rows, starts, prev = [], [], 0
    reader = csv.reader(io.StringIO(text))
    for row in reader:  # rare path: files with quoting
        rows.append([c.strip() for c in row])
        starts.append(prev + 1)
        prev = reader.line_num
    return rows, np.asarray(starts, dtype=np.int64)


def _layout(text: str, bom: bool) -> dict:
    first = text[: text.find("\n") + 1] if "\n" in text else text
    return {"bom": bom, "newline": "\r\n" if first.endswith("\r\n") else "\n",
            "final_newline": text.endswith("\n"), "trailing_blank_columns": 0}


def _parse_text(text: str, indicator_id: str, rel: str, allowed: frozenset | None, bom: bool = False) -> _Parsed:
    errors: list[RowError] = []
    warnings: list[RowError] = []
    layout = _layout(text, bom)
    result = _Parsed(indicator_id, rel, [], np.empty((0, 0), object), np.empty(0, np.int64), errors, warnings, 0, layout)
    try:
        rows, starts = _csv_rows(text)
    except csv.Error as exc:
        errors.append(RowError(rel, 0, f"not readable as CSV: {exc}"))
        return result
    if not rows or not any(rows[0]):
        errors.append(RowError(rel, 1, "no header line"))
        return result
    header, body = rows[0], rows[1:]
    lines = np.arange(2, len(body) + 2, dtype=np.int64) if starts is None else starts[1:]
    n = len(header)
    lens = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    nonblank = lens > 0  # blank lines are skipped silently (pandas does the same)
    result.n_rows = int(nonblank.sum())

    # ---- header
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            errors.append(RowError(rel, 1, f"column {h!r} appears twice"))
        seen.add(h)
    for h in header:
        if h and allowed is not None and h not in allowed:
            errors.append(RowError(rel, 1, f"unknown column {h!r}"))
    for req in ("Year", "Value"):
        if req not in seen:
            errors.append(RowError(rel, 1, f"missing column {req!r}"))
    if errors:
        return result
    v = header.index("Value")
    blank_cols = [i for i, h in enumerate(header) if not h]
    if blank_cols and blank_cols == list(range(n - len(blank_cols), n)):
        layout["trailing_blank_columns"] = len(blank_cols)

    # ---- ragged rows (few): repair or reject one by one
    keep = nonblank.copy()
    for i in np.flatnonzero(nonblank & (lens != n)):
        row, k, line = body[i], int(lens[i]), int(lines[i])
        if k > n:
            if any(row[n:]):
                errors.append(RowError(rel, line, f"{k} fields but the header has {n}"))
                keep[i] = False
            else:
                body[i] = row[:n]
        elif k > v:  # reaches Value; only trailing (blank-header) cells are missing
            body[i] = row + [""] * (n - k)
        elif k >= 2 and row[-1]:
            # A short row that stops before the Value column: the last field is the Value, the cells
            # missing are the disaggregations just before it, i.e. totals.  The national set has five
            # (4-c-1-2 national rows "2019,PT,32.8" under Year,UNIT_MEASURE,REF_AREA,Value, and 8-6-1
            # "2023,PT,KZSHY,U,18.8"); reading them pandas-style would put the number into REF_AREA/SEX.
            body[i] = row[:-1] + [""] * (v - k + 1) + [row[-1]] + [""] * (n - v - 1)
            warnings.append(RowError(rel, line, f"short row ({k} of {n} fields): last field read as Value, "
                                                f"{header[k - 1:v]} read as empty (totals)"))
        else:
            errors.append(RowError(rel, line, f"{k} fields but the header has {n}"))
            keep[i] = False
    kept = list(itertools.compress(body, keep)) if not keep.all() else body
    lines = lines[keep]
    matrix = np.empty((len(kept), n), dtype=object)
    if kept:
        matrix[:] = kept

    # ---- rows whose cells are all empty (",,,,") are skipped
    if len(matrix):
        all_empty = (matrix == "").all(axis=1)
        if all_empty.any():
            for line in lines[all_empty]:
                warnings.append(RowError(rel, int(line), "row with only empty cells skipped"))
            matrix, lines = matrix[~all_empty], lines[~all_empty]

    # ---- a column with a blank header must be empty (trailing commas in 1-4-2, 3-1-2, 3-7-2, 5-5-2)
    if blank_cols:
        for j in blank_cols:
            for i in np.flatnonzero(matrix[:, j] != ""):
                errors.append(RowError(rel, int(lines[i]), f"value {matrix[i, j]!r} in a column without a header"))
        named = [i for i in range(n) if header[i]]
        matrix = matrix[:, named]
        header = [header[i] for i in named]
    result.header, result.matrix, result.lines = header, matrix, lines
    return result


def _parse_file(path: Path, indicator_id: str, rel: str, allowed: frozenset | None) -> _Parsed:
    return _parse_bytes(path.read_bytes(), indicator_id, rel, allowed)


def _parse_bytes(raw: bytes, indicator_id: str, rel: str, allowed: frozenset | None) -> _Parsed:
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return _Parsed(indicator_id, rel, [], np.empty((0, 0), object), np.empty(0, np.int64),
                       [RowError(rel, line, f"not UTF-8 text: {exc.reason}")], [], 0, _layout("", bom))
    return _parse_text(text, indicator_id, rel, allowed, bom=bom)
