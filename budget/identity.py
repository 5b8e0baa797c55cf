"""Pluggable identity providers: how a resident can be verified without visiting a service centre.

A resident is *verified* (``ResidentProfile.verified_at``) in one of three ways:

1. **in person**: an officer of the district checks the ID at a service centre and records it (admin action
   "Mark as verified by me" on resident profiles, or :func:`budget.services.verify_resident`);
2. **paper ballot**: the officer entering a paper ballot has checked the voter's ID; if that IIN has an
   online account, the account becomes verified (``paper_ballot``);
3. **identity provider**: the class named by ``settings.PPB_IDENTITY_PROVIDER`` (empty: none) confirms that the
   person behind the account holds the IIN of the profile.

The adapter point for eGov (egov.kz / eGov Mobile, digital ID) is a subclass of :class:`IdentityProvider`:
``start`` sends the resident to the provider (e.g. an OAuth/OpenID Connect authorisation URL), ``confirm``
takes the provider's answer (the callback request), checks it (signature, nonce, expiry) and returns the IIN
the provider vouches for; Aimaq hashes it and compares with the profile's ``iin_hash`` — the IIN itself is
never stored. There is deliberately **no** provider in the production settings: a fake one would let anybody
vote. Tests use tests/budget/identity_stub.py.
"""
from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string


class IdentityProvider:
    """The interface. ``name`` is recorded as ``provider:<name>`` in ``ResidentProfile.verification_method``."""

    name = "provider"

    def start(self, request, profile) -> str:
        """The URL the resident is sent to in order to prove their identity."""
        raise NotImplementedError

    def confirm(self, request, profile) -> str | None:
        """The IIN vouched for by the provider's answer in ``request``, or None if it is not a valid answer."""
        raise NotImplementedError


def get_provider() -> IdentityProvider | None:
    path = getattr(settings, "PPB_IDENTITY_PROVIDER", "") or ""
    return import_string(path)() if path else None
