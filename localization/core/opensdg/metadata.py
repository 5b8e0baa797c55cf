"""Metadata and translations: ``meta/*.{yml,md,xlsx,csv}`` and ``indicator-config/*.yml`` per indicator, and
``translations/<lang>/<group>.yml``. openpyxl is imported only when an ``.xlsx`` metadata file is read."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from .common import RowError, _indicator_id, _rel

try:  # libyaml is ~10x faster; fall back to the pure-Python loader
    _YamlLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader


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
