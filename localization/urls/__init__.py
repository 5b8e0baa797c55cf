from django.urls import include, path

from ..views import officer as views_officer
from ..views import pages as views

urlpatterns = [
    path("", views.home, name="home"),
    path("regions/", views.region_list, name="region_list"),
    path("regions/<str:kato>/", views.region_detail, name="region_detail"),
    path("regions/<str:kato>/edit/", views.region_edit, name="region_edit"),
    path("sdg/", views.goal_list, name="goal_list"),
    path("work/", views_officer.officer_home, name="officer_home"),
    path("accounts/welcome/", views_officer.after_login, name="after_login"),
    path("sdg/<int:number>/", views.goal_detail, name="goal_detail"),
    # Indicators, values, targets, statuses, downloads and the VLR (see urls/data.py, urls/indicators.py).
    path("", include("localization.urls.data")),
    path("", include("localization.urls.indicators")),
]
