"""Regions and districts: their serializers and filters (the endpoints are registered by :mod:`geo.api`, which
adds the boundaries), and the region codes every ``region=`` parameter accepts."""
from __future__ import annotations

import re

import django_filters
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers

from ..models import District, Region
from .common import ApiReadOnlyViewSet

# ---------------------------------------------------------------------------------------------------------------
# territory (registered by geo.api)


class FormerRegionRefSerializer(serializers.Serializer):
    kato = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class RegionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="Name in the request language.")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    predecessors = FormerRegionRefSerializer(many=True, read_only=True, help_text="Pre-2022 regions it continues.")
    website = serializers.CharField(read_only=True, help_text="Akimat website (URL), or empty.")
    contact_email = serializers.CharField(read_only=True, help_text="E-mail of the SDG focal point, or empty.")

    class Meta:
        model = Region
        fields = [
            "kato", "iso_code", "ref_area", "pcode", "kind", "kind_label", "name", "name_kk", "name_ru", "name_en",
            "population_total", "population_urban", "population_rural", "population_date", "population_source",
            "website", "focal_point", "contact_email", "predecessors",
        ]
        read_only_fields = fields


class DistrictSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="Name in the request language.")
    region = serializers.CharField(source="region.kato", read_only=True, help_text="KATO code of the region.")
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = District
        fields = [
            "kato", "pcode", "region", "region_name", "name", "name_kk", "name_ru", "name_en",
            "population_total", "population_urban", "population_rural", "population_date",
        ]
        read_only_fields = fields


class RegionFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Region.Kind.choices)
    kato = django_filters.CharFilter(max_length=9, help_text="KATO code, e.g. 710000000")
    iso_code = django_filters.CharFilter(max_length=6, help_text="ISO 3166-2 code, e.g. KZ-AST")
    ref_area = django_filters.CharFilter(max_length=8, help_text="REF_AREA code of the national SDG platform")

    class Meta:
        model = Region
        fields = ["kind", "kato", "iso_code", "ref_area"]


REGION_HELP = "KATO code of the region (710000000) or its ISO 3166-2 code (KZ-AST, KZ-71)"


def region_kato(value) -> str | None:
    """The KATO of a region named by any code the crosswalk knows: KATO itself, ISO 3166-2 alpha (``KZ-AKT``) or
    numeric (``KZ-15``), the national platform's REF_AREA (``KZAKT``); ``None`` if unknown."""
    from ..services.imports import code_table

    value = str(value or "").strip()
    if re.fullmatch(r"[0-9]{9}", value):
        return value
    if not value or len(value) > 40:
        return None
    code = code_table().lookup(value)
    if not code:
        return None
    row = code_table()[code]
    return row["region_kato"] if row["level"] == "region" and row["territory"] != "pre2018" else None


def filter_region_code(queryset, name, value):
    """A ``region=`` filter that takes a KATO or an ISO 3166-2 code (400 with a message for anything else)."""
    kato = region_kato(value)
    if kato is None:
        raise exceptions.ValidationError({"region": [_("Unknown region: give its KATO code (e.g. 150000000) or its ISO 3166-2 code (e.g. KZ-AKT).")]})
    return queryset.filter(**{name: kato})


class DistrictFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__kato", method=lambda qs, name, value: filter_region_code(qs, name, value),
                                       max_length=40, help_text=REGION_HELP)
    kato = django_filters.CharFilter(max_length=9)

    class Meta:
        model = District
        fields = ["region", "kato"]


class RegionViewSet(ApiReadOnlyViewSet):
    """The 20 first-level units (17 oblasts and 3 cities of republican significance)."""

    queryset = Region.objects.prefetch_related("predecessors").order_by("kato")
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    lookup_field = "kato"
    lookup_value_regex = r"[0-9]{9}"


class DistrictViewSet(ApiReadOnlyViewSet):
    """Districts and cities of regional significance (2024 grid)."""

    queryset = District.objects.select_related("region").order_by("kato")
    serializer_class = DistrictSerializer
    filterset_class = DistrictFilter
    lookup_field = "kato"
    lookup_value_regex = r"[0-9]{9}"
