"""Django admin for every model of the three apps (history tables are reached through their model's admin)."""
import pytest
from django.apps import apps
from django.contrib import admin

pytestmark = pytest.mark.django_db


def test_every_model_is_in_the_admin():
    missing = [
        m._meta.label
        for app in ("localization", "geo", "budget")
        for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical") and not admin.site.is_registered(m)
    ]
    assert missing == []


def test_admin_changelists_open(client, django_user_model):
    """Every changelist, and the change page of its first row, with the budget demo's cycle in the database."""
    import io

    from budget import demo

    demo.load_demo(io.StringIO())
    admin_user = django_user_model.objects.create_superuser("root", "root@example.kz", "pw-Aimaq-2026!")
    client.force_login(admin_user)
    opened = 0
    for app in ("localization", "geo", "budget"):
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical"):
                continue
            url = f"/en/admin/{app}/{model._meta.model_name}/"
            assert client.get(url).status_code == 200, url
            first = model.objects.order_by("pk").first()
            if first is not None:
                change = f"{url}{first.pk}/change/"
                assert client.get(change).status_code == 200, change
                opened += 1
    assert opened >= 15  # reference data and the demo cycle fill most tables (17 today)


@pytest.mark.parametrize(("lang", "ahead", "today"), [
    ("kk", "Ескерту: сіздің уақытыңыз сервер уақытынан %s сағат алда.", "Бүгін"),
    ("ru", "Внимание: Ваше локальное время опережает время сервера на %s час.", "Сегодня"),
])
def test_admin_javascript_catalogue_speaks_the_readers_language(client, django_user_model, lang, ahead, today):
    """The admin's jsi18n view serves the project's djangojs catalogue (locale/<lang>/LC_MESSAGES/djangojs.po):
    Django's own kk catalogue leaves the time-zone note, the clock and the calendar in English."""
    import json
    import re

    from django.urls import reverse
    from django.utils import translation

    staff = django_user_model.objects.create_user("officer-js", password="pw-Aimaq-2026!", is_staff=True)
    client.force_login(staff)
    with translation.override(lang):
        url = reverse("admin:jsi18n")
    assert url == f"/{lang}/admin/jsi18n/"
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", body, re.S).group(1))
    note = catalog["Note: You are %s hour ahead of server time."]
    assert note[0] == ahead
    assert "Note: You are" not in "".join(note)
    assert catalog["Today"] == today
    assert catalog["Choose all %s"] and catalog["Choose all %s"] != "Choose all %s"
    if lang == "kk":
        assert note == [ahead, ahead]  # Kazakh: one form after a numeral (nplurals=2; plural=(n!=1))
        assert catalog["Now"] == "Қазір" and catalog["abbrev. month January\x04Jan"] == "қаң"
        assert "(n!=1)" in body.replace(" ", "")
    else:
        assert len(note) == 4 and note[2].endswith("на %s часов.")
    # Every string of Django's admin JavaScript is translated (nothing left as Django's English msgid).
    import polib

    from django.conf import settings

    for entry in polib.pofile(str(settings.BASE_DIR / "locale" / lang / "LC_MESSAGES" / "djangojs.po")):
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        assert catalog[key], key


def test_admin_javascript_catalogue_stays_english_in_english(client, django_user_model):
    staff = django_user_model.objects.create_user("officer-js-en", password="pw-Aimaq-2026!", is_staff=True)
    client.force_login(staff)
    body = client.get("/en/admin/jsi18n/").content.decode()
    assert "Ескерту" not in body and "Внимание" not in body
