"""REST API of the People's Participation Budget: cycles, proposals and the published results.

Registered by :mod:`config.api` (``register(router)``) under ``/api/v1/budget/``. Every view uses
:class:`localization.api_common.ApiViewMixin`: names and messages follow ``?lang=``/``Accept-Language``, lists
are paginated and render as CSV (``?format=csv``), proposals also as GeoJSON points (``?format=geojson``),
responses carry ETags and are throttled like the rest of the API.

Privacy and secrecy of the vote, the same rules as the pages (:mod:`budget.views`):

* proposals carry only public fields: never the author, the co-applicants, e-mails or IIN hashes;
* vote counts come only from the stored count (:class:`budget.models.CountResult`) and only once the voting stage
  has closed: before that a proposal has no ``votes`` key at all, ``results/`` lists nothing for the cycle and
  ``results/<id>/`` and ``results/<id>/pb/`` are 404 — for everyone, whatever the user;
* ``results/<id>/pb/`` returns exactly the stored ``.pb`` text, whose SHA-256 is the listed ``pb_sha256``.
"""
from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import renderers, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from localization.api import ApiReadOnlyViewSet, BoundedIntegerFilter, FiniteFloatField, FiniteJSONField
from localization.api_common import WITH_GEOJSON, wants_geojson
from localization.models import current_lang

from . import services
from .models import Bucket, Category, CountResult, Cycle, Proposal, Review, Stage

MAX_ID = 10**15
ID_REGEX = r"[0-9]{1,15}"


def _closed_cycle_ids(cycle_ids=None) -> set[int]:
    """Cycles whose voting stage has closed (the stage is derived from dates and overrides, so in Python)."""
    cycles = Cycle.objects.all() if cycle_ids is None else Cycle.objects.filter(pk__in=cycle_ids)
    return {cycle.pk for cycle in cycles if cycle.voting_closed}


def inline_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A read-only choice whose enum stays inline (``status``/``category`` names are used by other apps' enums too,
    and a name collision would be a schema warning)."""
    values = [value for value, _label in choices]
    if kwargs.get("allow_blank") and "" not in values:
        values.append("")  # an empty value is a documented answer ("any"), so the schema must allow it
    schema = {"allOf": [{"type": "string", "enum": values}]}
    field_class = extend_schema_field(schema)(type("BudgetInlineChoice", (serializers.ChoiceField,), {}))
    return field_class(choices=choices, read_only=True, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# cycles


class BucketSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text="Name in the request language.")
    category = inline_choice(Category.choices, allow_blank=True, help_text="Only proposals of this category; empty: any")
    sponsor_money = serializers.SerializerMethodField(help_text="Sponsors' co-funding, tenge")
    total_money = serializers.SerializerMethodField(help_text="Money for the count: own money plus co-funding, tenge")

    class Meta:
        model = Bucket
        fields = ["id", "name", "name_kk", "name_ru", "name_en", "category", "min_apartments", "max_apartments",
                  "money", "sponsor_money", "total_money"]
        read_only_fields = fields

    def get_name(self, obj) -> str:
        return obj.tr("name", current_lang())

    def get_sponsor_money(self, obj) -> int:
        return sum(int(s.amount) for s in obj.sponsorships.all())

    def get_total_money(self, obj) -> int:
        return int(obj.money) + self.get_sponsor_money(obj)


class StageDatesSerializer(serializers.Serializer):
    submission_start = serializers.DateField()
    submission_end = serializers.DateField()
    review_end = serializers.DateField()
    revision_end = serializers.DateField()
    rereview_end = serializers.DateField()
    voting_start = serializers.DateField()
    voting_end = serializers.DateField()
    results_date = serializers.DateField()
    implementation_start = serializers.DateField()


class CycleSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text="Name in the request language.")
    district = serializers.CharField(source="district.kato", read_only=True, allow_null=True,
                                     help_text="KATO code of the district running the cycle (null: a city-wide cycle)")
    region = serializers.SerializerMethodField(help_text="KATO code of the region or city of the owner")
    owner_name = serializers.SerializerMethodField(help_text="District or city, in the request language")
    cap_tenge = serializers.IntegerField(read_only=True, help_text="Per-project cap in tenge")
    cap_unit = inline_choice(Cycle.CapUnit.choices)
    ballot_rule = inline_choice(Cycle.BallotRule.choices)
    ballot_rule_label = serializers.CharField(source="get_ballot_rule_display", read_only=True)
    counting_rule = inline_choice(Cycle.CountingRule.choices)
    counting_rule_label = serializers.CharField(source="get_counting_rule_display", read_only=True)
    k = serializers.IntegerField(source="max_choices", read_only=True, help_text="Approval ballots: at most k projects")
    stage = serializers.SerializerMethodField(help_text="Current stage (from the dates, or set by an officer)")
    stage_label = serializers.SerializerMethodField()
    voting_closed = serializers.SerializerMethodField(help_text="Votes and results are public only when true")
    counted = serializers.SerializerMethodField(help_text="The count has been published")
    dates = serializers.SerializerMethodField(help_text="Stage dates (inclusive)")
    buckets = BucketSerializer(many=True, read_only=True)

    class Meta:
        model = Cycle
        fields = ["id", "name", "name_kk", "name_ru", "name_en", "district", "region", "owner_name", "year", "mrp",
                  "total_money", "cap_unit", "cap_amount", "cap_tenge", "ballot_rule", "ballot_rule_label", "k",
                  "vote_changeable", "counting_rule", "counting_rule_label", "stage", "stage_label", "voting_closed",
                  "counted", "dates", "buckets"]
        read_only_fields = fields

    def get_name(self, obj) -> str:
        return obj.tr("name", current_lang())

    def get_region(self, obj) -> str:
        return obj.owner_region.kato

    def get_owner_name(self, obj) -> str:
        return obj.owner_name

    @extend_schema_field({"type": "string", "enum": [value for value, _label in Stage.choices]})
    def get_stage(self, obj):
        return obj.stage()

    def get_stage_label(self, obj) -> str:
        return str(obj.get_stage_display())

    def get_voting_closed(self, obj) -> bool:
        return obj.voting_closed

    def get_counted(self, obj) -> bool:
        return obj.closed_at is not None and obj.voting_closed

    @extend_schema_field(StageDatesSerializer)
    def get_dates(self, obj):
        return StageDatesSerializer(obj).data


class CycleFilter(django_filters.FilterSet):
    year = BoundedIntegerFilter(field_name="year", min_value=1900, max_value=2100)
    region = django_filters.CharFilter(method="filter_region", max_length=9,
                                       help_text="KATO code of the region (district cycles and city-wide cycles)")
    district = django_filters.CharFilter(field_name="district__kato", max_length=9)

    class Meta:
        model = Cycle
        fields = ["year", "region", "district"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(Q(region__kato=value) | Q(district__region__kato=value))


class CycleViewSet(ApiReadOnlyViewSet):
    """PPB cycles: owner, money, per-project cap, ballot and counting rules, current stage, stage dates and
    buckets with their money."""

    queryset = (Cycle.objects.select_related("district__region", "region")
                .prefetch_related(Prefetch("buckets", Bucket.objects.prefetch_related("sponsorships").order_by("id")))
                .order_by("-year", "id"))
    serializer_class = CycleSerializer
    filterset_class = CycleFilter
    lookup_value_regex = ID_REGEX


# ---------------------------------------------------------------------------------------------------------------
# proposals


class ReviewPublicSerializer(serializers.ModelSerializer):
    decision = inline_choice(Review.Decision.choices)
    decision_label = serializers.CharField(source="get_decision_display", read_only=True)
    explanation = serializers.CharField(read_only=True, help_text="The experts' public explanation")

    class Meta:
        model = Review
        fields = ["round", "decision", "decision_label", "explanation", "adjusted_cost"]
        read_only_fields = fields


class VotesField(serializers.IntegerField):
    """Votes from the published count. Present only once voting has closed (absent, not null, before)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", required=False, min_value=0, **kwargs)

    def to_representation(self, proposal):
        return int(self.parent.context.get("tallies", {}).get(proposal.bucket_id, {}).get(str(proposal.pk), 0))


class ProposalSerializer(serializers.ModelSerializer):
    bucket_name = serializers.SerializerMethodField(help_text="Bucket name in the request language")
    category = inline_choice(Category.choices)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    status = inline_choice(Proposal.Status.choices)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    lat = FiniteFloatField()
    lon = FiniteFloatField()
    cost = serializers.IntegerField(read_only=True, help_text="Cost on the ballot: adjusted if the experts did")
    sdg_targets = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code",
                                               help_text="SDG target codes, e.g. 11.7")
    sdg_goals = serializers.SlugRelatedField(many=True, read_only=True, slug_field="number",
                                             help_text="SDG goal numbers chosen by the author, e.g. 11")
    reviews = ReviewPublicSerializer(many=True, read_only=True, help_text="Expert decisions, public explanations")
    votes = VotesField(help_text="Votes in the published count; absent until voting has closed and been counted")

    class Meta:
        model = Proposal
        fields = ["id", "cycle", "bucket", "bucket_name", "title", "description", "category", "category_label",
                  "address", "lat", "lon", "estimated_cost", "adjusted_cost", "cost", "status", "status_label",
                  "sdg_targets", "sdg_goals", "reviews", "votes"]
        read_only_fields = [f for f in fields if f != "votes"]

    def get_bucket_name(self, obj) -> str:
        return obj.bucket.tr("name", current_lang())

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.bucket_id not in self.context.get("tallies", {}):
            data.pop("votes", None)  # no count published (or voting still open): no key at all
        if self.context.get("geojson"):
            data["geometry"] = {"type": "Point", "coordinates": [instance.lon, instance.lat]}
        return data


class ProposalFilter(django_filters.FilterSet):
    cycle = BoundedIntegerFilter(field_name="cycle_id", min_value=1, max_value=MAX_ID)
    bucket = BoundedIntegerFilter(field_name="bucket_id", min_value=1, max_value=MAX_ID)
    status = django_filters.ChoiceFilter(choices=Proposal.Status.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)

    class Meta:
        model = Proposal
        fields = ["cycle", "bucket", "status", "category"]


class ProposalViewSet(ApiReadOnlyViewSet):
    """Proposals with their public fields only (never the author or co-applicants). ``votes`` appears only after
    voting has closed and the count was published; ``?format=geojson`` gives points."""

    queryset = (Proposal.objects.select_related("bucket", "cycle")
                .prefetch_related("sdg_targets", "sdg_goals", Prefetch("reviews", Review.objects.order_by("round")))
                .order_by("cycle_id", "bucket_id", "id"))
    serializer_class = ProposalSerializer
    filterset_class = ProposalFilter
    renderer_classes = WITH_GEOJSON
    lookup_value_regex = ID_REGEX

    def _tallies(self, proposals) -> dict:
        """{bucket id: tallies} of the published counts of closed cycles among ``proposals``."""
        cycle_ids = {p.cycle_id for p in proposals}
        closed = _closed_cycle_ids(cycle_ids) if cycle_ids else set()
        if not closed:
            return {}
        buckets = {p.bucket_id for p in proposals if p.cycle_id in closed}
        return dict(CountResult.objects.filter(cycle_id__in=closed, bucket_id__in=buckets)
                    .values_list("bucket_id", "tallies"))

    def get_serializer(self, *args, **kwargs):
        instance = args[0] if args else kwargs.get("instance")
        proposals = list(instance) if isinstance(instance, (list, tuple)) else ([instance] if instance else [])
        context = self.get_serializer_context()
        context["tallies"] = self._tallies(proposals) if proposals else {}
        context["geojson"] = wants_geojson(self.request) if getattr(self, "request", None) else False
        kwargs["context"] = context
        return self.get_serializer_class()(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# results


class ProjectVotesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    votes = serializers.IntegerField()
    cost = serializers.IntegerField()


class FairnessRowSerializer(serializers.Serializer):
    kato = serializers.CharField(help_text="Voters' district of registration")
    name = serializers.CharField()
    voters = serializers.IntegerField(allow_null=True)
    voters_with_funded = serializers.IntegerField(allow_null=True)
    money_per_voter = FiniteFloatField()


class ResultSerializer(serializers.ModelSerializer):
    cycle_name = serializers.SerializerMethodField()
    bucket_name = serializers.SerializerMethodField()
    rule = inline_choice(Cycle.CountingRule.choices)
    rule_label = serializers.CharField(source="get_rule_display", read_only=True)
    winners = serializers.SerializerMethodField(help_text="Funded projects in the order they were selected")
    not_funded = serializers.SerializerMethodField(help_text="The other projects on the ballot, most votes first")
    share_with_funded = serializers.SerializerMethodField(help_text="Share of voters with at least one funded project")
    fairness = FiniteJSONField(help_text="Fairness figures of the count as stored")
    fairness_by_district = serializers.SerializerMethodField()
    pb_url = serializers.SerializerMethodField(help_text="The anonymised ballot file (pabulib .pb), text/plain")

    class Meta:
        model = CountResult
        fields = ["id", "cycle", "cycle_name", "bucket", "bucket_name", "rule", "rule_label", "budget", "num_votes",
                  "money_spent", "money_left", "winners", "not_funded", "share_with_funded", "fairness",
                  "fairness_by_district", "pb_sha256", "pb_url", "created_at"]
        read_only_fields = fields

    def get_cycle_name(self, obj) -> str:
        return obj.cycle.tr("name", current_lang())

    def get_bucket_name(self, obj) -> str:
        return obj.bucket.tr("name", current_lang())

    def _projects(self, obj) -> dict:
        cache = self.context.setdefault("_projects", {})
        if obj.pk not in cache:
            cache[obj.pk] = {p.pk: p for p in obj.bucket.proposals.filter(pk__in=[int(k) for k in obj.tallies])}
        return cache[obj.pk]

    def _row(self, obj, proposal) -> dict:
        return {"id": proposal.pk, "title": proposal.title, "votes": int(obj.tallies.get(str(proposal.pk), 0)),
                "cost": proposal.cost}

    @extend_schema_field(ProjectVotesSerializer(many=True))
    def get_winners(self, obj):
        projects = self._projects(obj)
        return [self._row(obj, projects[pid]) for pid in obj.winners if pid in projects]

    @extend_schema_field(ProjectVotesSerializer(many=True))
    def get_not_funded(self, obj):
        winners = set(obj.winners)
        others = sorted((p for pid, p in self._projects(obj).items() if pid not in winners),
                        key=lambda p: (-int(obj.tallies.get(str(p.pk), 0)), p.pk))
        return [self._row(obj, p) for p in others]

    def get_share_with_funded(self, obj) -> float | None:
        value = (obj.fairness or {}).get("share_with_funded")
        return float(value) if isinstance(value, (int, float)) else None

    @extend_schema_field(FairnessRowSerializer(many=True))
    def get_fairness_by_district(self, obj):
        return FairnessRowSerializer(services.fairness_rows(obj), many=True).data

    def get_pb_url(self, obj) -> str:
        path = reverse("budget-result-pb", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ResultFilter(django_filters.FilterSet):
    cycle = BoundedIntegerFilter(field_name="cycle_id", min_value=1, max_value=MAX_ID)
    bucket = BoundedIntegerFilter(field_name="bucket_id", min_value=1, max_value=MAX_ID)

    class Meta:
        model = CountResult
        fields = ["cycle", "bucket"]


class PlainTextRenderer(renderers.BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode(self.charset)
        return renderers.JSONRenderer().render(data)  # an error body


class ResultViewSet(ApiReadOnlyViewSet):
    """Published counts of cycles whose voting has closed: winners with votes and cost, money left, fairness,
    and the anonymised ballot file (``pb_url``) with its SHA-256. Nothing is listed for a cycle still voting."""

    serializer_class = ResultSerializer
    filterset_class = ResultFilter
    lookup_value_regex = ID_REGEX

    queryset = CountResult.objects.none()  # for the schema; the real one depends on the stages

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CountResult.objects.none()
        counted = CountResult.objects.values_list("cycle_id", flat=True).distinct()
        closed = _closed_cycle_ids(set(counted))
        return (CountResult.objects.filter(cycle_id__in=closed).select_related("cycle", "bucket")
                .defer("pb_text").order_by("cycle_id", "bucket_id"))

    @extend_schema(
        filters=False,
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The .pb file, as stored"),
                   (404, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="Unknown, or not yet public")},
    )
    @action(detail=True, methods=["get"], url_path="pb", url_name="pb", renderer_classes=[PlainTextRenderer],
            pagination_class=None, filter_backends=[])
    def pb(self, request, pk=None):
        result = CountResult.objects.filter(pk=pk, cycle_id__in=self.get_queryset().values("cycle_id")) \
            .select_related("cycle").first()
        if result is None or not result.cycle.voting_closed:
            raise Http404
        response = Response(result.pb_text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="aimaq_{result.cycle.year}_cycle{result.cycle_id}_bucket{result.bucket_id}.pb"')
        response["X-Checksum-SHA256"] = result.pb_sha256
        return response


def register(router) -> None:
    router.register("budget/cycles", CycleViewSet, basename="budget-cycle")
    router.register("budget/proposals", ProposalViewSet, basename="budget-proposal")
    router.register("budget/results", ResultViewSet, basename="budget-result")
