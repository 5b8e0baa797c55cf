"""Fixtures for the PPB tests: a real district (Esil, Astana) with its real boundary, cycles placed in a stage."""
import datetime as dt

import pytest

from budget import services
from budget.demo import schedule
from budget.models import Bucket, Cycle, ExpertAssignment, Stage

from tests.budget.helpers import ASTANA, ESIL, move


@pytest.fixture
def esil(db):
    from localization.models import District

    return District.objects.select_related("region").get(kato=ESIL)


@pytest.fixture
def make_cycle(db, esil):
    def make(stage=Stage.SUBMISSION, buckets=((100_000_000, {}),), **fields):
        values = dict(
            name_kk="Сынақ циклі", name_ru="Тестовый цикл", name_en="Test cycle", district=esil, year=2026,
            mrp=4325, total_money=sum(money for money, _ in buckets), cap_unit=Cycle.CapUnit.MRP, cap_amount=10_000,
            ballot_rule=Cycle.BallotRule.APPROVAL, max_choices=2, counting_rule=Cycle.CountingRule.GREEDY,
        )
        values.update(fields)
        if values.get("region") is not None:
            values["district"] = None
        cycle = Cycle(**values, **schedule(Stage.SUBMISSION))
        cycle.full_clean()
        cycle.save()
        for i, (money, extra) in enumerate(buckets):
            Bucket.objects.create(
                cycle=cycle, name_kk=f"Қор {i}", name_ru=f"Корзина {i}", name_en=f"Bucket {i}", money=money, **extra
            )
        return move(cycle, stage) if stage != Stage.SUBMISSION else cycle

    return make


@pytest.fixture
def make_resident(db, esil):
    counter = {"n": 0}

    def make(username=None, *, birth=dt.date(1990, 5, 17), sex="M", district=None, email="", language="en",
             verified=True):
        """A resident with an account; ``verified`` (the default): their identity was checked in person, as a cycle
        requires by default (budget.services.verify_resident; here recorded directly, without an officer)."""
        from budget.core.iin import make_valid_iin

        counter["n"] += 1
        n = counter["n"]
        iin = make_valid_iin(birth, sex, 100 + n)
        user = services.register_resident(
            username=username or f"resident{n}", password="pw-Aimaq-2026!", iin=iin, district=district or esil,
            email=email or f"resident{n}@example.kz", language=language,
        )
        if verified:
            from django.utils import timezone

            from budget.models import ResidentProfile

            ResidentProfile.objects.filter(user=user).update(verified_at=timezone.now(), verification_method="in_person")
        user.iin = iin
        user.raw_password = "pw-Aimaq-2026!"
        return user

    return make


@pytest.fixture
def expert_for(make_user):
    def make(cycle, username="expert"):
        expert = make_user(username, role="expert")
        ExpertAssignment.objects.create(cycle=cycle, expert=expert)
        return expert

    return make


@pytest.fixture
def officer(make_user):
    return make_user("officer", role="akimat", region=ASTANA)


@pytest.fixture(autouse=True)
def media_in_tmp(request, tmp_path_factory):
    """Uploaded attachments go to a temporary folder, never into the repository (database tests only)."""
    if request.node.get_closest_marker("django_db"):
        settings = request.getfixturevalue("settings")
        settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def fast_password_hashing(request):
    """Residents are created by the dozen; the production hasher is deliberately slow (database tests only)."""
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("settings").PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
