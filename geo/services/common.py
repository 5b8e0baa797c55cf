"""Shared ground of :mod:`geo.services`: the heavy libraries (imported on first use), the codes and fixed sources
Aimaq cites, and the labels of statuses and projections."""
from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy

from config.lazy import lazy

# imported on first use (start-up stays lean)
gpd, np, pd, shapely = lazy("geopandas"), lazy("numpy"), lazy("pandas"), lazy("shapely")
cw, core, spatial = lazy("geo.core.crosswalk"), lazy("geo.core.gaps"), lazy("geo.core.spatial")

log = logging.getLogger(__name__)

POVERTY_CODE = "1-2-1"
GAS_CODE = "7-1-2"
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
OSM_SETTLEMENTS = FIXTURES / "settlements" / "kz_settlements_osm_hotosm.csv"
OSM_SOURCE = "OpenStreetMap (HOT export hotosm_kaz_populated_places_points), ODbL 1.0, \u00a9 OpenStreetMap contributors"
PLATFORM = "National SDG platform (Bureau of National Statistics)"
POPULATION_SOURCE = "Bureau of National Statistics, population on 1 January 2023"
CROSSWALK_NOTE = "estimated from pre-2022 regions (geo.core.crosswalk)"
SEED_DOCUMENTS = {
    "000_e3cedfe4388e2973.txt": "Voluntary National Review of Kazakhstan 2025 (VNR)",
    "004_a471b3897bac7629.txt": "UN Sustainable Development Cooperation Framework Kazakhstan 2026\u20132030 (CF)",
}
#: The reference for gasification when no regional or national target has been set: the VNR names universal
#: gasification as the goal (line 2306, "demonstrating incremental progress toward the goal of universal
#: gasification"), i.e. 100 % of the population.
GAS_REFERENCE = (100.0, "Voluntary National Review of Kazakhstan 2025 (VNR), 000_e3cedfe4388e2973.txt line 2306: "
                        "\u201cprogress toward the goal of universal gasification\u201d (100 %)")
RSS_REFERENCE = (100.0, "Regional Standards System: full provision = every applicable standard met (100 %)")
#: Units whose regional values are rates (a population-weighted mean is meaningful across a boundary change).
RATE_UNITS = {"PT", "PERCENT", "%", "PER_100000", "PER_1000", "PER_100"}

STATUS_LABELS = {
    "official": gettext_lazy("official statistics"),
    "verified": gettext_lazy("entered by the akimat, verified"),
    "unverified": gettext_lazy("entered by the akimat, not yet verified"),
    "estimate": gettext_lazy("estimate"),
    "published": gettext_lazy("published (VNR 2025)"),
    "crosswalk": gettext_lazy("estimate (crosswalk)"),
    "computed": gettext_lazy("computed from entered observations"),
    "old_territory": gettext_lazy("old territory"),
    "derived": gettext_lazy("derived"),
    "suspect": gettext_lazy("as published, suspect (outside the indicator's bounds; not used)"),
    "target_regional": gettext_lazy("approved regional target"),
    "target_national": gettext_lazy("national target (no regional target approved)"),
    "target_reference": gettext_lazy("reference (no target set)"),
}
PROJECTION_LABELS = {
    "target met": gettext_lazy("target met"),
    "on track": gettext_lazy("on track"),
    "not at this pace": gettext_lazy("not at this pace"),
    "insufficient data": gettext_lazy("insufficient data"),
    "no target": gettext_lazy("no target"),
}
