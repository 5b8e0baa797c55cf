from ..hooks import app_hooks
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from ..forms.region import RegionContactForm
from ..models import GlobalIndicator, Goal, Region, Target
from ..permissions import require_region_edit


def home(request):
    banners = []  # from the apps to the right (e.g. budget: "voting is open"); localization may not import them
    for _config, hook in app_hooks("home_banners"):
        banners.extend(hook(request))
    return render(request, "localization/home.html", {"goals": Goal.objects.all(), "banners": banners})


def region_list(request):
    regions = Region.objects.annotate(n_districts=Count("districts")).order_by("kind", "kato")
    return render(request, "localization/region_list.html", {"regions": regions})


def region_detail(request, kato):
    region = get_object_or_404(Region.objects.prefetch_related("districts", "predecessors"), kato=kato)
    return render(request, "localization/region_detail.html", {"region": region})


@login_required
def region_edit(request, kato):
    region = get_object_or_404(Region, kato=kato)
    require_region_edit(request.user, region)
    form = RegionContactForm(request.POST or None, instance=region)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("region_detail", kato=region.kato)
    return render(request, "localization/region_edit.html", {"region": region, "form": form})


def goal_list(request):
    goals = Goal.objects.annotate(n_targets=Count("targets", distinct=True))
    return render(request, "localization/goal_list.html", {"goals": goals})


def goal_detail(request, number):
    goal = get_object_or_404(Goal, number=number)
    targets = Target.objects.filter(goal=goal).prefetch_related(
        Prefetch("indicators", queryset=GlobalIndicator.objects.order_by("sort_key"))
    )
    return render(request, "localization/goal_detail.html", {"goal": goal, "targets": targets})
