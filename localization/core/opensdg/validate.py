"""Validating parsed CSV files in one vectorised pass (years, values, units, region codes and the 2018/2022
splits, disaggregation keys, duplicates), mapping region columns of any code system to the code table, and
:func:`read_indicator_csv` / :func:`read_indicator_text` for single files."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .codes import CodeTable, load_code_table
from .common import (
    _GROUP_NAME,
    ABOLISHED_AFTER,
    BASE_COLUMNS,
    DUPLICATE_POLICIES,
    GEO_COLUMNS,
    NATIONAL_COLUMNS,
    OPEN_SDG_COLUMNS,
    SPLITS,
    UNIT_COLUMNS,
    YEAR_RANGE,
    IndicatorFile,
    RowError,
    _codepoints,
    _indicator_id,
    _to_float,
)
from .csvread import _parse_file, _Parsed, _parse_text


# --------------------------------------------------------------------------------------------------
# reading: vectorised validation of all parsed files at once


def _dims_key(columns: dict[str, np.ndarray], names: list[str], size: int) -> np.ndarray:
    """``"AGE=Y15T24|SEX=F"``: non-empty cells, columns sorted by name; work only on non-empty cells."""
    acc = np.full(size, "", dtype=object)
    for name in sorted(names):
        c = columns[name]
        nz = np.flatnonzero(c != "")
        if not len(nz):
            continue
        part = (name + "=") + c[nz]
        prev = acc[nz]
        acc[nz] = np.where(prev == "", part, prev + "|" + part)
    return acc


_DTYPES = {"year": np.int64, "value": np.float64, "line": np.int64}


_EMPTY_FRAMES: dict[tuple, pd.DataFrame] = {}


def _empty_frame(columns: list[str]) -> pd.DataFrame:
    key = tuple(columns)
    if key not in _EMPTY_FRAMES:
        _EMPTY_FRAMES[key] = pd.DataFrame({c: np.empty(0, dtype=_DTYPES.get(c, object)) for c in BASE_COLUMNS + columns})
    return _EMPTY_FRAMES[key].copy()


def _validate(parsed: list[_Parsed], codes: CodeTable, duplicates: str) -> list[IndicatorFile]:
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_POLICIES}")
    for p in parsed:
        _map_geography(p, codes)
    nfiles = len(parsed)
    sizes = np.array([len(p.matrix) for p in parsed], dtype=np.int64)  # header errors leave no rows
    N = int(sizes.sum())
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    fidx = np.repeat(np.arange(nfiles), sizes)
    ids = np.array([p.indicator_id for p in parsed] + [""], dtype=object)

    # ---- one column array per column name over all files ('' where a file lacks the column)
    names: list[str] = ["Year", "Value"]
    for p in parsed:
        names += [h for h in p.header if h not in names]
    col = {h: np.full(N, "", dtype=object) for h in names}
    line = np.zeros(N, dtype=np.int64)
    for f, p in enumerate(parsed):
        s, e = starts[f], starts[f + 1]
        if s == e:
            continue
        for j, h in enumerate(p.header):
            col[h][s:e] = p.matrix[:, j]
        line[s:e] = p.lines

    problems: list[tuple[np.ndarray, object]] = []  # (row mask, reason or callable(i) -> reason): errors
    notes: list[tuple[np.ndarray, object]] = []  # same, for warnings

    # ---- Year: four ASCII digits within YEAR_RANGE
    ytxt = col["Year"]
    cp = _codepoints(ytxt)
    if cp.shape[1] >= 4:
        digits = cp[:, :4].astype(np.int64) - 48
        yok = ((digits >= 0) & (digits <= 9)).all(axis=1) & (cp[:, 4:] == 0).all(axis=1)
        year = np.where(yok, digits @ np.array([1000, 100, 10, 1]), 0).astype(np.int64)
        yok &= (year >= YEAR_RANGE[0]) & (year <= YEAR_RANGE[1])
        year[~yok] = 0
    else:
        yok, year = np.zeros(N, bool), np.zeros(N, np.int64)
    problems.append((~yok, lambda i: f"bad year {ytxt[i]!r}" if ytxt[i] else "empty Year"))

    # ---- Value
    vtxt = col["Value"]
    vempty = vtxt == ""
    value, vok = _to_float(np.where(vempty, "0", vtxt))
    finite = np.isfinite(value)
    problems.append((~vempty & ~vok, lambda i: f"non-numeric value {vtxt[i]!r}"))
    problems.append((~vempty & vok & ~finite, lambda i: f"non-finite value {vtxt[i]!r}"))
    notes.append((vempty, "empty Value: row skipped (no observation)"))

    # ---- unit: UNIT_MEASURE, else Units
    unit = np.full(N, "", dtype=object)
    for h in reversed(UNIT_COLUMNS):
        if h in col:
            unit = np.where(col[h] != "", col[h], unit)

    # ---- region: REF_AREA, else GeoCode; code table lookup incl. per-indicator context rows
    blank = np.full(N, "", dtype=object)
    ref = col.get("REF_AREA", blank)
    geo = col.get("GeoCode", blank)
    rpos = codes.index.get_indexer(ref)
    gpos = codes.index.get_indexer(geo)
    if codes.contexts:  # "KZAKT@11-6-2" is a table key, not a code a CSV may use
        context_keys = [c[-1] for c in codes.contexts]
        rpos[np.isin(ref, context_keys)] = -1
        gpos[np.isin(geo, context_keys)] = -1
    unknown_ref = (ref != "") & (rpos < 0)
    unknown_geo = (geo != "") & (gpos < 0)
    problems.append((unknown_ref, lambda i: f"unknown region code {ref[i]!r} in REF_AREA"))
    problems.append((unknown_geo, lambda i: f"unknown region code {geo[i]!r} in GeoCode"))
    has_ref = ref != ""
    raw_region = np.where(has_ref, ref, geo)
    pos = np.where(has_ref, rpos, gpos)
    rowind = ids[fidx]
    for ind, code, y0, y1, key in codes.contexts:
        hit = (raw_region == code) & (rowind == ind) & (year >= y0) & (year <= y1)
        if hit.any():
            pos[hit] = codes.index.get_loc(key)
    region_code = codes._canonical[pos]  # pos -1 -> the trailing '' slot (national or unknown)
    region_kato = codes._kato[pos]
    level = codes._level[pos]
    territory = codes._territory[pos]

    # territory of the parents of the 2018/2022 splits, per file and year
    fy = fidx * 10000 + year
    for parent, (split_year, old_label, successors) in SPLITS.items():
        is_parent = region_code == parent
        if not is_parent.any():
            continue
        succ_fy = np.unique(fy[np.isin(region_code, successors)])
        old = is_parent & (year < split_year) & ~np.isin(fy, succ_fy)
        territory = np.where(is_parent, np.where(old, old_label, "2024"), territory).astype(object)
    for code, last in ABOLISHED_AFTER.items():
        late = (region_code == code) & (year > last) & yok
        notes.append((late, lambda i, c=code, y=last: f"{c} denotes a unit abolished in {y}, but the row is for {year[i]}"))

    # GeoCode only keys the map: where it disagrees with REF_AREA, REF_AREA wins (one warning per file)
    mismatch = has_ref & (rpos >= 0) & (gpos >= 0) & (codes._kato[gpos] != region_kato)

    # ---- other disaggregations -> canonical dims key
    dim_names = [h for h in names if h not in ("Year", "Value", *UNIT_COLUMNS, *GEO_COLUMNS)]
    dims = _dims_key(col, dim_names, N)

    # ---- duplicate keys (file, year, unit, region, dims) among rows that are otherwise fine
    base_ok = yok & ~vempty & vok & finite & ~unknown_ref & ~unknown_geo
    cand = np.flatnonzero(base_ok)
    key = pd.DataFrame({"f": fidx[cand], "y": year[cand], "u": unit[cand], "r": region_code[cand], "d": dims[cand]})
    dup_any = key.duplicated(keep=False).to_numpy()
    is_dup = np.zeros(N, bool)
    first_of = np.zeros(N, np.int64)  # row index of the first occurrence of a repeated key
    if dup_any.any():
        sub = key[dup_any].assign(i=cand[dup_any])
        first = sub.groupby(["f", "y", "u", "r", "d"], sort=False)["i"].transform("first").to_numpy()
        rows = sub["i"].to_numpy()
        later = rows != first
        is_dup[rows[later]] = True
        first_of[rows[later]] = first[later]

    def dup_reason(i):
        what = ", ".join(x for x in (f"year {year[i]}", f"unit {unit[i]}" if unit[i] else "",
                                     f"region {region_code[i]}" if region_code[i] else "national",
                                     dims[i] or "totals") if x)
        j = first_of[i]
        same = "same value" if value[j] == value[i] else "different values"
        return f"duplicate key ({what}) first seen on line {line[j]} (line {line[j]}: {vtxt[j]}, line {line[i]}: {vtxt[i]}; {same})"

    if duplicates == "error":
        problems.append((is_dup, dup_reason))
    else:
        notes.append((is_dup, lambda i: dup_reason(i) + "; this row dropped"))

    # ---- messages per file (loops only over flagged rows)
    f_errors = [list(p.errors) for p in parsed]
    f_warnings = [list(p.warnings) for p in parsed]
    for bucket, items in ((f_errors, problems), (f_warnings, notes)):
        for mask, reason in items:
            for i in np.flatnonzero(mask):
                f = int(fidx[i])
                bucket[f].append(RowError(parsed[f].path, int(line[i]), reason(i) if callable(reason) else reason))
    for f in np.unique(fidx[mismatch]):
        rows = np.flatnonzero(mismatch & (fidx == f))
        i = rows[0]
        f_warnings[f].append(RowError(parsed[f].path, int(line[i]), f"GeoCode disagrees with REF_AREA on {len(rows)} "
                                                                     f"row(s) (first: {geo[i]} vs {ref[i]}); REF_AREA used"))

    # ---- frames: one DataFrame per distinct column set, then cheap contiguous row slices per file
    keep = base_ok & ~is_dup
    bad_file = np.array([bool(e) for e in f_errors] + [True])
    keep &= ~bad_file[fidx]
    big = {"year": year, "value": value, "unit": unit, "region_code": region_code, "region_kato": region_kato,
           "territory": territory, "level": level, "dims": dims, "line": line, "value_text": vtxt, **col}
    columns_of = [[h for h in p.header if h not in ("Year", "Value")] for p in parsed]
    kept_idx = [np.flatnonzero(keep[starts[f]:starts[f + 1]]) + starts[f] for f in range(nfiles)]
    frames: dict[int, pd.DataFrame] = {}
    groups: dict[tuple, list[int]] = {}
    for f in range(nfiles):
        if len(kept_idx[f]):
            groups.setdefault(tuple(columns_of[f]), []).append(f)
    for cols, members in groups.items():
        sel = np.concatenate([kept_idx[f] for f in members])
        gdf = pd.DataFrame({c: big[c][sel] for c in BASE_COLUMNS + list(cols)})
        at = 0
        for f in members:
            k = len(kept_idx[f])
            part = gdf.iloc[at : at + k].copy()
            part.index = pd.RangeIndex(k)
            frames[f] = part
            at += k
    out = []
    for f, p in enumerate(parsed):
        frame = frames.get(f)
        if frame is None:
            frame = _empty_frame(columns_of[f])
        out.append(IndicatorFile(p.indicator_id, p.path, frame, columns_of[f],
                                 sorted(f_errors[f], key=lambda e: e.line), sorted(f_warnings[f], key=lambda e: e.line),
                                 p.n_rows, p.layout))
    return out


#: Headers that name a region column in other repositories (compared case-insensitively).
GEO_NAME_HEADERS = frozenset({"территория", "регион", "область", "аймақ", "өңір", "облыс", "region", "area", "territory",
                              "geoname", "geo", "geography", "ref_area_name", "регион/область"})


def _map_geography(p: _Parsed, codes: CodeTable) -> None:
    """Bring a file's region column to the table's codes, whatever the code system (in place).

    * ``REF_AREA`` / ``GeoCode`` cells the table does not know are looked up in the crosswalk (KATO, ISO 3166-2
      ``KZ-AKT`` / ``KZ-15``, ADM1 p-codes, names in kk/ru/en);
    * a column of region *names* (``Территория``, ``Region``, … or any column whose values are mostly region names)
      becomes ``REF_AREA`` (one warning at line 1 says so); the country as a whole becomes national (empty).
    Cells that stay unknown are reported by the validation as ``unknown region code`` with their line."""
    if not len(p.matrix) or not p.header:
        return
    for h in GEO_COLUMNS:
        if h in p.header:
            j = p.header.index(h)
            _recode(p.matrix, j, codes)
    if "REF_AREA" in p.header or "GeoCode" in p.header:
        geo_done = True
    else:
        geo_done = False
    for j, h in enumerate(list(p.header)):
        if h in NATIONAL_COLUMNS or h in OPEN_SDG_COLUMNS or h.casefold() in ("year", "value"):
            continue
        values = [v for v in pd.unique(p.matrix[:, j]) if v != ""]
        if not values:
            continue
        known = sum(bool(codes.lookup(v)) for v in values)
        if h.casefold() not in GEO_NAME_HEADERS and known * 2 < len(values) + (len(values) == 1):
            continue
        if geo_done:
            p.warnings.append(RowError(p.path, 1, f"column {h!r} holds region names; the region code column is used"))
            p.matrix = np.delete(p.matrix, j, axis=1)
            p.header = p.header[:j] + p.header[j + 1:]
            return
        _recode(p.matrix, j, codes)
        p.header = p.header[:j] + ["REF_AREA"] + p.header[j + 1:]
        p.warnings.append(RowError(p.path, 1, f"column {h!r} read as REF_AREA (region names)"))
        return


def _recode(matrix: np.ndarray, j: int, codes: CodeTable) -> None:
    column = matrix[:, j]
    mapping = {}
    for v in pd.unique(column):
        if v == "" or v in codes.index:
            continue
        found = codes.lookup(v)
        if found is not None:
            mapping[v] = found
    if mapping:
        matrix[:, j] = np.array([mapping.get(v, v) for v in column], dtype=object)


def _allowed_columns(repo_root=None, extra: Iterable[str] = ()) -> frozenset:
    allowed = set(NATIONAL_COLUMNS) | set(OPEN_SDG_COLUMNS) | set(extra)
    if repo_root is not None:
        tdir = Path(repo_root) / "translations"
        if tdir.is_dir():
            allowed |= {p.stem for p in tdir.glob("*/*.yml") if _GROUP_NAME.match(p.stem)}
    return frozenset(allowed)


def read_indicator_csv(path, *, repo_root=None, codes: CodeTable | None = None, duplicates: str = "error",
                       extra_columns: Iterable[str] = ()) -> IndicatorFile:
    """Read and validate one ``indicator_<id>.csv``.

    ``repo_root`` makes ``IndicatorFile.path`` relative to it and adds the repository's translation
    groups to the allowed columns.  ``duplicates``: ``"error"`` (default; a repeated key rejects the file)
    or ``"first"`` (keep the first row, report the later ones as warnings).
    """
    path = Path(path)
    codes = codes if codes is not None else load_code_table()
    rel = str(path.relative_to(repo_root)) if repo_root is not None else str(path)
    parsed = _parse_file(path, _indicator_id(path), rel, _allowed_columns(repo_root, extra_columns))
    return _validate([parsed], codes, duplicates)[0]


def read_indicator_text(text: str, indicator_id: str, *, path: str | None = None, codes: CodeTable | None = None,
                        duplicates: str = "error", extra_columns: Iterable[str] = ()) -> IndicatorFile:
    """Same as :func:`read_indicator_csv` for CSV text already in memory (a leading BOM is accepted)."""
    codes = codes if codes is not None else load_code_table()
    bom = text.startswith("\ufeff")
    rel = path or f"data/indicator_{indicator_id}.csv"
    parsed = _parse_text(text[1:] if bom else text, indicator_id, rel, _allowed_columns(None, extra_columns), bom=bom)
    return _validate([parsed], codes, duplicates)[0]
