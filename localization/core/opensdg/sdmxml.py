"""SDMX-ML data messages as Open SDG CSV texts (:func:`sdmx_to_csv`); the ``sdmx1`` library is imported on
first use, so CSV-only imports never load it."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from .common import RowError
from .write import format_values


# ---- SDMX-ML


_SDMX_TOTALS = ("_T", "_Z")
#: The global SDG data structure (IAEG-SDGs:SDG) codes an indicator C + goal + target + indicator, two characters
#: each: ``C060101`` → 6.1.1; a lettered target is written ``0A``/``0a`` (1.a.1 → ``C010A01``).
_SDG_DSD_CODE = re.compile(r"^C(\d{2})([0-9][0-9A-Za-z])(\d{2})$")


def indicator_id(code: str) -> str:
    """An SDMX ``INDICATOR`` code as an Open SDG indicator id: ``1.4.1`` → ``1-4-1``, ``C060101`` → ``6-1-1``,
    ``C010A01`` → ``1-a-1``; anything else with dots turned to dashes."""
    code = str(code).strip()
    found = _SDG_DSD_CODE.match(code)
    if found:
        goal, target, number = found.groups()
        target = str(int(target)) if target.isdigit() else target[1].lower()
        return f"{int(goal)}-{target}-{int(number)}"
    return code.replace(".", "-")
_SDMX_DROP = ("FREQ", "TIME_PERIOD", "INDICATOR", "value")


def sdmx_to_csv(path, rel: str, default_id: str) -> tuple[list[tuple[str, str]], list[RowError]]:
    """An SDMX-ML data message (SDMX 2.1 generic or structure-specific, read with the ``sdmx1`` library) as Open SDG
    CSV texts, one per indicator: ``TIME_PERIOD`` → Year, observation value → Value, every other dimension and
    attribute a column, totals (``_T``/``_Z``) empty. Indicators come from an ``INDICATOR`` dimension (``1.4.1`` →
    ``1-4-1``; the global SDG structure's ``C060101`` → ``6-1-1``) or, without one, from the file name. Returns ``([(indicator_id, csv_text)], errors)``."""
    try:
        import sdmx  # sdmx1; imported here so that CSV-only imports never load it
    except ImportError:  # pragma: no cover - a declared dependency
        return [], [RowError(rel, 0, "SDMX-ML needs the sdmx1 library, which is not installed")]
    try:
        message = sdmx.read_sdmx(path)
    except Exception as exc:  # noqa: BLE001 - the parser raises many kinds for a bad file
        return [], [RowError(rel, 0, f"not readable as SDMX-ML (expected an SDMX 2.1 GenericData or "
                                     f"StructureSpecificData message): {exc.__class__.__name__}: {str(exc)[:120]}")]
    if not isinstance(message, sdmx.message.DataMessage) or not message.data:
        return [], [RowError(rel, 0, "not an SDMX-ML data message (expected a GenericData or StructureSpecificData "
                                     "message with a DataSet)")]
    frames = []
    for dataset in message.data:
        series = sdmx.to_pandas(dataset, attributes="")
        if len(series):
            frames.append(series.reset_index())
    if not frames:
        return [], [RowError(rel, 0, "the SDMX-ML message holds no observations")]
    df = pd.concat(frames, ignore_index=True, sort=False).fillna("")
    if "TIME_PERIOD" not in df:
        return [], [RowError(rel, 0, "the SDMX-ML observations have no TIME_PERIOD (expected yearly data)")]
    df["Year"] = df["TIME_PERIOD"].astype(str).str.slice(0, 4)
    df["Value"] = format_values(pd.to_numeric(df["value"], errors="coerce").to_numpy(np.float64))
    df.loc[pd.to_numeric(df["value"], errors="coerce").isna(), "Value"] = df["value"].astype(str)
    dims = [c for c in df.columns if c not in _SDMX_DROP and c not in ("Year", "Value")]
    for c in dims:
        df[c] = df[c].astype(str).replace({t: "" for t in _SDMX_TOTALS})
    dims = [c for c in dims if (df[c] != "").any()]
    out = []
    groups = df.groupby("INDICATOR", sort=True) if "INDICATOR" in df else [(default_id, df)]
    for inid, part in groups:
        inid = indicator_id(inid)
        buf = io.StringIO()
        part[["Year", *dims, "Value"]].to_csv(buf, index=False, lineterminator="\n")
        out.append((inid, buf.getvalue()))
    return out, []
