"""Boundaries as GeoDataFrames and the 2018 → 2024 crosswalk shares (both cached)."""
from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Max, Sum

from localization.models import District

from ..models import Boundary
from .common import cw, gpd, pd, shapely


# ---------------------------------------------------------------------------------------------------------------
# boundaries as GeoDataFrames (read once per process and data version)

_FRAMES: dict = {}


def _boundary_version() -> str:
    agg = Boundary.objects.aggregate(n=Count("id"), m=Max("id"))
    return f"{agg['n']}-{agg['m']}"


def boundary_frame(layer: str, web: bool = False) -> gpd.GeoDataFrame:
    """The boundaries of ``layer`` as a GeoDataFrame (``KATO``, ``ADM1_KATO`` for districts, geometry, WGS 84)."""
    key = (layer, web, _boundary_version())
    if key not in _FRAMES:
        rows = list(Boundary.objects.filter(layer=layer).order_by("code").values_list("code", "geometry", "web_geometry"))
        geoms = [shapely.from_geojson((w or g) if web else g) for _, g, w in rows]
        frame = gpd.GeoDataFrame({"KATO": [c for c, _, _ in rows]}, geometry=geoms, crs="EPSG:4326")
        if layer == Boundary.Layer.DISTRICTS_2024:
            frame["ADM1_KATO"] = [c[:2] + "0000000" for c in frame["KATO"]]
        _FRAMES.clear() if len(_FRAMES) > 12 else None
        _FRAMES[key] = frame
    return _FRAMES[key]


# ---------------------------------------------------------------------------------------------------------------
# crosswalk 2018 -> 2024


def _crosswalk_key() -> str:
    pop = District.objects.aggregate(t=Sum("population_total"), u=Sum("population_urban"))
    return f"geo:crosswalk:{_boundary_version()}:{pop['t']}:{pop['u']}"


def crosswalk_shares() -> pd.DataFrame:
    """Share of each pre-2022 region's 2023 population living in each 2024 region (``geo.core.crosswalk``).

    Overlay of the 2018 regions with the 2024 districts, weighted by the districts' 2023 population, with the
    urban refinement (urban people stay in the old region holding most of their district). Cached.
    """
    key = _crosswalk_key()
    found = cache.get(key)
    if found is not None:
        return found
    districts = list(District.objects.values_list("kato", "population_total", "population_urban"))
    total = pd.Series({k: t for k, t, _ in districts if t is not None}, dtype=float)
    urban = pd.Series({k: u for k, _, u in districts if u is not None}, dtype=float)
    old = boundary_frame(Boundary.Layer.REGIONS_2018)
    new = boundary_frame(Boundary.Layer.DISTRICTS_2024)
    if old.empty or new.empty or total.empty:
        shares = pd.DataFrame(columns=["old_kato", "new_kato", "share", "population", "area_km2"])
    else:
        shares = cw.old_to_new_shares(old, new, total, urban_population=urban)
    cache.set(key, shares, 24 * 3600)
    return shares


def reform_regions() -> frozenset[str]:
    """The regions of the 2022 reform (new and old), from :mod:`geo.core.crosswalk` (imported on first use)."""
    return frozenset(cw.REFORM_2022) | frozenset(cw.REFORM_2022.values())
