"""Where a proposal is: the pin inside the cycle's territory, and the settlement's RSS gap from the geo app."""
from __future__ import annotations

import json
import logging
from functools import lru_cache

from django.utils.translation import gettext as _

from geo.models import Boundary

from ..models import Cycle, Proposal
from .common import BudgetError

log = logging.getLogger(__name__)

@lru_cache(maxsize=64)
def _shape(boundary_pk: int, geometry_len: int, geometry: str):
    from shapely import prepare
    from shapely.geometry import shape

    geom = shape(json.loads(geometry))
    prepare(geom)
    return geom


def area_boundary(cycle: Cycle) -> Boundary | None:
    if cycle.district_id:
        return Boundary.objects.filter(layer=Boundary.Layer.DISTRICTS_2024, district_id=cycle.district_id).first()
    return Boundary.objects.filter(layer=Boundary.Layer.REGIONS_2024, region_id=cycle.region_id).first()


def check_point_in_area(cycle: Cycle, lat: float, lon: float) -> None:
    """Refuse a pin outside the cycle's district (or, for a city cycle, outside the city)."""
    from shapely.geometry import Point

    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BudgetError(_("These are not valid coordinates."), "bad_coordinates", "lat")
    boundary = area_boundary(cycle)
    if boundary is None:
        raise BudgetError(
            _("The boundary of %(place)s is not loaded, so the location cannot be checked. Please tell the akimat.")
            % {"place": cycle.owner_name},
            "no_boundary",
            "lat",
        )
    geom = _shape(boundary.pk, len(boundary.geometry), boundary.geometry)
    if not geom.covers(Point(lon, lat)):
        raise BudgetError(
            _("The location is outside %(place)s. Put the pin inside the boundary shown on the map.")
            % {"place": cycle.owner_name},
            "outside_area",
            "lat",
        )


#: A settlement point farther than this from the project is not "the settlement it sits in".
RSS_MAX_DISTANCE_KM = 10.0


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    from math import asin, cos, radians, sin, sqrt

    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    h = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * 6371.0 * asin(sqrt(h))


def settlement_context(proposal: Proposal) -> dict | None:
    """The settlement the proposal sits in and its gap under the Regional Standards System (RSS), if data exist.

    The geo app owns settlements and RSS provision. If it offers ``geo.services.rss_at_point(lat, lon)``
    (returning ``{"settlement", "gap" (percent of applicable standards not met), "priority", "source"}`` or None)
    that is used. Otherwise the settlement is the nearest settlement point of the cycle's territory (within
    :data:`RSS_MAX_DISTANCE_KM`), its gap is geo's RSS provision computed from entered observations (latest year
    in which it was assessed) and the priority flag says it is among the region's priority settlements. Without
    such data the page says "no data": nothing is estimated here.
    """
    try:
        from geo import services as geo_services
        from geo.models import Settlement
    except ImportError:
        return None
    try:
        finder = getattr(geo_services, "rss_at_point", None)
        if callable(finder):
            found = finder(proposal.lat, proposal.lon)
            if not found or found.get("gap") is None:
                return None
            return {"settlement": found.get("settlement", ""), "gap": round(float(found["gap"]), 1),
                    "priority": bool(found.get("priority")), "source": found.get("source", "")}
        return _rss_from_geo(proposal, geo_services, Settlement)
    except Exception:  # an optional layer must never break the proposal page
        log.exception("RSS lookup failed for proposal %s", proposal.pk)
        return None


def _rss_from_geo(proposal: Proposal, geo_services, Settlement) -> dict | None:
    import math

    cycle = proposal.cycle
    qs = Settlement.objects.filter(lat__isnull=False, lon__isnull=False)
    qs = qs.filter(district_id=cycle.district_id) if cycle.district_id else qs.filter(region_id=cycle.region_id)
    candidates = list(qs.only("pk", "lat", "lon", "name_kk", "name_ru", "name_en"))
    if not candidates:
        return None
    nearest = min(candidates, key=lambda s: _km(proposal.lat, proposal.lon, s.lat, s.lon))
    if _km(proposal.lat, proposal.lon, nearest.lat, nearest.lon) > RSS_MAX_DISTANCE_KM:
        return None
    region_kato = cycle.owner_region.kato
    computed = geo_services.rss_computed(region=region_kato)
    for year in sorted(computed, reverse=True):
        per = computed[year].settlements
        row = per[per["settlement_id"] == nearest.pk]
        if len(row) and row["gap"].notna().iloc[0]:
            gap = float(row["gap"].iloc[0])
            priority = False
            if year == max(computed) and hasattr(geo_services, "priority_list"):
                top, _year = geo_services.priority_list(region_kato)
                priority = len(top) > 0 and nearest.pk in set(top["settlement_id"])
            source = row["source"].iloc[0] if "source" in row and isinstance(row["source"].iloc[0], str) else ""
            return {"settlement": nearest.name, "gap": round(gap, 1) if math.isfinite(gap) else None,
                    "priority": priority, "source": f"{source} ({year})".strip()}
    return None
