"""REST API of the spatial data: regions and districts with their simplified boundaries, the SDG gaps per
region and the settlements. Lists render as JSON, CSV (``?format=csv``) and GeoJSON (``?format=geojson``).

* Serializers and filters of the territory come from :mod:`localization.api`; this module adds the boundary
  (area, and the coverage-simplified geometry in GeoJSON).
* ``gaps/`` gives exactly the figures of the gaps page (:func:`geo.services.region_cells`, ranks from
  :func:`geo.services.rankings`, national figures from :func:`geo.services.national_cells`): every figure with
  its year, status (official, published, estimate …), bound and source. Missing figures are absent, never 0.
* ``settlements/`` lists the settlement registry with a ``bbox`` filter.
"""
from __future__ import annotations

import json
import math

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets

from localization.api import (
    ApiReadOnlyViewSet,
    DistrictSerializer,
    DistrictViewSet,
    FiniteFloatField,
    RegionSerializer,
    REGION_HELP,
    RegionViewSet,
    filter_region_code,
    region_kato,
)
from localization.api_common import WITH_GEOJSON, ApiViewMixin, check_query, wants_geojson
from localization.models import Region

from . import services
from .models import Boundary, Settlement


def _boundary(obj):
    try:
        return obj.boundary
    except obj.__class__.boundary.RelatedObjectDoesNotExist:
        return None


class BoundaryMixin(serializers.Serializer):
    """Adds ``area_km2`` and, for GeoJSON, ``geometry`` (the simplified web geometry, else the full one)."""

    area_km2 = serializers.SerializerMethodField(help_text="Area of the 2024 boundary in km².")

    def get_area_km2(self, obj) -> float | None:
        boundary = _boundary(obj)
        return boundary.area_km2 if boundary is not None else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("geojson"):
            boundary = _boundary(instance)
            text = boundary.web_geometry or boundary.geometry if boundary is not None else ""
            data["geometry"] = json.loads(text) if text else None
        return data


class GeoRegionSerializer(BoundaryMixin, RegionSerializer):
    class Meta(RegionSerializer.Meta):
        fields = [*RegionSerializer.Meta.fields, "area_km2"]
        read_only_fields = fields


class GeoDistrictSerializer(BoundaryMixin, DistrictSerializer):
    class Meta(DistrictSerializer.Meta):
        fields = [*DistrictSerializer.Meta.fields, "area_km2"]
        read_only_fields = fields


class GeoJSONContextMixin:
    renderer_classes = WITH_GEOJSON

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["geojson"] = wants_geojson(self.request) if getattr(self, "request", None) else False
        return context


class GeoRegionViewSet(GeoJSONContextMixin, RegionViewSet):
    """The 20 regions with codes (KATO, ISO 3166-2, REF_AREA), names in kk/ru/en and population;
    ``?format=geojson`` gives their simplified boundaries."""

    queryset = RegionViewSet.queryset.select_related("boundary")
    serializer_class = GeoRegionSerializer


class GeoDistrictViewSet(GeoJSONContextMixin, DistrictViewSet):
    """Districts and cities of regional significance; ``?format=geojson`` gives their simplified boundaries."""

    queryset = DistrictViewSet.queryset.select_related("boundary")
    serializer_class = GeoDistrictSerializer


# ---------------------------------------------------------------------------------------------------------------
# gaps

KINDS = ("poverty", "gasification", "rss", "index")
NATIONAL = "national"


class FigureSerializer(serializers.Serializer):
    measure = serializers.CharField()
    kind = serializers.CharField(help_text="poverty, gasification, rss or index")
    label = serializers.CharField()
    unit = serializers.CharField()
    value = FiniteFloatField()
    text = serializers.CharField(help_text="The figure as the page prints it (bound sign, decimals, 'no data')")
    year = serializers.IntegerField(allow_null=True)
    period = serializers.CharField(help_text="The period as the source writes it, when it states no year")
    status = serializers.CharField(help_text="official, published, crosswalk, computed, derived, target_* …")
    status_label = serializers.CharField()
    estimate = serializers.BooleanField()
    bound = serializers.CharField(help_text="le (≤), ge (≥), approx or empty")
    note = serializers.CharField()
    source = serializers.CharField()
    components = serializers.IntegerField(allow_null=True, help_text="Composite index: gaps used")


class GapSerializer(serializers.Serializer):
    region = serializers.CharField(allow_null=True, help_text="KATO code; null for Kazakhstan")
    region_name = serializers.CharField()
    year = serializers.CharField(help_text="The requested year, or 'latest' (each region's latest year)")
    figures = serializers.DictField(child=FigureSerializer(), help_text="Figures by measure key")
    ranks = serializers.DictField(child=serializers.IntegerField(allow_null=True),
                                  help_text="Rank among the regions per gap (1 = greatest need)")


class GapQuery(forms.Form):
    kind = forms.ChoiceField(required=False, choices=[("", "")] + [(k, k) for k in KINDS])
    year = forms.CharField(required=False, max_length=6)
    region = forms.CharField(required=False, max_length=40)

    def clean_year(self):
        year = (self.cleaned_data.get("year") or "").strip()
        if not year or year == services.YEAR_LATEST:
            return services.YEAR_LATEST
        if not year.isdigit() or not 1990 <= int(year) <= 2100:
            raise forms.ValidationError(_("Give a year between 1990 and 2100, or 'latest'."))
        return int(year)

    def clean_region(self):
        region = (self.cleaned_data.get("region") or "").strip()
        if not region or region == NATIONAL:
            return region
        kato = region_kato(region)  # KATO, ISO 3166-2 (KZ-AKT, KZ-15) or the platform's REF_AREA
        if kato is None or not Region.objects.filter(kato=kato).exists():
            raise forms.ValidationError(_("Unknown region: give its KATO code (e.g. 150000000), its ISO 3166-2 code "
                                          "(e.g. KZ-AKT) or 'national'."))
        return kato


def _figure(key: str, cell: services.Cell, lang: str) -> dict:
    measure = services.MEASURES[key]
    value = cell.value if cell.value is not None and math.isfinite(cell.value) else None
    return {
        "measure": key, "kind": measure.theme, "label": str(measure.label), "unit": str(measure.unit), "value": value,
        "text": cell.text(measure, lang), "year": cell.year, "period": cell.period or "", "status": cell.status or "",
        "status_label": cell.status_label if cell.status else "", "estimate": cell.is_estimate,
        "bound": cell.bound or "", "note": cell.note or "", "source": cell.source or "", "components": cell.count,
    }


def _figures(cells: dict, kind: str, lang: str) -> dict:
    return {key: _figure(key, cell, lang) for key, cell in cells.items()
            if key in services.MEASURES and not cell.missing and (not kind or services.MEASURES[key].theme == kind)}


GAP_PARAMETERS = [
    OpenApiParameter("kind", OpenApiTypes.STR, enum=list(KINDS), description="Only the figures of one theme"),
    OpenApiParameter("year", OpenApiTypes.STR, pattern=r"^(latest|[0-9]{4})$",
                     description="A year, or 'latest' (default): each region's latest year"),
    OpenApiParameter("region", OpenApiTypes.STR,
                     description=REGION_HELP + ", or 'national' for Kazakhstan; default: the 20 regions"),
]


@extend_schema_view(list=extend_schema(parameters=GAP_PARAMETERS))
class GapViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """SDG gaps per region (poverty, gasification, RSS provision, composite need index), as on the gaps page:
    every figure with its year, status and source; ``?format=geojson`` adds the region boundaries."""

    serializer_class = GapSerializer
    renderer_classes = WITH_GEOJSON
    filter_backends: list = []

    def list(self, request, *args, **kwargs):
        query = check_query(GapQuery, request)
        kind, year, wanted = query["kind"], query["year"], query["region"]
        lang = self.language
        tables = services.theme_tables()
        items = []
        if wanted == NATIONAL:
            national = services.national_cells(tables, year)
            items.append({"region": None, "region_name": _("Kazakhstan"), "year": str(year),
                          "figures": _figures(national, kind, lang), "ranks": {}, "_geometry": None})
        else:
            cells = services.region_cells(tables, year)
            ranks = services.rankings(cells)
            regions = Region.objects.order_by("kato")
            if wanted:
                regions = regions.filter(kato=wanted)
            geometries = {}
            if wants_geojson(request):
                geometries = dict(Boundary.objects.filter(layer=Boundary.Layer.REGIONS_2024)
                                  .values_list("code", "web_geometry"))
            for region in regions:
                rank = ranks.get(region.kato, {})
                if kind:
                    rank = {k: v for k, v in rank.items() if k in services.MEASURES and services.MEASURES[k].theme == kind}
                items.append({"region": region.kato, "region_name": region.name, "year": str(year),
                              "figures": _figures(cells.get(region.kato, {}), kind, lang), "ranks": rank,
                              "_geometry": geometries.get(region.kato)})
        page = self.paginate_queryset(items)
        if getattr(request.accepted_renderer, "format", None) == "csv":
            # CSV in the long layout of the page's download: one row per region and figure
            rows = [{"region": item["region"], "region_name": item["region_name"], "year_requested": item["year"],
                     **figure, "rank": item["ranks"].get(key)}
                    for item in page for key, figure in item["figures"].items()]
            return self.get_paginated_response(rows)
        data = []
        for item in page:
            geometry = item.pop("_geometry")
            row = GapSerializer(item).data
            if wants_geojson(request):
                row["geometry"] = json.loads(geometry) if geometry else None
            data.append(row)
        return self.get_paginated_response(data)


# ---------------------------------------------------------------------------------------------------------------
# settlements


class SettlementSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    type_label = serializers.CharField(source="get_type_display", read_only=True)
    region = serializers.CharField(source="region.kato", read_only=True, allow_null=True,
                                   help_text="Region found at the coordinates (null: outside every region)")
    district = serializers.CharField(source="district.kato", read_only=True, allow_null=True)
    declared_region = serializers.CharField(source="declared_region.kato", read_only=True, allow_null=True,
                                            help_text="Region named by the source file")
    lat = FiniteFloatField()
    lon = FiniteFloatField()
    problem = serializers.ChoiceField(choices=Settlement.Problem.choices, allow_blank=True, read_only=True,
                                      help_text="Why the location is doubtful; empty when it is not")

    class Meta:
        model = Settlement
        fields = ["id", "name", "name_kk", "name_ru", "name_en", "type", "type_label", "population", "lat", "lon",
                  "region", "district", "declared_region", "problem", "source", "osm_id"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("geojson"):
            has_point = instance.lat is not None and instance.lon is not None
            data["geometry"] = {"type": "Point", "coordinates": [instance.lon, instance.lat]} if has_point else None
        return data


class BBoxFilter(django_filters.CharFilter):
    """``bbox=min_lon,min_lat,max_lon,max_lat`` (WGS 84)."""

    def filter(self, qs, value):
        if not value:
            return qs
        try:
            parts = [float(p) for p in value.split(",")]
        except ValueError:
            parts = []
        if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
            raise exceptions.ValidationError({"bbox": [_("Give bbox as min_lon,min_lat,max_lon,max_lat.")]})
        min_lon, min_lat, max_lon, max_lat = parts
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise exceptions.ValidationError(
                {"bbox": [_("The bbox must have min ≤ max, longitudes within ±180 and latitudes within ±90.")]})
        return qs.filter(lon__gte=min_lon, lon__lte=max_lon, lat__gte=min_lat, lat__lte=max_lat)


class SettlementFilter(django_filters.FilterSet):
    bbox = BBoxFilter(max_length=120, help_text="min_lon,min_lat,max_lon,max_lat, e.g. 71.2,50.9,71.7,51.3")
    region = django_filters.CharFilter(field_name="region__kato", max_length=40, help_text=REGION_HELP,
                                       method=lambda qs, name, value: filter_region_code(qs, name, value))
    district = django_filters.CharFilter(field_name="district__kato", max_length=9)
    type = django_filters.ChoiceFilter(choices=Settlement.Type.choices)
    q = django_filters.CharFilter(method="filter_name", max_length=60, help_text="Name contains (any language)")
    min_population = django_filters.NumberFilter(field_name="population", lookup_expr="gte",
                                                 min_value=0, max_value=10**9)

    class Meta:
        model = Settlement
        fields = ["bbox", "region", "district", "type", "q", "min_population"]

    def filter_name(self, queryset, name, value):
        return queryset.filter(Q(name_kk__icontains=value) | Q(name_ru__icontains=value) | Q(name_en__icontains=value))


class SettlementViewSet(GeoJSONContextMixin, ApiReadOnlyViewSet):
    """Populated places (the settlement registry), with the region and district found at their coordinates;
    ``?bbox=`` selects a map window and ``?format=geojson`` gives points."""

    queryset = Settlement.objects.select_related("region", "district", "declared_region").order_by("pk")
    serializer_class = SettlementSerializer
    filterset_class = SettlementFilter
    lookup_value_regex = r"[0-9]{1,18}"


def register(router) -> None:
    router.register("regions", GeoRegionViewSet, basename="region")
    router.register("districts", GeoDistrictViewSet, basename="district")
    router.register("gaps", GapViewSet, basename="gap")
    router.register("settlements", SettlementViewSet, basename="settlement")
