"""Shared by every part of the Open SDG reader/writer: constants, the records a read returns
(:class:`RowError`, :class:`IndicatorFile`) and small helpers (indicator id of a path, numbers in text)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CODE_TABLE = "fixtures/ref_area_codes.csv"
DEFAULT_CROSSWALK = "fixtures/kz_regions_crosswalk.csv"
LANGUAGES = ("kk", "ru", "en")

#: Disaggregation columns seen in the national set (kazstat/sdg-data-kazstat), plus Year and Value.
NATIONAL_COLUMNS = frozenset(
    {
        "Year", "Value",
        "UNIT_MEASURE", "Units", "REF_AREA", "GeoCode",
        "SEX", "URBANISATION", "AGE", "SERIES", "COMPOSITE_BREAKDOWN",
        "ACTIVITY", "EDUCATION_LEV", "INCOME_WEALTH_QUANTILE",
    }
)
#: Column names the Open SDG platform itself gives meaning to (sdg-build defaults).
OPEN_SDG_COLUMNS = frozenset({"Year", "Value", "Units", "Series", "GeoCode"})
UNIT_COLUMNS = ("UNIT_MEASURE", "Units")  # the first non-empty one is the row's unit
GEO_COLUMNS = ("REF_AREA", "GeoCode")  # REF_AREA is authoritative; GeoCode is the map key
#: A translation group whose name looks like an SDMX concept id may be used as a column.
_GROUP_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

LEVELS = ("region", "city", "settlement", "other")
TERRITORIES = ("2024", "pre2022", "pre2018", "")
#: Region codes whose territory changed: before ``year`` a value describes the old, larger unit
#: (label), unless the split-off unit(s) are reported in the same file and year -- then the series was
#: recalculated on today's boundaries (the national set does that, e.g. KZYUZ+KZSHY from 2014 in 1-2-1,
#: KZABY/KZZHS/KZULU from 2014 in 17-3-1-3) and the value describes the 2024 unit.
SPLITS = {
    "KZVOS": (2022, "pre2022", ("KZABY",)),  # East Kazakhstan lost Abai region (June 2022)
    "KZALM": (2022, "pre2022", ("KZZHS",)),  # Almaty region lost Zhetysu region
    "KZKAR": (2022, "pre2022", ("KZULU",)),  # Karaganda region lost Ulytau region
    "KZYUZ": (2018, "pre2018", ("KZSHY",)),  # South Kazakhstan -> Turkistan region + Shymkent city (June 2018)
}
#: Accepted years (the national set spans 2010-2023; "Year" is a plain four-digit year in Open SDG).
YEAR_RANGE = (1900, 2100)
#: Codes that denote an abolished unit; a row after this year is suspicious (warning).
ABOLISHED_AFTER = {"KZONT": 2018}

_FILE_NAME = re.compile(r"^indicator_(?P<id>.+)\.csv$")
_CONTEXT_KEY = re.compile(r"^(?P<code>[^@\s]+)@(?P<ind>[^:\s]+)(?::(?P<y0>\d{4})-(?P<y1>\d{4}))?$")
_ALIAS = re.compile(r"^alias of (?P<target>[A-Za-z0-9_]+)\b")

BASE_COLUMNS = ["year", "value", "unit", "region_code", "region_kato", "territory", "level", "dims", "line", "value_text"]
DUPLICATE_POLICIES = ("error", "first")


# --------------------------------------------------------------------------------------------------
# small records


@dataclass
class RowError:
    """One problem in one file. ``line`` is the 1-based physical line (header = 1; 0 = the file as a whole)."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class IndicatorFile:
    """One ``data/indicator_<id>.csv``.

    ``frame`` holds the normalised rows (empty when ``errors`` is not empty):

    ============  =====================================================================================
    year          int
    value         float (finite)
    unit          UNIT_MEASURE (or Open SDG ``Units``) code, ``''`` if none
    region_code   canonical code from the code table (aliases resolved), ``''`` = national
    region_kato   KATO of the 2024 region the territory lies in; ``''`` = national, or a code the table
                  cannot attribute (then ``region_code`` is not empty)
    territory     ``2024`` / ``pre2022`` / ``pre2018`` for the row's year (see :data:`SPLITS`), ``''`` national
    level         region / city / settlement / other, ``''`` national
    dims          canonical key of the other disaggregations: ``"AGE=Y15T24|SEX=F"`` (sorted by column,
                  empty cells left out), ``''`` for totals
    line          physical source line
    value_text    the Value cell as written (stripped) -- lets the writer reproduce the source exactly
    <columns>     the raw disaggregation cells (stripped str), under their source names
    ============  =====================================================================================
    """

    indicator_id: str
    path: str
    frame: pd.DataFrame = field(repr=False)
    columns: list[str]
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    n_rows: int = 0  # non-blank data lines in the source, whatever became of them
    layout: dict = field(default_factory=dict)  # bom, newline, final_newline, trailing_blank_columns
    digest: str = ""  # content hash of the file with its metadata and the translations (see read_repository)

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------------------------------
# small helpers (paths, numbers in text)


def _indicator_id(path: Path) -> str:
    """sdg-build's rule: the file name without its extension and without an ``indicator_`` prefix."""
    stem = Path(path).stem
    return stem[len("indicator_"):] if stem.startswith("indicator_") else stem


def _rel(p: Path, root: Path) -> str:
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return str(p)


def _codepoints(texts: np.ndarray) -> np.ndarray:
    """(n, width) uint32 code points of an array of str (0-padded) -- for vectorised character tests."""
    u = np.asarray(texts, dtype=object).astype(str)
    width = u.dtype.itemsize // 4
    return u.view(np.uint32).reshape(len(u), width) if width else np.zeros((len(u), 0), np.uint32)


def _to_float(texts: np.ndarray, _chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """(values, ok) for an array of stripped str.  Accepted: ASCII decimal numbers as Python's float()
    reads them (``-1.5``, ``.5``, ``1e-05``; correctly rounded), and nan/inf, which the caller reports as
    non-finite.  Rejected although float() takes them: ``1_000`` and non-ASCII digits."""
    texts = np.asarray(texts, dtype=object)
    out = np.full(len(texts), np.nan)
    ok = np.zeros(len(texts), bool)
    cp = _codepoints(texts)
    idx = np.flatnonzero(~((cp > 127) | (cp == 95)).any(axis=1))
    for s in range(0, len(idx), _chunk):  # a bad cell only sends its own chunk down the slow path
        part = idx[s : s + _chunk]
        try:
            out[part] = texts[part].astype(np.float64)  # float() per element, in C
            ok[part] = True
        except ValueError:
            for i in part:  # error path: only chunks holding a bad cell
                try:
                    out[i], ok[i] = float(texts[i]), True
                except ValueError:
                    pass
    return out, ok
