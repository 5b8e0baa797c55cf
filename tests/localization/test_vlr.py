"""VLR draft: every section, highlights computed right, the download is one standalone file, the extension point."""
import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from localization.models import Goal, Indicator, IndicatorValue, Region
from localization.services.vlr import SECTIONS, build_vlr

pytestmark = pytest.mark.django_db

ASTANA = "710000000"
HEADINGS = {
    "en": ["Region profile", "Highlights", "Progress goal by goal", "Indicators: values, targets and status",
           "Gaps compared with the national level", "People's Participation Budget projects by SDG",
           "Data sources and method notes"],
    "ru": ["Профиль региона", "Основные итоги", "Прогресс по каждой цели", "Индикаторы: значения, целевые значения и статус",
           "Разрывы относительно национального уровня", "Проекты Бюджета народного участия по ЦУР",
           "Источники данных и методические примечания"],
    "kk": ["Өңір профилі", "Негізгі қорытындылар", "Әр мақсат бойынша ілгерілеу",
           "Индикаторлар: мәндер, нысаналы мәндер және мәртебе", "Ұлттық деңгеймен салыстырғандағы алшақтықтар",
           "ТДМ бойынша Халық қатысатын бюджет жобалары", "Деректер көздері және әдістемелік ескертпелер"],
}


def make_indicator(code, goal, direction, **fields):
    return Indicator.objects.create(code=code, sort_key=code.zfill(12), goal=Goal.objects.get(number=goal),
                                    direction=direction, title_en=f"Indicator {code}", title_ru=f"Индикатор {code}",
                                    title_kk=f"Индикатор {code}", unit="IX", **fields)


def put(indicator, kato, series):
    region = Region.objects.get(kato=kato) if kato else None
    IndicatorValue.objects.bulk_create(IndicatorValue(
        indicator=indicator, region=region, area_code=region.ref_area if region else "", year=y, unit="IX", value=v,
        source_file=f"data/indicator_{indicator.code}.csv", source_line=y - 2000) for y, v in series.items())


@pytest.fixture
def data(db):
    """Astana, 2015 → 2023, no targets (growth method, d = +1 unless said):
    a: 100 → 130 (g = 3.3 %, score 5), b: 100 → 112 (g = 1.43 %, moderate, score 250·g − 1.25 = 2.32),
    c: 100 → 90 (reversed), d (d = −1): 10 → 8, national 5 → 4 (gap +4 = +100 %, worse),
    e: region 50 vs national 60 in 2023 (gap −16.7 %, worse), f: region 80 vs national 40 (better, +100 %)."""
    made = {}
    for key, goal, direction in (("a", 1, 1), ("b", 1, 1), ("c", 3, 1), ("d", 3, -1), ("e", 4, 1), ("f", 4, 1)):
        made[key] = make_indicator(f"{goal}-9-{key}", goal, direction, localized=key in "ab")
    put(made["a"], ASTANA, {2015: 100.0, 2023: 130.0})
    put(made["b"], ASTANA, {2015: 100.0, 2023: 112.0})
    put(made["c"], ASTANA, {2015: 100.0, 2023: 90.0})
    put(made["d"], ASTANA, {2015: 10.0, 2023: 8.0})
    put(made["d"], None, {2015: 5.0, 2023: 4.0})
    put(made["e"], ASTANA, {2023: 50.0})
    put(made["e"], None, {2023: 60.0})
    put(made["f"], ASTANA, {2023: 80.0})
    put(made["f"], None, {2023: 40.0})
    return made


def test_build_vlr_highlights(data):
    region = Region.objects.get(kato=ASTANA)
    with translation.override("en"):
        vlr = build_vlr(region, "en")
    assert [s["key"] for s in vlr["sections"]] == [key for key, _ in SECTIONS]
    assert vlr["n_indicators_with_data"] == 6 and (vlr["n_localized"], vlr["n_localized_with_data"]) == (2, 2)
    # Assessed: a (on track), b (moderate → limited), c (reversed), d (10 → 8, lower is better: g = 2.75 %, on track)
    assert vlr["summary"]["counts"] == {"on_track": 2, "limited_progress": 1, "reversed": 1}
    assert vlr["summary"]["n_no_data"] == 2  # e and f have one year only
    assert [r.indicator.code for r in vlr["gains"]] == ["1-9-a", "3-9-d", "1-9-b"]  # scores 5, 5, 2.32
    assert vlr["gains"][2].score == pytest.approx(250 * (1.12 ** (1 / 8) - 1) - 1.25)
    # Gaps behind the country: d (+100 % where lower is better), e (−16.7 %); ahead: f (+100 %)
    assert [g["row"].indicator.code for g in vlr["worst_gaps"]] == ["3-9-d", "4-9-e"]
    assert vlr["worst_gaps"][1]["gap"].relative == pytest.approx(-10 / 60)
    assert [g["row"].indicator.code for g in vlr["best_gaps"]] == ["4-9-f"]
    assert [r.indicator.code for r in vlr["reversed_rows"]] == ["3-9-c"]
    goals = {g["goal"].number: g for g in vlr["goal_rows"]}
    assert len(goals) == 17 and goals[1]["n_with_data"] == 2 and goals[2]["n_with_data"] == 0
    assert goals[3]["summary"]["counts"] == {"on_track": 1, "limited_progress": 0, "reversed": 1}
    assert vlr["sources"] == sorted(f"data/indicator_{i.code}.csv" for i in data.values())


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_vlr_page_has_every_section_heading(client, data, lang):
    with translation.override(lang):
        path = reverse("vlr_region", kwargs={"kato": ASTANA})
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    for number, heading in enumerate(HEADINGS[lang], start=1):
        assert f"{number}. {heading}" in html.replace("&#x27;", "'"), heading
    assert "@media print" in html


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_vlr_download_is_a_standalone_html_attachment(client, data, lang):
    with translation.override(lang):
        path = reverse("vlr_download", kwargs={"kato": ASTANA})
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="vlr-{ASTANA}-{lang}.html"'
    html = response.content.decode()
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in html
    for heading in HEADINGS[lang]:
        assert heading in html.replace("&#x27;", "'")
    # Self-contained: no external stylesheet, script or image.
    assert "<link" not in html and "<script" not in html and "src=" not in html
    assert 'title="data/indicator_1-9-a.csv, ' in html  # the citation's exact reference ("line 23" in the page's language)


def test_extension_point_fills_the_ppb_section_and_adds_sections(client, data, monkeypatch):
    config = apps.get_app_config("geo")

    def vlr_sections(region, lang):
        return [
            {"key": "ppb", "columns": ["SDG", "Project", "Amount"], "rows": [[4, "<b>School roof</b>", 12000000]],
             "notes": ["Demo cycle 2025"]},
            {"key": "rss", "title": "Settlements below the standards", "intro": f"Region {region.kato}, {lang}"},
        ]

    monkeypatch.setattr(config, "vlr_sections", vlr_sections, raising=False)
    html = client.get(reverse("vlr_region", kwargs={"kato": ASTANA}).replace("/kk/", "/en/")).content.decode()
    assert "&lt;b&gt;School roof&lt;/b&gt;" in html and "12,000,000" in html and "Demo cycle 2025" in html
    assert "No People's Participation Budget projects" not in html.replace("&#x27;", "'")
    assert "7. Settlements below the standards" in html and "8. Data sources and method notes" in html
    assert f"Region {ASTANA}, en" in html


def test_a_broken_contributor_is_skipped(client, data, monkeypatch):
    def broken(region, lang):
        raise RuntimeError("boom")

    monkeypatch.setattr(apps.get_app_config("geo"), "vlr_sections", broken, raising=False)
    response = client.get(reverse("vlr_region", kwargs={"kato": ASTANA}).replace("/kk/", "/en/"))
    assert response.status_code == 200
    assert "No People's Participation Budget projects are linked" in response.content.decode().replace("&#x27;", "'")


def test_vlr_without_any_data_says_no_data(client):
    html = client.get("/en/regions/790000000/vlr/").content.decode()
    assert "No indicator could be assessed yet." in html and "no data" in html


def test_a_worsening_is_never_listed_as_an_achievement(db):
    # Astana 1.2.1-like: poverty 0.6 (2015) → 2.4 (2023), lower is better, a loose target of 5 published for it.
    from localization.models import PublishedTarget

    ind = make_indicator("1-9-z", 1, -1)
    put(ind, ASTANA, {2015: 0.6, 2023: 2.4})
    PublishedTarget.objects.create(code="1-9-z", kind="global", comparison="<=", target_value=5.0, target_year=2030,
                                   source="test")
    vlr = build_vlr(Region.objects.get(kato=ASTANA), "en")
    row = next(r for r in vlr["rows"] if r.indicator == ind)
    assert row.status == "deterioration" and row.trend == "worsening"
    assert ind not in [r.indicator for r in vlr["gains"]]
    assert ind in [r.indicator for r in vlr["reversed_rows"]]


def _digest(vlr):
    """What a review says, as plain values (to compare two builds)."""
    return {
        "rows": [(r.indicator.code, r.status, r.score, r.latest.value) for r in vlr["rows"]],
        "summary": (vlr["summary"]["counts"], vlr["summary"]["n_no_data"]),
        "goals": [(g["goal"].number, g["n_with_data"], g["summary"]["counts"]) for g in vlr["goal_rows"]],
        "gaps": [(g["row"].indicator.code, g["gap"].year, g["gap"].difference) for g in vlr["gaps"]],
        "highlights": [[getattr(x, "indicator", None) or x["row"].indicator for x in vlr[key]]
                       for key in ("gains", "worst_gaps", "best_gaps", "reversed_rows")],
        "counts": (vlr["n_indicators_with_data"], vlr["n_localized"], vlr["n_localized_with_data"], vlr["n_unverified"],
                   vlr["n_targets_regional"]),
        "sources": vlr["sources"],
    }


def test_the_review_reads_only_indicators_with_regional_values_and_says_the_same(data):
    """build_vlr assesses only the indicators with a value stored for the region; the review is the one a status
    board of every indicator gives, and the localized indicators without regional data still count."""
    from localization.services.status import StatusBoard
    from localization.services.vlr import indicators_marked

    national_only = make_indicator("5-9-n", 5, 1, localized=True)
    put(national_only, None, {2015: 1.0, 2023: 2.0})
    elsewhere = make_indicator("5-9-o", 5, 1)
    put(elsewhere, ABAI := "100000000", {2015: 1.0, 2023: 2.0})
    region = Region.objects.get(kato=ASTANA)
    marked = {i.code: i.in_region for i in indicators_marked(region)}
    assert {code for code, here in marked.items() if here} == {i.code for i in data.values()}
    assert marked["5-9-n"] is False and marked["5-9-o"] is False and len(marked) == Indicator.objects.count()
    with translation.override("en"):
        narrow = build_vlr(region, "en")
        full = build_vlr(region, "en", board=StatusBoard(Indicator.objects.select_related("goal"), regions=[region]))
    assert _digest(narrow) == _digest(full)
    assert (narrow["n_localized"], narrow["n_localized_with_data"]) == (3, 2)  # a, b and the national-only one
    assert build_vlr(Region.objects.get(kato=ABAI), "en")["n_indicators_with_data"] == 1
