"""Small security hooks named in settings (django-axes)."""
from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(ip: str) -> bool:
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return False
    return True


def client_ip(request) -> str:
    """The client's address for sign-in throttling: ``X-Real-IP`` only when the request came through one of
    ``settings.TRUSTED_PROXIES`` (nginx overwrites that header), else the socket's peer. Behind the proxy every
    client would otherwise share the proxy's address and one attacker could lock everybody out."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if remote in settings.TRUSTED_PROXIES:
        real = (request.META.get("HTTP_X_REAL_IP") or "").strip()
        if real and _valid(real):
            return real
    return remote
