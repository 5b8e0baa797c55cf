"""Shared fixtures. Reference data is loaded once per database (session) and kept between tests."""
import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip locally when a service or browser is missing; in CI that is a failure, never a skip."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI needs it: {reason}")
        pytest.skip(reason)


def _database_is_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (row locks, 500 voters on as many parallel connections as the server takes) are deselected on SQLite, not skipped:
    `.ci/run` runs them in its PostgreSQL pass."""
    if _database_is_postgresql():
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and session.exitstatus == 0:
        reporter.write_line(f"CI=true: {skipped} test(s) were skipped; in CI nothing may be skipped.", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the real reference data (regions, districts, SDG framework, boundaries) once per test database."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0, stdout=open(os.devnull, "w"))


@pytest.fixture
def make_user(db, django_user_model):
    from localization.models import Region

    def make(username="user", role="resident", region=None, district=None, password="pw-Aimaq-2026!", **extra):
        if isinstance(region, str):
            region = Region.objects.get(kato=region)
        user = django_user_model.objects.create_user(
            username=username, password=password, role=role, region=region, district=district, **extra
        )
        user.raw_password = password
        return user

    return make


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language with an empty cache; nothing leaks into the next test."""
    from django.conf import settings
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()  # cached figures and throttle counters belong to one test (Redis outlives the test database)
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                               "QUEUES": ["default", "inline"]}}


@pytest.fixture(autouse=True)
def _jobs_run_in_the_test(request, settings):
    """Jobs run inside the test (django-tasks' immediate backend: the same task and job body a worker runs),
    unless the test asks for ``task_queue`` — the real database queue, run by a real worker."""
    if "task_queue" not in request.fixturenames:
        settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def task_queue(settings, monkeypatch):
    """The configured database queue (django_tasks_db). Returns ``run_worker()``: django-tasks-db's worker loop,
    in this process, until the queue is empty (tests/jobs/ also start worker processes).

    In this process the loop shares the test's connection, which is inside the test's transaction: the loop's
    ``close_old_connections`` would close it on PostgreSQL (autocommit differs from the settings), so it is a no-op
    here; a worker process (tests/jobs/) keeps it."""
    from django.core.management import call_command
    from django_tasks_db.management.commands import db_worker

    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run_worker():
        call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0,
                     queue_name="default")

    return run_worker
