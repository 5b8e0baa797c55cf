"""URLs under /api/: the v1 router assembled from the apps' API modules, the OpenAPI schema and its documentation.

Each app exposes ``register(router)`` in ``<app>/api.py``. ``localization.api`` and ``geo.api`` are required;
``budget.api`` is added when it exists (it is developed separately). The documentation pages use the Swagger UI
and Redoc files of drf-spectacular-sidecar, served by this site: no CDN, no web fonts, no external validator.
"""
from __future__ import annotations

import importlib
import json

from django.template import engines
from django.urls import include, path
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.renderers import TemplateHTMLRenderer
from rest_framework.routers import DefaultRouter

REQUIRED_APIS = ("localization.api", "geo.api")
OPTIONAL_APIS = ("budget.api",)


def optional_module(name: str):
    """The module, or None if it does not exist (an error inside an existing module is not hidden)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None  # the module (or its package) does not exist
        raise


def build_router() -> DefaultRouter:
    router = DefaultRouter()
    for name in REQUIRED_APIS:
        importlib.import_module(name).register(router)
    for name in OPTIONAL_APIS:
        module = optional_module(name)
        if module is not None and hasattr(module, "register"):
            module.register(router)
    return router


router = build_router()


class DocsView(SpectacularSwaggerView):
    """Swagger UI from the sidecar package; the online spec validator (an external call) is switched off."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        ui = spectacular_settings.SWAGGER_UI_SETTINGS
        if isinstance(ui, dict):
            response.data["settings"] = json.dumps({**ui, "validatorUrl": None}, indent=2)
        return response


REDOC_TEMPLATE = """<!DOCTYPE html>
<html>
<head>
<title>{{ title }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="{{ schema_url }}"></redoc>
<script src="{{ redoc_standalone }}"></script>
</body>
</html>
"""


class InlineTemplateRenderer(TemplateHTMLRenderer):
    def resolve_template(self, template_names):
        return engines["django"].from_string(REDOC_TEMPLATE)


class RedocView(SpectacularRedocView):
    """Redoc from the sidecar package, without the web fonts the stock template loads from Google."""

    renderer_classes = [InlineTemplateRenderer]


urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
