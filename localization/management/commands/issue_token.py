"""``python manage.py issue_token USERNAME`` — the API token of an akimat or statistics officer.

Prints the user's token (creating it if needed). ``--rotate`` replaces it (the old token stops working at once);
``--revoke`` deletes it. Only officers who may write data get a token: akimat officers (bound to a region),
statistics officers and administrators. The token is sent as ``Authorization: Token <key>``.
"""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

WRITER_ROLES = ("akimat", "statistics", "admin")


class Command(BaseCommand):
    help = "Print (creating if needed) the REST API token of an akimat/statistics officer; --rotate or --revoke it."

    def add_arguments(self, parser):
        parser.add_argument("username")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--rotate", action="store_true", help="replace the token with a new one")
        group.add_argument("--revoke", action="store_true", help="delete the token")

    def handle(self, *args, username, rotate=False, revoke=False, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if revoke:
            deleted, _ = Token.objects.filter(user=user).delete()
            self.stdout.write(f"token of {username} revoked" if deleted else f"{username} had no token")
            return
        if not user.is_active:
            raise CommandError(f"{username} is not active")
        if not (user.is_superuser or user.role in WRITER_ROLES):
            raise CommandError(
                f"{username} is a {user.role}: API tokens are for akimat officers, statistics officers and administrators")
        if user.role == "akimat" and not user.region_id and not user.is_superuser:
            raise CommandError(f"{username} is an akimat officer without a region; bind them to a region first")
        with transaction.atomic():
            if rotate:
                Token.objects.filter(user=user).delete()
            token, _created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
