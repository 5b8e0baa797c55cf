"""The unit catalogue: every unit the national SDG data uses, named in Kazakh, Russian and English.

The national platform names its units by ``UNIT_MEASURE`` codes (``PT``, ``PER_100000_POP``) whose labels are
translated unevenly (some only in Russian), and many indicators give the unit as Russian text in their metadata
(``computation_units: data.на 100 тыс.родившихся живыми``). :func:`lookup` maps either form to one code of the
catalogue and :func:`label` gives the reader's label in their language, so no kk or en page shows a Russian unit.

Plain data, no Django: ``config/i18n.py check`` and the tests read it directly.
"""
from __future__ import annotations

import re

#: code → (kk, ru, en)
CATALOGUE: dict[str, tuple[str, str, str]] = {
    "PT": ("пайыз", "процент", "percent"),
    "PT_BY_2005": ("2005 жылға пайызбен", "в процентах к 2005 году", "percent of the 2005 level"),
    "PT_GDP": ("ЖІӨ-ге пайызбен", "в процентах к ВВП", "percent of GDP"),
    "PT_IN_2010_PRICE": ("пайыз, 2010 жылғы бағамен", "процент, в ценах 2010 года", "percent, at 2010 prices"),
    "PT_PREV_Y": ("өткен жылға пайызбен", "в процентах к предыдущему году", "percent of the previous year"),
    "PERSONS": ("адам", "человек", "persons"),
    "TH_PEOPLE": ("мың адам", "тыс. человек", "thousand persons"),
    "PER_1000000_POP": ("млн адам", "млн человек", "million persons"),
    "PER_100000_POP": ("100 000 халыққа шаққанда", "на 100 000 населения", "per 100,000 population"),
    "PER_1000_POP": ("1000 халыққа шаққанда", "на 1000 населения", "per 1,000 population"),
    "PER_100000_ADL": ("100 000 ересекке шаққанда", "на 100 000 взрослых", "per 100,000 adults"),
    "PER_100000_LIVE_BIRTHS": ("100 000 тірі туылғанға шаққанда", "на 100 000 родившихся живыми",
                               "per 100,000 live births"),
    "PER_1000_LIVE_BIRTHS": ("1000 тірі туылғанға шаққанда", "на 1000 родившихся живыми", "per 1,000 live births"),
    "PER_1000_UNINFECTED_POP": ("1000 жұқтырмаған адамға шаққанда", "на 1000 неинфицированных",
                                "per 1,000 uninfected population"),
    "PER_1000_employees": ("1000 қызметкерге шаққанда", "на 1000 работников", "per 1,000 workers"),
    "PER_1000_WOM_AGGR": ("тиісті жас тобындағы 1000 әйелге шаққанда", "на 1000 женщин соответствующей возрастной группы",
                          "per 1,000 women in the age group"),
    "NUM_ATM_PER_100000_ADL": ("100 000 ересекке шаққандағы банкоматтар саны", "число банкоматов на 100 000 взрослых",
                               "ATMs per 100,000 adults"),
    "NUM_CBBR_PER_100000_ADL": ("100 000 ересекке шаққандағы коммерциялық банктер филиалдарының саны",
                                "число филиалов коммерческих банков на 100 000 взрослых",
                                "commercial bank branches per 100,000 adults"),
    "UNITS": ("бірлік", "единиц", "units"),
    "TH_UNITS": ("мың бірлік", "тыс. единиц", "thousand units"),
    "TNG": ("теңге", "тенге", "tenge"),
    "TH_TNG": ("мың теңге", "тыс. тенге", "thousand tenge"),
    "M_TNG": ("млн теңге", "млн тенге", "million tenge"),
    "B_TNG": ("млрд теңге", "млрд тенге", "billion tenge"),
    "M_USD": ("млн АҚШ доллары", "млн долларов США", "million US dollars"),
    "USD_IN_2010_PRICE": ("АҚШ долларымен, 2010 жылғы бағамен", "в долларах США, в ценах 2010 года",
                          "US dollars, at 2010 prices"),
    "TH_HA": ("мың гектар", "тыс. гектаров", "thousand hectares"),
    "SQ_METER": ("шаршы метр", "кв. м", "square metres"),
    "M_METER3": ("млн м³", "млн м³", "million m³"),
    "METER3_TH_TNG": ("мың теңгеге шаққанда м³", "м³ на тыс. тенге", "m³ per thousand tenge"),
    "MG_CUB_METER": ("мг/м³", "мг/м³", "mg/m³"),
    "T": ("тонна", "тонн", "tonnes"),
    "T_Y": ("жылына тонна", "тонн в год", "tonnes per year"),
    "M_T": ("млн тонна", "млн тонн", "million tonnes"),
    "M_T_Y": ("жылына млн тонна", "млн тонн в год", "million tonnes per year"),
    "T_PERCAP": ("халықтың жан басына шаққанда тонна", "тонн на душу населения", "tonnes per capita"),
    "T_CO2": ("халықтың жан басына шаққанда СО2-эквивалент тонна", "тонн СО2-экв. на душу населения",
              "tonnes of CO2 equivalent per capita"),
    "kg_CO2": ("халықаралық долларға шаққанда кг СО2-экв.", "кг СО2-экв. на международный доллар",
               "kg CO2 equivalent per international dollar"),
    "TNE_TH_TNG": ("2010 жылғы бағамен мың АҚШ долларына шаққанда мұнай эквивалентінің тоннасы",
                   "тнэ на тыс. долл. США в ценах 2010 года",
                   "tonnes of oil equivalent per thousand US dollars, at 2010 prices"),
    "MW": ("МВт", "МВт", "MW"),
}

LANGS = ("kk", "ru", "en")

#: Other spellings found in the national data (codes and the text of ``computation_units``) → catalogue code.
ALIASES: dict[str, str] = {
    "million USD": "M_USD",
    "млн.долларов США": "M_USD",
    "млн.долл.США": "M_USD",
    "человек": "PERSONS",
    "на 100 000 человек": "PER_100000_POP",
    "на 100000 человек": "PER_100000_POP",
    "единиц": "UNITS",
    "тыс.гектар": "TH_HA",
    "на 1000 родившихся": "PER_1000_LIVE_BIRTHS",
    "на 100 тыс.родившихся живыми": "PER_100000_LIVE_BIRTHS",
    "тнэ на тыс.долл. США в ценах 2010 года": "TNE_TH_TNG",
    "млн.тонн/год": "M_T_Y",
    "кв.м.": "SQ_METER",
    "кв.метр": "SQ_METER",
    "PT, в ценах 2010 года": "PT_IN_2010_PRICE",
    "в процентах к 2005 году": "PT_BY_2005",
    "на 1 000 женщин в данной возрастной группе": "PER_1000_WOM_AGGR",
    "мг/метр куб": "MG_CUB_METER",
    "млн.м3": "M_METER3",
    "м³/тыс.тенге": "METER3_TH_TNG",
    "кг СО2-экв/межд.доллар": "kg_CO2",
    "тонн СО2-экв/душу населения": "T_CO2",
    "Percent": "PT",
    "%": "PT",
}


def normalise(text: str) -> str:
    """Case, spacing and punctuation variants of one label compare equal (``тыс.гектаров`` = ``тыс. гектаров``)."""
    text = (text or "").replace("\u00a0", " ").replace("³", "3").replace(".", " ").casefold()
    text = re.sub(r"\s*([/,])\s*", r"\1", text)
    text = re.sub(r"(\d) (\d{3})\b", r"\1\2", text)  # 100 000 → 100000
    return re.sub(r"\s+", " ", text).strip(" .")


def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, labels in CATALOGUE.items():
        index[normalise(code)] = code
        for text in labels:
            index.setdefault(normalise(text), code)
    for text, code in ALIASES.items():
        index[normalise(text)] = code
    return index


_INDEX = _index()


def lookup(text: str) -> str | None:
    """The catalogue code of a unit code or label in any language (``data.``/``UNIT_MEASURE.`` prefixes allowed)."""
    if not text:
        return None
    text = str(text).strip()
    if text in CATALOGUE:
        return text
    for prefix in ("UNIT_MEASURE.", "data."):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return CATALOGUE.get(text) and text or _INDEX.get(normalise(text))


def label(text: str, lang: str) -> str | None:
    """The unit named by ``text`` (code or label) in ``lang`` (kk, ru or en); None when the catalogue lacks it."""
    code = lookup(text)
    if code is None:
        return None
    return CATALOGUE[code][LANGS.index(lang) if lang in LANGS else 0]
