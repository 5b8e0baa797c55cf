"""Give the demo accounts (``demo-…``, created by ``manage.py load_demo``) new random passwords and print them.

    manage.py reset_demo_passwords                 # every demo account
    manage.py reset_demo_passwords demo-akimat     # only the named ones
"""
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_PREFIX = "demo-"


class Command(BaseCommand):
    help = "Set new random passwords for the demo accounts (user names starting with 'demo-') and print them."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", help="only these demo accounts")

    def handle(self, *args, usernames, **options):
        users = get_user_model().objects.filter(username__startswith=DEMO_PREFIX).order_by("username")
        if usernames:
            bad = [name for name in usernames if not name.startswith(DEMO_PREFIX)]
            if bad:
                raise CommandError(f"Not demo accounts (names must start with '{DEMO_PREFIX}'): {', '.join(bad)}")
            users = users.filter(username__in=usernames)
            missing = sorted(set(usernames) - set(users.values_list("username", flat=True)))
            if missing:
                raise CommandError(f"No such demo account: {', '.join(missing)}")
        if not users.exists():
            raise CommandError("There are no demo accounts; run manage.py load_demo first.")
        for user in users:
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"{user.username} ({user.role}): {password}")
