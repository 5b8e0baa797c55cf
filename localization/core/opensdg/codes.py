"""Region codes: the code table (``fixtures/ref_area_codes.csv``), its crosswalk to other code systems and
region names, and :func:`load_code_table`."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .common import _ALIAS, _CONTEXT_KEY, DEFAULT_CODE_TABLE, DEFAULT_CROSSWALK, LEVELS, PROJECT_ROOT, TERRITORIES


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
