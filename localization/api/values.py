"""Values of the national indicators: reads (filters by region, years, disaggregation, verification) and
writes (one value as in the web entry form; a CSV/XLSX upload, all rows or none)."""
from __future__ import annotations

import re

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from ..api_common import ApiViewMixin
from ..forms.data import ApiValueForm, UploadForm
from ..models import IndicatorValue
from ..services import values as value_service
from ..services.status import NATIONAL_AREA_CODES, source_label
from .common import NATIONAL, BoundedIntegerFilter, FiniteFloatField, FiniteJSONField, StrictBooleanFilter, year_filter
from .territory import REGION_HELP, region_kato
from .writing import ErrorSerializer, form_errors, request_fields, writable_region

# ---------------------------------------------------------------------------------------------------------------
# values


class ValueSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    region = serializers.CharField(source="region.kato", read_only=True, allow_null=True,
                                   help_text="KATO code of the region; null for national values.")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    disaggregation = FiniteJSONField(help_text="Disaggregation columns and codes; {} for the total.")
    value = FiniteFloatField(allow_null=False)
    source = serializers.SerializerMethodField(help_text="Where the value comes from (file:line or who entered it).")

    class Meta:
        model = IndicatorValue
        fields = [
            "id", "indicator", "region", "area_code", "territory", "year", "unit", "series", "dims", "disaggregation",
            "value", "status", "status_label", "source", "source_file", "source_line", "updated_at",
        ]
        read_only_fields = fields

    def get_source(self, obj) -> str:
        return source_label(obj.status, obj.source_file, obj.source_line, obj.source_note)


class ValueFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code", max_length=24, help_text="National code, e.g. 1-2-1")
    goal = BoundedIntegerFilter(field_name="indicator__goal__number", min_value=1, max_value=17)
    region = django_filters.CharFilter(method="filter_region", max_length=40,
                                       help_text="KATO or ISO 3166-2 code of a region (150000000, KZ-AKT, KZ-15), "
                                                 "or 'national' for the national values")
    year = year_filter()
    year_min = year_filter("gte", help_text="First year (inclusive)")
    year_max = year_filter("lte", help_text="Last year (inclusive)")
    disaggregation = django_filters.CharFilter(
        method="filter_disaggregation", max_length=300,
        help_text="'total' for totals only, or COLUMN=CODE pairs separated by ';', e.g. SEX=F;URBANISATION=U")
    verified = StrictBooleanFilter(
        method="filter_verified",
        help_text="true: official statistics and values verified by the statistics office; false: the others")
    status = django_filters.MultipleChoiceFilter(choices=IndicatorValue.Verification.choices)
    unit = django_filters.CharFilter(max_length=40)
    series = django_filters.CharFilter(max_length=80)

    class Meta:
        model = IndicatorValue
        fields = ["indicator", "goal", "region", "year", "year_min", "year_max", "disaggregation", "verified",
                  "status", "unit", "series"]

    def filter_region(self, queryset, name, value):
        value = value.strip()
        if value.lower() == NATIONAL:
            return queryset.filter(region__isnull=True, area_code__in=NATIONAL_AREA_CODES)
        if region_kato(value) is None:
            raise exceptions.ValidationError({"region": [_("Give a region's KATO code (e.g. 150000000), its ISO 3166-2 code (e.g. KZ-AKT) or 'national'.")]})
        return queryset.filter(region__kato=region_kato(value))

    def filter_disaggregation(self, queryset, name, value):
        if value.strip().lower() == "total":
            return queryset.filter(dims="")
        try:
            dims = value_service.parse_disaggregation(value)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"disaggregation": exc.messages}) from exc
        return queryset.filter(dims=dims)

    def filter_verified(self, queryset, name, value):
        confirmed = Q(status__in=[IndicatorValue.Verification.OFFICIAL, IndicatorValue.Verification.VERIFIED])
        return queryset.filter(confirmed) if value else queryset.exclude(confirmed)

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        if data.get("year_min") is not None and data.get("year_max") is not None and data["year_min"] > data["year_max"]:
            raise exceptions.ValidationError({"year_max": [_("year_max must not be before year_min.")]})
        return super().filter_queryset(queryset)


class ValueEntrySerializer(serializers.Serializer):
    """One value for a region, as in the web entry form (stored as unverified until a statistics officer verifies it)."""

    indicator = serializers.CharField(max_length=24, help_text="National code, e.g. 1-2-1")
    region = serializers.CharField(max_length=40, help_text=REGION_HELP)
    year = serializers.IntegerField()
    value = serializers.FloatField()
    unit = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    disaggregation = serializers.CharField(required=False, allow_blank=True, default="", max_length=200,
                                           help_text="e.g. SEX=F; URBANISATION=U; empty for the total")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)


class UploadSerializer(serializers.Serializer):
    """A CSV or XLSX file in the Open SDG layout (Year, disaggregation columns, REF_AREA, Value) for one region."""

    indicator = serializers.CharField(max_length=24, help_text="National code, e.g. 1-2-1")
    region = serializers.CharField(max_length=40, help_text=REGION_HELP + " (every row's REF_AREA must be its code)")
    file = serializers.FileField(help_text="indicator_<code>.csv or .xlsx, at most 5 MB")


class RowErrorSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField(help_text="Line of the file (0: the file as a whole)")
    message = serializers.CharField()


UploadRejectedSerializer = inline_serializer("UploadRejected", {
    "detail": serializers.CharField(required=False, help_text="What happened (a rejected file)"),
    "errors": RowErrorSerializer(many=True, required=False, help_text="Every bad row of a rejected file"),
}, help_text="A rejected file (detail and errors per row), or form errors by field name (indicator, region, file).")
UploadResultSerializer = inline_serializer("UploadResult", {
    "created": serializers.IntegerField(),
    "updated": serializers.IntegerField(),
    "unchanged": serializers.IntegerField(),
    "warnings": serializers.ListField(child=serializers.CharField()),
})
_ROW_ERROR = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<message>.*)$", re.S)


def row_errors(errors: list[str]) -> list[dict]:
    """``file:line: reason`` strings → ``{"file", "line", "message"}``."""
    out = []
    for text in errors:
        match = _ROW_ERROR.match(str(text))
        if match:
            out.append({"file": match["file"], "line": int(match["line"]), "message": match["message"]})
        else:
            out.append({"file": "", "line": 0, "message": str(text)})
    return out


@extend_schema_view(
    create=extend_schema(
        request=ValueEntrySerializer,
        responses={201: ValueSerializer, 400: OpenApiResponse(description="Invalid input, with a message per field"),
                   401: ErrorSerializer, 403: ErrorSerializer},
        description="Enter one value for a region (akimat officers: their own region; statistics officers: any). "
                    "The same checks as the web form; the value is stored as unverified.",
    ),
    upload=extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: UploadResultSerializer, 400: UploadRejectedSerializer, 401: ErrorSerializer,
                   403: ErrorSerializer},
        description="Upload a CSV/XLSX in the Open SDG layout for one region. All rows or none: any bad row refuses "
                    "the whole file and every problem is listed with its line.",
    ),
)
class ValueViewSet(ApiViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Values of the national indicators, nationally and per region, with their verification status and source."""

    queryset = IndicatorValue.objects.select_related("indicator", "region").order_by(
        "indicator__sort_key", "year", "area_code", "unit", "series", "dims", "pk")
    serializer_class = ValueSerializer
    filterset_class = ValueFilter
    lookup_value_regex = r"[0-9]{1,18}"

    def get_serializer_class(self):
        if self.action == "create":
            return ValueEntrySerializer
        if self.action == "upload":
            return UploadSerializer
        return ValueSerializer

    def create(self, request, *args, **kwargs):
        data = request_fields(request, ["indicator", "region", "year", "value", "unit", "disaggregation", "note"])
        if "region" not in data or data["region"] == "":
            raise exceptions.ValidationError({"region": [_("This field is required.")]})
        region = writable_region(request.user, data["region"])
        form = ApiValueForm({k: v for k, v in data.items() if k != "region"})
        if not form.is_valid():
            raise form_errors(form)
        d = form.cleaned_data
        value = value_service.enter_value(request.user, indicator=d["indicator"], region=region, year=d["year"],
                                          value=d["value"], unit=d["unit"], disaggregation=d["disaggregation"],
                                          note=d["note"])
        return Response(ValueSerializer(value, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser], url_path="upload")
    def upload(self, request, *args, **kwargs):
        data = request_fields(request, ["indicator", "region"])
        if "region" not in data or data["region"] == "":
            raise exceptions.ValidationError({"region": [_("This field is required.")]})
        region = writable_region(request.user, data["region"])
        form = UploadForm({"indicator": data.get("indicator", "")}, request.FILES)
        if not form.is_valid():
            raise form_errors(form)
        upload = form.cleaned_data["file"]
        if "\x00" in (upload.name or ""):
            raise exceptions.ValidationError({"file": [_("Null characters are not allowed.")]})
        try:
            result = value_service.upload_values(request.user, indicator=form.cleaned_data["indicator"], region=region,
                                                 name=upload.name, data=upload.read())
        except value_service.UploadRejected as exc:
            return Response({
                "detail": _("Nothing was imported: the file has %(n)s problem(s), listed below.") % {"n": len(exc.errors)},
                "errors": row_errors(exc.errors),
            }, status=status.HTTP_400_BAD_REQUEST)
        return Response({"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                         "warnings": [str(w) for w in result.warnings]}, status=status.HTTP_201_CREATED)
