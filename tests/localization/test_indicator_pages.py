"""Indicator pages: every page in kk/ru/en, sources and "no data" shown, permissions, forms, constant queries."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from localization.models import Decomposition, Goal, Indicator, IndicatorValue, Region, RegionalTarget

pytestmark = pytest.mark.django_db

ASTANA, ALMATY, ABAI = "710000000", "750000000", "100000000"
# One string of each page in each language (checks the catalogs are compiled and used).
TEXT = {
    "ind_list": {"kk": "ТДМ ұлттық индикаторлары", "ru": "Национальные индикаторы ЦУР", "en": "National SDG indicators"},
    "ind_detail": {"kk": "Индикатор туралы", "ru": "Об индикаторе", "en": "About the indicator"},
    "ind_region": {"kk": "17 мақсатқа шолу", "ru": "17 целей: краткий обзор", "en": "The 17 goals at a glance"},
    "ind_compare": {"kk": "Өңірлерді салыстыру", "ru": "Сравнение регионов", "en": "Compare regions"},
    "vlr_region": {"kk": "Негізгі қорытындылар", "ru": "Основные итоги", "en": "Highlights"},
    "ind_decompose": {"kk": "Декомпозиция жүргізу", "ru": "Провести декомпозицию", "en": "Run a decomposition"},
    "ind_propose": {"kk": "Өңірлік нысаналы мәнді ұсыну", "ru": "Предложить региональное целевое значение",
                    "en": "Propose a regional target"},
    "ind_review": {"kk": "Ұсынылған өңірлік нысаналы мәндер", "ru": "Предложенные региональные целевые значения",
                   "en": "Proposed regional targets"},
}
NO_DATA = {"kk": "деректер жоқ", "ru": "нет данных", "en": "no data"}


def make_indicator(code="1-2-1", goal=1, **fields):
    fields.setdefault("direction", -1)
    fields.setdefault("title_en", f"Poverty indicator {code}")
    fields.setdefault("title_ru", f"Индикатор бедности {code}")
    fields.setdefault("title_kk", f"Кедейлік индикаторы {code}")
    fields.setdefault("unit", "PT")
    return Indicator.objects.create(code=code, sort_key=code.zfill(12), goal=Goal.objects.get(number=goal), **fields)


def put(indicator, kato, series: dict, *, status="official", dims=""):
    region = Region.objects.get(kato=kato) if kato else None
    IndicatorValue.objects.bulk_create(IndicatorValue(
        indicator=indicator, region=region, area_code=region.ref_area if region else "", year=year, unit="PT",
        dims=dims, value=value, status=status,
        source_file="" if status == "unverified" else f"data/indicator_{indicator.code}.csv",
        source_line=None if status == "unverified" else 10 + year - 2015) for year, value in series.items())


@pytest.fixture
def poverty(db):
    ind = make_indicator(target_value=3.0, target_year=2030, localized=True, category="current")
    put(ind, None, {2015: 6.0, 2023: 4.5})
    put(ind, ASTANA, {2015: 5.0, 2022: 4.0, 2023: 3.5})
    put(ind, ABAI, {2022: 7.0, 2023: 7.25}, status="unverified")
    return ind


def url(name, lang, **kwargs):
    with translation.override(lang):
        return reverse(name, kwargs=kwargs)


def page_kwargs(name, indicator):
    return {
        "ind_detail": {"code": indicator.code}, "ind_decompose": {"code": indicator.code},
        "ind_propose": {"code": indicator.code, "kato": ASTANA}, "ind_region": {"kato": ASTANA},
        "vlr_region": {"kato": ASTANA},
    }.get(name, {})


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize("name", list(TEXT))
def test_every_page_in_each_language(client, make_user, poverty, name, lang):
    if name in ("ind_decompose", "ind_review"):
        client.force_login(make_user("stat", role="statistics"))
    elif name == "ind_propose":
        client.force_login(make_user("akim", role="akimat", region=ASTANA))
    response = client.get(url(name, lang, **page_kwargs(name, poverty)))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert TEXT[name][lang] in html
    assert 'hreflang="kk"' in html and 'hreflang="ru"' in html and 'hreflang="en"' in html


def test_indicator_page_shows_values_sources_statuses_and_no_data(client, poverty, make_user):
    html = client.get(url("ind_detail", "en", code=poverty.code)).content.decode()
    # every national value comes from the platform's file: the table names its source once, in the caption (the
    # reader's citation, the file as its tooltip), not on every row
    national = re.search(r"<caption>National values.*?</table>", html, re.S).group(0)
    assert ('<span class="source">source: <span class="cite" title="data/indicator_1-2-1.csv">National SDG platform '
            '(Bureau of National Statistics)</span></span></caption>') in national
    assert national.count("National SDG platform") == 1 and ">Source</th>" not in national
    assert "data/indicator_1-2-1.csv:18" not in html
    # Public means verified: Abai's unverified values are not on the public page; an officer sees a marked preview.
    assert "entered by akimat, unverified" not in html and "Preview for officers" not in html
    client.force_login(make_user("stat", role="statistics"))
    preview = client.get(url("ind_detail", "en", code=poverty.code)).content.decode()
    assert "entered by akimat, unverified" in preview and "Preview for officers" in preview
    preview_ru = client.get(url("ind_detail", "ru", code=poverty.code)).content.decode()
    assert "внесено акиматом, не проверено" in preview_ru
    public = client.get(url("ind_detail", "en", code=poverty.code) + "?preview=0").content.decode()
    assert "entered by akimat, unverified" not in public
    client.logout()
    # National status with its inputs: R = 0.782 → moderate progress, score 1.3
    assert "Moderate progress, acceleration needed" in html and "0.782" in html
    assert "1 of 20 regions on track or achieved" in html  # Astana: 5.0 → 3.5 with target 3.0
    assert "no data" in html  # the 18 regions without values
    assert "<svg" in html and "<title id=" in html and "<desc id=" in html
    assert "national target applied" not in html  # the nation's target is never a region's
    assert "No decomposition has been run for this indicator yet." in html
    html_ru = client.get(url("ind_detail", "ru", code=poverty.code)).content.decode()
    assert "нет данных" in html_ru


def test_unknown_indicator_and_region_are_404(client):
    assert client.get("/en/indicators/99-99-99/").status_code == 404
    assert client.get("/en/regions/999999999/indicators/").status_code == 404
    assert client.get("/en/regions/999999999/vlr/").status_code == 404


def test_indicator_list_filters_and_counts(client, poverty):
    other = make_indicator("2-1-1", goal=2, category="monitoring")
    put(other, None, {2015: 1.0, 2020: 2.0})
    # Unfiltered, the list is grouped by goal: each goal closed, with its count and a link to its own page.
    html = client.get(url("ind_list", "en")).content.decode()
    assert "2 indicators, grouped by goal. Open a goal or search." in html
    assert poverty.title_en not in html and html.count('<details class="goal-group"') == 17
    assert 'href="/en/indicators/?goal=2#goal-2">Show 1 indicator</a>' in html
    html = client.get(url("ind_list", "en") + "?goal=1").content.decode()
    assert "1 indicator shown." in html and poverty.title_en in html and other.title_en not in html
    html = client.get(url("ind_list", "en") + "?regional=1").content.decode()
    assert "1 indicator shown." in html and other.title_en not in html
    html = client.get(url("ind_list", "en") + "?category=monitoring&goal=2").content.decode()
    assert "1 indicator shown." in html and poverty.title_en not in html
    html = client.get(url("ind_list", "en") + "?localized=1").content.decode()
    assert "1 indicator shown." in html and poverty.title_en in html
    html_kk = client.get(url("ind_list", "kk") + "?goal=1").content.decode()
    assert poverty.title_kk in html_kk


def test_region_dashboard(client, poverty, make_user):
    html = client.get(url("ind_region", "en", kato=ASTANA)).content.decode()
    assert poverty.title_en in html and reverse("vlr_region", kwargs={"kato": ASTANA}).replace("/kk/", "/en/") in html
    # Gap vs national, 2023: 3.5 − 4.5 = −1; lower is better → better than national
    assert "−1 (−22.2 %)" in html and "better than national" in html
    assert "Propose a target" not in html
    client.force_login(make_user("akim", role="akimat", region=ASTANA))
    html = client.get(url("ind_region", "en", kato=ASTANA)).content.decode()
    assert "Propose a target" in html
    html = client.get(url("ind_region", "en", kato=ALMATY)).content.decode()
    assert "Propose a target" not in html


def test_compare_page(client, poverty):
    html = client.get(url("ind_compare", "en") + f"?indicator={poverty.code}&region={ABAI}&peers=kind").content.decode()
    assert "Abai Region" in html and "Astana" not in html.split("All values by region and year")[0].split("<h3>")[1]
    html = client.get(url("ind_compare", "en") + f"?indicator={poverty.code}&region={ABAI}&peers=all").content.decode()
    assert "Astana" in html and "entered by akimat, unverified" not in html  # public: verified values only
    assert client.get(url("ind_compare", "en") + "?indicator=nope").status_code == 200


# --------------------------------------------------------------------------------------------- permissions and forms


def test_akimat_proposal_for_another_region_is_403(client, make_user, poverty):
    client.force_login(make_user("akim", role="akimat", region=ASTANA))
    other = url("ind_propose", "en", code=poverty.code, kato=ABAI)
    assert client.get(other).status_code == 403
    assert client.post(other, {"base_year": 2023, "target_value": 5, "target_year": 2030, "reason": "x"}).status_code == 403
    assert not RegionalTarget.objects.exists()
    # Residents and anonymous visitors cannot propose either; statistics pages refuse akimat officers.
    assert client.get(url("ind_decompose", "en", code=poverty.code)).status_code == 403
    assert client.get(url("ind_review", "en")).status_code == 403
    client.logout()
    assert client.get(url("ind_propose", "en", code=poverty.code, kato=ASTANA)).status_code == 302
    client.force_login(make_user("resident"))
    assert client.get(url("ind_propose", "en", code=poverty.code, kato=ASTANA)).status_code == 403


def test_proposal_and_approval_through_the_pages(client, make_user, poverty):
    officer = make_user("akim", role="akimat", region=ASTANA)
    client.force_login(officer)
    page = url("ind_propose", "en", code=poverty.code, kato=ASTANA)
    response = client.post(page, {"base_year": 2023, "target_value": 4.0, "target_year": 2030, "reason": ""})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()  # reason is required
    response = client.post(page, {"base_year": 2023, "target_value": 3.8, "target_year": 2030, "reason": "Too slow"})
    assert response.status_code == 200 and "targets may not regress" in response.content.decode()  # 3.8 > 3.5
    response = client.post(page, {"base_year": 2023, "target_value": 2.5, "target_year": 2030, "reason": "Plan 2029"})
    assert response.status_code == 302
    proposal = RegionalTarget.objects.get()
    assert (proposal.status, proposal.base_value, proposal.target_value) == ("proposed", 3.5, 2.5)

    client.force_login(make_user("stat", role="statistics"))
    html = client.get(url("ind_review", "en")).content.decode()
    assert "Plan 2029" in html and "Astana" in html
    response = client.post(url("ind_review_target", "en", pk=proposal.pk), {f"p{proposal.pk}-comment": "x"})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()  # no decision
    response = client.post(url("ind_review_target", "en", pk=proposal.pk),
                           {f"p{proposal.pk}-decision": "approve", f"p{proposal.pk}-comment": "ok"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "approved"
    html = client.get(url("ind_detail", "en", code=poverty.code)).content.decode()
    assert "regional target" in html and "No proposals are awaiting review." not in html


def _verify_abai(poverty):
    """Decompositions use verified and official values only: the statistics office verifies Abai's entries."""
    IndicatorValue.objects.filter(indicator=poverty, region__kato=ABAI).update(status="verified")


def test_decomposition_form_errors_and_success(client, make_user, poverty):
    _verify_abai(poverty)
    for kato in (ASTANA, ABAI):
        Region.objects.filter(kato=kato).update(population_total=1_000_000)
    # Decompositions use verified values only: Abai's entries are verified first.
    IndicatorValue.objects.filter(indicator=poverty, status="unverified").update(status="verified")
    client.force_login(make_user("stat", role="statistics"))
    page = url("ind_decompose", "en", code=poverty.code)
    html = client.get(page).content.decode()
    assert "Base values and weights" in html and "no value for the base year 2023" in html
    base = {"base_year": 2023, "target_year": 2030, "weight_kind": "population", "milestone_kind": "linear",
            "clamp": "on", "confirm_low_coverage": "on", "coverage_reason": "Only Astana and Abai report 1.2.1 here"}
    # A national target worse than the base (mean of 3.5 and 7.25 = 5.375; 6.0 is worse) → form error, not 500.
    response = client.post(page, {**base, "rule": "relative", "national_target": 6.0})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The targets cannot be computed:" in html and "worse than the national base" in html
    response = client.post(page, {**base, "rule": "convergence", "national_target": 3.0})
    assert response.status_code == 200 and "Rule R4 needs the share" in response.content.decode()
    assert not Decomposition.objects.exists()
    response = client.post(page, {**base, "rule": "relative", "national_target": 3.0})
    assert response.status_code == 302 and response["Location"].endswith("#decomposition")
    dec = Decomposition.objects.get()
    targets = {rt.region.kato: rt.target_value for rt in dec.targets.select_related("region")}
    # X_N = (3.5 + 7.25)/2 = 5.375; T = x · 3/5.375
    assert targets[ASTANA] == pytest.approx(3.5 * 3 / 5.375) and targets[ABAI] == pytest.approx(7.25 * 3 / 5.375)
    html = client.get(url("ind_detail", "en", code=poverty.code)).content.decode()
    assert "Consistency check" in html and "✓ consistent" in html and "= 3 " in html.replace("</span>", " ")


def test_decomposition_refuses_low_coverage_without_a_confirmed_reason(client, make_user, poverty):
    """One click can no longer approve targets for 2 of 20 regions: the coverage is shown, and approving needs the
    confirmation and a reason (kept with the decomposition)."""
    for kato in (ASTANA, ABAI):
        Region.objects.filter(kato=kato).update(population_total=1_000_000)
    # Decompositions use verified values only: Abai's entries are verified first.
    IndicatorValue.objects.filter(indicator=poverty, status="unverified").update(status="verified")
    client.force_login(make_user("stat", role="statistics"))
    page = url("ind_decompose", "en", code=poverty.code)
    html = client.get(page).content.decode()
    assert "Coverage in 2023: 2 of 20 regions have a base value and will get a target." in html
    assert "approving needs the confirmation below and a reason" in html
    post = {"base_year": 2023, "target_year": 2030, "weight_kind": "population", "milestone_kind": "linear",
            "clamp": "on", "rule": "relative", "national_target": 3.0}
    for extra in ({}, {"confirm_low_coverage": "on"}, {"coverage_reason": "pilot"},
                  {"confirm_low_coverage": "on", "coverage_reason": "   "}):
        response = client.post(page, {**post, **extra})
        assert response.status_code == 200
        assert "Only 2 of 20 regions have a base value in 2023" in response.content.decode()
        assert not Decomposition.objects.exists() and not RegionalTarget.objects.exists()
    response = client.post(page, {**post, "confirm_low_coverage": "on", "coverage_reason": "Pilot of two regions"})
    assert response.status_code == 302
    dec = Decomposition.objects.get()
    assert dec.params["low_coverage_reason"] == "Pilot of two regions" and dec.targets.count() == 2


def test_decomposition_defaults_to_the_latest_year_with_full_coverage():
    from localization.core import coverage

    years = {r: [2021, 2022, 2023] for r in range(19)} | {19: [2021, 2022]}
    assert coverage.default_base_year(years, 20) == 2022  # 2023 lacks one region
    assert coverage.default_base_year({1: [2023], 2: [2020]}, 20) == 2023  # no full year: best covered, latest
    assert coverage.default_base_year({}, 20) is None
    assert coverage.coverage_by_year(years) == {2021: 20, 2022: 20, 2023: 19}
    assert coverage.below_threshold(1, 20) and coverage.below_threshold(14, 20) and not coverage.below_threshold(15, 20)
    assert coverage.below_threshold(0, 0)


def test_download_links_only_when_the_data_layer_provides_them(client, poverty):
    from django.urls import NoReverseMatch

    html = client.get(url("ind_detail", "en", code=poverty.code)).content.decode()
    try:
        reverse("data_download", kwargs={"code": poverty.code})
    except NoReverseMatch:
        assert "Download the data" not in html
    else:
        assert "Download the data (CSV)" in html


# --------------------------------------------------------------------------------------------- queries


def _grow(indicators: int, years: int, start: int = 0):
    regions = list(Region.objects.all())
    made = list(Indicator.objects.filter(code__startswith="q-"))
    for k in range(start, indicators):
        made.append(make_indicator(f"q-{k:03d}", goal=1 + k % 17, direction=1, target_value=500.0, target_year=2030,
                                   localized=True))
    rows = []
    for ind in made:
        have = set(IndicatorValue.objects.filter(indicator=ind).values_list("year", flat=True))
        for y in range(years):
            if 2000 + y in have:
                continue
            for region in [None, *regions]:
                for dims in ("", "SEX=F"):
                    rows.append(IndicatorValue(indicator=ind, region=region, area_code=region.ref_area if region else "",
                                               year=2000 + y, unit="PT", dims=dims, value=100.0 + y,
                                               source_file="f.csv", source_line=y + 2))
        for region in regions[:indicators]:
            RegionalTarget.objects.get_or_create(indicator=ind, region=region, status="approved", defaults={
                "base_year": 2000, "base_value": 100.0, "target_year": 2030, "target_value": 300.0, "weight": 1.0})
    IndicatorValue.objects.bulk_create(rows)
    return made


def _queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_data(client, make_user):
    made = _grow(indicators=2, years=3)
    first = made[0].code
    paths = [url("ind_list", "en"), url("ind_detail", "en", code=first), url("ind_region", "en", kato=ASTANA),
             url("ind_compare", "en") + f"?indicator={first}&region={ASTANA}", url("vlr_region", "en", kato=ASTANA),
             url("vlr_download", "en", kato=ASTANA)]
    stat = make_user("stat", role="statistics")
    small = [_queries(client, p) for p in paths]
    client.force_login(stat)
    small_stat = [_queries(client, url("ind_detail", "en", code=first)), _queries(client, url("ind_decompose", "en", code=first))]
    client.logout()
    _grow(indicators=10, years=15, start=2)  # 5× the indicators and the years
    big = [_queries(client, p) for p in paths]
    client.force_login(stat)
    big_stat = [_queries(client, url("ind_detail", "en", code=first)), _queries(client, url("ind_decompose", "en", code=first))]
    assert IndicatorValue.objects.count() == 10 * 15 * 21 * 2
    assert small == big, list(zip(paths, small, big))
    assert small_stat == big_stat


def test_chart_is_accessible_escaped_and_inside_its_box():
    import xml.etree.ElementTree as ET

    from localization.services.charts import ChartSeries, TargetMark, line_chart

    ns = "{http://www.w3.org/2000/svg}"
    with translation.override("en"):
        chart = line_chart(
            [ChartSeries("Peer", {2015: 41.0, 2020: 44.0}, "peer"), ChartSeries("Astana <b>", {2015: 30.0, 2023: 22.0}, "region"),
             ChartSeries("Kazakhstan", {2010: 11.4, 2015: 20.0, 2023: 42.0})],
            title="1.2.1 & test", unit="%", targets=[TargetMark("National target", 2030, 10.0, 2015, 20.0)],
            breaks=(2019,))
    root = ET.fromstring(str(chart.svg))
    assert root.get("role") == "img"
    title, desc = root.find(f"{ns}title"), root.find(f"{ns}desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "1.2.1 & test"
    assert desc.text == ("Unit: %. Astana <b>: 30 in 2015, 22 in 2023. Kazakhstan: 11.4 in 2010, 42 in 2023. "
                         "Thin grey line: 1 other region. National target: 10 by 2030. "
                         "Series break (change of definition) in: 2019.")
    _x, _y, width, height = (float(v) for v in root.get("viewBox").split())
    for el in root.iter():
        for key in ("x", "x1", "x2", "cx"):
            if key in el.attrib:
                assert 0 <= float(el.get(key)) <= width, (el.tag, el.attrib)
        for key in ("y", "y1", "y2", "cy"):
            if key in el.attrib:
                assert 0 <= float(el.get(key)) <= height, (el.tag, el.attrib)
    assert "Astana &lt;b&gt;" in str(chart.svg) and "<b>" not in str(chart.svg).replace("&lt;b&gt;", "")
    assert sum(1 for el in root.iter(f"{ns}line") if el.get("stroke") == "#a11d1d") == 2  # break marker and legend
    empty = line_chart([ChartSeries("Kazakhstan", {})], title="x")
    assert "no data" in str(empty.svg) or "деректер жоқ" in str(empty.svg)


def test_indicator_page_has_a_table_beside_each_chart(client, poverty):
    html = client.get(url("ind_detail", "en", code=poverty.code)).content.decode()
    national = html.split('<section aria-labelledby="national">')[1].split("</section>")[0]
    assert national.count("<svg") == 1 and "<caption>National values (percent)<br>" in national
    regions = html.split('<section aria-labelledby="regions">')[1].split("</section>")[0]
    assert regions.count("<svg") == 1 and "<caption>Regional values and status (percent)" in regions


def test_indicator_without_any_value_says_no_data(client, make_user):
    empty = make_indicator("17-1-1", goal=17, direction=None)
    client.force_login(make_user("stat", role="statistics"))
    for lang in ("kk", "ru", "en"):
        response = client.get(url("ind_detail", lang, code=empty.code))
        assert response.status_code == 200
        html = response.content.decode()
        assert NO_DATA[lang] in html and "<svg" in html
    html = client.get(url("ind_decompose", "en", code=empty.code)).content.decode()
    assert "No region has a value for this indicator, so there is nothing to decompose." in html


def test_decomposition_with_another_indicator_as_weights(client, make_user, poverty):
    _verify_abai(poverty)
    households = make_indicator("pop-1", goal=1, direction=1)
    put(households, ASTANA, {2023: 300.0})
    put(households, ABAI, {2022: 100.0})  # no 2023 value: the 2022 one is used
    client.force_login(make_user("stat", role="statistics"))
    response = client.post(url("ind_decompose", "en", code=poverty.code), {
        "rule": "uniform", "base_year": 2023, "target_year": 2030, "national_target": 4.0, "weight_kind": "indicator",
        "weight_indicator": households.code, "milestone_kind": "linear", "clamp": "on",
        "confirm_low_coverage": "on", "coverage_reason": "Two regions report both indicators"})
    assert response.status_code == 302
    dec = Decomposition.objects.get()
    targets = {rt.region.kato: (rt.weight, rt.target_value) for rt in dec.targets.select_related("region")}
    # X_N = (300·3.5 + 100·7.25)/400 = 4.4375; uniform 4.0 would make Astana (3.5) regress → held at 3.5,
    # Abai: k = (1775 − 1600)/(100·(7.25 − 4)) = 0.538…, T = 7.25 − 0.538·3.25 = 5.5; (300·3.5 + 100·5.5)/400 = 4.0
    assert targets[ASTANA] == (300.0, 3.5)
    assert targets[ABAI][0] == 100.0 and targets[ABAI][1] == pytest.approx(5.5)
    assert dec.weighted_result == pytest.approx(4.0, abs=1e-12) and dec.params["weight_indicator"] == "pop-1"


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_status_reasons_are_never_english_on_kk_and_ru_pages(client, lang):
    # One year of data (not assessed) and no direction (not assessed): both reasons in the page's language.
    one = make_indicator("2-9-1", goal=2)
    put(one, None, {2023: 4.0})
    put(one, ASTANA, {2023: 3.0})
    none = make_indicator("2-9-2", goal=2, direction=None, direction_kind="none")
    put(none, None, {2015: 1.0, 2023: 2.0})
    english = ["needs at least 2 years", "no direction", "desired direction of this indicator is not set",
               "describes, it does not judge", "not assessed"]
    for page in (url("ind_detail", lang, code=one.code), url("ind_detail", lang, code=none.code),
                 url("ind_region", lang, kato=ASTANA)):
        html = client.get(page).content.decode()
        for text in english:
            assert text not in html, (page, text)
    html = client.get(url("ind_detail", lang, code=one.code)).content.decode()
    assert {"kk": "деректері бар кемінде 2 жыл қажет", "ru": "нужно не менее 2 лет с данными"}[lang] in html


def test_an_unset_baseline_says_where_progress_is_measured_from(client, poverty):
    # The passport does not say "no data" above a status card that shows a base year and value: it says that no
    # official baseline is set and from which year the assessment starts (2015, the first year of the Agenda).
    html = client.get(url("ind_detail", "en", code=poverty.code)).content.decode()
    assert "not set: progress is measured from the first year with data from 2015 on" in html
    Indicator.objects.filter(pk=poverty.pk).update(baseline_year=2018)
    html = client.get(url("ind_detail", "ru", code=poverty.code)).content.decode()
    assert "не установлено: прогресс измеряется от первого года с данными, начиная с 2018" in html
    Indicator.objects.filter(pk=poverty.pk).update(baseline_value=5.5)
    html = client.get(url("ind_detail", "en", code=poverty.code)).content.decode()
    assert "5.5 (2018)" in html and "not set:" not in html


def test_a_table_names_a_shared_source_once_and_every_source_when_they_differ(client, poverty, make_user):
    # Public page: Astana's values all come from the platform file -> the regional table names it once.
    html = client.get(url("ind_detail", "en", code=poverty.code)).content.decode()
    regions = html.split('<section aria-labelledby="regions">')[1].split("</section>")[0]
    table = regions.split("<table")[1]
    assert "source of the values: <span class=\"cite\"" in table and table.count("National SDG platform") == 1
    dashboard = client.get(url("ind_region", "en", kato=ASTANA)).content.decode()
    assert dashboard.count("source of the values: <span class=\"cite\"") == 1  # Astana's one table (localized)
    # An officer's preview adds Abai's unverified values: sources differ, so every value carries its own again.
    client.force_login(make_user("stat", role="statistics"))
    html = client.get(url("ind_detail", "en", code=poverty.code)).content.decode()
    table = html.split('<section aria-labelledby="regions">')[1].split("</section>")[0].split("<table")[1]
    assert "source of the values:" not in table and table.count("National SDG platform") >= 2
    assert "entered by akimat, unverified" in table


def test_shared_citation_core():
    from types import SimpleNamespace as P

    from localization.citations import shared

    a = P(source_file="data/indicator_1-2-1.csv", source_line=3, unverified=False)
    b = P(source_file="data/indicator_1-2-1.csv", source_line=9, unverified=False)
    vnr = P(source_file="000_e3cedfe4388e2973.txt", source_line=598, unverified=False)
    with translation.override("en"):
        assert shared([a, None, b]).reference == "data/indicator_1-2-1.csv"
        assert shared([a, vnr]) is None  # two sources: each value keeps its own
        assert shared([a, P(source_file="", source_line=None, unverified=False)]) is None  # one has none
        assert shared([a, P(source_file="x.csv", source_line=1, unverified=True)]) is None
        assert shared([]) is None and shared([None]) is None
