"""The budget's part of an akimat officer's work list (localization's "my region's work" page asks through the
``officer_tasks`` app-config hook; localization never imports budget)."""
from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Cycle, Stage, in_region


def officer_tasks(user, region) -> list[dict]:
    """The region's participation-budget cycles that are not finished (before results), with their stage."""
    items = []
    cycles = Cycle.objects.filter(in_region(region)).select_related("district", "region").order_by("-year", "pk")
    for cycle in cycles:
        if cycle.stage_at_least(Stage.RESULTS):
            continue
        items.append({"title": cycle.name, "url": reverse("budget:cycle_detail", args=[cycle.pk]),
                      "note": f"{cycle.owner_name}: {cycle.get_stage_display()}"})
    return [{"key": "cycles", "heading": _("Participation budget cycles to run"), "items": items,
             "empty": _("No participation budget cycle is in progress in the region.")}]
