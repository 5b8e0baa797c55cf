"""Every public page answers 200 in kk, ru and en and shows text in that language."""
import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

# A navigation word each language must show (checks the catalogs are compiled and used).
NAV = {"kk": "Өңірлер", "ru": "Регионы", "en": "Regions"}
PAGES = [
    ("home", {}),
    ("region_list", {}),
    ("region_detail", {"kato": "710000000"}),
    ("goal_list", {}),
    ("goal_detail", {"number": 1}),
    ("login", {}),
]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize("name,kwargs", PAGES)
def test_page_in_each_language(client, lang, name, kwargs):
    with translation.override(lang):
        url = reverse(name, kwargs=kwargs)
    assert url.startswith(f"/{lang}/")
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert NAV[lang] in html
    # The switcher offers the same page in the other languages.
    for other in ("kk", "ru", "en"):
        assert f'hreflang="{other}"' in html


def test_region_page_shows_localized_names_and_population(client):
    html = client.get("/ru/regions/100000000/").content.decode()
    assert "область Абай" in html and "610 189" in html.replace("\xa0", " ").replace(",", " ")
    html = client.get("/kk/regions/100000000/").content.decode()
    assert "Абай облысы" in html
    html = client.get("/en/regions/100000000/").content.decode()
    assert "Abai Region" in html and "Zhanasemey" in html


def test_goal_page_lists_targets_and_indicators_in_language(client):
    html = client.get("/ru/sdg/1/").content.decode()
    assert "1.2.1" in html and "1.5.1" in html
    html = client.get("/kk/sdg/8/").content.decode()
    assert "8.7.1" in html  # shown with its English title and an untranslated note


def test_root_redirects_to_kazakh(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/kk/")


def test_unknown_region_is_404(client):
    assert client.get("/en/regions/999999999/").status_code == 404
