"""Schema, documentation without any CDN, throttling of anonymous and token users in the default cache (Redis when
REDIS_URL is set), the v1 router's discovery of the apps' API modules."""
import re
import sys

import pytest
import yaml
from django.core.cache import cache
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from config import api as api_urls
from localization.api_common import AnonThrottle, UserThrottle
from tests.test_api_support import api, no_throttle, officer, token_client  # noqa: F401

pytestmark = pytest.mark.django_db

ENDPOINTS = ["regions", "districts", "goals", "targets", "indicators", "values", "regional-targets", "decompositions",
             "statuses", "gaps", "settlements"]


def test_openapi_schema_is_valid_and_lists_every_endpoint(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    paths = set(schema["paths"])
    for name in ENDPOINTS:
        assert f"/api/v1/{name}/" in paths, name
    assert {"/api/v1/values/upload/"} <= paths
    as_json = api.get("/api/schema/?format=json")
    assert as_json.status_code == 200 and as_json.json()["info"]["title"] == "Aimaq API"
    security = schema["components"]["securitySchemes"]
    assert security["tokenAuth"]["in"] == "header" and security["tokenAuth"]["name"] == "Authorization"
    # list endpoints document their CSV and (for spatial data) GeoJSON renderings
    regions = schema["paths"]["/api/v1/regions/"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv", "application/geo+json"} <= set(regions)
    lang = next(p for p in schema["paths"]["/api/v1/values/"]["get"]["parameters"] if p["name"] == "lang")
    assert lang["schema"]["enum"] == ["en", "kk", "ru"] or sorted(lang["schema"]["enum"]) == ["en", "kk", "ru"]


def test_api_root_lists_the_endpoints(api):
    body = api.get("/api/v1/").json()
    assert set(ENDPOINTS) <= set(body)


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_documentation_pages_are_served_without_any_cdn(client, no_throttle, url):
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert not EXTERNAL.search(html), EXTERNAL.search(html).group(0)
    # no other host anywhere in the page, in any form (CSS @import, script text, protocol-relative links)
    assert not re.findall(r"(?:https?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", html, re.I)
    assets = re.findall(r"""(?:src|href)="(/static/[^"]+)""", html)
    assert assets, "the page should load the sidecar's files from this site"
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert len(body) > 100
    assert "/api/schema/" in html
    if url == "/api/docs/":
        assert '"validatorUrl": null' in html  # no call to the online validator


def throttle_rates(settings, anon, user):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user}}
    cache.clear()


def test_anonymous_requests_are_throttled_with_a_translated_message(settings):
    throttle_rates(settings, "3/min", "100/min")
    client = APIClient()
    codes = [client.get("/api/v1/goals/").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    refused = client.get("/api/v1/goals/?lang=ru")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused["Content-Language"] == "ru" and "Запрос был проигнорирован" in refused.json()["detail"]
    assert client.get("/api/v1/regions/").status_code == 429  # per client, across endpoints
    cache.clear()


def test_token_users_have_their_own_limit(settings, make_user):
    throttle_rates(settings, "1/min", "4/min")
    anonymous = APIClient()
    assert anonymous.get("/api/v1/goals/").status_code == 200
    assert anonymous.get("/api/v1/goals/").status_code == 429
    officer_client = token_client(make_user("akim", role="akimat", region="710000000"))
    codes = [officer_client.get("/api/v1/goals/").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    other = token_client(make_user("stat", role="statistics"))
    assert other.get("/api/v1/goals/").status_code == 200  # counted per user, not per address
    cache.clear()


def test_throttles_count_in_the_default_cache(settings):
    """The counters live in Django's default cache: django-redis when REDIS_URL is set (see test_settings)."""
    from django.core.cache import caches

    throttle_rates(settings, "10/min", "10/min")
    assert AnonThrottle.cache is UserThrottle.cache
    APIClient().get("/api/v1/goals/")
    history = caches["default"].get("throttle_anon_127.0.0.1")
    assert isinstance(history, list) and len(history) == 1
    expected = "django_redis.cache.RedisCache" if settings.REDIS_URL else "django.core.cache.backends.locmem.LocMemCache"
    assert settings.CACHES["default"]["BACKEND"] == expected
    cache.clear()


def test_rates_come_from_the_settings_at_request_time(settings):
    throttle_rates(settings, "7/hour", "11/day")
    assert AnonThrottle().get_rate() == "7/hour" and UserThrottle().get_rate() == "11/day"


def test_optional_api_modules_are_discovered_but_errors_are_not_hidden(tmp_path, monkeypatch):
    assert api_urls.optional_module("no_such_app_anywhere.api") is None
    (tmp_path / "broken_api_module.py").write_text("import a_dependency_that_is_missing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError):
        api_urls.optional_module("broken_api_module")
    sys.modules.pop("broken_api_module", None)
    budget_api = api_urls.optional_module("budget.api")
    registered = {prefix for prefix, _viewset, _basename in api_urls.router.registry}
    assert set(ENDPOINTS) <= registered
    if budget_api is None:
        assert not any(prefix.startswith("budget") for prefix in registered)
    else:
        assert any(prefix.startswith("budget") for prefix in registered)


def test_schema_generation_is_free_of_warnings(tmp_path):
    """A spectacular warning would also fail ``check --deploy --fail-level WARNING`` (tests/test_settings.py)."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").stat().st_size > 10000
