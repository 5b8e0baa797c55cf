"""Issue 12: the national indicator list on a phone, on the real national data (fixtures/kazstat-sdg-data).

Before: one table of all 273 indicators, 359 KB of HTML in kk (43,000 px tall at 390 px). Now grouped by goal:
the unfiltered page lists the 17 goals closed (21 KB), a goal's page (?goal=N) or a search (?q=) opens the goals
holding the indicators, and ?partial=1 gives the script the results only."""
import re

import pytest

from localization.models import Indicator
from localization.views.indicators import MAX_OPEN_ROWS
from tests.localization.imported import national_import

pytestmark = pytest.mark.django_db
LIGHT = 60_000  # bytes: the default page and a goal's page stay under this


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    with national_import(django_db_blocker) as run:
        yield run


def get(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def open_goals(html):
    return re.findall(r'<details class="goal-group" id="goal-(\d+)" open>', html)


def indicator_links(html, lang="kk"):
    return re.findall(rf'<a href="/{lang}/indicators/(\d+-[0-9a-z-]+)/">', html)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_default_page_is_light_and_lists_the_goals_closed(client, national, lang):
    assert Indicator.objects.count() > 250
    html = get(client, f"/{lang}/indicators/")
    assert len(html.encode()) < LIGHT, len(html.encode())
    assert html.count('<details class="goal-group"') == 17 and open_goals(html) == []
    assert indicator_links(html, lang) == []  # no indicator row is sent until a goal is opened
    for number in (1, 17):
        count = Indicator.objects.filter(goal__number=number).count()
        assert f'data-rows-url="/{lang}/indicators/?goal={number}&amp;partial=1"' in html
        assert f'href="/{lang}/indicators/?goal={number}#goal-{number}"' in html
        assert f'<span class="count">· {count} ' in html
    assert "/static/js/indicator-list.js" in html and "data-search=" not in html


def test_a_goal_page_opens_that_goal_with_all_its_indicators(client, national):
    html = get(client, "/kk/indicators/?goal=3")
    assert len(html.encode()) < LIGHT, len(html.encode())
    codes = list(Indicator.objects.filter(goal__number=3).order_by("sort_key").values_list("code", flat=True))
    assert open_goals(html) == ["3"] and indicator_links(html) == codes
    assert f"{len(codes)} индикатор көрсетілді." in html
    # The pager leads to every other goal; the chosen one is marked.
    assert '<a href="/kk/indicators/?goal=3#goal-3" title="Денсаулық пен амандық" aria-current="page">3</a>' in html
    assert all(f'href="/kk/indicators/?goal={n}#goal-{n}"' in html for n in range(1, 18))


@pytest.mark.parametrize(("query", "goal", "code"), [
    ("ана өлім", "3", "3-1-1"),               # Kazakh words of the title
    ("материнской смертности", "3", "3-1-1"),  # Russian
    ("maternal mortality", "3", "3-1-1"),      # English
    ("3.1.1", "3", "3-1-1"),                   # the code
])
def test_a_search_hit_opens_its_goal(client, national, query, goal, code):
    html = get(client, f"/kk/indicators/?q={query}")
    assert goal in open_goals(html) and code in indicator_links(html)
    assert html.count('<details class="goal-group"') == len(open_goals(html))  # goals without a hit are left out
    shown = {Indicator.objects.get(code=c).goal.number for c in indicator_links(html)}
    assert sorted(shown) == sorted(int(g) for g in open_goals(html))


def test_a_goal_number_search_is_that_goal(client, national):
    html = get(client, "/en/indicators/?q=13")
    assert open_goals(html) == ["13"]
    assert set(indicator_links(html, "en")) == set(Indicator.objects.filter(goal__number=13).values_list("code", flat=True))


def test_a_broad_search_lists_its_goals_closed_with_the_search_kept(client, national):
    html = get(client, "/ru/indicators/?q=а")
    matched = int(re.search(r"Найдено (\d+) индикатор", html).group(1))
    assert matched > MAX_OPEN_ROWS and open_goals(html) == [] and indicator_links(html, "ru") == []
    assert len(html.encode()) < LIGHT
    assert 'href="/ru/indicators/?q=%D0%B0&amp;goal=1#goal-1"' in html  # the goal's page keeps the search
    goal1 = get(client, "/ru/indicators/?q=%D0%B0&goal=1")
    assert open_goals(goal1) == ["1"] and indicator_links(goal1, "ru")


def test_partial_returns_the_results_only(client, national):
    html = get(client, "/kk/indicators/?goal=1&partial=1")
    assert "<html" not in html and "<form" not in html
    assert html.startswith('<p role="status" id="indicator-count">')
    assert open_goals(html) == ["1"] and "1-2-1" in indicator_links(html)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_categories_the_platform_does_not_publish_are_no_data_not_zero(client, national, lang):
    # The platform says nothing about "current"/"monitoring"/localized: the counts are "no data" (never 0), the
    # filters on them are not offered, and the page gives the approved list's composition as the VNR states it.
    assert not Indicator.objects.exclude(category="").exists() and not Indicator.objects.filter(localized=True).exists()
    html = get(client, f"/{lang}/indicators/")
    no_data = {"kk": "деректер жоқ", "ru": "нет данных", "en": "no data"}[lang]
    assert html.count(f"<strong>{no_data}</strong>") == 3
    assert 'name="category"' not in html and 'name="localized"' not in html
    note = re.search(r'<p class="note" id="list-composition">(.*?)</p>', html, re.S).group(1)
    for figure in ("200", "69", "131", "25"):
        assert re.search(rf"\b{figure}\b", note), figure
    assert 'title="000_e3cedfe4388e2973.txt' in note  # cited to the VNR's line


def test_recorded_categories_are_counted_and_filterable(client, national):
    first, second = Indicator.objects.order_by("sort_key")[:2]
    Indicator.objects.filter(pk=first.pk).update(category="current", localized=True)
    Indicator.objects.filter(pk=second.pk).update(category="monitoring")
    html = get(client, "/en/indicators/")
    assert "Current: <strong>1</strong>" in html and "Monitoring: <strong>1</strong>" in html
    assert "Localized: <strong>1</strong>" in html and 'id="list-composition"' not in html
    assert 'name="category"' in html and 'name="localized"' in html
    html = get(client, "/en/indicators/?category=current")
    assert indicator_links(html, "en") == [first.code]
