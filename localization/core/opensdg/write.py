"""Writing indicator CSVs in the Open SDG layout (:func:`write_indicator_csv`, :func:`write_like_source`) and
numbers as the shortest text that reads back the same (:func:`format_values`)."""

from __future__ import annotations

import io
from typing import Iterable

import numpy as np
import pandas as pd

from .. import safecells
from .common import BASE_COLUMNS, GEO_COLUMNS, UNIT_COLUMNS, IndicatorFile, _to_float


# --------------------------------------------------------------------------------------------------
# writing


def format_values(values) -> np.ndarray:
    """Shortest text that parses back to exactly the same float (repr), without a trailing ``.0``.

    ``8.0 -> "8"``, ``0.1 -> "0.1"``, ``1e-05 -> "1e-05"``, ``15.626779999999995`` stays as is.
    """
    arr = np.asarray(values, dtype=np.float64)
    text = arr.astype(str)  # numpy prints float64 with the shortest round-trip digits, like repr()
    return np.where(np.char.endswith(text, ".0"), np.char.replace(text, ".0", "", count=1), text)


#: Order of the disaggregation columns when the caller gives none: units first, then the usual SDMX
#: concepts in the order the national set most often has them, others alphabetically, REF_AREA and
#: GeoCode last (just before Value).
_ORDER = ("UNIT_MEASURE", "Units", "SERIES", "Series", "COMPOSITE_BREAKDOWN", "ACTIVITY", "URBANISATION", "SEX",
          "AGE", "EDUCATION_LEV", "INCOME_WEALTH_QUANTILE")


def _canonical_order(columns: Iterable[str]) -> list[str]:
    cols = set(columns)
    known = [c for c in _ORDER if c in cols]
    last = [c for c in GEO_COLUMNS if c in cols]
    return known + sorted(cols - set(known) - set(last)) + last


def _columns_of_frame(df: pd.DataFrame) -> list[str]:
    """Disaggregation columns a frame holds: raw ones, plus those only its normalised columns imply."""
    cols = {c for c in df.columns if c not in BASE_COLUMNS and c not in ("Year", "Value", "indicator_id")}
    if "unit" in df and not cols & set(UNIT_COLUMNS) and (df["unit"].fillna("") != "").any():
        cols.add("UNIT_MEASURE")
    if "region_code" in df and not cols & set(GEO_COLUMNS) and (df["region_code"].fillna("") != "").any():
        cols.add("REF_AREA")
    if "dims" in df:
        for key in df["dims"].fillna("").unique():
            cols |= {part.split("=", 1)[0] for part in key.split("|") if part}
    return _canonical_order(cols)


def write_indicator_csv(frame_or_rows, columns: list[str] | None = None, *, newline: str = "\n",
                        bom: bool = False, final_newline: bool = True, trailing_blank_columns: int = 0) -> str:
    """Write rows in the Open SDG layout: ``Year``, disaggregation columns, ``Value``.

    ``frame_or_rows``: an :attr:`IndicatorFile.frame` (or any DataFrame / list of dicts with ``year`` or
    ``Year``, ``value`` or ``Value``, and disaggregation columns).  ``columns``: the disaggregation
    columns in output order -- pass ``IndicatorFile.columns`` to keep the source order; when ``None``
    the columns found are written units first, REF_AREA/GeoCode last (just before Value).  A missing raw
    column is rebuilt from the normalised ones (UNIT_MEASURE/Units from ``unit``, REF_AREA from
    ``region_code``, others from ``dims``).

    Values: the source text (``value_text``) where it still parses to ``value`` -- so a re-read gives
    exactly the same numbers and untouched files come out byte-identical (``8.0`` stays ``8.0``,
    ``786`` stays ``786``, ``1e-05`` stays ``1e-05``); otherwise :func:`format_values` (shortest
    repr, no ``.0``).  ``newline``/``bom``/``final_newline``/``trailing_blank_columns`` reproduce a
    source's layout (see :attr:`IndicatorFile.layout`).
    """
    df = frame_or_rows if isinstance(frame_or_rows, pd.DataFrame) else pd.DataFrame(list(frame_or_rows))
    df = df.reset_index(drop=True)
    n = len(df)
    year = df["year"] if "year" in df else df["Year"]
    value = pd.to_numeric(df["value"] if "value" in df else df["Value"], errors="raise").to_numpy(np.float64)
    if not np.isfinite(value).all():
        raise ValueError("cannot write non-finite values")
    if columns is None:
        columns = _columns_of_frame(df)
    out = {"Year": pd.Series(year).astype(np.int64).astype(str).to_numpy(object)}
    dims_parsed = None
    for c in columns:
        if c in df:
            out[c] = df[c].fillna("").astype(str).to_numpy(object)
        elif c in UNIT_COLUMNS and "unit" in df:
            out[c] = df["unit"].fillna("").astype(str).to_numpy(object)
        elif c == "REF_AREA" and "region_code" in df:  # a context code "KZAKT@11-6-2" was written "KZAKT"
            out[c] = df["region_code"].fillna("").astype(str).str.split("@").str[0].to_numpy(object)
        elif "dims" in df:
            if dims_parsed is None:
                dims_parsed = [dict(x.split("=", 1) for x in d.split("|")) if d else {} for d in df["dims"].fillna("")]
            out[c] = np.array([d.get(c, "") for d in dims_parsed], dtype=object)
        else:
            out[c] = np.full(n, "", object)
    formatted = format_values(value) if n else np.empty(0, str)
    if "value_text" in df and n:
        vt = df["value_text"].fillna("").astype(str).to_numpy(str)
        has = vt != ""
        parsed, ok = _to_float(vt[has])
        same = np.zeros(n, bool)
        same[has] = ok & (parsed == value[has]) & (np.signbit(parsed) == np.signbit(value[has]))
        formatted = np.where(same, vt, formatted)
    out["Value"] = formatted.astype(object) if n else np.empty(0, object)
    header = ["Year", *columns, "Value"]
    buf = io.StringIO()
    writer = safecells.writer(buf, lineterminator=newline)  # no cell may start a spreadsheet formula
    tail = [""] * trailing_blank_columns
    writer.writerow(header + tail)
    if n:
        body = np.column_stack([out[h] for h in header])
        if tail:
            body = np.column_stack([body, np.full((n, len(tail)), "", object)])
        writer.writerows(body.tolist())
    text = buf.getvalue()
    if not final_newline and text.endswith(newline):
        text = text[: -len(newline)]
    return ("\ufeff" if bom else "") + text


def write_like_source(f: IndicatorFile) -> str:
    """:func:`write_indicator_csv` with the source file's column order and layout."""
    return write_indicator_csv(f.frame, f.columns, **{k: f.layout[k] for k in
                                                       ("newline", "bom", "final_newline", "trailing_blank_columns")
                                                       if k in f.layout})
