"""Schemathesis against /api/schema/: every operation, valid and invalid inputs, through the WSGI app.

Checks: no 5xx (``not_a_server_error``) and every documented response matches its schema
(``response_schema_conformance``). Requests carry a statistics officer's token, so the write endpoints are fuzzed
past authentication into their validation. Runs on the session test database (the real regions, districts,
SDG framework and boundaries) plus real national indicators, published gap figures, a few settlements and the
budget demo's cycle (proposals, reviews, ballots), counted, so the results and the .pb file are fuzzed too;
bounded to a couple of minutes.
"""
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.test_api_support import no_throttle, token_client  # noqa: F401

CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def same_connection():
    """Keep the test's database connection across WSGI requests (as Django's test client does): the handler
    would otherwise close it at request start/end and lose the test transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def real_data(db, settings):
    """Real data to fuzz against: national indicators 1-2-1 (poverty, by sex and urban/rural) and 7-1-2
    (gasification), the published VNR figures of the gaps, a few settlements of the OSM registry, and the budget
    demo cycle after its vote was counted."""
    import io

    from django.core.cache import cache

    from budget import demo as budget_demo
    from budget import services as budget_services
    from budget.models import Cycle, Stage

    from geo import services
    from geo.models import Settlement
    from localization.models import Region
    from localization.services import imports

    cache.clear()
    services.themes._LOCAL.__dict__.clear()
    run = imports.import_repository(imports.NATIONAL_REPOSITORY, only=["1-2-1", "7-1-2"])
    assert run.status == "done", run.errors
    services.load_published_figures()
    astana = Region.objects.get(kato="710000000")
    for i, (name, lat, lon) in enumerate([("Астана", 51.128, 71.430), ("Қосшы", 50.975, 71.355), ("Outside", None, None)]):
        Settlement.objects.create(name_kk=name, name_ru=name, type="city" if i == 0 else "town", population=1000 * (i + 1),
                                  lat=lat, lon=lon, region=astana if lat else None, source="test registry")
    budget_demo.load_demo(io.StringIO())
    cycle = Cycle.objects.get(name_en=budget_demo.DEMO_NAME_EN)
    Cycle.objects.filter(pk=cycle.pk).update(**budget_demo.schedule(Stage.RESULTS))
    cycle.refresh_from_db()
    results = budget_services.close_cycle(cycle)
    assert results and all(r.pb_sha256 for r in results)
    yield
    services.themes._LOCAL.__dict__.clear()


@pytest.fixture
def token(make_user):
    user = make_user("fuzz-statistics", role="statistics")
    return token_client(user)._credentials["HTTP_AUTHORIZATION"]


# Loaded at collection through the WSGI app (generating the schema needs no database); one test per operation.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=25, deadline=None, database=None, derandomize=True,
    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, token, same_connection, no_throttle, real_data):
    case.call_and_validate(headers={"Authorization": token}, checks=CHECKS)
