"""Fixtures and helpers shared by the API tests (tests/test_api_*.py import them; this module has no tests)."""
import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

ASTANA, ALMATY_CITY, ABAI = "710000000", "750000000", "100000000"
#: Real national indicators imported from fixtures/kazstat-sdg-data for the spot checks:
#: 1-2-1 poverty (national and regional, by sex and urban/rural), 7-1-1 electricity access, 11-b-2 (regional only).
NATIONAL_SAMPLE = ["1-2-1", "7-1-1", "11-b-2"]
HIGH_RATES = {"anon": "100000/min", "user": "100000/min"}


@pytest.fixture
def no_throttle(settings):
    """Rate limits off for functional tests (a fresh cache, very high rates)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": HIGH_RATES}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(no_throttle):
    return APIClient()


@pytest.fixture
def national(db):
    """A few real indicators imported with the same service as ``manage.py import_opensdg``."""
    from localization.services import imports

    run = imports.import_repository(imports.NATIONAL_REPOSITORY, only=NATIONAL_SAMPLE)
    assert run.status == "done", run.errors
    return run


@pytest.fixture
def poverty(db):
    """Only indicator 1-2-1 (national and regional poverty, by sex and urban/rural): enough for the write tests."""
    from localization.services import imports

    run = imports.import_repository(imports.NATIONAL_REPOSITORY, only=["1-2-1"])
    assert run.status == "done", run.errors
    return run


def token_client(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def officer(make_user, no_throttle, settings):
    """``officer(role, kato)`` → an API client authenticated with that user's token (``client.user``).

    The API authenticates by token, so the password hash is irrelevant here: a fast hasher keeps the tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make(role="akimat", kato=ASTANA, username=None):
        user = make_user(username or f"{role}-{kato or 'kz'}", role=role, region=kato)
        client = token_client(user)
        client.user = user
        return client

    return make


def results(response):
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body
