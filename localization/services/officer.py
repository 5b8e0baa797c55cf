"""An akimat officer's work list for their region ("my region's work", the page officers land on after sign-in).

Other apps add their own items through the app-config hook ``officer_tasks(user, region) -> list[dict]`` (the
budget app lists its cycles to run); localization never imports them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from localization.hooks import app_hooks
from django.db.models import Exists, Max, OuterRef

from ..models import Indicator, IndicatorValue, Region, RegionalTarget
from .values import Status, rejected_values

LIMIT = 15


@dataclass
class WorkList:
    region: Region
    to_enter: list = field(default_factory=list)  # (indicator, latest year elsewhere, region's latest year or None)
    to_enter_total: int = 0
    to_fix: list = field(default_factory=list)  # rejected entries (history records with .reason)
    awaiting: list = field(default_factory=list)  # the region's unverified values
    awaiting_total: int = 0
    targets_without_data: list = field(default_factory=list)  # approved targets with no value after the base year
    extra: list = field(default_factory=list)  # sections from other apps: {"key", "heading", "items", "empty"}


def values_to_enter(region: Region) -> list[tuple]:
    """Indicators whose latest total for the region is older than the latest any region has (localized first)."""
    totals = IndicatorValue.objects.filter(region__isnull=False, dims="")
    latest_any = dict(totals.values("indicator").annotate(y=Max("year")).values_list("indicator", "y"))
    mine = dict(totals.filter(region=region).values("indicator").annotate(y=Max("year")).values_list("indicator", "y"))
    behind = {pk: year for pk, year in latest_any.items() if mine.get(pk) is None or mine[pk] < year}
    indicators = Indicator.objects.filter(pk__in=behind).select_related("goal")
    rows = [(i, behind[i.pk], mine.get(i.pk)) for i in indicators]
    rows.sort(key=lambda r: (not r[0].localized, r[2] is not None, r[0].sort_key))
    return rows


def work_list(user, region: Region) -> WorkList:
    work = WorkList(region=region)
    rows = values_to_enter(region)
    work.to_enter, work.to_enter_total = rows[:LIMIT], len(rows)
    work.to_fix = rejected_values(region, limit=LIMIT)
    codes = dict(Indicator.objects.filter(pk__in={r.indicator_id for r in work.to_fix}).values_list("pk", "code"))
    for record in work.to_fix:
        record.indicator_code = codes.get(record.indicator_id, "")
        record.indicator_dotted = record.indicator_code.replace("-", ".")
    awaiting = (IndicatorValue.objects.filter(region=region, status=Status.UNVERIFIED)
                .select_related("indicator", "entered_by").order_by("-updated_at"))
    work.awaiting_total = awaiting.count()
    work.awaiting = list(awaiting[:LIMIT])
    later = IndicatorValue.objects.filter(indicator=OuterRef("indicator"), region=region, year__gt=OuterRef("base_year"))
    work.targets_without_data = list(
        RegionalTarget.objects.filter(region=region, status=RegionalTarget.Status.APPROVED)
        .annotate(has_later=Exists(later)).filter(has_later=False).select_related("indicator")
        .order_by("indicator__sort_key")[:LIMIT])
    for _config, hook in app_hooks("officer_tasks"):
        work.extra.extend(hook(user, region))
    return work
