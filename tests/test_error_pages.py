"""404/403/500 pages are translated and in the site layout with DEBUG off; the 500 page needs no database."""
import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import translation

TEXT = {
    "kk": ("Бет табылмады", "Кіруге тыйым салынған", "Сервер қатесі"),
    "ru": ("Страница не найдена", "Доступ запрещён", "Ошибка сервера"),
    "en": ("Page not found", "Access denied", "Server error"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@override_settings(DEBUG=False)
def test_404_and_403_are_translated_in_the_layout(client, make_user, lang):
    response = client.get(f"/{lang}/regions/999999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert TEXT[lang][0] in html and f'<html lang="{lang}">' in html and 'class="site-header"' in html
    client.force_login(make_user("resident"))
    response = client.get(f"/{lang}/data/verification/")
    assert response.status_code == 403
    html = response.content.decode()
    assert TEXT[lang][1] in html and 'class="site-header"' in html and 'class="site-footer"' in html


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_500_page_renders_without_the_database(lang):
    """No django_db mark: any database access here fails the test."""
    with translation.override(lang):
        html = render_to_string("500.html")
    assert TEXT[lang][2] in html and f'<html lang="{lang}">' in html and 'class="site-header"' in html


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_server_error_view_uses_the_template(rf):
    from django.views.defaults import server_error

    with translation.override("kk"):
        response = server_error(rf.get("/kk/"))
    assert response.status_code == 500 and "Сервер қатесі" in response.content.decode()
