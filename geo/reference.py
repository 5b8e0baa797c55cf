"""Load the boundaries into the database from the derived files in fixtures/boundaries/derived/.

Those files are produced by ``python -m geo.core.build`` from the geokz originals (cleaned into a valid
coverage, then coverage-simplified for the web) and are committed, so loading needs no geometry work.
"""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from localization.models import District, FormerRegion, Region
from localization.reference import upsert

from .core.boundaries import area_km2, load_geojson
from .models import Boundary

DERIVED = Path(settings.BASE_DIR) / "fixtures" / "boundaries" / "derived"
SOURCE = "geokz 1.0.2 (Alexander Rodionov), CC BY 4.0; cleaned and simplified by Aimaq"

LAYERS = {
    Boundary.Layer.REGIONS_2024: ("adm1_2024_clean.geojson", "adm1_2024_web.geojson", Region, "region"),
    Boundary.Layer.DISTRICTS_2024: ("adm2_2024_clean.geojson", "adm2_2024_web.geojson", District, "district"),
    Boundary.Layer.REGIONS_2018: ("adm1_2018_clean.geojson", None, FormerRegion, "former_region"),
}


def _geometries(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return {str(f["properties"]["KATO"]): json.dumps(f["geometry"], separators=(",", ":")) for f in data["features"]}


@transaction.atomic
def load_boundaries(report) -> None:
    for layer, (full_name, web_name, model, fk) in LAYERS.items():
        full = _geometries(DERIVED / full_name)
        web = _geometries(DERIVED / web_name) if web_name else {}
        gdf = load_geojson(DERIVED / full_name)
        areas = dict(zip(gdf["KATO"], area_km2(gdf)))
        owners = {obj.kato: obj for obj in model.objects.all()}
        for code, geometry in full.items():
            upsert(
                Boundary,
                report,
                f"boundaries {layer}",
                {"layer": layer, "code": code},
                {
                    fk: owners.get(code),
                    "geometry": geometry,
                    "web_geometry": web.get(code, ""),
                    "area_km2": round(float(areas[code]), 3),
                    "source": SOURCE,
                },
            )
