"""Signing in: Django's model backend, reading the resident profile together with the user.

Nearly every page a resident opens needs their profile (eligibility, their ballots, their district); this backend
loads it with the user in one query (a LEFT JOIN: officers and experts have no profile), and
:func:`budget.services.resident_of` uses what was loaded instead of asking again.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

#: Set on a user loaded by this backend: its cached ``resident`` is this request's reading of the profile (a user
#: object kept elsewhere may hold a profile cached before a change, so only these are trusted).
PROFILE_LOADED = "_resident_profile_loaded"

#: The dotted path of this backend, as sessions store it (``login(request, user, backend=BACKEND)``).
BACKEND = "budget.auth.ResidentBackend"


class ResidentBackend(ModelBackend):
    """``ModelBackend`` (passwords, permissions, inactive users refused) with the profile read with the user."""

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("resident__district").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        setattr(user, PROFILE_LOADED, True)
        return user
