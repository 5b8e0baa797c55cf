"""Akimat officers: land on their region's work after sign-in, pick the indicator from a searchable list, choose the
unit and disaggregation from the indicator's own, and download a template to fill in."""
import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from localization.models import Indicator, IndicatorValue, Region, RegionalTarget

pytestmark = pytest.mark.django_db

ABAI, ASTANA = "100000000", "710000000"


@pytest.fixture(scope="module")
def imported(django_db_setup, django_db_blocker):
    """1-2-1 (poverty, by SEX and URBANISATION, all regions) and 3-1-1 of the national set, imported once."""
    from tests.localization.imported import national_import

    with national_import(django_db_blocker, only=["1-2-1", "3-1-1"]) as run:
        assert run.errors == []
        yield


@pytest.fixture
def akim(imported, make_user):
    return make_user("akim-abai", role="akimat", region=ABAI)


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def test_officers_land_on_their_regions_work_others_on_the_home_page(client, akim, make_user):
    for user, expected in ((akim, en("officer_home")), (make_user("stat", role="statistics"), en("officer_home")),
                           (make_user("resident"), en("home"))):
        client.logout()
        response = client.post(en("login"), {"username": user.username, "password": user.raw_password}, follow=True)
        assert response.redirect_chain[-1][0] == expected, user.username
    # An explicit ?next= still wins.
    client.logout()
    response = client.post(en("login") + "?next=" + en("ind_list"),
                           {"username": akim.username, "password": akim.raw_password, "next": en("ind_list")})
    assert response["Location"] == en("ind_list")


def test_officer_home_lists_the_regions_work(client, akim):
    abai = Region.objects.get(kato=ABAI)
    indicator = Indicator.objects.get(code="1-2-1")
    latest = IndicatorValue.objects.filter(indicator=indicator, region=abai, dims="").order_by("-year").first()
    # An approved target with no value after its base year, and one value awaiting verification.
    other = Indicator.objects.get(code="3-1-1")
    RegionalTarget.objects.create(indicator=other, region=abai, base_year=2100 - 1, base_value=1.0, target_year=2100,
                                  target_value=0.5, status=RegionalTarget.Status.APPROVED)
    IndicatorValue.objects.filter(pk=latest.pk).update(status="unverified")
    client.force_login(akim)
    response = client.get(en("officer_home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "work: Abai Region</h1>" in html
    work = response.context["work"]
    assert work.awaiting_total == 1 and work.awaiting[0].pk == latest.pk
    assert [t.indicator.code for t in work.targets_without_data] == ["3-1-1"]
    assert any(section["key"] == "cycles" for section in work.extra)  # the budget app answers the hook
    assert f'href="{en("data_value_entry", ABAI)}"' in html
    # Values to enter: every listed indicator has a later regional year elsewhere than here.
    for ind, elsewhere, mine in work.to_enter:
        assert mine is None or mine < elsewhere


def test_residents_may_not_open_the_officer_home(client, make_user):
    client.force_login(make_user("resident"))
    assert client.get(en("officer_home")).status_code == 403
    client.logout()
    assert client.get(en("officer_home")).status_code == 302


def test_value_entry_starts_with_a_searchable_indicator_list(client, akim):
    client.force_login(akim)
    page = en("data_value_entry", ABAI)
    html = client.get(page).content.decode()
    assert "<select" not in html and 'type="search"' in html
    assert html.count("<li data-search=") == Indicator.objects.count() == 2
    html = client.get(page + "?q=прожиточного+минимума").content.decode()  # Russian title words
    assert html.count("<li data-search=") == 1 and "?indicator=1-2-1" in html
    html = client.get(page + "?q=3.1").content.decode()
    assert html.count("<li data-search=") == 1 and "?indicator=3-1-1" in html
    # With the indicator chosen: unit and disaggregation are selects of the indicator's own values.
    response = client.get(page + "?indicator=1-2-1")
    form = response.context["form"]
    assert [c for c, _ in form.fields["unit"].choices] == ["PT"]
    assert [c for c, _ in form.fields["dim_SEX"].choices] == ["", "F", "M"]
    assert [c for c, _ in form.fields["dim_URBANISATION"].choices] == ["", "R", "U"]
    html = response.content.decode()
    assert 'name="disaggregation"' not in html and "SEX=F" not in html
    with translation.override("kk"):
        html = client.get(reverse("data_value_entry", args=[ABAI]) + "?indicator=1-2-1").content.decode()
    assert "әйелдер" in html and "пайыз" in html  # kk labels of SEX=F and of the unit PT


def test_an_unknown_indicator_shows_the_list_again_with_an_error(client, akim):
    client.force_login(akim)
    response = client.post(en("data_value_entry", ABAI), {"indicator": "99-9-9", "year": "2024", "value": "5"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html and "Choose an indicator from the list." in html
    assert not IndicatorValue.objects.filter(entered_by__isnull=False).exists()


def test_template_download_round_trips_through_the_upload(client, akim):
    client.force_login(akim)
    response = client.get(en("data_value_template", ABAI, "1-2-1"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="template_1-2-1_KZABY.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Year", "UNIT_MEASURE", "SEX", "URBANISATION", "REF_AREA", "Value"]
    assert all(r[-2] == "KZABY" and r[-1] == "" for r in rows[1:]) and ["", ""] == rows[1][2:4]
    # Fill in two rows and upload the file: both are stored as unverified values of Abai.
    rows[1][-1], rows[2][-1] = "7.5", "7.1"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    upload = io.BytesIO(out.getvalue().encode())
    upload.name = "filled.csv"
    response = client.post(en("data_value_upload", ABAI), {"indicator": "1-2-1", "file": upload})
    assert response.status_code == 302
    stored = IndicatorValue.objects.filter(entered_by=akim).order_by("source_line")
    assert [(v.value, v.status) for v in stored] == [(7.5, "unverified"), (7.1, "unverified")]
    response = client.get(en("data_value_template_xlsx", ABAI, "1-2-1"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == rows[0]


def test_template_download_needs_the_region_right(client, imported, make_user):
    client.force_login(make_user("akim-astana", role="akimat", region=ASTANA))
    assert client.get(en("data_value_template", ABAI, "1-2-1")).status_code == 403


def test_the_upload_starts_with_the_searchable_picker_not_a_long_select(client, akim):
    client.force_login(akim)
    html = client.get(en("data_value_upload", ABAI) + "?q=1.2.1").content.decode()
    assert 'id="indicator-picker"' in html and "<select" not in html
    assert 'href="?indicator=1-2-1"' in html
    html = client.get(en("data_value_upload", ABAI) + "?indicator=1-2-1").content.decode()
    assert 'type="hidden" name="indicator" value="1-2-1"' in html and "<select" not in html
    assert en("data_value_template", ABAI, "1-2-1") in html  # the template for the chosen indicator, one tap away
    missing = client.get(en("data_value_upload", ABAI) + "?indicator=99-9-9").content.decode()
    assert "Choose an indicator from the list." in missing and 'id="indicator-picker"' in missing
