"""The SDG framework: goals and targets."""
from __future__ import annotations

import django_filters
from rest_framework import serializers

from ..models import Goal, Target
from .common import ApiReadOnlyViewSet, BoundedIntegerFilter

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
