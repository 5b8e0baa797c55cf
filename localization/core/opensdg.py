"""Read, validate and write Open SDG data repositories (pure Python: pandas, numpy, PyYAML; no Django).

An Open SDG data repository (the format of Kazakhstan's national SDG platform, a copy of which is in
``fixtures/kazstat-sdg-data/``) holds

* ``data/indicator_<id>.csv`` -- tidy data: ``Year``, optional disaggregation columns, ``Value``;
  an empty disaggregation cell means "total";
* ``meta/<id>.yml`` and ``indicator-config/<id>.yml`` -- per-indicator metadata and display config;
* ``translations/<lang>/<group>.yml`` -- ``key: text`` maps; a metadata value such as
  ``national_indicators.1-2-1-title`` or a data code such as ``UNIT_MEASURE.PT`` is a translation key.

Entry points: :func:`read_repository`, :func:`read_indicator_csv`, :func:`load_code_table` and
:func:`write_indicator_csv`.  Validation is all-or-nothing per file: a file with any error contributes
no rows, and every bad row is reported as ``file:line: reason`` (``line`` is the 1-based physical line,
the header being line 1).  Repairs and tolerated oddities are reported as warnings in the same form.

The whole repository is validated in one vectorised pass over all rows of all files (numpy/pandas);
Python loops run per file, or per row only for rows that need an error/warning message.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import yaml

from . import safecells

try:  # libyaml is ~10x faster; fall back to the pure-Python loader
    _YamlLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader

__all__ = [
    "RowError",
    "CodeTable",
    "IndicatorFile",
    "Repository",
    "load_code_table",
    "read_indicator_csv",
    "read_indicator_text",
    "read_repository",
    "write_indicator_csv",
    "write_like_source",
    "format_values",
    "NATIONAL_COLUMNS",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
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


class CodeTable:
    """``fixtures/ref_area_codes.csv``: every REF_AREA / GeoCode value of the national set.

    Columns ``code,region_kato,level,territory,name_en,note``.  Two conventions inside the table:

    * a ``note`` that starts with ``alias of KZXXX`` makes the row an alias: rows carrying it get
      ``region_code = KZXXX`` (typos and non-standard codes such as ``KZAP``, ``KZUKK``, GeoCode ``KZ03``);
    * a ``code`` of the form ``KZXXX@<indicator>`` or ``KZXXX@<indicator>:<year>-<year>`` applies only to
      that indicator file (and years) -- used where one file gives a code a different meaning.
    """

    def __init__(self, frame: pd.DataFrame, source: str = ""):
        self.source = source
        df = frame.fillna("").astype(str)
        missing = {"code", "region_kato", "level", "territory", "name_en", "note"} - set(df.columns)
        if missing:
            raise ValueError(f"{source}: code table lacks columns {sorted(missing)}")
        for c in df.columns:
            df[c] = df[c].str.strip()
        problems = []
        if df["code"].duplicated().any():
            problems.append(f"duplicate codes {sorted(df.loc[df['code'].duplicated(), 'code'])}")
        bad_level = ~df["level"].isin(LEVELS)
        if bad_level.any():
            problems.append(f"bad level for {list(df.loc[bad_level, 'code'])}")
        bad_terr = ~df["territory"].isin(TERRITORIES)
        if bad_terr.any():
            problems.append(f"bad territory for {list(df.loc[bad_terr, 'code'])}")
        bad_kato = ~df["region_kato"].str.fullmatch(r"(\d{9})?")
        if bad_kato.any():
            problems.append(f"bad region_kato for {list(df.loc[bad_kato, 'code'])}")
        alias = df["note"].str.extract(_ALIAS)["target"].fillna("")
        plain = set(df.loc[~df["code"].str.contains("@"), "code"])
        bad_alias = (alias != "") & ~alias.isin(plain)
        if bad_alias.any():
            problems.append(f"alias to unknown code for {list(df.loc[bad_alias, 'code'])}")
        else:  # an alias row must describe the same unit as its target
            by_code = df.set_index("code")
            for code, target in zip(df["code"], alias):
                if target and any(by_code.at[code, c] != by_code.at[target, c] for c in ("region_kato", "level", "territory")):
                    problems.append(f"alias {code} disagrees with {target} on region_kato/level/territory")
        self.contexts: list[tuple[str, str, int, int, str]] = []  # (indicator, code, y0, y1, key)
        for key in df.loc[df["code"].str.contains("@"), "code"]:
            m = _CONTEXT_KEY.match(key)
            if not m or m["code"] not in plain:
                problems.append(f"bad context code {key!r}")
                continue
            y0 = int(m["y0"]) if m["y0"] else -(10**9)
            y1 = int(m["y1"]) if m["y1"] else 10**9
            self.contexts.append((m["ind"], m["code"], y0, y1, key))
        if problems:
            raise ValueError(f"{source}: " + "; ".join(problems))
        df["canonical"] = np.where(alias != "", alias, df["code"])
        self.frame = df.set_index("code", drop=False)
        self.index = pd.Index(self.frame["code"])
        # lookup arrays (position -> attribute); the extra last slot (-1) is the "national / unknown" row
        self._canonical = np.append(df["canonical"].to_numpy(object), "")
        self._kato = np.append(df["region_kato"].to_numpy(object), "")
        self._level = np.append(df["level"].to_numpy(object), "")
        self._territory = np.append(df["territory"].to_numpy(object), "")

    # -- other code systems and names (the crosswalk) ----------------------------------------------------

    #: Crosswalk columns holding codes (matched exactly, case-insensitively) and names (normalised).
    CROSSWALK_CODES = ("KATO", "ADM1_PCODE", "ISO_3166_2", "ISO_3166_2_old_alpha", "plotly_ADM1_PCODE", "kazstat_REF_AREA")
    CROSSWALK_NAMES = ("ISO_3166_2_name", "geokz_ADM1_EN", "geokz_ADM1_KK", "geokz_ADM1_RU", "plotly_ADM1_EN",
                       "kazstat_name_en", "kazstat_name_ru", "kazstat_name_kk", "bns2023_name_kk", "odk_city_population_name")
    #: What a region column may say for the country as a whole.
    NATIONAL_NAMES = ("KZ", "KAZ", "398", "000000000", "Kazakhstan", "Republic of Kazakhstan", "Казахстан",
                      "Республика Казахстан", "Қазақстан", "Қазақстан Республикасы", "Total", "Всего", "Барлығы")

    def add_crosswalk(self, frame: pd.DataFrame) -> None:
        """Learn the codes and names of the crosswalk (one row per 2024 region): KATO, ISO 3166-2 alpha and
        numeric, ADM1 p-codes, kazstat codes, names in kk/ru/en. A name shared by two regions (``Алматы`` is the
        region in Kazakh and the city in Russian) is left out: it must be written with a code or a marker."""
        df = frame.fillna("").astype(str)
        found: dict[str, set[str]] = {}
        for _, row in df.iterrows():
            target = row.get("kazstat_REF_AREA", "").strip()
            if target not in self.index:
                continue
            for c in self.CROSSWALK_CODES:
                if row.get(c, "").strip():
                    found.setdefault(row[c].strip().upper(), set()).add(target)
            names = [_name_key(row[c]) for c in self.CROSSWALK_NAMES if row.get(c, "").strip()]
            kind = "city:" if any(k.startswith("city:") for k in names) else "region:"
            for key in names:  # "Шымкент" without a marker is the city too, unless ambiguous ("Алматы")
                bare = key.partition(":")[2] if ":" in key else key
                found.setdefault(bare, set()).add(target)
                found.setdefault(kind + bare, set()).add(target)
        plain = self.frame[~self.frame["code"].str.contains("@") & (self.frame["level"] == "region")
                           & (self.frame["territory"] != "pre2018")]
        for code, name in zip(plain["canonical"], plain["name_en"]):
            key = _name_key(name)
            found.setdefault(key, set()).add(code)
            if ":" in key:
                found.setdefault(key.partition(":")[2], set()).add(code)
        self.aliases = {k: next(iter(v)) for k, v in found.items() if len(v) == 1 and k}
        self.ambiguous = {k for k, v in found.items() if len(v) > 1}
        self.national = {_name_key(n) for n in self.NATIONAL_NAMES} | {n.upper() for n in self.NATIONAL_NAMES}

    def lookup(self, text: str) -> str | None:
        """The table's code for ``text`` in any code system or language; ``""`` for the whole country;
        ``None`` when unknown (or ambiguous)."""
        text = text.strip()
        if text in self.index:
            return text
        aliases = getattr(self, "aliases", {})
        for key in (text.upper(), _name_key(text)):
            if key in aliases:
                return aliases[key]
        if text.upper() in getattr(self, "national", ()) or _name_key(text) in getattr(self, "national", ()):
            return ""
        return None

    def __contains__(self, code: str) -> bool:
        return code in self.index

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, code: str) -> dict:
        return self.frame.loc[code].to_dict()

    @property
    def codes(self) -> list[str]:
        return list(self.index)


@dataclass
class Repository:
    root: str
    files: list[IndicatorFile] = field(repr=False)
    codes: CodeTable = field(repr=False)
    meta: dict = field(default_factory=dict, repr=False)
    translations: dict = field(default_factory=dict, repr=False)
    metadata_errors: list[RowError] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # files under data/ that are not indicator CSVs
    skipped: list[RowError] = field(default_factory=list)  # files or inputs not read, each with what was expected
    unchanged: list = field(default_factory=list)  # Unchanged: files whose content hash was given as known
    config: str = ""  # "config_data.yml" when its inputs chose the files

    @property
    def errors(self) -> list[RowError]:
        return [e for f in self.files for e in f.errors] + self.metadata_errors

    @property
    def warnings(self) -> list[RowError]:
        return [w for f in self.files for w in f.warnings]

    def file(self, indicator_id: str) -> IndicatorFile:
        for f in self.files:
            if f.indicator_id == indicator_id:
                return f
        raise KeyError(indicator_id)

    @property
    def frame(self) -> pd.DataFrame:
        """All accepted rows of all files, with an ``indicator_id`` column (handy for bulk inserts)."""
        parts = [f.frame.assign(indicator_id=f.indicator_id) for f in self.files if f.ok and len(f.frame)]
        if not parts:
            return pd.DataFrame(columns=["indicator_id", *BASE_COLUMNS])
        raw = _raw_union(self.files)
        frame = pd.concat(parts, ignore_index=True, sort=False)
        raw = [c for c in raw if c in frame.columns]
        return frame[["indicator_id", *BASE_COLUMNS, *raw]].fillna({c: "" for c in raw})

    # -- translations ------------------------------------------------------------------------------

    def translate(self, key, lang: str) -> str:
        """Resolve ``group.key`` through ``translations/<lang>/<group>.yml``; other text is returned as is."""
        if not isinstance(key, str):
            return "" if key is None else str(key)
        group, dot, rest = key.partition(".")
        if dot:
            text = self.translations.get(lang, {}).get(group, {}).get(rest)
            if text is not None:
                return text
        return key

    def _resolves(self, key, lang: str) -> bool:
        if not isinstance(key, str):
            return False
        group, dot, rest = key.partition(".")
        return bool(dot) and rest in self.translations.get(lang, {}).get(group, {})

    def titles(self, indicator_id: str, kind: str = "national", fits=None) -> dict[str, str]:
        """Indicator title in kk/ru/en.

        ``kind="national"`` (default): Kazakhstan's national indicator title
        (``national_indicators.<id>-title``, which is what the platform's ``graph_title`` and
        ``indicator_available`` point to), falling back to the global title.  ``kind="global"``: the UN
        title (``global_indicators.<id>-title``; ``indicator_name`` in the config).  A language with
        neither gets ``''``. ``fits(text, lang)``: a candidate it rejects (a literal in another language) is passed over.
        """
        m = self.meta.get(indicator_id, {})
        national = [m.get("graph_title"), m.get("indicator_available"), f"national_indicators.{indicator_id}-title"]
        global_ = [m.get("indicator_name"), f"global_indicators.{indicator_id}-title"]
        if kind == "national":
            order = national + global_
        elif kind == "global":
            order = global_ + national
        else:
            raise ValueError("kind must be 'national' or 'global'")
        out = {}
        for lang in LANGUAGES:
            out[lang] = next((t for t in (self._text(k, lang) for k in order) if t and (fits is None or fits(t, lang))), "")
        return out

    def _text(self, value, lang: str) -> str | None:
        """A metadata value as text: its translation if it is a key (``group.key`` with a known group),
        ``None`` if it is a key missing in this language, else the value itself (Open SDG shows literals)."""
        if not isinstance(value, str) or not value.strip():
            return None
        if self._resolves(value, lang):
            return self.translate(value, lang)
        group = value.partition(".")[0]
        if any(group in groups for groups in self.translations.values()):
            return None
        return value

    def unit(self, indicator_id: str) -> dict[str, str]:
        """Label of the indicator's unit in kk/ru/en from ``computation_units`` (e.g. ``UNIT_MEASURE.PT``).

        Without ``computation_units``: the single unit code used in the data, if there is exactly one.
        Untranslated keys fall back to the code; no unit at all gives ``{}``.
        """
        key = self.meta.get(indicator_id, {}).get("computation_units")
        if not key:
            try:
                units = [u for u in self.file(indicator_id).frame["unit"].unique() if u]
            except KeyError:
                units = []
            if len(units) != 1:
                return {}
            key = f"UNIT_MEASURE.{units[0]}"
        key = str(key)
        group, dot, code = key.partition(".")
        return {lang: self.translate(key, lang) if self._resolves(key, lang) else (code if dot else key) for lang in LANGUAGES}

    def column_labels(self) -> dict[tuple[str, str], dict[str, str]]:
        """Every disaggregation column of the accepted files (``(column, "")``) and each of its values
        (``(column, code)``) with labels in kk/ru/en from ``translations/`` -- ``<lang>/<column>.yml`` (SDMX-style
        groups such as ``SEX.yml``) or ``<lang>/data.yml`` (Open SDG's group for data columns and values); ``''``
        where the repository has none. Units and region columns are left out (they have their own tables)."""
        out: dict[tuple[str, str], dict[str, str]] = {}
        skip = {"Year", "Value", *UNIT_COLUMNS, *GEO_COLUMNS}
        for f in self.files:
            if not f.ok:
                continue
            for c in f.columns:
                if c in skip or c not in f.frame:
                    continue
                if (c, "") not in out:
                    out[(c, "")] = {lang: self._label_of(c, "", lang) for lang in LANGUAGES}
                for code in pd.unique(f.frame[c]):
                    if code != "" and (c, code) not in out:
                        out[(c, code)] = {lang: self._label_of(c, code, lang) for lang in LANGUAGES}
        return out

    def _label_of(self, column: str, code: str, lang: str) -> str:
        groups = self.translations.get(lang, {})
        if code == "":
            return groups.get("data", {}).get(column, "")
        return groups.get(column, {}).get(code) or groups.get("data", {}).get(code, "")

    def label(self, group: str, code: str, lang: str) -> str:
        """Label of a disaggregation value, e.g. ``label("SEX", "F", "ru")``; the code itself when untranslated."""
        if code == "":
            return ""
        return self.translations.get(lang, {}).get(group, {}).get(code, code)


# --------------------------------------------------------------------------------------------------
# code table

_NAME_NOISE = re.compile(r"\b(область|обл|облысы|region|oblysy|oblast|province)\b")
_CITY_MARK = re.compile(r"^(г|город|city of)\s+|\s+(қаласы|қ|city|г)$|\((city|қала|город)\)")


def _name_key(name: str) -> str:
    """A region name reduced for matching: case, ё/е, punctuation, "область/облысы/Region" dropped; a city marker
    (``г. Алматы``, ``Алматы қаласы``, ``Almaty (city)``, ``г_Алматы``) kept as a ``city:`` prefix."""
    text = " ".join(str(name).replace("_", " ").replace("ё", "е").replace("Ё", "Е").casefold().split())
    text = re.sub(r"[.,;:\"'«»]", " ", text)
    text = " ".join(text.split())
    city = bool(_CITY_MARK.search(text))
    text = _CITY_MARK.sub(" ", text)
    region = bool(_NAME_NOISE.search(text))
    text = " ".join(_NAME_NOISE.sub(" ", text).split())
    return ("city:" if city else "region:" if region else "") + text


def _resolve_path(path) -> Path:
    p = Path(path)
    if not p.is_absolute() and not p.exists() and (PROJECT_ROOT / p).exists():
        return PROJECT_ROOT / p
    return p


def load_code_table(path=DEFAULT_CODE_TABLE, crosswalk=DEFAULT_CROSSWALK) -> CodeTable:
    """Load ``fixtures/ref_area_codes.csv`` (relative paths are tried from the CWD, then the project root) and
    the region crosswalk (``fixtures/kz_regions_crosswalk.csv``; ``None``: codes of the table only)."""
    p = _resolve_path(path)
    frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table = CodeTable(frame, source=str(p))
    if crosswalk is not None:
        table.add_crosswalk(pd.read_csv(_resolve_path(crosswalk), dtype=str, keep_default_na=False, encoding="utf-8-sig"))
    return table


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


# --------------------------------------------------------------------------------------------------
# reading: vectorised validation of all parsed files at once


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


def _raw_union(files) -> list[str]:
    out: list[str] = []
    for f in files:
        for c in f.columns:
            if c not in out:
                out.append(c)
    return out


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


def _indicator_id(path: Path) -> str:
    """sdg-build's rule: the file name without its extension and without an ``indicator_`` prefix."""
    stem = Path(path).stem
    return stem[len("indicator_"):] if stem.startswith("indicator_") else stem


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


# --------------------------------------------------------------------------------------------------
# metadata and translations


def _load_yaml(path: Path, rel: str, errors: list[RowError]):
    try:
        return yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_YamlLoader)
    except UnicodeDecodeError as exc:
        errors.append(RowError(rel, 0, f"not UTF-8 text: {exc.reason}"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        errors.append(RowError(rel, (mark.line + 1) if mark else 0, f"invalid YAML: {getattr(exc, 'problem', exc)}"))
    return None


def _meta_yml(path: Path, rel: str, errors: list[RowError]):
    return _load_yaml(path, rel, errors)


def _meta_md(path: Path, rel: str, errors: list[RowError]):
    """A Jekyll/Open SDG ``.md`` metadata file: YAML front matter between ``---`` lines (the body is ignored)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        errors.append(RowError(rel, 0, f"not UTF-8 text: {exc.reason}"))
        return None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        errors.append(RowError(rel, 1, "no YAML front matter (expected a first line '---')"))
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        errors.append(RowError(rel, 1, "the YAML front matter is not closed (expected a line '---')"))
        return None
    try:
        return yaml.load("\n".join(lines[1:end]), Loader=_YamlLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        errors.append(RowError(rel, (mark.line + 2) if mark else 0, f"invalid YAML: {getattr(exc, 'problem', exc)}"))
        return None


def _pairs_to_meta(rows) -> dict:
    """(field, value) rows of a spreadsheet/CSV metadata file (sdg-build InputExcelMeta/InputCsvMeta): a first
    column that only numbers the rows is dropped, a header row such as ``Field name, Field value`` skipped."""
    meta = {}
    for row in rows:
        cells = ["" if c is None else (str(c).strip() if not isinstance(c, float) or c == c else "") for c in row]
        cells = [c for c in cells if c != ""]
        if len(cells) >= 3 and (cells[0].isdigit() or cells[0] in ("#", "№", "No", "N")):
            cells = cells[1:]  # a numbering column
        if len(cells) < 2:
            continue
        key, value = cells[0], cells[1]
        if key.casefold() in ("field", "field name", "key", "поле") and not meta:
            continue
        meta[key] = value
    return meta


def _meta_xlsx(path: Path, rel: str, errors: list[RowError]):
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            return _pairs_to_meta(sheet.iter_rows(values_only=True))
        finally:
            book.close()
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        errors.append(RowError(rel, 0, f"not a readable Excel file (expected field names and values in the first "
                                       f"sheet): {exc.__class__.__name__}"))
        return None


def _meta_csv(path: Path, rel: str, errors: list[RowError]):
    try:
        return _pairs_to_meta(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        errors.append(RowError(rel, 0, f"not a readable metadata CSV (field,value): {exc}"))
        return None


_META_READERS = {".yml": _meta_yml, ".yaml": _meta_yml, ".md": _meta_md, ".xlsx": _meta_xlsx, ".csv": _meta_csv}


def _load_metadata(root: Path, ids: set[str] | None, errors: list[RowError], paths: list[Path] | None = None) -> dict[str, dict]:
    """Metadata of every indicator: ``meta/*.yml``, ``meta/*.md`` (front matter), ``meta/*.xlsx``, ``meta/*.csv``
    (or the metadata inputs of ``config_data.yml``), then ``indicator-config/*.yml`` (wins on a shared key)."""
    meta: dict[str, dict] = {}
    if paths is None:
        paths = _default_meta_paths(root)
    for p in paths:
        inid = _indicator_id(p)
        if ids is not None and inid not in ids:
            continue
        rel = _rel(p, root)
        reader = _META_READERS.get(p.suffix.lower())
        if reader is None:
            continue
        data = reader(p, rel, errors)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            errors.append(RowError(rel, 0, f"expected a mapping, got {type(data).__name__}"))
            continue
        meta.setdefault(inid, {}).update({str(k): v for k, v in data.items() if k not in (None, "")})
    return meta


def _default_meta_paths(root: Path) -> list[Path]:
    out = []
    d = root / "meta"
    if d.is_dir():
        out += sorted(p for p in d.iterdir() if p.is_file() and p.suffix.lower() in _META_READERS)
    d = root / "indicator-config"
    if d.is_dir():
        out += sorted(d.glob("*.yml"))
    return out


def _rel(p: Path, root: Path) -> str:
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return str(p)


def _load_translations(root: Path, errors: list[RowError]) -> dict[str, dict[str, dict[str, str]]]:
    out: dict[str, dict[str, dict[str, str]]] = {}
    tdir = root / "translations"
    if not tdir.is_dir():
        return out
    for p in sorted(tdir.glob("*/*.yml")):
        rel = str(p.relative_to(root))
        data = _load_yaml(p, rel, errors)
        if data is None:  # an empty file (infographics.yml) is an empty group
            data = {}
        if not isinstance(data, dict):
            errors.append(RowError(rel, 0, f"expected a mapping, got {type(data).__name__}"))
            continue
        out.setdefault(p.parent.name, {})[p.stem] = {
            str(k): ("" if v is None else str(v)) for k, v in data.items() if not isinstance(v, (dict, list))
        }
    return out


#: sdg-build input classes (``inputs:`` of ``config_data.yml``) this reader follows, by what they hold.
DATA_INPUTS = {"InputCsvData": "csv", "InputSdmxMl_Structure": "sdmx", "InputSdmxMl_StructureSpecific": "sdmx",
               "InputSdmxMl_Multiple": "sdmx", "InputSdmxMl": "sdmx"}
META_INPUTS = {"InputYamlMdMeta", "InputYamlMeta", "InputExcelMeta", "InputCsvMeta"}
CONFIG_FILE = "config_data.yml"


@dataclass
class Inputs:
    """What a repository holds: data files (kind, path, indicator id), metadata files, and every file or input
    that will not be read, each with one line saying what was expected (``skipped``)."""

    data: list[tuple[str, Path, str]] = field(default_factory=list)
    meta: list[Path] = field(default_factory=list)
    skipped: list[RowError] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    config: str = ""


def _data_kind(p: Path) -> str | None:
    return {".csv": "csv", ".xml": "sdmx"}.get(p.suffix.lower())


def find_inputs(root) -> Inputs:
    """The files to read, as sdg-build would: the ``inputs`` of ``config_data.yml`` when it lists some (any
    ``path_pattern``, e.g. ``data/*.csv`` holding ``1-4-1.csv``), else ``data/*.csv`` (and SDMX-ML ``data/*.xml``),
    ``meta/*.{yml,md,xlsx,csv}`` and ``indicator-config/*.yml``."""
    root = Path(root)
    out = Inputs()
    cfg_path = root / CONFIG_FILE
    inputs = None
    if cfg_path.is_file():
        errors: list[RowError] = []
        cfg = _load_yaml(cfg_path, CONFIG_FILE, errors)
        out.skipped += errors
        if isinstance(cfg, dict) and isinstance(cfg.get("inputs"), list) and cfg["inputs"]:
            inputs = cfg["inputs"]
            out.config = CONFIG_FILE
    if inputs is None:
        ddir = root / "data"
        for p in sorted(ddir.iterdir()) if ddir.is_dir() else []:
            if not p.is_file():
                continue
            kind = _data_kind(p)
            if kind is None:
                out.ignored.append(_rel(p, root))
                out.skipped.append(RowError(_rel(p, root), 0, "not read: a data file is expected to be CSV "
                                                             "(Year, disaggregation columns, Value) or SDMX-ML (.xml)"))
                continue
            out.data.append((kind, p, _indicator_id(p)))
        out.meta = _default_meta_paths(root)
        return out
    data_seen, meta_seen = set(), set()
    for n, item in enumerate(inputs, start=1):
        where = f"{CONFIG_FILE} input {n}"
        if not isinstance(item, dict):
            out.skipped.append(RowError(CONFIG_FILE, 0, f"input {n} is not a mapping (expected class: and path_pattern:)"))
            continue
        cls = str(item.get("class") or "")
        pattern = str(item.get("path_pattern") or item.get("source") or "")
        if cls not in DATA_INPUTS and cls not in META_INPUTS:
            out.skipped.append(RowError(CONFIG_FILE, 0, f"input {n} ({cls or 'no class'}) not read: supported are "
                                                        f"{', '.join(sorted(DATA_INPUTS) + sorted(META_INPUTS))}"))
            continue
        if not pattern or "://" in pattern or pattern.startswith("/") or ".." in Path(pattern).parts:
            out.skipped.append(RowError(CONFIG_FILE, 0, f"input {n} ({cls}) not read: expected a path_pattern inside "
                                                        f"the repository, got {pattern!r}"))
            continue
        paths = sorted(p for p in root.glob(pattern) if p.is_file())
        if not paths:
            out.skipped.append(RowError(CONFIG_FILE, 0, f"input {n} ({cls}): no file matches {pattern!r}"))
            continue
        for p in paths:
            if cls in META_INPUTS:
                if p not in meta_seen and p.suffix.lower() in _META_READERS:
                    meta_seen.add(p)
                    out.meta.append(p)
                elif p.suffix.lower() not in _META_READERS:
                    out.skipped.append(RowError(_rel(p, root), 0, f"not read ({where}, {cls}): expected .yml, .md, .xlsx or .csv metadata"))
                continue
            kind = DATA_INPUTS[cls]
            if kind == "csv" and p.suffix.lower() != ".csv" or kind == "sdmx" and p.suffix.lower() != ".xml":
                out.skipped.append(RowError(_rel(p, root), 0, f"not read ({where}, {cls}): expected a "
                                                              f"{'.csv' if kind == 'csv' else '.xml'} file"))
                continue
            if p not in data_seen:
                data_seen.add(p)
                out.data.append((kind, p, _indicator_id(p)))
    ic = root / "indicator-config"
    if ic.is_dir():
        out.meta += [p for p in sorted(ic.glob("*.yml")) if p not in meta_seen]
    return out


# ---- SDMX-ML


_SDMX_TOTALS = ("_T", "_Z")
_SDMX_DROP = ("FREQ", "TIME_PERIOD", "INDICATOR", "value")


def sdmx_to_csv(path, rel: str, default_id: str) -> tuple[list[tuple[str, str]], list[RowError]]:
    """An SDMX-ML data message (SDMX 2.1 generic or structure-specific, read with the ``sdmx1`` library) as Open SDG
    CSV texts, one per indicator: ``TIME_PERIOD`` → Year, observation value → Value, every other dimension and
    attribute a column, totals (``_T``/``_Z``) empty. Indicators come from an ``INDICATOR`` dimension (``1.4.1`` →
    ``1-4-1``) or, without one, from the file name. Returns ``([(indicator_id, csv_text)], errors)``."""
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
        inid = str(inid).replace(".", "-")
        buf = io.StringIO()
        part[["Year", *dims, "Value"]].to_csv(buf, index=False, lineterminator="\n")
        out.append((inid, buf.getvalue()))
    return out, []


# ---- content hashes (skip unchanged files)


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def translations_digest(root) -> str:
    """One hash over ``translations/`` (every indicator's titles and labels depend on it)."""
    tdir = Path(root) / "translations"
    h = hashlib.sha256()
    for p in sorted(tdir.glob("*/*.yml")) if tdir.is_dir() else []:
        h.update(p.relative_to(tdir).as_posix().encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


@dataclass
class Unchanged:
    """A data file whose content hash (data + its metadata + translations) equals the one given as known."""

    indicator_id: str
    path: str
    digest: str


def read_repository(root, *, codes: CodeTable | None = None, only: set[str] | None = None,
                    duplicates: str = "error", metadata: bool = True, known: dict[str, str] | None = None) -> Repository:
    """Read and validate a whole Open SDG data repository.

    Which files: :func:`find_inputs` (``config_data.yml``'s inputs, else ``data/``, ``meta/``, ``indicator-config/``).
    Any disaggregation column is read (its labels come from ``translations/``); a region column in any code system
    or a column of region names is mapped through the code table and crosswalk (:func:`_map_geography`).

    ``only`` restricts to these indicator ids.  ``duplicates`` -- see :func:`read_indicator_csv`; note
    that the national set *has* repeated keys in 18 files, so importing it needs ``duplicates="first"``.
    ``metadata=False`` skips meta/, indicator-config/ and translations/ (data only).  ``known``: path → content
    hash of files imported before; a file whose hash is unchanged is not parsed but listed in ``repo.unchanged``.
    """
    root = Path(root)
    codes = codes if codes is not None else load_code_table()
    inputs = find_inputs(root)
    skipped = list(inputs.skipped)
    meta_by_id: dict[str, list[Path]] = {}
    for p in inputs.meta:
        meta_by_id.setdefault(_indicator_id(p), []).append(p)
    tdigest = translations_digest(root) if metadata else ""
    parsed, unchanged, digests, taken = [], [], {}, {}
    for kind, p, inid in inputs.data:
        rel = _rel(p, root)
        if only is not None and inid not in only and kind == "csv":
            continue
        raw = p.read_bytes()
        meta_bytes = [m.read_bytes() for m in meta_by_id.get(inid, ())] if metadata else []
        digest = _digest(raw, *meta_bytes, tdigest.encode(), duplicates.encode())  # a stricter read is a new read
        if known and known.get(rel) == digest:
            unchanged.append(Unchanged(inid, rel, digest))
            taken[inid] = rel
            continue
        if kind == "sdmx":
            texts, errors = sdmx_to_csv(p, rel, inid)
            skipped += errors
            pieces = [(i, t, False) for i, t in texts]
        else:
            pieces = [(inid, raw, True)]
        for piece_id, body, is_bytes in pieces:
            if only is not None and piece_id not in only:
                continue
            if piece_id in taken:
                skipped.append(RowError(rel, 0, f"not read: indicator {piece_id} is already read from {taken[piece_id]}"))
                continue
            taken[piece_id] = rel
            item = _parse_bytes(body, piece_id, rel, None) if is_bytes else _parse_text(body, piece_id, rel, None)
            parsed.append(item)
            digests[(piece_id, rel)] = digest
    files = []
    for f in _validate(parsed, codes, duplicates):
        if {e.reason for e in f.errors} == {"missing column 'Year'", "missing column 'Value'"}:
            skipped.append(RowError(f.path, 1, "not read: not an Open SDG data file (expected a header with Year, "
                                               "the disaggregation columns and Value)"))
            continue
        f.digest = digests.get((f.indicator_id, f.path), "")
        files.append(f)
    repo = Repository(str(root), files, codes, ignored=inputs.ignored)
    repo.skipped = skipped
    repo.unchanged = unchanged
    repo.config = inputs.config
    if metadata:
        wanted = {f.indicator_id for f in files}
        wanted = wanted if only is None else wanted & set(only)
        repo.meta = _load_metadata(root, wanted if (known or only is not None) else only, repo.metadata_errors,
                                   inputs.meta)
        if files or not known:
            repo.translations = _load_translations(root, repo.metadata_errors)
    return repo


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
