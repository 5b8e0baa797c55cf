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
    admin_user = django_user_model.objects.create_superuser("root", "root@example.kz", "pw-Aimaq-2026!")
    client.force_login(admin_user)
    for app in ("localization", "geo"):
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical"):
                continue
            url = f"/en/admin/{app}/{model._meta.model_name}/"
            assert client.get(url).status_code == 200, url
