"""Labels of disaggregation columns and codes (``SEX`` → "Жынысы", ``F`` → "әйелдер") in kk/ru/en.

Read from the national repository's own translations (fixtures/kazstat-sdg-data/translations/<lang>/<COLUMN>.yml),
which the product ships; a code without a label is shown as the code.
"""
from __future__ import annotations

from functools import lru_cache

import yaml

from ..models import IndicatorValue, current_lang
from . import imports
from .values import dimensions


@lru_cache(maxsize=64)
def _column(column: str, lang: str) -> dict[str, str]:
    path = imports.NATIONAL_REPOSITORY / "translations" / lang / f"{column}.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return {str(k): " ".join(str(v).split()) for k, v in data.items()} if isinstance(data, dict) else {}


def column_label(column: str, lang: str | None = None) -> str:
    return _column(column, lang or current_lang()).get(column) or column


def code_label(column: str, code: str, lang: str | None = None) -> str:
    return _column(column, lang or current_lang()).get(code) or code


def known_disaggregation(indicator) -> dict[str, list[str]]:
    """Column → the codes the indicator's values use (columns in the order of DIMENSIONS, codes sorted)."""
    found: dict[str, set[str]] = {}
    for dims in IndicatorValue.objects.filter(indicator=indicator).exclude(dims="").values_list("dims", flat=True).distinct():
        for column, code in imports.parse_dims(dims).items():
            found.setdefault(column, set()).add(code)
    return {column: sorted(found[column]) for column in dimensions() if column in found}


def known_units(indicator) -> list[str]:
    """The unit codes of the indicator's values, the indicator's own unit first."""
    units = set(IndicatorValue.objects.filter(indicator=indicator).values_list("unit", flat=True).distinct())
    units.discard("")
    first = [indicator.unit] if indicator.unit else []
    return first + sorted(units - set(first))
