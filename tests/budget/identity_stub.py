"""A test-only identity provider (never named in config/settings.py): vouches for the IIN posted as ``iin``."""
from budget.identity import IdentityProvider


class StubProvider(IdentityProvider):
    name = "stub"

    def start(self, request, profile) -> str:
        return "https://idp.example/authorize"

    def confirm(self, request, profile):
        return request.POST.get("iin")
