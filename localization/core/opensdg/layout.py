"""Which files a repository holds: the ``inputs`` of ``config_data.yml`` (sdg-build input classes), else the
standard layout ``data/``, ``meta/``, ``indicator-config/`` (:func:`find_inputs`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .common import RowError, _indicator_id, _rel
from .metadata import _META_READERS, _default_meta_paths, _load_yaml


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
