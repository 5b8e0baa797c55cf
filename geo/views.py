"""Geo pages and downloads: GeoJSON of the boundaries (ETag, Cache-Control), the NGO map (folium, offline),
the gaps overview and region pages, settlements, the settlement import with progress, the RSS catalogue."""
import hashlib
import json
import math
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from localization.core import safecells
from config.lazy import lazy
from localization.models import District, FormerRegion, Region, current_lang
from localization.permissions import can_edit_region, is_statistics

from . import services
from .forms import GapsFilterForm, MapForm, RssObservationForm, RssStandardForm, SettlementFilterForm, SettlementImportForm
from .models import Boundary, GapFigure, Recomputation, RssObservation, RssStandard, Settlement, SettlementImport

maps = lazy("geo.maps")  # folium, mapclassify (→ scipy, scikit-learn): only when a map is drawn


def _geojson_response(request, features: list[dict]) -> HttpResponse:
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=3600)
    return response


def _features(queryset, owner: str) -> list[dict]:
    lang = current_lang()
    features = []
    for b in queryset.select_related(owner):
        obj = getattr(b, owner)
        features.append(
            {
                "type": "Feature",
                "properties": {"kato": b.code, "name": obj.tr("name", lang) if obj else b.code},
                "geometry": json.loads(b.web_geometry or b.geometry),
            }
        )
    return features


@require_GET
def regions_geojson(request):
    qs = Boundary.objects.filter(layer=Boundary.Layer.REGIONS_2024)
    return _geojson_response(request, _features(qs, "region"))


@require_GET
def districts_geojson(request):
    qs = Boundary.objects.filter(layer=Boundary.Layer.DISTRICTS_2024)
    region = request.GET.get("region")
    if region:
        qs = qs.filter(district__region__kato=region)
    return _geojson_response(request, _features(qs, "district"))


@require_GET
def region_geojson(request, kato):
    qs = Boundary.objects.filter(layer=Boundary.Layer.REGIONS_2024, code=kato)
    if not qs.exists():
        raise Http404
    return _geojson_response(request, _features(qs, "region"))


# ---------------------------------------------------------------------------------------------------------------
# pages: map, gaps overview, region gaps, settlements, imports, RSS catalogue
# ---------------------------------------------------------------------------------------------------------------


class SourceIndex:
    """Numbers the distinct sources of a page so every figure can point to its source(s) with [n]."""

    def __init__(self):
        self.items: list[str] = []
        self._pos: dict[str, int] = {}

    def refs(self, source: str) -> list[int]:
        out = []
        for part in services.split_sources(source):
            part = services.localize_source(part)
            if part not in self._pos:
                self.items.append(part)
                self._pos[part] = len(self.items)
            out.append(self._pos[part])
        return out


def cell_view(cell: services.Cell, measure, sources: SourceIndex | None = None, lang=None) -> dict:
    """What a template needs to print one figure: text, year, status, estimate flag, source numbers."""
    if isinstance(measure, str):
        measure = services.MEASURES[measure]
    return {
        "text": cell.text(measure, lang),
        "value": cell.value,
        "missing": cell.missing,
        "year": "" if cell.missing else cell.year_text,
        "status": cell.status,
        "status_label": cell.status_label if cell.status else "",
        "estimate": cell.is_estimate,
        "computed": cell.status == "computed",
        "published": cell.status == "published",
        "unverified": cell.status == "unverified",
        "bound": cell.bound,
        "note": services.localize_source(cell.note),
        "source": services.localize_source(cell.source),
        "refs": sources.refs(cell.source) if sources is not None and not cell.missing else [],
        "count": cell.count,
    }


def _map_params(form: MapForm) -> dict:
    d = form.cleaned_data
    params = {"layer": d["layer"], "classification": d["classification"], "level": d["level"]}
    if d.get("year"):
        params["year"] = d["year"]
    if d.get("settlements"):
        params["settlements"] = "on"
    if d.get("region"):
        params["region"] = d["region"]
    return params


def _map_from_request(request, standalone: bool = False):
    form = MapForm(request.GET or None)
    if not form.is_valid():
        return form, None, None
    d = form.cleaned_data
    try:
        data = services.layer_data(d["layer"], d.get("year"), d["level"])
    except KeyError:
        return form, None, None
    options = maps.MapOptions(classification=d["classification"], settlements=bool(d.get("settlements")),
                              settlement_region=d.get("region") or None, standalone=standalone)
    return form, data, options


def _year_options(data) -> list[tuple[str, str]]:
    opts = [(services.YEAR_LATEST, _("latest available year per region"))]
    return opts + [(str(y), str(y)) for y in reversed(data.years)]


def map_page(request):
    """The NGO map: choose an indicator or gap, the year and the classes; download data and map."""
    form, data, options = _map_from_request(request)
    layer = form.cleaned_data.get("layer", "") if form.is_valid() else ""
    context = {"form": form, "data": data, "district_ok": services.district_layer_available(layer)}
    if data is not None:
        sources = SourceIndex()
        measure = services.MEASURES.get(data.key) or services.Measure(data.key, "indicator", data.label, data.unit)
        rows = [{"kato": r.kato, "name": r.name, "cell": cell_view(r.cell, measure, sources)} for r in data.rows]
        query = urlencode(_map_params(form))
        context.update({
            "rows": rows,
            "sources": sources.items,
            "query": query,
            "year_options": _year_options(data),
            "selected_year": str(data.year),
            "level_note": getattr(form, "level_note", ""),
            "has_estimates": any(r.cell.is_estimate for r in data.rows),
            "n_values": len(data.values),
            "is_indicator": data.key.startswith("ind:"),
        })
    return render(request, "geo/map.html", context)


@xframe_options_sameorigin
def map_frame(request):
    """The folium map alone, embedded in our own pages with an <iframe> (same origin only)."""
    form, data, options = _map_from_request(request)
    if data is None:
        return HttpResponse(_("Unknown layer or year."), status=400, content_type="text/plain; charset=utf-8")
    lang = services.current_lang()
    html = maps.render(maps.build_map(data, options, lang), lang, data.label)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    patch_cache_control(response, private=True, max_age=60)
    return response


def _ppb_embedded(request):
    """The budget app's project points as data (for the offline file), if it publishes them."""
    url = maps.ppb_url()
    if not url:
        return None
    try:
        match = resolve(url)
        sub = HttpRequest()
        sub.method = "GET"
        sub.path = sub.path_info = url
        sub.META = {k: v for k, v in request.META.items() if k in ("SERVER_NAME", "SERVER_PORT", "HTTP_HOST")}
        sub.META.setdefault("SERVER_NAME", "localhost")
        sub.META.setdefault("SERVER_PORT", "80")
        sub.user = getattr(request, "user", None)
        sub.LANGUAGE_CODE = getattr(request, "LANGUAGE_CODE", "kk")
        response = match.func(sub, *match.args, **match.kwargs)
        if getattr(response, "status_code", 500) == 200:
            return json.loads(response.content)
    except Exception:  # noqa: BLE001 — the offline file is still useful without the projects
        return None
    return None


def map_html(request):
    """The map as one standalone HTML file that works offline (Leaflet inlined)."""
    form, data, options = _map_from_request(request, standalone=True)
    if data is None:
        return HttpResponse(_("Unknown layer or year."), status=400, content_type="text/plain; charset=utf-8")
    lang = services.current_lang()
    options.ppb_data = _ppb_embedded(request)
    html = maps.standalone_html(maps.render(maps.build_map(data, options, lang), lang, data.label))
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    name = f"aimaq-map-{data.key.replace(':', '-')}-{data.year}-{lang}.html"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv_response(rows: list[dict], columns: list[str], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM
    writer = safecells.DictWriter(response, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def gaps_csv(request):
    """CSV download: the chosen layer and year (``?layer=…``), or every gap measure of every region."""
    lang = services.current_lang()
    if request.GET.get("layer"):
        form, data, options = _map_from_request(request)
        if data is None:
            return HttpResponse(_("Unknown layer or year."), status=400, content_type="text/plain; charset=utf-8")
        return _csv_response(services.layer_csv_rows(data), services.CSV_COLUMNS,
                             f"aimaq-{data.key.replace(':', '-')}-{data.year}-{lang}.csv")
    filters = GapsFilterForm(request.GET or None)
    year = filters.cleaned_data["year"] if filters.is_valid() else services.YEAR_LATEST
    tables = services.theme_tables()
    cells = services.region_cells(tables, year)
    names = {r.kato: r.name for r in Region.objects.all()}
    rows = services.overview_csv_rows(cells, names, lang)
    national = services.national_cells(tables, year)
    rows += services.overview_csv_rows({"000000000": national}, {"000000000": _("Kazakhstan")}, lang)
    return _csv_response(rows, services.CSV_COLUMNS, f"aimaq-gaps-{year}-{lang}.csv")


def gaps_geojson(request):
    """GeoJSON download: region polygons with the chosen layer's value, status and source (ETag, Cache-Control)."""
    request_get = request.GET.copy()
    if not request_get.get("layer"):
        request_get["layer"] = "need_index"
    request.GET = request_get
    form, data, options = _map_from_request(request)
    if data is None:
        return HttpResponse(_("Unknown layer or year."), status=400, content_type="text/plain; charset=utf-8")
    layer = Boundary.Layer.DISTRICTS_2024 if data.level == "district" else Boundary.Layer.REGIONS_2024
    geometries = dict(Boundary.objects.filter(layer=layer).values_list("code", "web_geometry"))
    features = []
    for r in data.rows:
        c = r.cell
        features.append({
            "type": "Feature",
            "properties": {"kato": r.kato, "name": r.name, "measure": data.key, "label": data.label, "unit": data.unit,
                           "year": c.year, "value": None if c.value is None or not math.isfinite(c.value) else c.value,
                           "bound": c.bound, "text": r.text, "status": c.status, "status_label": c.status_label if c.status else "",
                           "source": services.localize_source(c.source), "note": services.localize_source(c.note)},
            "geometry": json.loads(geometries[r.kato]) if geometries.get(r.kato) else None,
        })
    response = _geojson_response(request, features)
    if response.status_code == 200:
        response["Content-Disposition"] = f'attachment; filename="aimaq-{data.key.replace(":", "-")}-{data.year}.geojson"'
    return response


GAP_COLUMNS = [
    ("poverty_rate", "poverty"), ("poverty_gap_pp", "poverty"), ("poverty_gap_people", "poverty"),
    ("gas_share", "gasification"), ("gas_gap_pp", "gasification"), ("gas_people_without", "gasification"),
    ("gas_years", "gasification"), ("rss_provision", "rss"), ("rss_gap", "rss"), ("need_index", "index"),
]


def gaps(request):
    """Regions × gaps, with sort, filter, ranks, the composite index documented, next to the map."""
    form = GapsFilterForm(request.GET or None)
    d = form.cleaned_data if form.is_valid() else {"year": services.YEAR_LATEST}
    year = d.get("year") or services.YEAR_LATEST
    tables = services.theme_tables()
    cells = services.region_cells(tables, year)
    ranks = services.rankings(cells)
    sources = SourceIndex()
    regions = list(Region.objects.all())
    if d.get("q"):
        q = d["q"].lower()
        regions = [r for r in regions if any(q in (getattr(r, f"name_{lang}") or "").lower() for lang in ("kk", "ru", "en"))]
    if d.get("kind"):
        regions = [r for r in regions if r.kind == d["kind"]]
    if d.get("has"):
        key = {"poverty": "poverty_rate", "gasification": "gas_share", "rss": "rss_provision"}[d["has"]]
        regions = [r for r in regions if not cells[r.kato].get(key, services.MISSING).missing]
    sort = d.get("sort") or "need_index"
    valid = {k for k, _ in GAP_COLUMNS} | {"name"}
    if sort not in valid:
        sort = "need_index"
    direction = d.get("dir") or ("asc" if sort == "name" else "desc")

    def key(r):
        if sort == "name":
            return (0, r.name.lower())
        v = cells[r.kato].get(sort, services.MISSING).value
        if v is None or not math.isfinite(v):
            return (1, 0)  # no data last, whatever the direction
        return (0, -v if direction == "desc" else v)

    if sort == "name" and direction == "desc":
        regions.sort(key=lambda r: r.name.lower(), reverse=True)
    else:
        regions.sort(key=key)
    base = {k: v for k, v in request.GET.items() if k not in ("sort", "dir")}
    headers = []
    for key_, theme in GAP_COLUMNS:
        m = services.MEASURES[key_]
        current = sort == key_
        next_dir = "asc" if current and direction == "desc" else "desc"
        headers.append({"key": key_, "label": m.label, "unit": m.unit, "theme": theme,
                        "url": "?" + urlencode({**base, "sort": key_, "dir": next_dir}),
                        "aria_sort": ("descending" if direction == "desc" else "ascending") if current else "none"})
    name_dir = "desc" if sort == "name" and direction == "asc" else "asc"
    rows = []
    for r in regions:
        rows.append({
            "region": r,
            "cells": [dict(cell_view(cells[r.kato].get(k, services.MISSING), k, sources), rank=ranks[r.kato].get(k))
                      for k, _ in GAP_COLUMNS],
            "rank": ranks[r.kato].get("need_index"),
            "components": cells[r.kato]["need_index"].count,
        })
    by_need = sorted((r for r in rows if r["rank"]), key=lambda r: r["rank"])[:5]
    national = services.national_cells(tables, year)
    national_row = [cell_view(national.get(k, services.MISSING), k, sources) for k, _ in GAP_COLUMNS]
    coverage = {c: sum(1 for k in cells if not cells[k].get(c, services.MISSING).missing) for c in services.INDEX_COMPONENTS}
    years = sorted(set().union(*[set(services.years_available(tables, m)) for m in ("poverty_rate", "gas_share", "rss_provision")]))
    map_layer = sort if sort in services.MEASURES and services.MEASURES[sort].map_layer else "need_index"
    map_query = urlencode({"layer": map_layer, "year": year})
    lang = services.current_lang()
    targets = [(services.THEMES[t], services.fmt_number(tables[t].targets[None].value, 1, lang), tables[t].targets[None])
               for t in ("poverty", "gasification", "rss") if tables[t].targets.get(None)]
    context = {
        "form": form, "rows": rows, "headers": headers, "top": by_need, "sources": sources.items, "national": national_row,
        "year": year, "years": years, "coverage": coverage, "n_regions": len(cells), "shown": len(rows),
        "name_url": "?" + urlencode({**base, "sort": "name", "dir": name_dir}),
        "name_aria": ("ascending" if direction == "asc" else "descending") if sort == "name" else "none",
        "map_query": map_query, "targets": targets, "is_statistics": is_statistics(request.user),
        "last_recomputation": Recomputation.objects.first(),
        "csv_query": urlencode({"year": year}),
    }
    return render(request, "geo/gaps.html", context)


def region_gaps(request, kato):
    region = get_object_or_404(Region, kato=kato)
    tables = services.theme_tables()
    sources = SourceIndex()
    lang = services.current_lang()
    latest = services.region_cells(tables, services.YEAR_LATEST)
    ranks = services.rankings(latest)
    summary = [{"key": k, "label": services.MEASURES[k].label, "cell": cell_view(latest[kato].get(k, services.MISSING), k, sources),
                "rank": ranks[kato].get(k)} for k in ("poverty_gap_pp", "gas_gap_pp", "rss_gap", "need_index")]

    def series_rows(df, theme):
        out = []
        if df.empty:
            return out
        part = df[df["region"] == kato].copy()
        part["_y"] = part["year"].fillna(0)
        for _i, r in part.sort_values("_y", ascending=False).iterrows():
            year = services.number(r["year"])
            c = services.Cell
            y = int(year) if year is not None else None
            if theme == "poverty":
                row = {"year": y, "items": [
                    cell_view(c(services.number(r["rate"]), y, r["status"], r["source"], r.get("bound", "") or "", r.get("note", "") or "", r.get("period", "") or ""), "poverty_rate", sources),
                    cell_view(c(services.number(r["target"]), None, services.cells._target_status(r), r["target_source"]), "poverty_target", sources),
                    cell_view(c(services.number(r["gap_pp"]), y, r["status"], ""), "poverty_gap_pp"),
                    cell_view(c(services.number(r["people_below"]), y, r["status"], services.POPULATION_SOURCE), "poverty_people_below", sources),
                    cell_view(c(services.number(r["gap_people"]), y, r["status"], ""), "poverty_gap_people"),
                ]}
            elif theme == "gasification":
                inv = "ge" if r.get("bound") == "le" else ""
                years_left = services.number(r["years_to_target"])
                row = {"year": y, "period": r.get("period", ""), "items": [
                    cell_view(c(services.number(r["share"]), y, r["status"], r["source"], r.get("bound", "") or "", r.get("note", "") or "", r.get("period", "") or ""), "gas_share", sources),
                    cell_view(c(services.number(r["target"]), None, services.cells._target_status(r), r["target_source"]), "gas_target", sources),
                    cell_view(c(services.number(r["gap_pp"]), y, r["status"], "", inv), "gas_gap_pp"),
                    cell_view(c(services.number(r["people_without_gas"]), y, r["status"], services.POPULATION_SOURCE, inv), "gas_people_without", sources),
                    cell_view(c(years_left if years_left is not None and math.isfinite(years_left) and years_left > 0 else None, y, r["status"], "",
                                label="" if years_left is not None and math.isfinite(years_left) and years_left > 0 else r["projection"]), "gas_years"),
                ]}
            else:
                row = {"year": y, "items": [
                    cell_view(c(services.number(r["provision"]), y, r["status"], r["source"]), "rss_provision", sources),
                    cell_view(c(services.number(r["gap"]), y, r["status"], ""), "rss_gap"),
                    cell_view(c(services.number(r.get("computed_mean")), y, "computed", r.get("computed_source") if isinstance(r.get("computed_source"), str) else ""), "rss_provision", sources),
                    cell_view(c(services.number(r.get("computed_weighted")), y, "computed", ""), "rss_weighted"),
                ]}
            out.append(row)
        return out

    poverty = series_rows(tables["poverty"].regional, "poverty")
    gas = series_rows(tables["gasification"].regional, "gasification")
    rss = series_rows(tables["rss"].regional, "rss")
    other = []
    for t in ("poverty",):
        o = tables[t].other
        if len(o):
            for r in o[o["region"] == kato].sort_values("year", ascending=False).itertuples():
                other.append({"year": r.year, "territory": r.territory, "area_code": r.area_code,
                              "cell": cell_view(services.Cell(r.value, r.year, "old_territory", r.source), "poverty_rate", sources)})
    shares = services.crosswalk_shares()
    incoming = []
    if len(shares):
        names = {f.kato: f.name for f in FormerRegion.objects.all()}
        for s in shares[shares["new_kato"] == kato].itertuples():
            incoming.append({"old": names.get(s.old_kato, s.old_kato), "share": services.fmt_number(100 * s.share, 1, lang),
                             "population": services.fmt_number(s.population, 0, lang)})
    computed = tables["rss"].extra.get("computed", {})
    districts = []
    if computed:
        y = max(computed)
        per = computed[y].districts
        names = {d.kato: d.name for d in District.objects.filter(region=region)}
        for r in per[per["district_kato"].isin(list(names))].itertuples():
            districts.append({"name": names.get(r.district_kato), "year": y,
                              "mean": cell_view(services.Cell(services.number(r.provision_mean), y, "computed", r.source), "rss_provision", sources),
                              "weighted": cell_view(services.Cell(services.number(r.provision_weighted), y, "computed", ""), "rss_weighted"),
                              "assessed": r.settlements_assessed, "settlements": r.settlements})
    priority, priority_year = _priority(kato)
    context = {
        "region": region, "summary": summary, "poverty": poverty, "gas": gas, "rss": rss, "other": other,
        "incoming": incoming, "districts": districts, "priority": priority, "priority_year": priority_year,
        "sources": sources.items, "reform": kato in services.reform_regions(),
        "can_edit": can_edit_region(request.user, region),
        "gas_pace": tables["gasification"].extra.get("stated_pace"),
        "n_settlements": Settlement.objects.filter(region=region).count(),
    }
    return render(request, "geo/region_gaps.html", context)


def _priority(kato):
    top, year = services.priority_list(kato)
    if top is None or not len(top):
        return [], year
    objects = Settlement.objects.in_bulk([int(i) for i in top["settlement_id"]])
    lang = services.current_lang()
    out = []
    for r in top.itertuples():
        s = objects.get(int(r.settlement_id))
        if s is None:
            continue
        out.append({"settlement": s, "priority": r.priority, "provision": services.fmt_number(r.provision, 1, lang),
                    "gap": services.fmt_number(r.gap, 1, lang), "met": int(r.met), "applicable": int(r.applicable)})
    return out, year


def settlements(request, kato):
    region = get_object_or_404(Region, kato=kato)
    form = SettlementFilterForm(region, request.GET or None)
    qs = Settlement.objects.filter(region=region).select_related("district", "declared_region")
    if form.is_valid():
        d = form.cleaned_data
        if d.get("q"):
            qs = qs.filter(Q(name_kk__icontains=d["q"]) | Q(name_ru__icontains=d["q"]) | Q(name_en__icontains=d["q"]))
        if d.get("district"):
            qs = qs.filter(district__kato=d["district"])
        if d.get("type"):
            qs = qs.filter(type=d["type"])
    qs = qs.order_by("-population", "name_ru", "name_kk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    by_type = dict(Settlement.objects.filter(region=region).values_list("type").annotate(n=Count("id")))
    types = [(label, by_type.get(value, 0)) for value, label in Settlement.Type.choices if by_type.get(value)]
    mismatches = Settlement.objects.filter(Q(region=region) | Q(declared_region=region)).exclude(problem="").select_related(
        "region", "declared_region")[:50]
    priority, priority_year = _priority(kato)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "region": region, "form": form, "page": page, "types": types, "total": sum(by_type.values()),
        "priority": priority, "priority_year": priority_year, "mismatches": mismatches,
        "query": params.urlencode(), "has_official_standards": RssStandard.objects.filter(is_example=False).exists(),
        "observations": RssObservation.objects.filter(settlement__region=region).count(),
        "map_query": urlencode({"layer": "rss_provision", "settlements": "on", "region": kato}),
    }
    return render(request, "geo/settlements.html", context)


def settlements_geojson(request, kato):
    region = get_object_or_404(Region, kato=kato)
    features = []
    for s in Settlement.objects.filter(region=region, lat__isnull=False, lon__isnull=False).select_related("district"):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                         "properties": {"id": s.pk, "name": s.name, "type": s.type, "population": s.population,
                                        "district": s.district.kato if s.district_id else None, "source": s.source}})
    return _geojson_response(request, features)


def settlement_detail(request, pk):
    settlement = get_object_or_404(Settlement.objects.select_related("region", "district", "declared_region"), pk=pk)
    may_edit = settlement.region_id is not None and can_edit_region(request.user, settlement.region)
    form = None
    if may_edit:
        form = RssObservationForm(settlement, request.POST or None,
                                  initial={"year": timezone.now().year})
        if request.method == "POST":
            if form.is_valid():
                obs, created = RssObservation.objects.update_or_create(
                    settlement=settlement, standard=form.cleaned_data["standard"], year=form.cleaned_data["year"],
                    defaults={"met": form.cleaned_data["met"], "source": form.cleaned_data["source"],
                              "entered_by": request.user})
                messages.success(request, _("Saved."))
                return redirect("geo:settlement_detail", pk=settlement.pk)
    elif request.method == "POST":
        raise PermissionDenied
    observations = settlement.rss_observations.select_related("standard").order_by("-year", "standard__code")
    standards = [s for s in RssStandard.objects.all() if s.applies_to(settlement.type)]
    context = {"settlement": settlement, "form": form, "observations": observations, "standards": standards,
               "official_standards": [s for s in standards if not s.is_example], "may_edit": may_edit}
    return render(request, "geo/settlement_detail.html", context)


@login_required
def settlement_import(request):
    if not is_statistics(request.user):
        raise PermissionDenied
    form = SettlementImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        data = f.read()
        job = services.start_settlement_import(data, user=request.user, file_name=f.name,
                                               source=form.cleaned_data.get("source") or "")
        return redirect("geo:settlement_import_detail", pk=job.pk)
    return render(request, "geo/settlement_import.html", {"form": form, "imports": SettlementImport.objects.all()[:20]})


def job_json(job, extra=None) -> JsonResponse:
    """A job row's progress for its page's poller (geo/progress.js), never cached; the budget's counts use it too."""
    data = {"status": job.status, "status_label": job.get_status_display(), "done": job.done, "total": job.total,
            "percent": job.percent, "message": _(job.message) if job.message else "", "finished": job.finished,
            "errors": len(job.errors or [])}
    data.update(extra or {})
    response = JsonResponse(data)
    patch_cache_control(response, no_store=True)
    return response


@login_required
def settlement_import_detail(request, pk):
    if not is_statistics(request.user):
        raise PermissionDenied
    job = get_object_or_404(SettlementImport, pk=pk)
    services.expire_stale(job)
    regions = {r.kato: r.name for r in Region.objects.all()}
    report = []
    for item in (job.report or [])[:500]:
        report.append({**item, "declared_name": regions.get(item.get("declared") or "", ""),
                       "found_name": regions.get(item.get("found") or "", ""),
                       "problem_label": dict(Settlement.Problem.choices).get(item.get("problem"), _("no name"))})
    problems = [(dict(Settlement.Problem.choices).get(k, _("no name")), v) for k, v in sorted((job.problems or {}).items())]
    return render(request, "geo/settlement_import_detail.html",
                  {"job": job, "report": report, "problems": problems,
                   "status_url": reverse("geo:settlement_import_status", args=[job.pk])})


@login_required
def settlement_import_status(request, pk):
    if not is_statistics(request.user):
        raise PermissionDenied
    job = get_object_or_404(SettlementImport, pk=pk)
    services.expire_stale(job)
    return job_json(job, {"created": job.created, "updated": job.updated, "unchanged": job.unchanged,
                           "rejected": job.rejected, "problems": sum((job.problems or {}).values())})


@login_required
@require_POST
def recompute(request):
    if not is_statistics(request.user):
        raise PermissionDenied
    job = services.start_recomputation(request.user)
    return redirect("geo:recompute_detail", pk=job.pk)


@login_required
def recompute_detail(request, pk):
    if not is_statistics(request.user):
        raise PermissionDenied
    job = get_object_or_404(Recomputation, pk=pk)
    services.expire_stale(job)
    return render(request, "geo/recompute_detail.html",
                  {"job": job, "status_url": reverse("geo:recompute_status", args=[job.pk])})


@login_required
def recompute_status(request, pk):
    if not is_statistics(request.user):
        raise PermissionDenied
    job = get_object_or_404(Recomputation, pk=pk)
    services.expire_stale(job)
    return job_json(job)


def rss_catalogue(request):
    standards = RssStandard.objects.annotate(n_obs=Count("observations"))
    types = dict(Settlement.Type.choices)
    rows = [{"standard": s, "types": [types.get(t, t) for t in s.settlement_types or []]} for s in standards]
    figures = [{"figure": f, "source": services.localize_source(f.source_text)}
               for f in GapFigure.objects.filter(kind=GapFigure.Kind.RSS).select_related("region").order_by("scope", "region__kato")]
    return render(request, "geo/rss_catalogue.html", {
        "rows": rows, "only_examples": not any(not s.is_example for s in standards),
        "is_statistics": is_statistics(request.user), "figures": figures,
    })


@login_required
def rss_standard_edit(request, pk=None):
    if not is_statistics(request.user):
        raise PermissionDenied
    standard = get_object_or_404(RssStandard, pk=pk) if pk else None
    form = RssStandardForm(request.POST or None, instance=standard)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("geo:rss_catalogue")
    return render(request, "geo/rss_standard_form.html", {"form": form, "standard": standard})
