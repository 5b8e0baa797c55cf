"""Indicator pages, regional targets and the VLR draft (URL names ``ind_*`` and ``vlr_*``)."""
from django.urls import path

from ..views import indicators as views

urlpatterns = [
    path("indicators/", views.indicator_list, name="ind_list"),
    path("indicators/compare/", views.compare, name="ind_compare"),
    path("indicators/targets/review/", views.target_review, name="ind_review"),
    path("indicators/targets/<int:pk>/review/", views.target_review_one, name="ind_review_target"),
    path("indicators/<str:code>/", views.indicator_detail, name="ind_detail"),
    path("indicators/<str:code>/decompose/", views.indicator_decompose, name="ind_decompose"),
    path("indicators/<str:code>/propose/<str:kato>/", views.target_propose, name="ind_propose"),
    path("regions/<str:kato>/indicators/", views.region_indicators, name="ind_region"),
    path("regions/<str:kato>/vlr/", views.vlr_region, name="vlr_region"),
    path("regions/<str:kato>/vlr/download/", views.vlr_download, name="vlr_download"),
]
