"""Security 7: bad input that used to give a 500 gets a row error (file:line) or a field error; nothing is saved."""
import datetime as dt
import io

import pytest

from budget.models import Bucket, Cycle
from localization.models import IndicatorValue
from tests.budget.helpers import ESIL

pytestmark = pytest.mark.django_db
ABAI = "100000000"


def cycle_post(district_pk, start: dt.date, **extra):
    days = [start + dt.timedelta(days=10 * i) for i in range(9)]
    names = ["submission_start", "submission_end", "review_end", "revision_end", "rereview_end", "voting_start",
             "voting_end", "results_date", "implementation_start"]
    data = {
        "name_kk": "Цикл", "name_ru": "Цикл", "name_en": "Past cycle", "district": district_pk, "region": "",
        "year": start.year, "mrp": 3932, "total_money": 50_000_000, "cap_unit": "mrp", "cap_amount": 10_000,
        "ballot_rule": "approval", "max_choices": 3, "counting_rule": "greedy", "proposals_per_author": 3,
        "buckets-TOTAL_FORMS": 0, "buckets-INITIAL_FORMS": 0, "experts-TOTAL_FORMS": 0, "experts-INITIAL_FORMS": 0,
        **{name: day.isoformat() for name, day in zip(names, days)},
    }
    data.update(extra)
    return data


def test_admin_cycle_with_past_dates_is_a_field_error(client, esil, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.kz", "pw-Aimaq-2026!")
    client.force_login(root)
    response = client.post("/en/admin/budget/cycle/add/", cycle_post(esil.pk, dt.date(2020, 1, 1)))
    assert response.status_code == 200
    assert "a new cycle needs a voting start after today" in response.content.decode()
    assert not Cycle.objects.filter(name_en="Past cycle").exists() and not Bucket.objects.exists()
    future = cycle_post(esil.pk, dt.date.today() + dt.timedelta(days=1))
    response = client.post("/en/admin/budget/cycle/add/", future)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Cycle.objects.get(name_en="Past cycle").buckets.count() == 1  # the default bucket


def test_pipe_in_a_disaggregation_value_is_a_row_error(client, make_user):
    from localization.models import Goal, Indicator

    Indicator.objects.create(code="1-2-1", sort_key="01.02.01", goal=Goal.objects.get(number=1), title_en="Poverty",
                             unit="PT")
    client.force_login(make_user("akim-abai", role="akimat", region=ABAI))
    text = "Year,UNIT_MEASURE,SEX,REF_AREA,Value\n2024,PT,F,KZABY,7.1\n2024,PT,F|M,KZABY,8.6\n"
    f = io.BytesIO(text.encode())
    f.name = "data.csv"
    response = client.post(f"/en/data/regions/{ABAI}/values/upload/", {"indicator": "1-2-1", "file": f})
    assert response.status_code == 200
    assert "data.csv:3: the value of column SEX contains the character “|”" in response.content.decode()
    assert not IndicatorValue.objects.exists()
