"""National indicators (the national list), as on the indicator pages."""
from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from rest_framework import serializers

from ..models import Indicator, IndicatorValue
from .common import ApiReadOnlyViewSet, BoundedIntegerFilter, FiniteFloatField, FiniteJSONField, StrictBooleanFilter

# ---------------------------------------------------------------------------------------------------------------
# national indicators


def _regional_exists():
    return Exists(IndicatorValue.objects.filter(indicator=OuterRef("pk"), region__isnull=False))


class IndicatorSerializer(serializers.ModelSerializer):
    dotted = serializers.CharField(read_only=True)
    goal = serializers.IntegerField(source="goal.number", read_only=True)
    targets = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    global_indicator = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    title = serializers.CharField(read_only=True)
    unit_label = serializers.CharField(read_only=True)
    has_regional_data = serializers.BooleanField(source="has_regional", read_only=True)
    category = serializers.ChoiceField(choices=Indicator.Category.choices, allow_blank=True, read_only=True,
                                       help_text="current, monitoring, or empty when not classified")
    baseline_value = FiniteFloatField()
    target_value = FiniteFloatField()
    limit = FiniteFloatField()
    value_min = FiniteFloatField()
    value_max = FiniteFloatField()
    series_breaks = FiniteJSONField()

    class Meta:
        model = Indicator
        fields = [
            "code", "dotted", "goal", "targets", "global_indicator", "title", "unit", "unit_label", "direction",
            "category", "localized", "has_regional_data", "baseline_year", "baseline_value", "target_year",
            "target_value", "target_source", "limit", "value_min", "value_max", "responsible_body", "responsible_body_kk",
            "responsible_body_ru", "series_breaks", "customisation", "reporting_status", "source", "source_kk", "source_ru",
        ]
        read_only_fields = fields


class IndicatorFilter(django_filters.FilterSet):
    goal = BoundedIntegerFilter(field_name="goal__number", min_value=1, max_value=17)
    category = django_filters.ChoiceFilter(choices=Indicator.Category.choices)
    localized = StrictBooleanFilter()
    regional = StrictBooleanFilter(field_name="has_regional", help_text="Has values for regions.")
    target = django_filters.CharFilter(field_name="targets__code", max_length=8, distinct=True,
                                       help_text="SDG target code, e.g. 1.2")
    code = django_filters.CharFilter(max_length=24)

    class Meta:
        model = Indicator
        fields = ["goal", "category", "localized", "regional", "target", "code"]


class IndicatorViewSet(ApiReadOnlyViewSet):
    """National SDG indicators (the national list), as on the indicator pages."""

    queryset = (Indicator.objects.select_related("goal", "global_indicator").prefetch_related("targets")
                .annotate(has_regional=_regional_exists()).order_by("sort_key"))
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilter
    lookup_field = "code"
    lookup_value_regex = r"[0-9A-Za-z]{1,3}(?:-[0-9A-Za-z]{1,4}){1,5}"
