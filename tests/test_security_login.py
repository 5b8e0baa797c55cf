"""Security 3: sign-in throttling (django-axes) on the site's login and /admin/login/, with an unlock."""
import io

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from config.security import client_ip

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Aimaq-2026!"
MESSAGE = {
    "en": "Too many failed sign-in attempts",
    "ru": "Слишком много неудачных попыток входа",
    "kk": "Кіруге тым көп сәтсіз әрекет жасалды",
}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def attempt(client, path, username, password, ip="203.0.113.7"):
    return client.post(path, {"username": username, "password": password}, HTTP_X_REAL_IP=ip)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", ["/en/accounts/login/", "/en/admin/login/"])
def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(client, make_user, path):
    user = make_user("aigerim", role="statistics", is_staff=True)
    for _ in range(30):
        assert attempt(client, path, user.username, "wrong-password").status_code in (200, 429)
    response = attempt(client, path, user.username, PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    assert MESSAGE["en"] in response.content.decode()
    out = io.StringIO()
    call_command("axes_reset_username", user.username, stdout=out)
    call_command("axes_reset_ip", "203.0.113.7", stdout=out)
    response = attempt(client, path, user.username, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_limit_is_per_account_from_any_address(client, make_user, settings):
    user = make_user("dana")
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "/en/accounts/login/", user.username, "wrong", ip=f"198.51.100.{i + 1}")
    assert attempt(client, "/en/accounts/login/", user.username, PASSWORD, ip="192.0.2.200").status_code == 429
    assert not signed_in(client)


def test_the_limit_is_per_address_for_any_account(client, make_user, settings):
    victim = make_user("erlan")
    for i in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "/en/accounts/login/", f"guess{i}", "wrong", ip="192.0.2.55")
    assert attempt(client, "/en/accounts/login/", victim.username, PASSWORD, ip="192.0.2.55").status_code == 429
    assert attempt(client, "/en/accounts/login/", victim.username, PASSWORD, ip="192.0.2.56").status_code == 302


def test_a_success_resets_the_count(client, make_user, settings):
    user = make_user("gulnar")
    for _round in range(3):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            attempt(client, "/en/accounts/login/", user.username, "wrong")
        assert attempt(client, "/en/accounts/login/", user.username, PASSWORD).status_code == 302
        client.logout()


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_lockout_message_in_each_language(client, make_user, settings, lang):
    user = make_user("madi")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"/{lang}/accounts/login/", user.username, "wrong")
    response = attempt(client, f"/{lang}/accounts/login/", user.username, PASSWORD)
    assert response.status_code == 429 and MESSAGE[lang] in response.content.decode()


def test_admin_unlocks_in_the_admin(client, make_user, django_user_model, settings):
    from axes.models import AccessAttempt

    user = make_user("nurlan")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "/en/accounts/login/", user.username, "wrong")
    assert AccessAttempt.objects.filter(username="nurlan").exists()
    root = django_user_model.objects.create_superuser("root", "root@example.kz", PASSWORD)
    admin = type(client)()
    admin.force_login(root)
    assert admin.get("/en/admin/axes/accessattempt/").status_code == 200
    AccessAttempt.objects.filter(username="nurlan").delete()  # what "delete" in that list does
    assert attempt(client, "/en/accounts/login/", user.username, PASSWORD, ip="192.0.2.99").status_code == 302


def test_client_ip_believes_only_the_trusted_proxy():
    rf = RequestFactory()
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9")) == "203.0.113.9"
    assert client_ip(rf.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_REAL_IP="203.0.113.9")) == "198.51.100.4"
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="not-an-ip")) == "127.0.0.1"
