"""Sources and numbers as the pages print them: source strings cleaned, split and translated; numbers in the page
language."""
from __future__ import annotations

import math
import re

from django.utils.translation import gettext as _

from localization.models import current_lang

from .common import CROSSWALK_NOTE, PLATFORM, POPULATION_SOURCE, RSS_REFERENCE, SEED_DOCUMENTS, pd


def clean_source(text) -> str:
    """A source string safe for :func:`geo.core.gaps.combine_sources` (which splits on ``;``)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return " ".join(str(text).replace(";", ",").split())


_LINE = re.compile(r"(\S+\.(?:csv|txt)) line (\d+)")


def localize_source(text) -> str:
    """A source string in the active language: the fixed phrases Aimaq writes are translated; file names, line
    numbers and quotes from the documents stay as they are (a quote is exact, so it stays in English)."""
    if not isinstance(text, str) or not text:
        return ""
    phrases = [
        (PLATFORM, _("National SDG platform (Bureau of National Statistics)")),
        (POPULATION_SOURCE, _("Bureau of National Statistics, population on 1 January 2023")),
        (CROSSWALK_NOTE, _("estimated from pre-2022 regions (geo.core.crosswalk)")),
        ("pre-2022 territory", _("pre-2022 territory")),
        (RSS_REFERENCE[1], _("Regional Standards System: full provision = every applicable standard met (100 %)")),
        (SEED_DOCUMENTS["000_e3cedfe4388e2973.txt"], _("Voluntary National Review of Kazakhstan 2025 (VNR)")),
        (SEED_DOCUMENTS["004_a471b3897bac7629.txt"],
         _("UN Sustainable Development Cooperation Framework Kazakhstan 2026–2030 (CF)")),
        ("entered in Aimaq", _("entered in Aimaq")),
    ]
    for english, local in phrases:
        text = text.replace(english, str(local))
    return _LINE.sub(lambda m: _("%(file)s line %(n)s") % {"file": m.group(1), "n": m.group(2)}, text)


def split_sources(text) -> list[str]:
    if not isinstance(text, str) or not text:
        return []
    return [part.strip() for part in text.split(";") if part.strip()]


def number(value):
    """A float, or None for missing values (NaN, NA, None)."""
    if value is None or value is pd.NA:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


# ---------------------------------------------------------------------------------------------------------------
# number formatting in the page language


def fmt_number(value, decimals: int = 1, lang: str | None = None) -> str:
    """``1234.5`` → ``1 234,5`` (kk, ru) or ``1,234.5`` (en); ``""`` for missing values; ``∞`` for infinity."""
    value = number(value)
    if value is None:
        return ""
    if math.isinf(value):
        return "\u221e"
    lang = lang or current_lang()
    text = f"{abs(value):,.{decimals}f}"
    if lang in ("kk", "ru"):
        text = text.replace(",", "\u00a0").replace(".", ",")
    return ("\u2212" if value < 0 and float(f"{abs(value):.{decimals}f}") != 0 else "") + text


BOUND_SYMBOLS = {"le": "\u2264\u00a0", "ge": "\u2265\u00a0", "lt": "<\u00a0", "gt": ">\u00a0", "approx": "\u2248\u00a0"}
