"""Signal handlers of the localization app."""
from __future__ import annotations


def superuser_is_admin(sender, instance, **kwargs):
    """A superuser (``manage.py createsuperuser``, or the flag set in the admin) has the administrator role.

    Only the default role is upgraded: a superuser deliberately given another role keeps it."""
    if instance.is_superuser and instance.role == sender.Role.RESIDENT:
        instance.role = sender.Role.ADMIN
