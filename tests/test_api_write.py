"""Write API: per-user tokens, the region scope of can_edit_region, the web forms' validation, atomic bulk upload
with a per-row report, and nothing half-written on bad input."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from localization.models import Indicator, IndicatorValue, Region, RegionalTarget
from tests.test_api_support import (  # noqa: F401
    ALMATY_CITY,
    ASTANA,
    api,
    poverty,
    no_throttle,
    officer,
    results,
    token_client,
)

pytestmark = pytest.mark.django_db


def astana_ref():
    return Region.objects.get(kato=ASTANA).ref_area


def almaty_ref():
    return Region.objects.get(kato=ALMATY_CITY).ref_area


def snapshot():
    return (IndicatorValue.objects.count(), RegionalTarget.objects.count(),
            sorted(IndicatorValue.objects.values_list("pk", "value", "status")))


def csv_file(text: str, name="indicator_1-2-1.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def value_body(**overrides):
    body = {"indicator": "1-2-1", "region": ASTANA, "year": 2024, "value": 3.1, "unit": "PT", "note": "akimat survey"}
    body.update(overrides)
    return body


# --------------------------------------------------------------------------------------------- authentication


def test_anonymous_writes_are_refused_with_401(api, poverty):
    before = snapshot()
    for url, body, fmt in (
        ("/api/v1/values/", value_body(), "json"),
        ("/api/v1/values/upload/", {"indicator": "1-2-1", "region": ASTANA, "file": csv_file("Year,Value\n2024,1\n")}, "multipart"),
        ("/api/v1/regional-targets/", {"indicator": "1-2-1", "region": ASTANA}, "json"),
    ):
        response = api.post(url, body, format=fmt)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token" and response.json()["detail"]
    assert api.post("/api/v1/values/", value_body(), format="json", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401
    assert snapshot() == before


def test_issue_token_command(make_user):
    akim = make_user("akim", role="akimat", region=ASTANA)
    out = io.StringIO()
    call_command("issue_token", "akim", stdout=out)
    key = out.getvalue().strip()
    assert len(key) == 40 and akim.auth_token.key == key
    out2 = io.StringIO()
    call_command("issue_token", "akim", stdout=out2)
    assert out2.getvalue().strip() == key  # stable until rotated
    out3 = io.StringIO()
    call_command("issue_token", "akim", "--rotate", stdout=out3)
    assert out3.getvalue().strip() not in ("", key)
    make_user("resident")
    with pytest.raises(CommandError, match="resident"):
        call_command("issue_token", "resident")
    with pytest.raises(CommandError, match="no user"):
        call_command("issue_token", "nobody")
    call_command("issue_token", "akim", "--revoke", stdout=io.StringIO())
    assert not Token.objects.filter(user=akim).exists()


# --------------------------------------------------------------------------------------------- single values


def test_akimat_token_enters_a_value_for_its_own_region(officer, poverty):
    client = officer("akimat", ASTANA)
    response = client.post("/api/v1/values/", value_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["indicator"], body["region"], body["year"], body["value"], body["status"]) == ("1-2-1", ASTANA, 2024, 3.1, "unverified")
    stored = IndicatorValue.objects.get(pk=body["id"])
    assert stored.entered_by == client.user and stored.area_code == astana_ref() and stored.status == "unverified"
    listed = results(client.get(f"/api/v1/values/?indicator=1-2-1&region={ASTANA}&year=2024&status=unverified"))
    assert [v["id"] for v in listed] == [body["id"]]


def test_akimat_token_cannot_write_another_regions_values(officer, poverty):
    client = officer("akimat", ASTANA)
    before = snapshot()
    response = client.post("/api/v1/values/", value_body(region=ALMATY_CITY), format="json")
    assert response.status_code == 403 and response.json()["detail"]
    upload = client.post("/api/v1/values/upload/", {
        "indicator": "1-2-1", "region": ALMATY_CITY,
        "file": csv_file(f"Year,UNIT_MEASURE,REF_AREA,Value\n2024,PT,{almaty_ref()},2.0\n")}, format="multipart")
    assert upload.status_code == 403
    propose = client.post("/api/v1/regional-targets/", {"indicator": "1-2-1", "region": ALMATY_CITY, "base_year": 2022,
                                                        "target_value": 1.0, "target_year": 2030, "reason": "x"}, format="json")
    assert propose.status_code == 403
    assert snapshot() == before


def test_statistics_officer_has_national_scope_and_residents_none(officer, poverty):
    stat = officer("statistics", None, username="stat")
    assert stat.post("/api/v1/values/", value_body(region=ALMATY_CITY), format="json").status_code == 201
    resident = officer("resident", None, username="res")
    before = snapshot()
    assert resident.post("/api/v1/values/", value_body(year=2023), format="json").status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("overrides, field", [
    ({"year": 1800}, "year"),
    ({"year": "twenty"}, "year"),
    ({"value": "abc"}, "value"),
    ({"value": 250.0}, "value"),  # a percentage above 100
    ({"indicator": "9-9-9"}, "indicator"),
    ({"indicator": None}, "indicator"),
    ({"region": "000000000"}, "region"),
    ({"region": ""}, "region"),
    ({"disaggregation": "SEX"}, "disaggregation"),
    ({"disaggregation": "COLOUR=RED"}, "disaggregation"),
    ({"unit": "U" * 41}, "unit"),
    ({"note": "n" * 81}, "note"),
    ({"year": [2020, 2021]}, "year"),
    ({"year": True}, "year"),
])
def test_bad_single_values_are_400_with_a_message_and_nothing_written(officer, poverty, overrides, field):
    client = officer("akimat", ASTANA)
    before = snapshot()
    body = value_body(**overrides)
    if overrides.get("indicator", "") is None:
        del body["indicator"]
    response = client.post("/api/v1/values/", body, format="json")
    assert response.status_code == 400, response.content
    messages = response.json()[field]
    assert messages and all(isinstance(m, str) and m for m in messages)
    assert snapshot() == before


def test_messages_of_write_errors_follow_the_request_language(officer, poverty):
    client = officer("akimat", ASTANA)
    bad = value_body(region="000000000")
    en = client.post("/api/v1/values/?lang=en", bad, format="json").json()["region"][0]
    ru = client.post("/api/v1/values/", bad, format="json", HTTP_ACCEPT_LANGUAGE="ru").json()["region"][0]
    kk = client.post("/api/v1/values/?lang=kk", bad, format="json").json()["region"][0]
    assert en == "Unknown region: give its 9-digit KATO code." and len({en, ru, kk}) == 3
    forbidden = client.post("/api/v1/values/?lang=ru", value_body(region=ALMATY_CITY), format="json")
    assert forbidden.status_code == 403 and forbidden.json()["detail"] == "Вы не можете изменять данные этого региона."


def test_a_verified_value_is_not_overwritten_by_the_akimat(officer, poverty):
    client = officer("akimat", ASTANA)
    official = IndicatorValue.objects.filter(indicator__code="1-2-1", region__kato=ASTANA, dims="", unit="PT").first()
    before = snapshot()
    response = client.post("/api/v1/values/", value_body(year=official.year, value=official.value + 1), format="json")
    assert response.status_code == 400 and response.json()["value"]
    assert snapshot() == before


def test_form_encoded_entry_works_like_json(officer, poverty):
    client = officer("akimat", ASTANA)
    response = client.post("/api/v1/values/", {**value_body(), "value": "3,5"})  # decimal comma, as the web form
    assert response.status_code == 201 and response.json()["value"] == 3.5


# --------------------------------------------------------------------------------------------- bulk upload


def test_bulk_upload_in_the_open_sdg_layout(officer, poverty):
    client = officer("akimat", ASTANA)
    ref = astana_ref()
    text = f"Year,UNIT_MEASURE,SEX,REF_AREA,Value\n2024,PT,,{ref},3.0\n2024,PT,F,{ref},3.2\n2024,PT,M,{ref},2.8\n"
    response = client.post("/api/v1/values/upload/", {"indicator": "1-2-1", "region": ASTANA, "file": csv_file(text)},
                           format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 3
    stored = IndicatorValue.objects.filter(indicator__code="1-2-1", region__kato=ASTANA, year=2024)
    assert {v.dims: (v.value, v.status) for v in stored} == {
        "": (3.0, "unverified"), "SEX=F": (3.2, "unverified"), "SEX=M": (2.8, "unverified")}


def test_bulk_upload_is_atomic_with_a_per_row_report(officer, poverty):
    client = officer("akimat", ASTANA)
    ref, other = astana_ref(), almaty_ref()
    text = (f"Year,UNIT_MEASURE,SEX,REF_AREA,Value\n"
            f"2024,PT,,{ref},3.0\n"       # line 2: good
            f"2024,PT,F,{other},3.2\n"    # line 3: another region
            f"2023,PT,F,{ref},-2.8\n"     # line 4: a negative percentage
            f"2023,PT,M,{ref},180\n")     # line 5: percentage above 100
    before = snapshot()
    response = client.post("/api/v1/values/upload/?lang=en",
                           {"indicator": "1-2-1", "region": ASTANA, "file": csv_file(text)}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Nothing was imported")
    lines = {e["line"] for e in body["errors"]}
    assert {3, 4, 5} <= lines and 2 not in lines
    assert all(e["file"] == "indicator_1-2-1.csv" and e["message"] for e in body["errors"])
    assert any(other in e["message"] for e in body["errors"] if e["line"] == 3)
    assert snapshot() == before


@pytest.mark.parametrize("files, data, field", [
    ({}, {"indicator": "1-2-1"}, "file"),
    ({"file": ("values.txt", "Year,Value\n2024,1\n")}, {"indicator": "1-2-1"}, "file"),
    ({"file": ("indicator_1-2-1.csv", "Year,UNIT_MEASURE,REF_AREA,Value\n2024,PT,{ref},1\n")}, {"indicator": "0-0-0"}, "indicator"),
    ({"file": ("indicator_7-1-1.csv", "Year,UNIT_MEASURE,REF_AREA,Value\n2024,PT,{ref},1\n")}, {"indicator": "1-2-1"}, "errors"),
    ({"file": ("indicator_1-2-1.csv", "")}, {"indicator": "1-2-1"}, "file"),
    ({"file": ("indicator_1-2-1.csv", "Year,UNIT_MEASURE,REF_AREA,Value\n")}, {"indicator": "1-2-1"}, "errors"),
    ({"file": ("indicator_1-2-1.csv", "Year,Value\nabc,1\n")}, {"indicator": "1-2-1"}, "errors"),
    ({"file": ("indicator_1-2-1.csv", b"\xff\xfe\x00bad")}, {"indicator": "1-2-1"}, "errors"),
    ({"file": ("indicator_1-2-1.xlsx", b"PK not really a workbook")}, {"indicator": "1-2-1"}, "errors"),
])
def test_bad_uploads_are_400_with_a_message_and_nothing_written(officer, poverty, files, data, field):
    client = officer("akimat", ASTANA)
    payload = {"region": ASTANA, **data}
    for key, (name, content) in files.items():
        raw = content.replace("{ref}", astana_ref()).encode() if isinstance(content, str) else content
        payload[key] = SimpleUploadedFile(name, raw)
    before = snapshot()
    response = client.post("/api/v1/values/upload/", payload, format="multipart")
    assert response.status_code == 400, response.content
    assert response.json()[field]
    assert snapshot() == before


def test_upload_needs_multipart(officer, poverty):
    client = officer("akimat", ASTANA)
    response = client.post("/api/v1/values/upload/", {"indicator": "1-2-1", "region": ASTANA}, format="json")
    assert response.status_code == 415 and response.json()["detail"]


# --------------------------------------------------------------------------------------------- target proposals


def _proposal(**overrides):
    body = {"indicator": "1-2-1", "region": ASTANA, "base_year": None, "target_value": 1.0, "target_year": 2030,
            "reason": "Regional programme of the akimat"}
    body.update(overrides)
    return body


def _base_year():
    return max(IndicatorValue.objects.filter(indicator__code="1-2-1", region__kato=ASTANA, dims="", unit="PT")
               .values_list("year", flat=True))


def test_akimat_proposes_a_target_for_its_region(officer, poverty):
    Indicator.objects.filter(code="1-2-1").update(direction=-1)
    client = officer("akimat", ASTANA)
    response = client.post("/api/v1/regional-targets/", _proposal(base_year=_base_year()), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["region"], body["status"], body["target_value"], body["decomposition"]) == (ASTANA, "proposed", 1.0, None)
    target = RegionalTarget.objects.get(pk=body["id"])
    assert target.proposed_by == client.user and target.base_year == _base_year()
    assert str(_base_year()) in body["milestones"] and "2030" in body["milestones"]


@pytest.mark.parametrize("overrides, field", [
    ({"base_year": 1999}, "base_year"),           # no value of the region in that year
    ({"target_year": 1990}, "target_year"),
    ({"target_value": "lots"}, "target_value"),
    ({"reason": ""}, "reason"),
    ({"indicator": "9-9-9"}, "indicator"),
    ({"target_value": 50.0}, "non_field_errors"),  # worse than the base value: targets may not regress
])
def test_bad_proposals_are_400_with_a_message_and_nothing_written(officer, poverty, overrides, field):
    Indicator.objects.filter(code="1-2-1").update(direction=-1)
    client = officer("akimat", ASTANA)
    before = snapshot()
    response = client.post("/api/v1/regional-targets/?lang=en", _proposal(**{"base_year": _base_year(), **overrides}),
                           format="json")
    assert response.status_code == 400, response.content
    assert response.json()[field]
    assert snapshot() == before


def test_non_object_bodies_are_400(officer, poverty):
    client = officer("akimat", ASTANA)
    for url in ("/api/v1/values/", "/api/v1/regional-targets/"):
        for body in ([1, 2], "text", 5):
            response = client.post(url, body, format="json")
            assert response.status_code == 400 and response.json()
    malformed = client.post("/api/v1/values/", "{not json", content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["detail"]
