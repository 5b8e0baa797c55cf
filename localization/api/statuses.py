"""Progress statuses per indicator and territory, with every input of the calculation."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, viewsets

from ..api_common import ApiViewMixin
from ..models import Indicator, Region
from ..services.status import StatusBoard
from .common import NATIONAL, BoundedIntegerFilter, FiniteFloatField, StrictBooleanFilter
from .territory import region_kato

# ---------------------------------------------------------------------------------------------------------------
# progress statuses


class PointSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    value = FiniteFloatField()
    status = serializers.CharField()
    source = serializers.CharField()


class StatusInputsSerializer(serializers.Serializer):
    method = serializers.CharField(allow_null=True, help_text="target, no_target or insufficient_data")
    base_year = serializers.IntegerField(allow_null=True)
    base_value = FiniteFloatField()
    current_year = serializers.IntegerField(allow_null=True)
    current_value = FiniteFloatField()
    target = FiniteFloatField()
    target_year = serializers.IntegerField(allow_null=True)
    direction = serializers.IntegerField(allow_null=True)
    limit = FiniteFloatField()
    ratio = FiniteFloatField()
    growth = FiniteFloatField()
    limit_factor = FiniteFloatField()
    cagr_observed = FiniteFloatField()
    cagr_required = FiniteFloatField()
    rebased_for_break = serializers.IntegerField(allow_null=True)
    score = FiniteFloatField()


class StatusSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    region = serializers.CharField(allow_null=True, help_text="KATO code; null for the national status")
    region_name = serializers.CharField()
    headline_unit = serializers.CharField(allow_null=True)
    headline_series = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    status_label = serializers.CharField()
    summary = serializers.CharField(allow_null=True)
    summary_label = serializers.CharField()
    trend = serializers.CharField(allow_null=True)
    direction = serializers.CharField(allow_null=True, help_text="higher, lower, binary, none or null (not set)")
    direction_source = serializers.CharField(help_text="Where the direction comes from (citation)")
    method = serializers.CharField(allow_null=True, help_text="target, no_target, insufficient_data or null")
    base_year = serializers.IntegerField(allow_null=True)
    base_value = FiniteFloatField(help_text="Value of the base year as published")
    latest_year = serializers.IntegerField(allow_null=True)
    latest_value = FiniteFloatField()
    reason_code = serializers.CharField(allow_null=True, help_text="Stable code of the reason")
    reason = serializers.CharField(help_text="Why there is no status, or why a target was not used, "
                                             "in the request's language")
    target_kind = serializers.CharField(allow_null=True,
                                        help_text="decomposed, regional (approved proposal), national, global or null")
    target_source = serializers.CharField(help_text="Citation of the target")
    target_used = serializers.BooleanField(help_text="False when the target was shown but not used (see reason)")
    target_value = FiniteFloatField()
    target_year = serializers.IntegerField(allow_null=True)
    regional_target = serializers.IntegerField(allow_null=True, help_text="id of the regional target in force")
    requested_base_year = serializers.IntegerField()
    series_breaks = serializers.ListField(child=serializers.IntegerField())
    inputs = StatusInputsSerializer(allow_null=True)
    points = PointSerializer(many=True)


INPUT_FIELDS = list(StatusInputsSerializer().fields)


def status_item(board: StatusBoard, indicator: Indicator, region: Region | None) -> dict:
    row = board.regional(indicator, region) if region is not None else board.national(indicator)
    headline = board.headline(indicator)
    result = row.result
    return {
        "indicator": indicator.code,
        "region": region.kato if region is not None else None,
        "region_name": region.name if region is not None else _("Kazakhstan"),
        "headline_unit": headline[0] if headline else None,
        "headline_series": headline[1] if headline else None,
        "status": row.status,
        "status_label": row.status_label,
        "summary": row.summary,
        "summary_label": row.summary_label,
        "trend": row.trend,
        "direction": indicator.direction_kind or None,
        "direction_source": indicator.direction_source,
        "method": result.method if result is not None else None,
        "base_year": result.base_year if result is not None else None,
        "base_value": row.base_value,
        "latest_year": result.current_year if result is not None else None,
        "latest_value": result.current_value if result is not None else None,
        "reason_code": row.reason_code,
        "reason": row.reason,
        "target_kind": row.target_kind,
        "target_source": row.target_source,
        "target_used": row.target_used,
        "target_value": row.target_value,
        "target_year": row.target_year,
        "regional_target": row.regional_target.pk if row.regional_target is not None else None,
        "requested_base_year": row.requested_base_year,
        "series_breaks": list(row.breaks),
        "inputs": {name: getattr(result, name, None) for name in INPUT_FIELDS} if result is not None else None,
        "points": [{"year": p.year, "value": p.value, "status": p.status, "source": p.source} for p in row.points],
    }


class StatusFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(field_name="code", max_length=24, help_text="National code, e.g. 1-2-1")
    goal = BoundedIntegerFilter(field_name="goal__number", min_value=1, max_value=17)
    category = django_filters.ChoiceFilter(choices=Indicator.Category.choices)
    localized = StrictBooleanFilter()
    region = django_filters.CharFilter(method="keep", max_length=40,
                                       help_text="KATO code of a region, or 'national'; default: national and every region")

    class Meta:
        model = Indicator
        fields = ["indicator", "goal", "category", "localized", "region"]

    def keep(self, queryset, name, value):
        return queryset  # read by the view: it selects territories, not indicators


class StatusViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Progress status per indicator × territory (national and the 20 regions), with every input of the calculation.

    Computed exactly as on the indicator pages (:class:`~localization.services.status.StatusBoard`): the headline
    series, the regional target in force or the national target, the base year and the series breaks.
    """

    queryset = Indicator.objects.select_related("goal").order_by("sort_key")
    serializer_class = StatusSerializer
    filterset_class = StatusFilter

    def list(self, request, *args, **kwargs):
        indicators = list(self.filter_queryset(self.get_queryset()))
        wanted = (request.GET.get("region") or "").strip()
        regions = list(Region.objects.order_by("kato"))
        if not wanted:
            territories = [None, *regions]
        elif wanted.lower() == NATIONAL:
            territories = [None]
        else:
            territories = [r for r in regions if r.kato == region_kato(wanted)]
            if not territories:
                raise exceptions.ValidationError({"region": [_("Unknown region: give its 9-digit KATO code or 'national'.")]})
        pairs = [(i, t) for i in indicators for t in territories]
        page = self.paginate_queryset(pairs)
        # Statuses for the indicators on this page only, computed with every region (as the pages do).
        board = StatusBoard(list({i.pk: i for i, _t in page}.values()))
        items = [status_item(board, i, t) for i, t in page]
        return self.get_paginated_response(StatusSerializer(items, many=True).data)
