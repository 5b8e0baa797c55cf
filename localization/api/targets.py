"""Regional targets (decomposition results and akimat proposals, which the API also accepts) and the stored
decompositions of national targets."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from ..api_common import ApiViewMixin
from ..core.decomposition import DecompositionError
from ..forms.indicators import RULE_LABELS, ProposalForm
from ..models import Decomposition, Indicator, RegionalTarget
from ..services import decomposition as targets_service
from ..services.status import StatusBoard
from .common import (
    ApiReadOnlyViewSet, BoundedIntegerFilter, FiniteFloatField, FiniteJSONField, StrictBooleanFilter, inline_enum_field,
)
from .territory import REGION_HELP, filter_region_code
from .writing import ErrorSerializer, form_errors, request_fields, writable_region

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
