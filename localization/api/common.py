"""Fields, filters and the read-only view set shared by the API modules (and by ``geo.api`` / ``budget.api``):
JSON-safe numbers, inline enums, bounded integers and strict booleans in query parameters."""
from __future__ import annotations

import math

import django_filters
from django import forms
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from ..api_common import ApiViewMixin

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


class ApiReadOnlyViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    pass

