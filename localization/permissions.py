"""The one server-side check of who may change what.

Every view, form, API endpoint and admin page that changes regional data asks :func:`can_edit_region`.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied


def is_statistics(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in ("statistics", "admin")))


def can_edit_region(user, region) -> bool:
    """May ``user`` change data of ``region`` (a Region instance or its primary key)?

    - administrators and statistics officers: every region (national scope);
    - akimat officers: only the region they are bound to;
    - everybody else (residents, experts, anonymous visitors): no region.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if is_statistics(user):
        return True
    if user.role == "akimat" and user.region_id is not None:
        region_id = getattr(region, "pk", region)
        return region_id is not None and int(region_id) == int(user.region_id)
    return False


def require_region_edit(user, region) -> None:
    if not can_edit_region(user, region):
        raise PermissionDenied


def editable_regions(user, queryset):
    """Filter a Region queryset to the regions ``user`` may change."""
    if is_statistics(user):
        return queryset
    if user.is_authenticated and user.role == "akimat" and user.region_id:
        return queryset.filter(pk=user.region_id)
    return queryset.none()
