"""Security 6: no username may be (or contain) an IIN, and no IIN is stored anywhere in plain text."""
import datetime as dt
import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from budget import services
from budget.models import Ballot, ResidentProfile, Stage
from localization.models import User
from tests.budget.helpers import admit, move, propose, valid_iin

pytestmark = pytest.mark.django_db


def url(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def signup(client, username, iin, esil, lang="en"):
    with translation.override(lang):
        target = reverse("budget:signup")
    return client.post(target, {
        "username": username, "password1": "pw-Aimaq-2026!", "password2": "pw-Aimaq-2026!", "iin": iin,
        "district": esil.pk, "full_name": "Test", "email": "t@example.kz",
    })


@pytest.mark.parametrize("lang, message", [
    ("en", "A username may not contain 12 digits in a row"),
    ("ru", "Имя пользователя не может содержать 12 цифр подряд"),
    ("kk", "Пайдаланушы атында қатарынан 12 цифр болмауы керек"),
])
def test_signup_refuses_an_iin_as_username(client, esil, lang, message):
    iin = valid_iin(dt.date(1988, 8, 8), "M", 4242)
    for username in (iin, f"user{iin}", "000000000000"):
        response = signup(client, username, iin, esil, lang)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not User.objects.exists() and not ResidentProfile.objects.exists()
    assert signup(client, "user12345678901", iin, esil, lang).status_code == 302  # 11 digits: fine


def test_model_and_admin_refuse_an_iin_as_username(client, django_user_model):
    iin = valid_iin(dt.date(1970, 1, 2), "F", 77)
    with pytest.raises(ValidationError):
        User(username=iin).full_clean()
    with pytest.raises(ValidationError):
        User.objects.create_user(username=iin, password="pw-Aimaq-2026!")
    with pytest.raises(services.BudgetError):
        services.register_resident(username=iin, password="pw-Aimaq-2026!", iin=iin,
                                   district=__import__("localization.models").models.District.objects.first())
    root = django_user_model.objects.create_superuser("root", "root@example.kz", "pw-Aimaq-2026!")
    client.force_login(root)
    response = client.post(url("admin:localization_user_add"), {
        "username": iin, "password1": "pw-Aimaq-2026!", "password2": "pw-Aimaq-2026!", "usable_password": "true"})
    assert response.status_code == 200 and "A username may not contain 12 digits in a row" in response.content.decode()
    response = client.post(url("admin:localization_user_change", root.pk), {
        "username": iin, "role": "admin", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    assert "A username may not contain 12 digits in a row" in response.content.decode()
    assert User.objects.filter(username__regex=r"[0-9]{12}").count() == 0


def dump_whole_database() -> str:
    """Every row of every table, every column, as text (raw SQL: nothing is left out by a serializer)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                parts.append(table + ":" + "\x1f".join(
                    (bytes(v).decode("latin-1") if isinstance(v, (bytes, memoryview)) else str(v)) for v in row))
    return "\n".join(parts)


def test_no_iin_anywhere_in_the_database_or_the_logs(client, make_cycle, make_resident, expert_for, officer, esil,
                                                      caplog):
    caplog.set_level(logging.DEBUG)
    cycle = make_cycle()
    expert = expert_for(cycle)
    proposals = [propose(cycle, make_resident(), title=f"P{i}", cost=3_000_000) for i in range(2)]
    move(cycle, Stage.REVIEW)
    for p in proposals:
        admit(p, expert)
    move(cycle, Stage.VOTING)
    bucket = cycle.buckets.get()
    iin = valid_iin(dt.date(1977, 11, 30), "F", 9876)
    paper_iin = valid_iin(dt.date(1966, 2, 14), "M", 6543)
    assert signup(client, "zarina", iin, esil).status_code == 302
    client.force_login(officer)
    ResidentProfile.objects.filter(user__username="zarina").update(verified_by=officer, verified_at=timezone.now())
    client.force_login(User.objects.get(username="zarina"))
    assert client.post(url("budget:ballot", bucket.pk), {"choices": [proposals[0].pk]}).status_code == 302
    client.force_login(officer)
    client.post(url("budget:paper_ballot", bucket.pk), {"iin": paper_iin, "district": esil.pk,
                                                         "choices": [proposals[1].pk]})
    assert Ballot.objects.filter(bucket=bucket).count() == 2
    everything = dump_whole_database()
    assert "budget_ballot" in everything and "budget_residentprofile" in everything
    for plain in (iin, paper_iin, f"{iin[:6]} {iin[6:]}"):
        assert plain not in everything
        assert plain not in caplog.text
