"""Choropleth maps of indicators and gaps with folium, rendered to work without internet.

* Leaflet (and Leaflet.markercluster) come from the site's own static files (XStatic packages), never from a
  CDN: folium's ``default_js``/``default_css`` (Leaflet, jQuery, Bootstrap, awesome-markers from CDNs) are
  replaced by the local Leaflet URLs on every element that has them. No branca colormap is used (they pull d3
  from a CDN): the legend is plain HTML built here.
* No base tiles by default (``tiles=None``). An OpenStreetMap tile layer can be switched on in the layer
  control; it needs internet and switches itself off again when its tiles cannot be loaded.
* :func:`standalone_html` inlines Leaflet's JS/CSS (read from the XStatic package files, images as data URIs)
  so a downloaded map works offline.
* Classes: quantiles or natural breaks (Fisher–Jenks) from mapclassify; gaps get diverging colours around zero
  (blue = better than the target, red = worse). Regions without a value are grey and hatched in the legend
  ("no data"); estimates have a dashed outline.
"""
from __future__ import annotations

import base64
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import folium
import mapclassify
import numpy as np
import shapely
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from branca.element import Element, MacroElement, Template
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import override
from folium.elements import JSCSSMixin
from folium.map import Layer

from localization.models import current_lang

from . import services
from .models import Boundary, Settlement

LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)
MARKERCLUSTER_DIR = Path(xstatic.pkg.leaflet_markercluster.BASE_DIR)
LEAFLET_JS = "vendor/leaflet/leaflet.js"
LEAFLET_CSS = "vendor/leaflet/leaflet.css"
MARKERCLUSTER_JS = "vendor/leaflet-markercluster/leaflet.markercluster.js"
MARKERCLUSTER_CSS = ["vendor/leaflet-markercluster/MarkerCluster.css",
                     "vendor/leaflet-markercluster/MarkerCluster.Default.css"]
#: The only external URL a map may contain: the opt-in OpenStreetMap tiles (off by default).
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
KAZAKHSTAN_BOUNDS = [[40.5, 46.4], [55.5, 87.4]]

NO_DATA = "#d9d9d9"
ON_TARGET = "#f7f7f7"
SEQ_WORSE = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]  # ColorBrewer YlOrRd: darker = more need
SEQ_BETTER = ["#f0f9e8", "#bae4bc", "#7bccc4", "#43a2ca", "#0868ac"]  # GnBu: darker = more provision
SEQ_NEUTRAL = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"]  # Purples: direction unknown
DIV_BETTER = ["#2166ac", "#67a9cf", "#d1e5f0"]  # RdBu, strongest first: below zero = better than the target
DIV_WORSE = ["#fddbc7", "#ef8a62", "#b2182b"]  # weakest first: above zero = worse than the target
CLASSIFICATIONS = {"quantiles": "Quantiles", "natural_breaks": "FisherJenks"}


# ---------------------------------------------------------------------------------------------------------------
# classification


EPS = 1e-9


@dataclass
class MapClass:
    lower: float
    upper: float
    colour: str
    count: int = 0
    side: str = "above"  # below / zero / above zero (diverging); sequential classes are all "above"


def _breaks(values: list[float], method: str, k: int) -> list[float]:
    """Upper bounds of up to ``k`` classes of ``values`` (deterministic)."""
    unique = sorted(set(values))
    if len(unique) <= k:
        return unique
    scheme = getattr(mapclassify, CLASSIFICATIONS.get(method, "Quantiles"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed": the pure-Python Fisher-Jenks is fast for 20-224 values
        bins = [float(b) for b in scheme(np.asarray(values, dtype=float), k=k).bins]
    out = []
    for b in bins:  # mapclassify may repeat a bound when values tie
        if not out or b > out[-1]:
            out.append(b)
    return out


def _classes(values: list[float], method: str, palette: list[str]) -> list[MapClass]:
    if not values:
        return []
    uppers = _breaks(values, method, len(palette))
    colours = _spread(palette, len(uppers))
    classes, lower = [], min(values)
    for upper, colour in zip(uppers, colours):
        classes.append(MapClass(lower, upper, colour))
        lower = upper
    return classes


def _spread(palette: list[str], n: int) -> list[str]:
    if n >= len(palette):
        return palette[:n]
    idx = np.linspace(0, len(palette) - 1, n).round().astype(int) if n > 1 else [len(palette) - 1]
    return [palette[i] for i in idx]


def classify(values: list[float], method: str = "quantiles", diverging: bool = False,
             higher_is_worse: bool | None = True) -> list[MapClass]:
    """Classes for ``values``: sequential, or diverging around zero for gaps."""
    values = [round(float(v), 9) for v in values if v is not None and np.isfinite(v)]
    if not diverging:
        palette = SEQ_WORSE if higher_is_worse else SEQ_BETTER if higher_is_worse is False else SEQ_NEUTRAL
        classes = _classes(values, method, palette)
    else:
        magnitudes = [-v for v in values if v < 0]
        # classes of the distance below zero (weakest → strongest blue), turned back into negative ranges
        below = [MapClass(-c.upper, -c.lower, c.colour, side="below")
                 for c in reversed(_classes(magnitudes, method, DIV_BETTER[::-1]))]
        zero = [MapClass(0.0, 0.0, ON_TARGET, side="zero")] if any(v == 0 for v in values) else []
        above = _classes([v for v in values if v > 0], method, DIV_WORSE)
        classes = below + zero + above
    for c in classes:
        c.count = sum(1 for v in values if _class_of(classes, v) is c)
    return classes


def _class_of(classes: list[MapClass], value: float) -> MapClass | None:
    """Classes are closed at the end away from zero: a value on a break belongs to the class below it
    (above zero) or above it (below zero), as mapclassify's upper bounds say."""
    if not classes:
        return None
    value = round(float(value), 9)
    below = [c for c in classes if c.side == "below"]
    if value < 0 and below:
        for c in reversed(below):  # closest to zero first
            if value >= c.lower - EPS:
                return c
        return below[0]
    for c in classes:
        if c.side == "zero" and abs(value) <= EPS:
            return c
    above = [c for c in classes if c.side == "above"]
    for c in above:
        if value <= c.upper + EPS:
            return c
    return above[-1] if above else None


def colour_of(classes: list[MapClass], value) -> str:
    value = services.number(value)
    if value is None or not np.isfinite(value):
        return NO_DATA
    c = _class_of(classes, value)
    return c.colour if c else NO_DATA


# ---------------------------------------------------------------------------------------------------------------
# folium elements that stay offline


class LocalAssets:
    """Static URLs of the local Leaflet files (absolute paths on this site)."""

    @staticmethod
    def leaflet_js() -> list[tuple[str, str]]:
        return [("leaflet", static(LEAFLET_JS))]

    @staticmethod
    def leaflet_css() -> list[tuple[str, str]]:
        return [("leaflet_css", static(LEAFLET_CSS))]

    @staticmethod
    def markercluster_js() -> list[tuple[str, str]]:
        return [("markercluster", static(MARKERCLUSTER_JS))]

    @staticmethod
    def markercluster_css() -> list[tuple[str, str]]:
        return [(f"markercluster_css_{i}", static(p)) for i, p in enumerate(MARKERCLUSTER_CSS)]


class Legend(MacroElement):
    """The legend as a Leaflet control holding our own HTML (no branca colormap, no d3)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "aimaq-legend");
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, html: str):
        super().__init__()
        self._name = "Legend"
        self.html = html


def city_labels(lang: str) -> list[dict]:
    """The largest city of each region (Astana, Almaty, Shymkent and the oblast centres) from the settlements the
    site holds: ``{"name", "lat", "lon"}`` in ``lang``; none when no settlements are loaded."""
    best: dict[int, Settlement] = {}
    cities = (Settlement.objects.filter(type=Settlement.Type.CITY, region__isnull=False, lat__isnull=False,
                                        lon__isnull=False, population__isnull=False)
              .only("name_kk", "name_ru", "name_en", "lat", "lon", "population", "region_id"))
    for city in cities:
        if city.region_id not in best or city.population > best[city.region_id].population:
            best[city.region_id] = city
    return [{"name": c.tr("name", lang), "lat": c.lat, "lon": c.lon} for c in best.values()]


class CityLabels(MacroElement):
    """City names on the map (a dot and a label; labels of small cities hide on narrow maps at low zoom)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var group = L.layerGroup();
            {{ this.cities|tojson }}.forEach(function (c) {
                L.circleMarker([c.lat, c.lon], {radius: 3, color: "#1b1b1b", weight: 1, fillColor: "#fff",
                                                fillOpacity: 1, interactive: false})
                  .bindTooltip(c.name, {permanent: true, direction: "right", offset: [4, 0],
                                        className: "aimaq-city", interactive: false})
                  .addTo(group);
            });
            group.addTo(map);
        })();
        {% endmacro %}
    """)

    def __init__(self, cities: list[dict]):
        super().__init__()
        self._name = "CityLabels"
        self.cities = cities


class MapSetup(MacroElement):
    """Attribution without links, fit to Kazakhstan, and the opt-in tiles that switch off when unreachable."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            map.attributionControl.setPrefix(false);
            L.control.scale({imperial: false}).addTo(map);  // kilometres only (two bars overlapped on phones)
            {% for a in this.attributions %}map.attributionControl.addAttribution({{ a|tojson }});
            {% endfor %}
            var legend = document.querySelector(".aimaq-legend");
            var box = map.getContainer();
            var narrow = map.getSize().x < 640;
            var fit = function () {
                // Fit the territory into what the legend leaves free: beside it on wide maps, the whole map when
                // the legend sits below it (narrow screens).
                var padX = legend && !narrow ? legend.offsetWidth + 10 : 10;
                map.fitBounds({{ this.bounds|tojson }}, {paddingBottomRight: [padX, 10], paddingTopLeft: [10, 10]});
            };
            if (legend && narrow) {
                // Phones: the legend goes below the map, collapsed (one tap opens it), and the map keeps the rest.
                var details = legend.querySelector("details");
                if (details) { details.open = false; }
                document.body.appendChild(legend);
                legend.classList.add("aimaq-legend-below");
                var resize = function () {
                    box.style.height = "calc(100% - " + legend.offsetHeight + "px)";
                    map.invalidateSize();
                };
                resize();
                if (details) { details.addEventListener("toggle", function () { resize(); fit(); }); }
            }
            fit();
            {% if this.tiles %}
            var tiles = {{ this.tiles }}, loaded = 0, failed = 0;
            tiles.on("tileload", function () { loaded += 1; });
            tiles.on("tileerror", function () {
                failed += 1;
                if (failed >= 4 && loaded === 0 && map.hasLayer(tiles)) {
                    map.removeLayer(tiles);
                    var note = L.control({position: "topleft"});
                    note.onAdd = function () {
                        var div = L.DomUtil.create("div", "aimaq-note");
                        div.setAttribute("role", "status");
                        div.textContent = {{ this.offline_text|tojson }};
                        return div;
                    };
                    note.addTo(map);
                    setTimeout(function () { note.remove(); }, 6000);
                }
            });
            {% endif %}
        })();
        {% endmacro %}
    """)

    def __init__(self, attributions, bounds, tiles_name: str | None, offline_text: str):
        super().__init__()
        self._name = "MapSetup"
        self.attributions = attributions
        self.bounds = bounds
        self.tiles = tiles_name
        self.offline_text = offline_text


class SettlementLayer(JSCSSMixin, Layer):
    """Settlements as clustered points (Leaflet.markercluster, local files); RSS priority settlements on top."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
          .aimaq-pt { background: #1f4e79; border: 1px solid #fff; border-radius: 50%; }
          .aimaq-pt-priority { background: #c00000; border: 2px solid #fff; border-radius: 50%; box-shadow: 0 0 0 2px #c00000; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var rows = {{ this.rows|tojson }};
            var cluster = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50});
            var priority = L.featureGroup();
            function tip(r) {
                var div = document.createElement("div");
                var b = document.createElement("strong"); b.textContent = r[2]; div.appendChild(b);
                var p = document.createElement("div"); p.textContent = r[3]; div.appendChild(p);
                if (r[5]) { var q = document.createElement("div"); q.textContent = r[5]; div.appendChild(q); }
                return div;
            }
            rows.forEach(function (r) {
                var high = Boolean(r[4]);
                var icon = L.divIcon({className: high ? "aimaq-pt-priority" : "aimaq-pt", iconSize: high ? [14, 14] : [8, 8]});
                var marker = L.marker([r[0], r[1]], {icon: icon, keyboard: false, title: r[2]});
                marker.bindTooltip(tip(r));
                (high ? priority : cluster).addLayer(marker);
            });
            return L.featureGroup([cluster, priority]);
        })();
        {% endmacro %}
    """)

    def __init__(self, rows: list, name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "SettlementLayer"
        self.rows = rows
        self.default_js = LocalAssets.markercluster_js()
        self.default_css = LocalAssets.markercluster_css()


class PointsLayer(Layer):
    """GeoJSON points of another app (PPB projects), fetched from this site or embedded."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON(null, {
            pointToLayer: function (feature, latlng) {
                return L.circleMarker(latlng, {radius: 6, color: "#ffffff", weight: 1.5, fillColor: "#6a3d9a", fillOpacity: 0.9});
            },
            onEachFeature: function (feature, layer) {
                var p = feature.properties || {};
                var div = document.createElement("div");
                div.textContent = p.title || p.name || "";
                layer.bindTooltip(div);
            }
        });
        {% if this.data %}{{ this.get_name() }}.addData({{ this.data|tojson }});
        {% else %}fetch({{ this.url|tojson }}, {headers: {Accept: "application/geo+json"}, credentials: "same-origin"})
            .then(function (r) { return r.ok ? r.json() : null; })
            .then(function (d) { if (d) { {{ this.get_name() }}.addData(d); } })
            .catch(function () {});
        {% endif %}
        {% endmacro %}
    """)

    def __init__(self, name: str, url: str = "", data=None, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "PointsLayer"
        self.url = url
        self.data = data


def _offline(element) -> None:
    """Point an element's default JS/CSS at the local Leaflet files only (never mutate the class lists)."""
    if isinstance(element, JSCSSMixin) and not isinstance(element, SettlementLayer):
        element.default_js = LocalAssets.leaflet_js() if isinstance(element, folium.Map) else []
        element.default_css = LocalAssets.leaflet_css() if isinstance(element, folium.Map) else []
    for child in list(getattr(element, "_children", {}).values()):
        _offline(child)


# ---------------------------------------------------------------------------------------------------------------
# building the map


@dataclass
class MapOptions:
    classification: str = "quantiles"
    settlements: bool = False
    settlement_region: str | None = None
    tiles: bool = True  # offer the opt-in OSM layer (off until the user switches it on)
    ppb: bool = True
    ppb_data: object = None  # embedded PPB GeoJSON for standalone files
    standalone: bool = False


def legend_html(data: services.LayerData, classes: list[MapClass], options: MapOptions, has_estimates: bool,
                has_bounds: bool, lang: str) -> str:
    method = _("quantiles") if options.classification == "quantiles" else _("natural breaks (Jenks)")
    year = _("latest available year per region") if data.year == services.YEAR_LATEST else str(data.year)
    # (no _() inside f-strings: xgettext would not see the strings)
    unit_label, year_label, nodata_label = _("Unit"), _("Year"), _("no data")
    estimate_label = _("estimate (crosswalk), dashed outline")
    parts = [f'<details open><summary class="aimaq-legend-title">{escape(data.label)}</summary>',
             f'<div class="aimaq-legend-unit">{escape(unit_label)}: {escape(data.unit)} · {escape(year_label)}: {escape(year)}</div>',
             '<ul class="aimaq-legend-classes">']
    for c in classes:
        if c.lower == c.upper == 0 and data.is_gap:
            text = _("0 (on target)")
        elif c.lower == c.upper:
            text = services.fmt_number(c.lower, data.decimals, lang)
        else:
            text = f"{services.fmt_number(c.lower, data.decimals, lang)} – {services.fmt_number(c.upper, data.decimals, lang)}"
        parts.append(f'<li><span class="aimaq-swatch" style="background:{c.colour}"></span>{escape(text)} '
                     f'<span class="aimaq-count">({c.count})</span></li>')
    parts.append(f'<li><span class="aimaq-swatch aimaq-nodata"></span>{escape(nodata_label)}</li>')
    if has_estimates:
        parts.append(f'<li><span class="aimaq-swatch aimaq-estimate"></span>{escape(estimate_label)}</li>')
    parts.append("</ul>")
    notes = []
    if data.is_gap:
        notes.append(_("Blue: better than the target; red: worse than the target."))
    if has_bounds:
        notes.append(_("≤ / ≥: the source states only a bound."))
    notes.append(_("Classes: %(method)s.") % {"method": method})
    parts.append(f'<div class="aimaq-legend-note">{escape(" ".join(notes))}</div>')
    parts.append("</details>")
    return "".join(parts)


LEGEND_CSS = """
<style>
  .aimaq-legend { background: #fff; padding: 6px 8px; border: 1px solid #777; border-radius: 4px; max-width: 17rem;
                  font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; color: #1b1b1b; }
  .aimaq-legend-title { font-weight: 700; margin-bottom: 2px; cursor: pointer; }
  .leaflet-tooltip.aimaq-city { background: transparent; border: 0; box-shadow: none; padding: 0; color: #1b1b1b;
                  font: 600 11px/1.2 system-ui, sans-serif; text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
  .leaflet-tooltip.aimaq-city::before { display: none; }
  .aimaq-legend.aimaq-legend-below { max-width: none; border-radius: 0; border-width: 1px 0 0 0; max-height: 45vh; overflow-y: auto; }
  .aimaq-legend-unit, .aimaq-legend-note, .aimaq-count { color: #4a4a4a; font-size: 12px; }
  .aimaq-legend ul { list-style: none; margin: 4px 0; padding: 0; }
  .aimaq-legend li { margin: 1px 0; }
  .aimaq-swatch { display: inline-block; width: 16px; height: 12px; margin-right: 6px; border: 1px solid #555; vertical-align: -1px; }
  .aimaq-nodata { background: repeating-linear-gradient(45deg, #d9d9d9 0 3px, #ffffff 3px 6px); }
  .aimaq-estimate { background: #fff; border: 2px dashed #333; }
  .aimaq-note { background: #fff8e1; border: 1px solid #8a5a00; padding: 4px 8px; border-radius: 4px; }
  .leaflet-container { background: #eef3f7; }
</style>
"""


def _features(data: services.LayerData, classes: list[MapClass], lang: str) -> dict:
    layer = Boundary.Layer.DISTRICTS_2024 if data.level == "district" else Boundary.Layer.REGIONS_2024
    geometries = dict(Boundary.objects.filter(layer=layer).values_list("code", "web_geometry"))
    full = {}
    features = []
    for row in data.rows:
        geometry = geometries.get(row.kato)
        if not geometry:
            full = full or dict(Boundary.objects.filter(layer=layer).values_list("code", "geometry"))
            geometry = full.get(row.kato)
        if not geometry:
            continue
        cell = row.cell
        estimate = cell.is_estimate
        features.append({
            "type": "Feature",
            "geometry": json.loads(geometry),
            "properties": {
                "kato": row.kato,
                "name": escape(row.name),
                "value_text": escape(row.text),
                "year_text": escape("" if cell.missing else cell.year_text),
                "status_text": escape(cell.status_label if cell.status else ""),
                "source_text": escape(services.localize_source(cell.source) or _("no data")),
                "fill": colour_of(classes, cell.value),
                "estimate": estimate,
            },
        })
    return {"type": "FeatureCollection", "features": features}


def _style(feature):
    p = feature["properties"]
    return {"fillColor": p["fill"], "fillOpacity": 0.85 if p["fill"] != NO_DATA else 0.6, "color": "#333333",
            "weight": 2 if p["estimate"] else 0.8, "dashArray": "6 4" if p["estimate"] else None}


def _highlight(feature):
    return {"weight": 3, "color": "#000000"}


def settlement_rows(region: str | None, lang: str) -> list:
    """``[lat, lon, name, type · population, is_priority, priority text]`` for the settlement layer."""
    qs = Settlement.objects.filter(region__isnull=False, lat__isnull=False, lon__isnull=False)
    if region:
        qs = qs.filter(region__kato=region)
    priority: dict[int, str] = {}
    top, year = services.priority_list(region) if region else services.priority_all()
    for r in top.itertuples() if len(top) else []:
        priority[int(r.settlement_id)] = _("RSS priority %(n)s: gap %(gap)s pp (%(year)s)") % {
            "n": r.priority, "gap": services.fmt_number(r.gap, 1, lang), "year": year}
    types = dict(Settlement.Type.choices)
    rows = []
    for s in qs.only("pk", "lat", "lon", "name_kk", "name_ru", "name_en", "type", "population"):
        pop = _("population %(n)s") % {"n": services.fmt_number(s.population, 0, lang)} if s.population is not None \
            else _("population: no data")
        rows.append([round(s.lat, 5), round(s.lon, 5), s.tr("name", lang), f"{types.get(s.type, s.type)} · {pop}",
                     1 if s.pk in priority else 0, priority.get(s.pk, "")])
    return rows


def ppb_url() -> str | None:
    """The budget app's project points, if it publishes them (geo never imports budget)."""
    try:
        return reverse("budget:projects_geojson")
    except NoReverseMatch:
        return None


def _bounds(region: str | None) -> list:
    """``[[south, west], [north, east]]`` of a region (or Kazakhstan)."""
    if region:
        geometry = Boundary.objects.filter(layer=Boundary.Layer.REGIONS_2024, code=region).values_list(
            "web_geometry", flat=True).first()
        if geometry:
            west, south, east, north = shapely.from_geojson(geometry).bounds
            return [[south, west], [north, east]]
    return KAZAKHSTAN_BOUNDS


def build_map(data: services.LayerData, options: MapOptions | None = None, lang: str | None = None) -> folium.Map:
    options = options or MapOptions()
    lang = lang or current_lang()
    with override(lang):
        classes = classify(data.values, options.classification, diverging=data.is_gap,
                           higher_is_worse=data.higher_is_worse)
        m = folium.Map(location=[48.0, 67.0], zoom_start=4, tiles=None, control_scale=False, min_zoom=3, max_zoom=18,
                       zoom_snap=0.25, zoom_delta=0.5)
        m.options.update({"max_zoom": 18, "min_zoom": 3})  # without tiles Leaflet has no max zoom (markercluster needs one)
        m.get_root().header.add_child(Element(LEGEND_CSS), name="aimaq_legend_css")
        features = _features(data, classes, lang)
        label = data.label
        folium.GeoJson(
            features,
            name=_("Regions") if data.level == "region" else _("Districts"),
            style_function=_style,
            highlight_function=_highlight,
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "value_text", "year_text", "status_text"],
                aliases=[escape(_("Region") if data.level == "region" else _("District")), escape(label),
                         escape(_("Year")), escape(_("Status"))],
                sticky=True),
            popup=folium.GeoJsonPopup(fields=["name", "value_text", "source_text"],
                                      aliases=[escape(_("Name")), escape(label), escape(_("Source"))], max_width=360),
        ).add_to(m)
        attributions = [_("Boundaries: geokz (A. Rodionov), CC BY 4.0")]
        if options.settlements:
            rows = settlement_rows(options.settlement_region, lang)
            if rows:
                SettlementLayer(rows, name=_("Settlements (RSS priority in red)")).add_to(m)
                attributions.append(_("Settlements: © OpenStreetMap contributors, ODbL 1.0"))
        url = ppb_url() if options.ppb else None
        if url and (not options.standalone or options.ppb_data):
            PointsLayer(_("Participatory budget projects"), url=url,
                        data=options.ppb_data if options.standalone else None).add_to(m)
        tiles_name = None
        if options.tiles:
            tiles = folium.TileLayer(tiles=OSM_TILES, attr=_("Base map: © OpenStreetMap contributors"),
                                     name=_("OpenStreetMap base map (needs internet)"), overlay=True, control=True,
                                     show=False, max_zoom=18)
            tiles.add_to(m)
            tiles_name = tiles.get_name()
        cities = city_labels(lang)
        if cities:
            CityLabels(cities).add_to(m)
        folium.LayerControl(collapsed=True).add_to(m)
        Legend(legend_html(data, classes, options, any(r.cell.is_estimate for r in data.rows),
                           any(r.cell.bound for r in data.rows), lang)).add_to(m)
        MapSetup(attributions, _bounds(options.settlement_region) if options.settlements else KAZAKHSTAN_BOUNDS,
                 tiles_name, _("The base map cannot be loaded (no internet); it was switched off.")).add_to(m)
        _offline(m)
    return m


_JSON_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")


def _unescape_json(text: str) -> str:
    """Write non-ASCII characters as themselves in the embedded JSON (folium escapes them as \\uXXXX), so the
    names can be read and searched in the HTML; HTML-sensitive characters and surrogates stay escaped."""
    def sub(match):
        code = int(match.group(2), 16)
        if code < 0x80 or 0xD800 <= code <= 0xDFFF or code in (0x2028, 0x2029):
            return match.group(0)
        return match.group(1) + chr(code)
    return _JSON_ESCAPE.sub(sub, text)


def render(m: folium.Map, lang: str, title: str) -> str:
    html = _unescape_json(m.get_root().render())
    html = html.replace("<html>", f'<html lang="{escape(lang)}">', 1)
    html = html.replace("<head>", f"<head>\n    <title>{escape(title)}</title>", 1)
    # let people zoom the page (folium forbids it)
    html = re.sub(r",\s*maximum-scale=1\.0,\s*user-scalable=no", "", html)
    return html


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")
    return re.sub(r"url\((['\"]?)images/([\w.-]+\.png)\1\)",
                  lambda mt: f"url({_data_uri(path.parent / 'images' / mt.group(2))})", css)


def standalone_html(html: str) -> str:
    """Replace the local Leaflet links with the files' contents (read from the XStatic packages)."""
    files = {
        static(LEAFLET_JS): ("js", LEAFLET_DIR / "leaflet.js"),
        static(LEAFLET_CSS): ("css", LEAFLET_DIR / "leaflet.css"),
        static(MARKERCLUSTER_JS): ("js", MARKERCLUSTER_DIR / "leaflet.markercluster.js"),
    }
    for p in MARKERCLUSTER_CSS:
        files[static(p)] = ("css", MARKERCLUSTER_DIR / Path(p).name)
    for url, (kind, path) in files.items():
        if kind == "js":
            tag = f'<script src="{url}"></script>'
            body = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
            html = html.replace(tag, f"<script>/* {path.name} (inlined) */\n{body}\n</script>")
            html = re.sub(r'\n//# sourceMappingURL=[^\n]*', "", html)
        else:
            tag = f'<link rel="stylesheet" href="{url}"/>'
            html = html.replace(tag, f"<style>/* {path.name} (inlined) */\n{_inline_css(path)}\n</style>")
    return html
