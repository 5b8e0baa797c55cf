"""The budget's part of an akimat officer's work list (localization's "my region's work" page asks through the
``officer_tasks`` app-config hook; localization never imports budget)."""
from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Cycle, Stage, stage_index


def officer_tasks(user, region) -> list[dict]:
    """The region's participation-budget cycles that are not finished (before results), with their stage."""
    items = []
    cycles = Cycle.objects.filter(district__region=region).select_related("district").order_by("-year", "pk")
    for cycle in cycles:
        stage = cycle.stage()
        if stage_index(stage) >= stage_index(Stage.RESULTS):
            continue
        items.append({"title": cycle.name, "url": reverse("budget:cycle_detail", args=[cycle.pk]),
                      "note": f"{cycle.district.name}: {Stage(stage).label}"})
    return [{"key": "cycles", "heading": _("Participation budget cycles to run"), "items": items,
             "empty": _("No participation budget cycle is in progress in the region.")}]
