"""REST API of the localization data: goals, targets, indicators, values, regional targets, statuses.

Read endpoints are public (anonymous), paginated and filterable; tabular lists also render as CSV
(``?format=csv``). Regions and districts are served by :mod:`geo.api` because their GeoJSON needs the
boundaries; their serializers and filters are defined here.

Writes (token or session users) reuse the web forms and the services, so the API accepts exactly what the pages
accept: :func:`localization.permissions.can_edit_region` decides the region scope (403 outside it), the forms of
``forms_data``/``forms_indicators`` validate, and :mod:`localization.services.values` /
:mod:`localization.services.decomposition` write (a CSV upload is all or nothing, every bad row reported).
"""
from __future__ import annotations

import math
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view, inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from .api_common import ApiViewMixin
from .core.decomposition import DecompositionError
from .forms_data import ApiValueForm, UploadForm
from .forms_indicators import RULE_LABELS, ProposalForm
from .models import (
    Decomposition,
    District,
    Goal,
    Indicator,
    IndicatorValue,
    Region,
    RegionalTarget,
    Target,
)
from .permissions import can_edit_region
from .services import decomposition as targets_service
from .services import values as value_service
from .services.status import NATIONAL_AREA_CODES, StatusBoard, source_label

NATIONAL = "national"

# ---------------------------------------------------------------------------------------------------------------
# fields and helpers


def finite(value):
    """JSON-safe copy: NaN and ±infinity (which strict JSON cannot carry) become null, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


class FiniteFloatField(serializers.FloatField):
    """A read-only number that is null when missing or not finite."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return finite(float(value)) if value is not None else None


class FiniteJSONField(serializers.JSONField):
    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return finite(value)


def inline_enum_field(choices, **kwargs) -> serializers.ChoiceField:
    """A read-only choice field whose enum stays inline in the schema (wrapped in ``allOf``, which
    drf-spectacular's enum hook leaves alone). Values and regional targets both have a ``status`` with different
    choices; as two shared ``StatusEnum`` components they would collide (a schema warning that fails
    ``check --deploy --fail-level WARNING``)."""
    schema = {"allOf": [{"type": "string", "enum": [value for value, _label in choices]}]}
    field_class = extend_schema_field(schema)(type("InlineEnumField", (serializers.ChoiceField,), {}))
    return field_class(choices=choices, read_only=True, **kwargs)


class BoundedIntegerFilter(django_filters.NumberFilter):
    """An integer query parameter with bounds (a bad or absurd value is a 400, never a database overflow)."""

    field_class = forms.IntegerField


class StrictNullBooleanField(forms.NullBooleanField):
    """true/false/1/0 (or absent); anything else is an error instead of being silently ignored."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is None and value not in (None, ""):
            raise forms.ValidationError(_("Use true or false."), code="invalid")
        return result

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)  # the raw text reaches the field (the default widget drops it)
        super().__init__(*args, **kwargs)


def year_filter(lookup: str = "exact", **kwargs) -> BoundedIntegerFilter:
    return BoundedIntegerFilter(field_name="year", lookup_expr=lookup, min_value=1900, max_value=2100, **kwargs)


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
    from .services.imports import code_table

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


class ApiReadOnlyViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    pass


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


# ---------------------------------------------------------------------------------------------------------------
# SDG framework


class GoalSerializer(serializers.ModelSerializer):
    short = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    targets = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Goal
        fields = ["number", "short", "title", "targets"]
        read_only_fields = fields


class TargetSerializer(serializers.ModelSerializer):
    goal = serializers.IntegerField(source="goal.number", read_only=True)
    title = serializers.CharField(read_only=True)
    global_indicators = serializers.SlugRelatedField(source="indicators", slug_field="code", many=True, read_only=True)

    class Meta:
        model = Target
        fields = ["code", "goal", "title", "global_indicators"]
        read_only_fields = fields


class TargetFilter(django_filters.FilterSet):
    goal = BoundedIntegerFilter(field_name="goal__number", min_value=1, max_value=17)

    class Meta:
        model = Target
        fields = ["goal"]


class GoalViewSet(ApiReadOnlyViewSet):
    """The 17 Sustainable Development Goals."""

    queryset = Goal.objects.prefetch_related("targets").order_by("number")
    serializer_class = GoalSerializer
    lookup_field = "number"
    lookup_value_regex = r"[0-9]{1,2}"


class TargetViewSet(ApiReadOnlyViewSet):
    """The 169 SDG targets with their global indicators."""

    queryset = Target.objects.select_related("goal").prefetch_related("indicators").order_by("sort_key")
    serializer_class = TargetSerializer
    filterset_class = TargetFilter
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{1,2}\.[0-9a-z]{1,2}"


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
            "target_value", "target_source", "limit", "value_min", "value_max", "responsible_body", "series_breaks",
            "customisation", "reporting_status", "source",
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
ErrorSerializer = inline_serializer("Error", {"detail": serializers.CharField()})
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


def writable_region(user, kato) -> Region:
    """The region named by ``kato`` if ``user`` may change its data: 400 if unknown, 403 outside the user's scope."""
    region = Region.objects.filter(kato=region_kato(kato) or str(kato)).first()
    if region is None:
        raise exceptions.ValidationError({"region": [_("Unknown region: give its 9-digit KATO code.")]})
    if not can_edit_region(user, region):
        raise exceptions.PermissionDenied(_("You may not change the data of this region."))
    return region


def form_errors(form: forms.Form) -> exceptions.ValidationError:
    errors = {}
    for field, messages in form.errors.items():
        errors["non_field_errors" if field == "__all__" else field] = [str(m) for m in messages]
    return exceptions.ValidationError(errors)


def request_fields(request, names) -> dict:
    """The named fields of a JSON or form body as form data (JSON numbers kept; absent fields left out)."""
    data = request.data
    if not hasattr(data, "get"):
        raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object or form fields.")]})
    out = {}
    for name in names:
        if name in data:
            value = data.get(name)
            if isinstance(value, bool) or (value is not None and not isinstance(value, (str, int, float))):
                raise exceptions.ValidationError({name: [_("Give a single value.")]})
            if isinstance(value, str) and "\x00" in value:
                raise exceptions.ValidationError({name: [_("Null characters are not allowed.")]})
            out[name] = "" if value is None else value
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


# ---------------------------------------------------------------------------------------------------------------
# regional targets and decompositions


class DecompositionSummarySerializer(serializers.ModelSerializer):
    rule_label = serializers.SerializerMethodField()
    params = FiniteJSONField(help_text="Rule parameters, clamping, exclusions and the consistency figures.")
    national_base = FiniteFloatField()
    national_target = FiniteFloatField()
    weighted_result = FiniteFloatField()

    class Meta:
        model = Decomposition
        fields = ["id", "rule", "rule_label", "params", "weight_kind", "base_year", "target_year", "national_base",
                  "national_target", "weighted_result", "approved", "created_at"]
        read_only_fields = fields

    def get_rule_label(self, obj) -> str:
        return str(RULE_LABELS.get(obj.rule, obj.rule))


class RegionalTargetSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    region = serializers.CharField(source="region.kato", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    status = inline_enum_field(RegionalTarget.Status.choices)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    decomposition = DecompositionSummarySerializer(read_only=True, allow_null=True)
    base_value = FiniteFloatField()
    weight = FiniteFloatField()
    target_value = FiniteFloatField()
    milestones = FiniteJSONField(help_text="Annual milestones: {year: value}.")

    class Meta:
        model = RegionalTarget
        fields = ["id", "indicator", "region", "region_name", "status", "status_label", "base_year", "base_value",
                  "weight", "target_year", "target_value", "milestones", "reason", "decomposition", "updated_at"]
        read_only_fields = fields


class TargetProposalSerializer(serializers.Serializer):
    """An akimat's proposed target for its region (as the web proposal form)."""

    indicator = serializers.CharField(max_length=24)
    region = serializers.CharField(max_length=40, help_text=REGION_HELP)
    base_year = serializers.IntegerField(help_text="A year with a value of the region's headline series")
    target_value = serializers.FloatField()
    target_year = serializers.IntegerField(min_value=2000, max_value=2100)
    reason = serializers.CharField(max_length=4000, help_text="Why this target is realistic and ambitious")


class RegionalTargetFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code", max_length=24)
    region = django_filters.CharFilter(field_name="region__kato", method=lambda qs, name, value: filter_region_code(qs, name, value),
                                       max_length=40, help_text=REGION_HELP)
    status = django_filters.ChoiceFilter(choices=RegionalTarget.Status.choices)
    decomposition = BoundedIntegerFilter(field_name="decomposition_id", min_value=1, max_value=10**15)
    in_force = StrictBooleanFilter(method="filter_in_force",
                                            help_text="true: only the approved target in force per indicator and region")

    class Meta:
        model = RegionalTarget
        fields = ["indicator", "region", "status", "decomposition", "in_force"]

    def filter_in_force(self, queryset, name, value):
        ids = [rt.pk for rt in targets_service.targets_in_force().values()]
        return queryset.filter(pk__in=ids) if value else queryset.exclude(pk__in=ids)


@extend_schema_view(
    create=extend_schema(
        request=TargetProposalSerializer,
        responses={201: RegionalTargetSerializer, 400: OpenApiResponse(description="Invalid proposal, with a message"),
                   401: ErrorSerializer, 403: ErrorSerializer},
        description="Propose the target of a region (the akimat of that region, or a statistics officer). "
                    "It awaits approval by the statistics office.",
    ),
)
class RegionalTargetViewSet(ApiViewMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Regional targets: decomposition results (with rule and parameters) and akimat proposals.

    Anonymous visitors see approved targets only, as on the indicator pages; signed-in users also see proposals.
    """

    serializer_class = RegionalTargetSerializer
    filterset_class = RegionalTargetFilter
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        qs = RegionalTarget.objects.select_related("indicator", "region", "decomposition").order_by(
            "indicator__sort_key", "region__kato", "-updated_at", "-pk")
        if not self.request.user.is_authenticated:
            qs = qs.filter(status=RegionalTarget.Status.APPROVED)
        return qs

    def get_serializer_class(self):
        return TargetProposalSerializer if self.action == "create" else RegionalTargetSerializer

    def finalize_response(self, request, response, *args, **kwargs):
        from django.utils.cache import patch_vary_headers

        patch_vary_headers(response, ["Authorization", "Cookie"])
        return super().finalize_response(request, response, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        data = request_fields(request, ["indicator", "region", "base_year", "target_value", "target_year", "reason"])
        if "region" not in data or data["region"] == "":
            raise exceptions.ValidationError({"region": [_("This field is required.")]})
        region = writable_region(request.user, data["region"])
        indicator = Indicator.objects.filter(code=str(data.get("indicator", ""))).first()
        if indicator is None:
            raise exceptions.ValidationError({"indicator": [_("Unknown indicator: give its national code, e.g. 1-2-1.")]})
        board = StatusBoard([indicator], regions=[region])
        base_years = sorted((p.year for p in board.points(indicator, region)), reverse=True)
        form = ProposalForm({k: v for k, v in data.items() if k not in ("indicator", "region")}, base_years=base_years)
        if not form.is_valid():
            raise form_errors(form)
        d = form.cleaned_data
        try:
            target = targets_service.propose_target(indicator, region, user=request.user, base_year=d["base_year"],
                                                    target_value=d["target_value"], target_year=d["target_year"],
                                                    reason=d["reason"])
        except DecompositionError as exc:
            raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from exc
        target = RegionalTarget.objects.select_related("indicator", "region", "decomposition").get(pk=target.pk)
        return Response(RegionalTargetSerializer(target, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


class DecompositionTargetSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.kato", read_only=True)
    status = inline_enum_field(RegionalTarget.Status.choices)
    base_value = FiniteFloatField()
    weight = FiniteFloatField()
    target_value = FiniteFloatField()
    milestones = FiniteJSONField()

    class Meta:
        model = RegionalTarget
        fields = ["id", "region", "status", "base_value", "weight", "target_value", "milestones"]
        read_only_fields = fields


class DecompositionSerializer(DecompositionSummarySerializer):
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    targets = DecompositionTargetSerializer(many=True, read_only=True)

    class Meta(DecompositionSummarySerializer.Meta):
        fields = ["id", "indicator", *DecompositionSummarySerializer.Meta.fields[1:], "targets"]
        read_only_fields = fields


class DecompositionFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code", max_length=24)
    rule = django_filters.ChoiceFilter(choices=[(k, k) for k in RULE_LABELS])

    class Meta:
        model = Decomposition
        fields = ["indicator", "rule"]


class DecompositionViewSet(ApiReadOnlyViewSet):
    """Stored decompositions of national targets into regional targets (rule, parameters, resulting targets)."""

    queryset = (Decomposition.objects.select_related("indicator").prefetch_related("targets__region")
                .order_by("-created_at", "-pk"))
    serializer_class = DecompositionSerializer
    filterset_class = DecompositionFilter
    lookup_value_regex = r"[0-9]{1,18}"


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


# ---------------------------------------------------------------------------------------------------------------


def register(router) -> None:
    """Add this app's endpoints to the /api/v1/ router (regions/ and districts/ come from geo.api)."""
    router.register("goals", GoalViewSet, basename="goal")
    router.register("targets", TargetViewSet, basename="target")
    router.register("indicators", IndicatorViewSet, basename="indicator")
    router.register("values", ValueViewSet, basename="value")
    router.register("regional-targets", RegionalTargetViewSet, basename="regional-target")
    router.register("decompositions", DecompositionViewSet, basename="decomposition")
    router.register("statuses", StatusViewSet, basename="status")
