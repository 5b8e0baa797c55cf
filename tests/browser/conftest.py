"""Browser tests: Playwright's sync API drives Debian's Chromium against pytest-django's live server.

* No browser is ever downloaded: Chromium comes from ``AIMAQ_CHROMIUM`` (set by .ci/run) or ``chromium`` on the
  PATH; when it is missing the tests skip locally and fail in CI (``require``).
* The live server runs in this process and needs ``transactional_db``, whose teardown flushes every table,
  including the reference data the session loaded for the rest of the suite. The data the journeys need
  (reference data + every app's demo data) is loaded once for this package; on SQLite (the only database the
  browser tests run on: CI runs the PostgreSQL pass with ``-m "not browser"``) it is kept as an in-memory
  snapshot and copied back before each test with SQLite's backup API (milliseconds); after each test an empty
  copy of the schema is put back, so the flush that follows is instant; and the reference-only state is copied
  back after the package, so later tests find the database as the session left it. On any
  other database the data is loaded again with the management command and the app hooks (slow, but correct).
* Screenshots of the key pages go to tests/artifacts/<journey>/ (ignored by git).
"""
from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORD = "pw-Aimaq-2026!"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 20_000


def chromium_path() -> str | None:
    path = os.environ.get("AIMAQ_CHROMIUM") or shutil.which("chromium")
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


@pytest.fixture(scope="package", autouse=True)
def async_unsafe_allowed():
    """Playwright's sync API keeps an asyncio event loop in the main thread; Django's ORM refuses to run in a
    thread with an event loop unless told that this is fine (it is: the live server and the test take turns).

    Only while the browser tests run: afterwards the variable is removed again, or ``manage.py check --deploy``
    run by later tests (which inherit the environment) would rightly complain about it (async.E001)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# --------------------------------------------------------------------------------------------------- data


def _quiet():
    return io.StringIO()


def _load_reference():
    from django.core.management import call_command

    call_command("load_reference", verbosity=0, stdout=_quiet())


def _load_demo():
    """Every app's demo data (what ``manage.py load_demo`` does), with the fast test password hasher."""
    from django.apps import apps
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        for config in apps.get_app_configs():
            hook = getattr(config, "load_demo", None)
            if callable(hook):
                hook(_quiet())


def _clear_caches():
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches

    ContentType.objects.clear_cache()
    for alias in caches:
        caches[alias].clear()


class Snapshots:
    """Copies of the in-memory SQLite test database, restored with the backup API."""

    def __init__(self, connection):
        self.connection = connection
        self.copies: dict[str, sqlite3.Connection] = {}

    @property
    def raw(self) -> sqlite3.Connection:
        self.connection.ensure_connection()
        return self.connection.connection

    def take(self, name: str) -> None:
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        self.raw.backup(copy)
        self.copies[name] = copy

    def take_empty(self, name: str) -> None:
        """The schema without rows: restored after each test, so that the flush that follows has nothing to do."""
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        self.raw.backup(copy)
        tables = [row[0] for row in copy.execute(
            "SELECT name FROM sqlite_master"
            " WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'django_migrations'"
        )]
        for table in tables:
            copy.execute(f'DELETE FROM "{table}"')
        copy.commit()
        self.copies[name] = copy

    def restore(self, name: str) -> None:
        assert not self.connection.in_atomic_block, "cannot restore inside a transaction"
        self.copies[name].backup(self.raw)
        _clear_caches()

    def close(self) -> None:
        for copy in self.copies.values():
            copy.close()
        self.copies.clear()


@pytest.fixture(scope="package")
def demo_data(async_unsafe_allowed, django_db_setup, django_db_blocker):
    """Reference + demo data, loaded once; yields a function that puts it back into the (flushed) database."""
    from django.db import connection

    require(chromium_path() is not None, "Debian's chromium is not installed (apt-get install chromium)")
    with django_db_blocker.unblock():
        snapshots = None
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            snapshots = Snapshots(connection)
            snapshots.take("reference")  # what the session set up for the rest of the suite
            snapshots.take_empty("empty")
            _load_demo()
            snapshots.take("demo")

    def restore():
        if snapshots is not None:
            snapshots.restore("demo")
        else:
            _load_reference()
            _load_demo()
            _clear_caches()

    def empty():
        """Before the test's flush: with the rows gone already, the flush costs nothing (SQLite only)."""
        if snapshots is not None:
            snapshots.restore("empty")

    restore.empty = empty
    yield restore

    with django_db_blocker.unblock():
        if snapshots is not None:
            snapshots.restore("reference")
            snapshots.close()
        else:
            from localization.models import Region

            if not Region.objects.exists():
                _load_reference()


# --------------------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="package")
def browser(async_unsafe_allowed):
    path = chromium_path()
    require(path is not None, "Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        require(False, "playwright is not installed (pip install -e '.[test]')")
    manager = sync_playwright().start()
    # launch() (not a persistent context) starts from a fresh temporary profile that Playwright deletes afterwards;
    # executable_path means Playwright never looks for (or downloads) a browser of its own.
    chromium = manager.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
    try:
        yield chromium
    finally:
        chromium.close()
        manager.stop()


@dataclass
class Site:
    """The live server with the demo data, plus helpers shared by the journeys."""

    url: str
    browser: object
    journey: str
    contexts: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    shots: int = 0

    # ---- pages
    def new_page(self, lang: str = "kk"):
        context = self.browser.new_context(
            base_url=self.url, locale={"kk": "kk-KZ", "ru": "ru-RU"}.get(lang, "en-US"),
            viewport={"width": 1280, "height": 900}, accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()

    def shot(self, page, name: str, *, full_page: bool = True) -> Path:
        """A screenshot (by default of the whole page), numbered in the order of the journey."""
        self.shots += 1
        folder = ARTIFACTS / self.journey
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.shots:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    # ---- actions
    def login(self, page, lang: str, username: str, password: str = PASSWORD, next_url: str | None = None) -> None:
        login_url = url(lang, "login") + (f"?next={next_url}" if next_url else "")
        page.goto(login_url)
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        assert "/accounts/login/" not in page.url, f"login failed for {username}: {main_text(page)[:500]}"

    def logout(self, page) -> None:
        with page.expect_navigation():
            page.locator("header form[action*='logout'] button").click()


def artifact_folder(item) -> str:
    """tests/artifacts/<journey>: ``resident-kk`` for test_journey_resident.py in kk, ``accessibility-ballot-ru``…"""
    module = item.module.__name__.rsplit(".", 1)[-1]
    parts = [module.removeprefix("test_journey_").removeprefix("test_")]
    if not module.startswith("test_journey_"):
        parts.append(item.originalname.removeprefix("test_"))
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        parts.append(callspec.id)
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "-".join(parts)).strip("-")


@pytest.fixture
def site(request, live_server, demo_data, browser, settings, tmp_path):
    """A page factory on the live server with the demo data freshly restored."""
    demo_data()
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    journey = artifact_folder(request.node)
    shutil.rmtree(ARTIFACTS / journey, ignore_errors=True)
    helper = Site(url=live_server.url, browser=browser, journey=journey)
    yield helper
    helper.close()
    demo_data.empty()


# --------------------------------------------------------------------------------------------------- helpers


def url(lang: str, name: str, *args, query: str = "") -> str:
    """A path in ``lang`` (the language prefix of i18n_patterns)."""
    from django.urls import reverse
    from django.utils import translation

    with translation.override(lang):
        path = reverse(name, args=args)
    return path + (f"?{query}" if query else "")


def t(lang: str, message: str, **params) -> str:
    """``message`` translated into ``lang`` as the pages show it (after %-formatting)."""
    from django.utils import translation

    with translation.override(lang):
        text = translation.gettext(message)
    return text % params if params else text


def main_text(page) -> str:
    return page.locator("main").inner_text()


def messages_text(page) -> str:
    box = page.locator("main .messages")
    return box.inner_text() if box.count() else ""


def assert_language(page, lang: str) -> None:
    assert page.locator("html").get_attribute("lang") == lang, page.url


def make_user(username: str, role: str, *, region=None, district=None, **extra):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, role=role, region=region, district=district, **extra
    )


def set_password(username: str) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])


# --------------------------------------------------------------------------------------------------- budget

ESIL = "711210000"  # Esil district, Astana: its real boundary is the cycle's territory
INSIDE_ESIL = (51.1100, 71.4400)  # Mangilik El avenue
INSIDE_ESIL_2 = (51.0890, 71.4160)  # Expo area


def make_cycle(name: str, *, money: int = 30_000_000, max_choices: int = 2):
    """A test cycle for Esil district with one bucket, greedy counting, in the submission stage."""
    from budget.demo import MRP_BY_YEAR, schedule
    from budget.models import Bucket, Cycle, Stage
    from localization.models import District

    esil = District.objects.select_related("region").get(kato=ESIL)
    dates = schedule(Stage.SUBMISSION)
    year = dates["voting_start"].year
    cycle = Cycle(
        name_kk=f"Сынақ: {name}", name_ru=f"Тест: {name}", name_en=f"Test: {name}", district=esil, year=year,
        mrp=MRP_BY_YEAR.get(year, MRP_BY_YEAR[max(MRP_BY_YEAR)]), total_money=money,
        cap_unit=Cycle.CapUnit.MRP, cap_amount=10_000, ballot_rule=Cycle.BallotRule.APPROVAL,
        max_choices=max_choices, counting_rule=Cycle.CountingRule.GREEDY, **dates,
    )
    cycle.full_clean()
    cycle.save()
    Bucket.objects.create(cycle=cycle, name_kk="Аулалар", name_ru="Дворы", name_en="Courtyards", money=money)
    assert cycle.stage() == Stage.SUBMISSION
    return cycle


def move(cycle, stage: str):
    """Time passes: shift the cycle's dates so that today falls in ``stage`` (the stage is derived from them)."""
    from budget.demo import schedule
    from budget.models import Cycle

    Cycle.objects.filter(pk=cycle.pk).update(**schedule(stage))
    cycle.refresh_from_db()
    assert cycle.stage() == stage, (cycle.stage(), stage)
    return cycle


def make_resident(username: str, serial: int, *, language: str = "kk"):
    import datetime as dt

    from budget import services
    from budget.core.iin import make_valid_iin
    from localization.models import District

    from django.utils import timezone

    from budget.models import ResidentProfile

    user = services.register_resident(
        username=username, password=PASSWORD, iin=make_valid_iin(dt.date(1980, 1, 1 + serial % 28), "M", serial),
        district=District.objects.get(kato=ESIL), email=f"{username}@example.kz", language=language,
    )
    # verified in person (cycles accept verified residents by default)
    ResidentProfile.objects.filter(user=user).update(verified_at=timezone.now(), verification_method="in_person")
    return user


def propose(cycle, author, title: str, cost: int, point=INSIDE_ESIL):
    from budget import services

    data = services.ProposalData(
        bucket=cycle.buckets.get(), title=title, description=f"{title}: a test proposal.", category="playgrounds",
        address="Astana, test address", lat=point[0], lon=point[1], estimated_cost=cost, apartments=None,
    )
    return services.submit_proposal(cycle, author, data)


def admit(proposal, expert):
    from budget import services
    from budget.models import Criterion, Reason, Review

    return services.record_review(
        proposal, expert, verdicts={c: (True, Reason.MEETS) for c in Criterion.values},
        decision=Review.Decision.ADMITTED,
    )


def assign_expert(cycle, username: str):
    from budget.models import ExpertAssignment

    expert = make_user(username, "expert")
    ExpertAssignment.objects.create(cycle=cycle, expert=expert)
    return expert
