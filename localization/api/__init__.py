"""REST API of the localization data: goals, targets, indicators, values, regional targets, statuses.

Read endpoints are public (anonymous), paginated and filterable; tabular lists also render as CSV
(``?format=csv``). Regions and districts are served by :mod:`geo.api` because their GeoJSON needs the
boundaries; their serializers and filters are defined here.

Writes (token or session users) reuse the web forms and the services, so the API accepts exactly what the pages
accept: :func:`localization.permissions.can_edit_region` decides the region scope (403 outside it), the forms of
``forms.data``/``forms.indicators`` validate, and :mod:`localization.services.values` /
:mod:`localization.services.decomposition` write (a CSV upload is all or nothing, every bad row reported).

Where things live:

* :mod:`.common` -- JSON-safe number fields, inline enums, bounded and strict filters, ``ApiReadOnlyViewSet``
  (also used by ``geo.api`` and ``budget.api``); the request plumbing is :mod:`localization.api_common`.
* :mod:`.territory` -- region and district serializers and filters, the region codes ``region=`` accepts.
* :mod:`.framework` -- goals and targets; :mod:`.indicators` -- the national indicators.
* :mod:`.values` -- values, the value entry and the CSV/XLSX upload; :mod:`.writing` -- helpers of every write.
* :mod:`.targets` -- regional targets (and proposals) and decompositions; :mod:`.statuses` -- progress statuses.
* :func:`register` (here) -- adds the endpoints to the /api/v1/ router (``config.api``).
"""
from __future__ import annotations

from .common import (
    NATIONAL,
    ApiReadOnlyViewSet,
    BoundedIntegerFilter,
    FiniteFloatField,
    FiniteJSONField,
    StrictBooleanFilter,
    StrictNullBooleanField,
    finite,
    inline_enum_field,
    year_filter,
)
from .framework import GoalSerializer, GoalViewSet, TargetFilter, TargetSerializer, TargetViewSet
from .indicators import IndicatorFilter, IndicatorSerializer, IndicatorViewSet
from .statuses import StatusFilter, StatusSerializer, StatusViewSet, status_item
from .targets import (
    DecompositionFilter,
    DecompositionSerializer,
    DecompositionViewSet,
    RegionalTargetFilter,
    RegionalTargetSerializer,
    RegionalTargetViewSet,
    TargetProposalSerializer,
)
from .territory import (
    REGION_HELP,
    DistrictFilter,
    DistrictSerializer,
    DistrictViewSet,
    RegionFilter,
    RegionSerializer,
    RegionViewSet,
    filter_region_code,
    region_kato,
)
from .values import ValueEntrySerializer, ValueFilter, ValueSerializer, ValueViewSet, row_errors
from .writing import ErrorSerializer, form_errors, request_fields, writable_region

__all__ = [
    "NATIONAL", "ApiReadOnlyViewSet", "BoundedIntegerFilter", "FiniteFloatField", "FiniteJSONField",
    "StrictBooleanFilter", "StrictNullBooleanField", "finite", "inline_enum_field", "year_filter",
    "GoalSerializer", "GoalViewSet", "TargetFilter", "TargetSerializer", "TargetViewSet",
    "IndicatorFilter", "IndicatorSerializer", "IndicatorViewSet",
    "StatusFilter", "StatusSerializer", "StatusViewSet", "status_item",
    "DecompositionFilter", "DecompositionSerializer", "DecompositionViewSet", "RegionalTargetFilter",
    "RegionalTargetSerializer", "RegionalTargetViewSet", "TargetProposalSerializer",
    "REGION_HELP", "DistrictFilter", "DistrictSerializer", "DistrictViewSet", "RegionFilter", "RegionSerializer",
    "RegionViewSet", "filter_region_code", "region_kato",
    "ValueEntrySerializer", "ValueFilter", "ValueSerializer", "ValueViewSet", "row_errors",
    "ErrorSerializer", "form_errors", "request_fields", "writable_region",
    "register",
]


def register(router) -> None:
    """Add this app's endpoints to the /api/v1/ router (regions/ and districts/ come from geo.api)."""
    router.register("goals", GoalViewSet, basename="goal")
    router.register("targets", TargetViewSet, basename="target")
    router.register("indicators", IndicatorViewSet, basename="indicator")
    router.register("values", ValueViewSet, basename="value")
    router.register("regional-targets", RegionalTargetViewSet, basename="regional-target")
    router.register("decompositions", DecompositionViewSet, basename="decomposition")
    router.register("statuses", StatusViewSet, basename="status")
