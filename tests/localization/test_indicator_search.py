"""Indicator list search: goal, code and words in kk/ru/en (server-side ?q=; the list's script asks the same view
with ?partial=1)."""
import pytest

from localization.models import Goal, Indicator
from localization.search import matches_query

pytestmark = pytest.mark.django_db


@pytest.fixture
def indicators(db):
    made = []
    for code, goal, kk, ru, en in [
        ("1-2-1", 1, "Кедейлік деңгейі", "Доля населения ниже прожиточного минимума", "Poverty rate"),
        ("3-1-1", 3, "Ана өлімі", "Материнская смертность", "Maternal mortality ratio"),
        ("13-2-2", 13, "Парниктік газдар", "Выбросы парниковых газов", "Greenhouse gas emissions"),
    ]:
        made.append(Indicator.objects.create(code=code, sort_key=code.zfill(12), goal=Goal.objects.get(number=goal),
                                             title_kk=kk, title_ru=ru, title_en=en))
    return made


def test_matches_goal_code_and_words_in_each_language(indicators):
    poverty, maternal, ghg = indicators
    assert [i.code for i in indicators if matches_query(i, "3")] == ["3-1-1"]  # goal 3, not 13
    assert [i.code for i in indicators if matches_query(i, "13")] == ["13-2-2"]
    assert [i.code for i in indicators if matches_query(i, "1.2.1")] == ["1-2-1"]
    assert [i.code for i in indicators if matches_query(i, "ана өлімі")] == ["3-1-1"]
    assert [i.code for i in indicators if matches_query(i, "СМЕРТНОСТЬ")] == ["3-1-1"]
    assert [i.code for i in indicators if matches_query(i, "gas emissions")] == ["13-2-2"]
    assert [i.code for i in indicators if matches_query(i, "poverty 3")] == []


def test_list_page_filters_server_side(client, indicators):
    html = client.get("/ru/indicators/?q=парниковых").content.decode()
    assert "/indicators/13-2-2/" in html and "/indicators/3-1-1/" not in html and "/indicators/1-2-1/" not in html
    assert '<details class="goal-group" id="goal-13" open>' in html and 'name="q"' in html
    assert 'id="goal-3"' not in html  # only the goals holding a match
    # An empty search is the unfiltered list: every goal closed, its indicators one link (or tap) away.
    html = client.get("/kk/indicators/?q=").content.decode()
    assert not any(f"/indicators/{i.code}/" in html for i in indicators)
    assert all(f'href="/kk/indicators/?q=&amp;goal={n}#goal-{n}"' in html for n in (1, 3, 13))


def test_header_and_footer_link_the_open_data_api(client):
    html = client.get("/kk/").content.decode()
    assert html.count('href="/api/docs/"') == 2 and 'href="/api/v1/"' in html
    assert "Ашық деректер / API" in html
