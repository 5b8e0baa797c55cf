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
