"""A whole repository: :class:`Repository` (files, metadata, translations, titles and labels) and
:func:`read_repository`, which reads it with content hashes to skip unchanged files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .codes import CodeTable, load_code_table
from .common import BASE_COLUMNS, GEO_COLUMNS, LANGUAGES, UNIT_COLUMNS, IndicatorFile, RowError, _indicator_id, _rel
from .csvread import _parse_bytes, _parse_text
from .layout import find_inputs
from .metadata import _load_metadata, _load_translations
from .sdmxml import sdmx_to_csv
from .validate import _validate


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


def _raw_union(files) -> list[str]:
    out: list[str] = []
    for f in files:
        for c in f.columns:
            if c not in out:
                out.append(c)
    return out


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
