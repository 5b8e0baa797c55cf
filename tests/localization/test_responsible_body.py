"""The responsible body (a ministry) is read from the platform's metadata in kk, ru and en and shown in the
reader's language; an officer's wording is never overwritten by a re-import."""
import pytest
from django.urls import reverse
from django.utils import translation

from localization.models import Indicator
from localization.services import imports

pytestmark = pytest.mark.django_db


def test_the_ministry_is_named_in_the_readers_language(client):
    run = imports.import_repository(imports.NATIONAL_REPOSITORY, only=["1-1-1"])
    assert run.status == "done", run.errors
    ind = Indicator.objects.get(code="1-1-1")
    # the platform's translations/{en,ru,kk}/sources.yml, 1-1-1-source_implementation_1
    assert ind.responsible_body == "Ministry of Labor and Social Protection of Population of the Republic of Kazakhstan"
    assert ind.responsible_body_ru == "Министерство труда и социальной защиты населения Республики Казахстан"
    assert ind.responsible_body_kk == "Қазақстан Республикасы Еңбек және халықты әлеуметтік қорғау министрлігі"
    for lang, name in [("kk", ind.responsible_body_kk), ("ru", ind.responsible_body_ru), ("en", ind.responsible_body)]:
        with translation.override(lang):
            page = client.get(reverse("ind_detail", args=["1-1-1"])).content.decode()
        assert name in page, lang
    with translation.override("kk"):
        page = client.get(reverse("ind_detail", args=["1-1-1"])).content.decode()
    assert "Ministry of Labor" not in page

    Indicator.objects.filter(pk=ind.pk).update(responsible_body_kk="Еңбек министрлігі")
    imports.import_repository(imports.NATIONAL_REPOSITORY, only=["1-1-1"])
    assert Indicator.objects.get(pk=ind.pk).responsible_body_kk == "Еңбек министрлігі"
