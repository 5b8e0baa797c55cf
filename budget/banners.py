"""Home-page banners of the budget app: "voting is open" for every cycle in voting in the visitor's region.

``localization.views.pages.home`` asks every AppConfig for ``home_banners(request)`` (localization may not import budget).
The visitor's region: a resident's registration district's region, an officer's region; anonymous visitors and
others see every cycle in voting. Each banner is ``{"title", "text", "url", "action"}``, already translated.
"""
from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .models import Cycle, Stage, in_region


def visitor_region_id(request) -> int | None:
    user = request.user
    if not user.is_authenticated:
        return None
    profile = getattr(user, "resident", None)
    if profile is not None:
        return profile.district.region_id
    return getattr(user, "region_id", None)


def cycles_in_voting(region_id: int | None, today: dt.date | None = None) -> list[Cycle]:
    today = today or timezone.localdate()
    # Candidates by date or by a manual override; the stage itself is decided by Cycle.stage().
    qs = Cycle.objects.filter(
        Q(voting_start__lte=today, voting_end__gte=today) | Q(stage_override=Stage.VOTING)
    ).select_related("district__region", "region")
    if region_id is not None:
        qs = qs.filter(in_region(region_id))
    return [c for c in qs.order_by("voting_end", "id") if c.stage(today) == Stage.VOTING]


def home_banners(request) -> list[dict]:
    banners = []
    for cycle in cycles_in_voting(visitor_region_id(request)):
        until = formats.date_format(cycle.voting_end, "j E")
        banners.append({
            "title": _("Voting is open: %(cycle)s") % {"cycle": cycle.name},
            "text": _("Residents of %(place)s choose the projects to fund, until %(date)s.") % {
                "place": cycle.owner_name, "date": until},
            "url": reverse("budget:cycle_detail", args=[cycle.pk]) + "#buckets",
            "action": _("Vote — until %(d)s") % {"d": until},
        })
    return banners
