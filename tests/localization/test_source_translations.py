"""The data source (the platform's compiling body and data collection) is read from the metadata in kk, ru and en
and shown in the reader's language; an officer's wording is never overwritten by a re-import."""
import io

import pytest
from django.urls import reverse
from django.utils import translation

from localization.models import Indicator
from localization.services import imports, values

pytestmark = pytest.mark.django_db

# fixtures/kazstat-sdg-data/translations/{en,ru,kk}/sources.yml: 1-1-1-source_compilation_1 — 1-1-1-source_data_1
EN = "Survey of households for the assessment of living standards"
RU = "Обследование домохозяйств по оценке уровня жизни"
KK = "Тұрмыс деңгейін бағалау бойынша үй шаруашылықтарын зерттеуі"


@pytest.fixture
def indicator(db):
    run = imports.import_repository(imports.NATIONAL_REPOSITORY, only=["1-1-1"])
    assert run.status == "done", run.errors
    return Indicator.objects.get(code="1-1-1")


def test_the_source_is_read_in_kk_ru_and_en(indicator):
    assert indicator.source.startswith("Committee on Statistics of the Ministry of National Economy")
    assert indicator.source.endswith(" — " + EN)
    assert indicator.source_ru.startswith("Бюро национальной статистики Агентства по стратегическому")
    assert indicator.source_ru.endswith(" — " + RU)
    assert indicator.source_kk.startswith("Қазақстан Республикасы Ұлттық экономика министрлігі Статистика")
    assert indicator.source_kk.endswith(" — " + KK)
    assert indicator.source_in("en") == indicator.source and indicator.source_in("kk") == indicator.source_kk
    with translation.override("ru"):
        assert indicator.source_label == indicator.source_ru


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_indicator_page_names_the_source_in_the_readers_language(client, indicator, lang):
    with translation.override(lang):
        page = client.get(reverse("ind_detail", args=["1-1-1"])).content.decode()
    label = {"kk": "Деректер көзі", "ru": "Источник данных", "en": "Data source"}[lang]
    text = {"kk": KK, "ru": RU, "en": EN}[lang]
    assert f"<dt>{label}</dt><dd>" in page and text in page
    if lang != "en":
        assert EN not in page


def test_the_workbook_names_the_source_in_its_language(indicator):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(values.workbook([indicator], lang="kk")), read_only=True)
    rows = [row for row in book["About"].iter_rows(values_only=True) if row and row[0] == "1-1-1"]
    assert rows and rows[0][3] == indicator.source_kk


def test_a_reimport_keeps_the_officers_wording(indicator):
    Indicator.objects.filter(pk=indicator.pk).update(source_kk="Үй шаруашылықтарын зерттеу (ҰСБ)", source_ru="")
    run = imports.import_repository(imports.NATIONAL_REPOSITORY, only=["1-1-1"], skip_unchanged=False)
    assert run.status == "done", run.errors
    again = Indicator.objects.get(pk=indicator.pk)
    assert again.source_kk == "Үй шаруашылықтарын зерттеу (ҰСБ)"  # the officer's wording stays
    assert again.source_ru.endswith(" — " + RU)  # an empty translation is filled again


def test_a_literal_english_source_is_no_kazakh_or_russian_source():
    """A repository whose metadata gives the source as text (an Aimaq download) leaves kk/ru empty: the English
    text is shown to every reader rather than passed off as a translation."""
    from localization.services.imports.indicators import plan_indicator

    class Repo:
        meta = {"1-1-1": {"source_data_1": "Household survey"}}

        def titles(self, indicator_id, fits=None):
            return {}

        def translate(self, key, lang):
            return key

        def unit(self, indicator_id):
            return {}

    from localization.services.imports.common import References

    plan = plan_indicator(Repo(), "1-1-1", None, References.load(), "meta/1-1-1.md")
    assert plan.values["source"] == "Household survey" and plan.source_translations == {}
