"""The unit catalogue covers every unit the national data uses, in kk/ru/en; citations replace file references."""
import pytest
from django.utils import translation

from localization.citations import cite, cite_html, cite_text
from localization.core import units
from tests.test_i18n import load_i18n


def test_every_unit_of_the_national_data_is_in_the_catalogue_in_three_languages():
    found = load_i18n().fixture_units()
    assert len(found) > 40 and "data.на 100 тыс.родившихся живыми" in found and "PER_100000_POP" in found
    for text in found:
        code = units.lookup(text)
        assert code is not None, text
        kk, ru, en = units.CATALOGUE[code]
        assert kk and ru and en, code


def test_labels_are_in_the_readers_language():
    assert units.label("data.на 100 тыс.родившихся живыми", "kk") == "100 000 тірі туылғанға шаққанда"
    assert units.label("data.на 100 тыс.родившихся живыми", "en") == "per 100,000 live births"
    assert units.label("человек", "en") == "persons" and units.label("PERSONS", "kk") == "адам"
    assert units.label("data.тыс.тенге", "kk") == "мың теңге" and units.label("TH_TNG", "ru") == "тыс. тенге"
    assert units.label("UNIT_MEASURE.PT", "ru") == "процент"
    assert units.label("furlongs", "kk") is None


def test_no_kk_or_en_unit_label_is_russian():
    symbols = {"M_METER3", "MG_CUB_METER", "MW"}  # written the same way in Kazakh and Russian
    for code, (kk, ru, en) in units.CATALOGUE.items():
        assert kk != ru or code in symbols, (code, kk)
        assert all(ord(ch) < 0x400 for ch in en), (code, en)


@pytest.mark.django_db
def test_indicator_unit_label_uses_the_catalogue():
    from localization.models import Goal, Indicator

    indicator = Indicator(code="3-1-1", goal=Goal.objects.get(number=3), unit="на 100 тыс.родившихся живыми",
                          unit_ru="на 100 тыс.родившихся живыми")
    for lang, expected in (("kk", "100 000 тірі туылғанға шаққанда"), ("ru", "на 100 000 родившихся живыми"),
                           ("en", "per 100,000 live births")):
        with translation.override(lang):
            assert indicator.unit_label == expected


def test_citation_of_the_national_platform_and_seed_documents():
    with translation.override("kk"):
        c = cite("data/indicator_1-2-1.csv", 288)
        assert c.text == "ТДМ ұлттық платформасы (Ұлттық статистика бюросы)" and c.reference == "data/indicator_1-2-1.csv, 288-жол"
    with translation.override("ru"):
        assert cite("004_a471b3897bac7629.txt", 858).text.startswith("Рамочная программа сотрудничества ООН")
    with translation.override("en"):
        assert cite("000_e3cedfe4388e2973.txt", 2306).text == "Voluntary National Review of Kazakhstan 2025 (VNR)"
        assert cite("akimat_upload.xlsx").text == "file akimat_upload.xlsx"
        text = "UN Cooperation Framework 2026–2030, results matrix, Annex 1 (004_a471b3897bac7629.txt, line 858)"
        assert cite_text(text) == "UN Cooperation Framework 2026–2030, results matrix, Annex 1"
        html = str(cite_html("source: data/indicator_3-1-1.csv:12 <b>"))
        assert html == ('source: <span class="cite" title="data/indicator_3-1-1.csv, line 12">'
                        'National SDG platform (Bureau of National Statistics)</span> &lt;b&gt;')


def test_stored_english_source_phrases_are_translated():
    text = ("national target for 1-2-1: 5 by 2030 (UN Cooperation Framework Kazakhstan 2026–2030, Annex 1 "
            "(004_a471b3897bac7629.txt, line 858))")
    with translation.override("ru"):
        assert cite_text(text) == ("национальная цель для 1-2-1: 5 к 2030 году (Рамочная программа сотрудничества ООН "
                                   "2026–2030, матрица результатов)")
    with translation.override("kk"):
        assert "004_a471b3897bac7629.txt, 858-жол" in str(cite_html(text))  # the exact reference, as the tooltip
