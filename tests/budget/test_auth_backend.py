"""The sign-in backend reads the resident profile with the user: one query per request instead of two, and
resident_of() trusts that reading only on users the backend loaded (a user object kept elsewhere may hold a profile
cached before it changed)."""
import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from budget import services
from budget.auth import BACKEND, ResidentBackend
from budget.models import ResidentProfile

pytestmark = pytest.mark.django_db


def test_the_profile_comes_with_the_user(make_resident, django_assert_num_queries):
    resident = make_resident(verified=False)
    with django_assert_num_queries(1):
        user = ResidentBackend().get_user(resident.pk)
    with django_assert_num_queries(0):
        profile = services.resident_of(user)
        assert profile.user_id == resident.pk and profile.district.kato and profile.verified_at is None


def test_a_user_without_a_profile_has_none_without_a_second_query(make_user, django_assert_num_queries):
    officer = make_user("officer", role="akimat", region="710000000")
    user = ResidentBackend().get_user(officer.pk)
    with django_assert_num_queries(0):
        assert services.resident_of(user) is None


def test_inactive_and_unknown_users_are_not_loaded(make_resident):
    resident = make_resident()
    type(resident).objects.filter(pk=resident.pk).update(is_active=False)
    assert ResidentBackend().get_user(resident.pk) is None
    assert ResidentBackend().get_user(10 ** 9) is None


def test_a_user_object_kept_elsewhere_is_asked_again(make_resident):
    """make_resident() verifies the profile with an UPDATE after creating it: the profile cached on that user object
    is stale, and resident_of() must not use it."""
    resident = make_resident(verified=False)
    ResidentProfile.objects.filter(user=resident).update(verified_at=timezone.now())
    assert services.resident_of(resident).verified_at is not None


def test_signing_up_signs_in_with_this_backend(client, esil):
    from budget.core.iin import make_valid_iin
    import datetime as dt

    response = client.post(reverse("budget:signup"), {
        "username": "newvoter", "password1": "pw-Aimaq-2026!x", "password2": "pw-Aimaq-2026!x",
        "iin": make_valid_iin(dt.date(1991, 3, 4), "F", 7), "district": esil.pk, "full_name": "",
        "email": "newvoter@example.kz", "accept": "on", "language": "kk",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.session[SESSION_KEY] and client.session["_auth_user_backend"] == BACKEND
    assert BACKEND in settings.AUTHENTICATION_BACKENDS
