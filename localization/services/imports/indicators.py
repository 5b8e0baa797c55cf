"""The Indicator rows an import owns: titles, units, source and links from ``meta/`` and ``translations/``."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ...models import Indicator
from ...reference import looks_russian
from .codes import sort_key
from .common import BATCH, FileRejected, References, opensdg

# ---------------------------------------------------------------------------------------------------------------
# indicators from meta + translations


def _text(repo: opensdg.Repository, key, lang: str = "en") -> str:
    """The text in ``lang`` (English by default) of a metadata value (a translation key such as
    ``sources.1-2-1-source_data_1``, or text)."""
    if not key:
        return ""
    if not isinstance(key, str):
        return str(key)
    text = repo.translate(key, lang)
    if text == key and "." in key and " " not in key:
        return ""  # an untranslated key is not text to show
    return " ".join(text.split())


#: The responsible body's fields and the language each is read in (the metadata's ``source_implementation_1``).
RESPONSIBLE_FIELDS = {"responsible_body": "en", "responsible_body_kk": "kk", "responsible_body_ru": "ru"}
#: The source's translations (``source_compilation_1`` — ``source_data_1``); English is ``source`` (plan values).
SOURCE_FIELDS = {"source_kk": "kk", "source_ru": "ru"}

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_KAZAKH = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_KEY_LIKE = re.compile(r"[\w-]+\.[\w.-]+")
_RUSSIAN_ENDINGS = re.compile(r"(ого|его|ой|ый|ий|ая|ия|ие|ые|ых|ения|ости)\b")


def _fits_language(text: str, lang: str) -> bool:
    """A literal title (no translation key) is one language: a Russian text must not become the English or Kazakh
    title of an indicator (a foreign repository often gives ``graph_title: Доля населения…``)."""
    if not text:
        return True
    if _KEY_LIKE.fullmatch(text):  # an untranslated key such as national_indicators.3-1-1-title is no title
        return False
    if lang == "en":
        return not _CYRILLIC.search(text)
    if lang == "kk":
        return bool(_KAZAKH.search(text)) or bool(_CYRILLIC.search(text)) and not looks_russian(text) and not _RUSSIAN_ENDINGS.search(text)
    if lang == "ru":
        return bool(_CYRILLIC.search(text)) and not _KAZAKH.search(text)
    return True


@dataclass
class IndicatorPlan:
    code: str
    values: dict
    targets: list[int]
    responsible: dict  # {field name: text}: the responsible body in en (``responsible_body``), kk and ru
    source_translations: dict | None = None  # {field name: text}: the source in kk and ru (``SOURCE_FIELDS``)


def plan_indicator(repo: opensdg.Repository, indicator_id: str, frame, refs: References, path: str) -> IndicatorPlan:
    """The Indicator fields an import owns, the SDG target it links to and the responsible body.

    Fields a statistics officer maintains (direction, category, baseline, target, ranges, series breaks) are
    not touched; the responsible body and the kk/ru source are filled from the metadata only while empty.
    """
    parts = indicator_id.split("-")
    if len(parts) < 3 or not parts[0].isdigit() or int(parts[0]) not in refs.goals or len(indicator_id) > 24:
        raise FileRejected([f"{path}:0: {indicator_id!r} is not a national indicator code (goal-target-indicator, e.g. 1-2-1)"])
    meta = repo.meta.get(indicator_id, {})
    titles = repo.titles(indicator_id, fits=_fits_language)
    unit = ""
    computation_units = meta.get("computation_units")
    if isinstance(computation_units, str) and computation_units:
        unit = computation_units.partition(".")[2] or computation_units
    elif frame is not None and len(frame):
        units = [u for u in frame["unit"].unique() if u]
        unit = units[0] if len(units) == 1 else ""
    # Unit labels only where the repository translates the code (repo.unit falls back to the code itself).
    labels = {lang: text for lang, text in (repo.unit(indicator_id) if unit else {}).items() if text and text != unit}
    compilation, data = _text(repo, meta.get("source_compilation_1")), _text(repo, meta.get("source_data_1"))
    global_pk = refs.global_by_code.get(".".join(parts[:3]))
    if global_pk is None:
        title = _text(repo, meta.get("indicator_name"))
        global_pk = refs.global_by_title.get(title.lower()) if title else None
    values = {
        "sort_key": sort_key(indicator_id),
        "goal_id": refs.goals[int(parts[0])],
        "title_kk": titles.get("kk", ""),
        "title_ru": titles.get("ru", ""),
        "title_en": titles.get("en", ""),
        "unit": unit[:40],
        "unit_kk": labels.get("kk", "")[:120],
        "unit_ru": labels.get("ru", "")[:120],
        "unit_en": labels.get("en", "")[:120],
        "customisation": _text(repo, meta.get("customisation"))[:40],
        "reporting_status": str(meta.get("reporting_status") or "")[:20],
        "source": _source(compilation, data),
        "global_indicator_id": global_pk,
    }
    target_pk = refs.targets.get(f"{parts[0]}.{parts[1]}")
    key = meta.get("source_implementation_1")
    responsible = {field: _text(repo, key, lang)[:300] for field, lang in RESPONSIBLE_FIELDS.items()}
    if responsible["responsible_body"] == "":
        responsible = {}
    sources = {}
    for field, lang in SOURCE_FIELDS.items():
        texts = [_text(repo, meta.get(k), lang) for k in ("source_compilation_1", "source_data_1")]
        # A literal text (no translation key) is the same in every language: English is no Kazakh source.
        text = _source(*(t if _fits_language(t, lang) else "" for t in texts))
        if text and text != values["source"]:
            sources[field] = text
    return IndicatorPlan(indicator_id, values, [target_pk] if target_pk else [], responsible, sources)


def _source(compilation: str, data: str) -> str:
    """The source text, "compiling body — data collection", clipped to the field (a clipped text ends clean)."""
    return " — ".join(x for x in (compilation, data) if x)[:300].rstrip()


def apply_indicators(plans: list[IndicatorPlan], refs: References, *, user, reason: str) -> dict[str, Indicator]:
    """Create or update the indicators (bulk, with history) and add missing target links; returns code → row.

    Works on copies of the cached rows: the caller stores them in ``refs`` once the transaction committed."""
    out: dict[str, Indicator] = {}
    new, changed, fields = [], [], set()
    for plan in plans:
        cached = refs.indicators.get(plan.code)
        if cached is None:
            indicator = Indicator(code=plan.code, **plan.responsible, **(plan.source_translations or {}), **plan.values)
            new.append(indicator)
        else:
            indicator = copy.copy(cached)
            # An import fills and corrects, it never blanks: a repository without meta/ or translations/ (such as
            # an Aimaq download) leaves the titles, units and links it does not carry as they are.
            diff = [k for k, v in plan.values.items() if v not in ("", None) and getattr(indicator, k) != v]
            filled = {**plan.responsible, **(plan.source_translations or {})}
            for field, text in filled.items():  # filled while empty: an officer's wording stays
                if text and not getattr(indicator, field):
                    setattr(indicator, field, text)
                    diff.append(field)
            for key in diff:
                if key in plan.values:
                    setattr(indicator, key, plan.values[key])
            if diff:
                changed.append(indicator)
                fields.update(diff)
        out[plan.code] = indicator
    if new:
        bulk_create_with_history(new, Indicator, batch_size=BATCH, default_user=user, default_change_reason=reason)
        missing_pk = [i.code for i in new if i.pk is None]
        if missing_pk:  # databases that cannot return keys from a bulk insert
            keys = dict(Indicator.objects.filter(code__in=missing_pk).values_list("code", "pk"))
            for indicator in new:
                indicator.pk = indicator.pk or keys[indicator.code]
    if changed:
        bulk_update_with_history(changed, Indicator, sorted(fields), batch_size=BATCH, default_user=user,
                                 default_change_reason=reason)
    through = Indicator.targets.through
    links = []
    for plan in plans:
        indicator = out[plan.code]
        have = refs.indicator_targets.get(indicator.pk, set()) if plan.code in refs.indicators else set()
        # An import links targets; it never removes links made by hand.
        links += [through(indicator_id=indicator.pk, target_id=t) for t in plan.targets if t not in have]
    if links:
        through.objects.bulk_create(links, ignore_conflicts=True)
    return out
