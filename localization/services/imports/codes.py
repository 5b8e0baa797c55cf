"""The REF_AREA/GeoCode table, indicator sort keys and the ``dims`` key of a row (shared with
:mod:`localization.services.values`)."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .common import opensdg

# ---------------------------------------------------------------------------------------------------------------
# helpers shared with values.py


_CODES: opensdg.CodeTable | None = None


def code_table() -> opensdg.CodeTable:
    """The REF_AREA/GeoCode table (``fixtures/ref_area_codes.csv``), read once per process."""
    global _CODES
    if _CODES is None:
        _CODES = opensdg.load_code_table(Path(settings.BASE_DIR) / opensdg.DEFAULT_CODE_TABLE)
    return _CODES


def sort_key(code: str) -> str:
    """``1-2-1`` → ``01.02.01``; ``17-a-1`` → ``17.za.01``; ``10-5-1-1`` → ``10.05.01.01``."""
    return ".".join(f"{int(p):02d}" if p.isdigit() else f"z{p}" for p in code.split("-"))


def parse_dims(dims: str) -> dict[str, str]:
    """``"SEX=F|URBANISATION=U"`` → ``{"SEX": "F", "URBANISATION": "U"}`` (the reader's canonical key)."""
    if not dims:
        return {}
    return dict(part.split("=", 1) for part in dims.split("|"))


def dims_key(mapping: dict[str, str]) -> str:
    """Inverse of :func:`parse_dims`: columns sorted, empty values left out (the reader's rule)."""
    return "|".join(f"{k}={v}" for k, v in sorted(mapping.items()) if v != "")
