"""The one server-side check of who may change what.

Every view, form, API endpoint and admin page that changes regional data asks :func:`can_edit_region`.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied


def is_statistics(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in ("statistics", "admin")))


def is_national(user) -> bool:
    """An active administrator or statistics officer: national scope."""
    return bool(user and user.is_authenticated and user.is_active and is_statistics(user))


def bound_region_id(user) -> int | None:
    """The region an active akimat officer is bound to (None for everyone else)."""
    if user and user.is_authenticated and user.is_active and user.role == "akimat" and user.region_id:
        return user.region_id
    return None


def is_officer(user) -> bool:
    """Statistics officers, administrators and akimat officers bound to a region: they have a region's work."""
    return is_national(user) or bound_region_id(user) is not None


def can_edit_region(user, region) -> bool:
    """May ``user`` change data of ``region`` (a Region instance or its primary key)?

    - administrators and statistics officers: every region (national scope);
    - akimat officers: only the region they are bound to;
    - everybody else (residents, experts, anonymous visitors): no region.
    """
    if is_national(user):
        return True
    bound = bound_region_id(user)
    region_id = getattr(region, "pk", region)
    return bound is not None and region_id is not None and int(region_id) == int(bound)


def require_region_edit(user, region) -> None:
    if not can_edit_region(user, region):
        raise PermissionDenied


def editable_regions(user, queryset):
    """Filter a Region queryset to the regions ``user`` may change."""
    if is_national(user):
        return queryset
    bound = bound_region_id(user)
    return queryset.filter(pk=bound) if bound is not None else queryset.none()
