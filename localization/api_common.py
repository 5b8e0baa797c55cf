"""Shared plumbing of the REST API (``/api/v1/``): language, renderers, pagination, throttles, ETags, schema.

localization is the bottom layer, so ``geo.api`` and ``budget.api`` import from here too.

* **Language.** Names and messages follow ``?lang=kk|ru|en``, else the ``Accept-Language`` header, else
  ``settings.LANGUAGE_CODE``. The response says which (``Content-Language``) and varies on ``Accept-Language``.
  An unknown ``?lang=`` is a 400.
* **Renderers.** JSON everywhere; :class:`CSVRenderer` (``?format=csv``) for tabular lists and
  :class:`GeoJSONRenderer` (``?format=geojson``) for spatial ones. A GeoJSON view puts a ``geometry`` key in each
  item; the renderer turns the items into Features (the other keys are the properties).
* **Limits.** Anonymous and token users are throttled (rates from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``,
  counted in the default cache, i.e. Redis when ``REDIS_URL`` is set); pages hold at most
  :attr:`ApiPagination.max_limit` items.
* **Conditional GET.** Every successful GET carries a strong ETag of its body; ``If-None-Match`` gives a 304.
"""
from __future__ import annotations

import hashlib
import io
import json
import re

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, renderers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from .core import safecells
from .models import LANGS

# ---------------------------------------------------------------------------------------------------------------
# language


def requested_language(request) -> tuple[str, str | None]:
    """(language, problem): ``?lang=`` first, then ``Accept-Language``, then the site default.

    ``problem`` is set (and the default language used) when ``?lang=`` names a language the site does not have.
    The language cookie of the web pages is deliberately ignored: an API answer depends only on the request line
    and its headers.
    """
    default = (settings.LANGUAGE_CODE or "kk")[:2]
    raw = request.GET.get("lang")
    if raw is not None:
        code = raw.strip().lower()
        return (code, None) if code in LANGS else (default, "lang")
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for accept_lang, _q in translation.trans_real.parse_accept_lang_header(header):
        if accept_lang == "*":
            break
        code = accept_lang.lower()[:2]
        if code in LANGS:
            return code, None
    return default, None


LANG_PARAMETER = OpenApiParameter(
    "lang", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False, enum=list(LANGS),
    description="Language of names and messages (kk, ru or en); without it the Accept-Language header decides.",
)


# ---------------------------------------------------------------------------------------------------------------
# renderers


def _flatten(item, prefix: str = "", out: dict | None = None) -> dict:
    """``{"a": {"b": 1}, "c": [1, 2]}`` → ``{"a.b": 1, "c": "[1,2]"}`` (lists as JSON text)."""
    out = {} if out is None else out
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, f"{name}.", out)  # an empty mapping adds no column
        elif isinstance(value, (list, tuple)):
            out[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else ""
        elif value is None:
            out[name] = ""
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = value
    return out


class CSVRenderer(renderers.BaseRenderer):
    """One row per item of a list (a page's ``results``); nested objects become ``parent.child`` columns."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            items = data["results"]
        elif isinstance(data, list):
            items = data
        else:
            items = [data]
        rows = [_flatten(item) if isinstance(item, dict) else {"value": item} for item in items]
        columns: list[str] = []
        seen = set()
        for row in rows:
            for key in row:
                if key not in seen:
                    seen.add(key)
                    columns.append(key)
        buf = io.StringIO()
        writer = safecells.DictWriter(buf, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        response = (renderer_context or {}).get("response")
        view = (renderer_context or {}).get("view")
        if response is not None and view is not None and response.status_code < 300:
            name = getattr(view, "basename", None) or "data"
            response["Content-Disposition"] = f'inline; filename="{re.sub(r"[^A-Za-z0-9_.-]", "-", name)}.csv"'
        return buf.getvalue().encode(self.charset)


class GeoJSONRenderer(renderers.JSONRenderer):
    """A FeatureCollection (a page: ``count``/``next``/``previous`` kept as foreign members) or one Feature."""

    media_type = "application/geo+json"
    format = "geojson"
    ensure_ascii = False

    @staticmethod
    def feature(item: dict) -> dict:
        item = dict(item)
        geometry = item.pop("geometry", None)
        feature = {"type": "Feature"}
        for key in ("id", "code", "kato"):
            if key in item and item[key] not in (None, ""):
                feature["id"] = item[key]
                break
        feature.update(geometry=geometry, properties=item)
        return feature

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 300 or not isinstance(data, (dict, list)):
            return super().render(data, accepted_media_type, renderer_context)
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            collection = {"type": "FeatureCollection", "features": [self.feature(i) for i in data["results"]]}
            for key in ("count", "next", "previous"):
                if key in data:
                    collection[key] = data[key]
            data = collection
        elif isinstance(data, list):
            data = {"type": "FeatureCollection", "features": [self.feature(i) for i in data]}
        elif "geometry" in data:
            data = self.feature(data)
        return super().render(data, accepted_media_type, renderer_context)


JSON_AND_CSV = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]
WITH_GEOJSON = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer, GeoJSONRenderer]


def wants_geojson(request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == GeoJSONRenderer.format


# ---------------------------------------------------------------------------------------------------------------
# pagination and throttling


class ApiPagination(LimitOffsetPagination):
    """``?limit=`` (default 100, at most 1000) and ``?offset=``; absurd offsets are clamped, never an error."""

    default_limit = 100
    max_limit = 1000
    max_offset = 10**9

    def get_offset(self, request):
        return min(super().get_offset(request), self.max_offset)


class LiveRateMixin:
    """Read the rate from the current settings (DRF binds the rates once, at import, which defeats overrides)."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(LiveRateMixin, AnonRateThrottle):
    pass


class UserThrottle(LiveRateMixin, UserRateThrottle):
    pass


# ---------------------------------------------------------------------------------------------------------------
# query parameters


def check_query(form_class: type[forms.Form], request) -> dict:
    """Validate query parameters with a Django form; a bad value is a 400 naming the parameter."""
    form = form_class(request.GET)
    if not form.is_valid():
        raise exceptions.ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    return form.cleaned_data


def drf_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A Django ValidationError (from a service) as a DRF 400, field names kept."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    return exceptions.ValidationError({"detail": [str(m) for m in exc.messages]})


# ---------------------------------------------------------------------------------------------------------------
# schema


FEATURE_SCHEMA = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "geometry": {"type": "object", "nullable": True, "additionalProperties": True},
        "properties": {"type": "object", "additionalProperties": True},
    },
}
FEATURE_COLLECTION_SCHEMA = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": FEATURE_SCHEMA},
        "count": {"type": "integer"},
        "next": {"type": "string", "nullable": True, "format": "uri"},
        "previous": {"type": "string", "nullable": True, "format": "uri"},
    },
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema plus ``?lang=``, and true bodies for the CSV and GeoJSON renderings."""

    def get_override_parameters(self):
        return [*super().get_override_parameters(), LANG_PARAMETER]

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        result = super()._get_response_for_code(serializer, status_code, media_types, direction)
        content = result.get("content") if isinstance(result, dict) else None
        if content and CSVRenderer.media_type in content:
            content[CSVRenderer.media_type] = {"schema": {"type": "string"}}
        if content and str(status_code).startswith("2"):
            if GeoJSONRenderer.media_type in content:
                many = self._is_list_view(serializer)
                content[GeoJSONRenderer.media_type] = {
                    "schema": FEATURE_COLLECTION_SCHEMA if many else FEATURE_SCHEMA}
        return result


# ---------------------------------------------------------------------------------------------------------------
# the mixin every API view uses


class ApiViewMixin:
    """Language, renderers, pagination, throttles, ETag and schema for an API view (put it first in the bases)."""

    renderer_classes = JSON_AND_CSV
    pagination_class = ApiPagination
    throttle_classes = [AnonThrottle, UserThrottle]
    schema = ApiAutoSchema()

    def dispatch(self, request, *args, **kwargs):
        lang, problem = requested_language(request)
        self.language, self.language_problem = lang, problem
        with translation.override(lang):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()  # inside the override: lazy messages are rendered in the request language
        response["Content-Language"] = lang
        patch_vary_headers(response, ["Accept-Language"])
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.language_problem:
            raise exceptions.ValidationError(
                {"lang": [_("Unknown language; use one of: %(langs)s.") % {"langs": ", ".join(LANGS)}]})

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = drf_error(exc)
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied()
        elif isinstance(exc, Http404):
            exc = exceptions.NotFound()  # DRF's translated "Not found." rather than Django's English model name
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200 and hasattr(response, "render"):
            with translation.override(getattr(self, "language", None) or settings.LANGUAGE_CODE):
                response.render()
            digest = hashlib.sha256()
            digest.update(response.get("Content-Type", "").encode())
            digest.update(b"\0")
            digest.update(response.content)
            etag = quote_etag(digest.hexdigest()[:40])
            response["ETag"] = etag
            conditional = get_conditional_response(request, etag=etag, response=response)
            if conditional is not response:
                conditional["ETag"] = etag
                return conditional
        return response

