"""Draft of a Voluntary Local Review (VLR) for one region (sdg-methods §4), in the active language.

The draft has these sections, in this order (``SECTION_KEYS``): region profile, highlights (top gains and gaps),
progress goal by goal, indicators with values, targets and statuses, gaps compared with the national level,
People's Participation Budget projects by SDG, other contributed sections, data sources and method notes.
Every figure comes from the database with its source; missing data reads "no data". Texts that only people can
write (the akim's message, consultations, case studies) are left to the region and marked as such.

Extension point for other apps
------------------------------
``localization`` imports no other Aimaq app. An app further up the stack (the budget app for the People's
Participation Budget) adds content by defining a method on its ``AppConfig``::

    class BudgetConfig(AppConfig):
        def vlr_sections(self, region, lang):
            # region: localization.models.Region; lang: "kk" | "ru" | "en" (already active)
            return [{
                "key": "ppb",                      # "ppb" fills the PPB section; any other key adds a section
                "title": "…",                      # translated heading (optional for "ppb")
                "intro": "…",                      # optional paragraph
                "caption": "…",                    # optional table caption
                "columns": ["SDG", "Project", "Amount, KZT"],
                "rows": [[3, "…", 12000000], …],   # plain values; numbers are formatted, text is escaped
                "notes": ["…"],                    # optional paragraphs, e.g. the source of the figures
            }]

Sections are plain data (no HTML), so both the page and the downloadable file render them safely. A hook that
raises is logged and skipped so that one broken app does not take the review down.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from localization.hooks import app_hooks
from localization.models import Goal, Indicator, IndicatorValue, Region, current_lang
from localization.services.status import StatusBoard, fmt, fmt_pct, fmt_signed, summary_of

logger = logging.getLogger(__name__)

SECTIONS = [
    ("profile", gettext_lazy("Region profile")),
    ("highlights", gettext_lazy("Highlights")),
    ("goals", gettext_lazy("Progress goal by goal")),
    ("indicators", gettext_lazy("Indicators: values, targets and status")),
    ("gaps", gettext_lazy("Gaps compared with the national level")),
    ("ppb", gettext_lazy("People's Participation Budget projects by SDG")),
    ("sources", gettext_lazy("Data sources and method notes")),
]
SECTION_KEYS = [key for key, _title in SECTIONS]
TOP_N = 3


@dataclass
class ExtraSection:
    key: str
    title: str
    intro: str = ""
    caption: str = ""
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    app_label: str = ""


def _cell(value):
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, (int, float)):
        return fmt(float(value)) if isinstance(value, float) else fmt(float(value), 0)
    return str(value)


def contributed_sections(region: Region, lang: str) -> list[ExtraSection]:
    """Sections from every AppConfig that defines ``vlr_sections(region, lang)`` (see the module docstring)."""
    found = []
    for config, hook in app_hooks("vlr_sections"):
        try:
            items = list(hook(region, lang) or [])
        except Exception:  # one broken contributor must not break the review
            logger.exception("vlr_sections of %s failed for region %s", config.label, region.kato)
            continue
        for item in items:
            if not isinstance(item, dict) or not item.get("key"):
                continue
            found.append(ExtraSection(
                key=str(item["key"]), title=str(item.get("title") or ""), intro=str(item.get("intro") or ""),
                caption=str(item.get("caption") or ""), columns=[str(c) for c in item.get("columns") or []],
                rows=[[_cell(v) for v in row] for row in item.get("rows") or []],
                notes=[str(n) for n in item.get("notes") or []], app_label=config.label))
    return found


def indicators_marked(region: Region) -> list[Indicator]:
    """Every indicator (with its goal), each with ``in_region``: whether any value is stored for ``region`` (one
    query; the (region, indicator) index answers the EXISTS)."""
    stored = IndicatorValue.objects.filter(indicator=OuterRef("pk"), region=region)
    return list(Indicator.objects.select_related("goal").annotate(in_region=Exists(stored)))


def build_vlr(region: Region, lang: str | None = None, *, board: StatusBoard | None = None) -> dict:
    """Everything the VLR templates need for ``region`` in a constant number of queries (6, plus the contributed
    sections': the budget's is 1, or 3 with funded projects).

    Statuses are computed only for the indicators with a value stored for the region (about 60 of 273 in the
    national data): the others cannot have regional data, and their national series are not read at all."""
    lang = lang or current_lang()
    if board is None:
        indicators = indicators_marked(region)
        board = StatusBoard([i for i in indicators if i.in_region], regions=[region])
    else:
        indicators = board.indicators
    goals = list(Goal.objects.all())
    rows = [r for r in board.for_region(region) if r.has_data]
    localized_ids = {i.pk for i in indicators if i.localized}
    n_localized = len(localized_ids)
    n_localized_with_data = sum(1 for r in rows if r.indicator.pk in localized_ids)
    summary = board.region_summary(region, [r.indicator for r in rows])

    # Goal by goal (all 17 goals, even those without regional data), over the indicators with data.
    by_goal = defaultdict(list)
    for r in rows:
        by_goal[r.indicator.goal_id].append(r)
    goal_rows = [{"goal": goal, "summary": summary_of(by_goal.get(goal.pk, [])), "n_with_data": len(by_goal.get(goal.pk, []))}
                 for goal in goals]

    # Gaps vs national, and highlights.
    gaps = []
    for r in rows:
        gap = board.gap(r.indicator, region)
        if gap is not None:
            gaps.append({"row": r, "gap": gap, "difference": fmt_signed(gap.difference),
                         "relative": fmt_pct(gap.relative, 1) if gap.relative is not None else _("no data")})
    assessed = [r for r in rows if r.score is not None]
    # Achievements are real improvements only: the latest value better than the base-year value in the indicator's
    # direction (a rise in poverty from 0.6 to 2.4 is never listed, whatever a target says).
    gains = sorted((r for r in assessed if r.score > 0 and r.trend == "improving"),
                   key=lambda r: (-r.score, r.indicator.sort_key))[:TOP_N]
    worst_gaps = sorted((g for g in gaps if g["gap"].better is False and g["gap"].relative is not None),
                        key=lambda g: (-abs(g["gap"].relative), g["row"].indicator.sort_key))[:TOP_N]
    best_gaps = sorted((g for g in gaps if g["gap"].better is True and g["gap"].relative is not None),
                       key=lambda g: (-abs(g["gap"].relative), g["row"].indicator.sort_key))[:TOP_N]
    reversed_rows = sorted((r for r in assessed if r.summary == "reversed"),
                           key=lambda r: (r.score, r.indicator.sort_key))[:TOP_N]

    # Contributed sections: "ppb" fills the PPB section, anything else is appended before the sources.
    extra = contributed_sections(region, lang)
    ppb = [s for s in extra if s.key == "ppb"]
    others = [s for s in extra if s.key != "ppb"]

    sources = sorted({p.source_file for r in rows for p in r.points if p.source_file})
    n_unverified = sum(1 for r in rows for p in r.points if p.status == "unverified")
    n_targets_regional = sum(1 for r in rows if r.target_kind == "regional")
    sections = [{"key": key, "title": str(title), "number": n} for n, (key, title) in enumerate(SECTIONS, start=1)]
    for s in others:
        sections.insert(len(sections) - 1, {"key": f"extra-{s.key}", "title": s.title, "number": 0})
    for n, s in enumerate(sections, start=1):
        s["number"] = n
    return {
        "region": region,
        "lang": lang,
        "generated": timezone.localdate(),
        "sections": sections,
        "titles": {s["key"]: s["title"] for s in sections},
        "numbers": {s["key"]: s["number"] for s in sections},
        "summary": summary,
        "rows": rows,
        "goal_rows": goal_rows,
        "gaps": gaps,
        "gains": gains,
        "worst_gaps": worst_gaps,
        "best_gaps": best_gaps,
        "reversed_rows": reversed_rows,
        "ppb_sections": ppb,
        "extra_sections": others,
        "sources": sources,
        "n_unverified": n_unverified,
        "n_indicators_with_data": len(rows),
        "n_localized": n_localized,
        "n_localized_with_data": n_localized_with_data,
        "n_targets_regional": n_targets_regional,
    }
