"""Where officers land after signing in: their region's work (values to enter or fix, items awaiting verification,
targets without data, budget cycles to run)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from ..models import Region
from ..permissions import is_officer, is_statistics
from ..services.officer import work_list


@login_required
def after_login(request):
    """LOGIN_REDIRECT_URL: officers go to their region's work, everybody else to the home page."""
    return redirect("officer_home" if is_officer(request.user) else "home")


@login_required
def officer_home(request):
    user = request.user
    if not is_officer(user):
        raise PermissionDenied
    regions = None
    if user.role == "akimat" and user.region_id and not is_statistics(user):
        region = user.region
    else:  # statistics officers and administrators choose a region
        regions = Region.objects.order_by("kind", "kato")
        kato = request.GET.get("region", "")
        region = get_object_or_404(Region, kato=kato) if kato else (user.region if user.region_id else None)
    context = {"region": region, "regions": regions, "work": work_list(user, region) if region else None,
               "is_statistics": is_statistics(user)}
    return render(request, "localization/officer_home.html", context)
