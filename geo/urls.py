from django.urls import path

from . import views

app_name = "geo"
urlpatterns = [
    # GeoJSON of the boundaries (ETag + Cache-Control)
    path("regions.geojson", views.regions_geojson, name="regions_geojson"),
    path("districts.geojson", views.districts_geojson, name="districts_geojson"),
    path("regions/<str:kato>.geojson", views.region_geojson, name="region_geojson"),
    # NGO map and its downloads
    path("map/", views.map_page, name="map"),
    path("map/frame/", views.map_frame, name="map_frame"),
    path("map/download.html", views.map_html, name="map_html"),
    path("gaps.csv", views.gaps_csv, name="gaps_csv"),
    path("gaps.geojson", views.gaps_geojson, name="gaps_geojson"),
    # gaps
    path("gaps/", views.gaps, name="gaps"),
    path("gaps/recompute/", views.recompute, name="recompute"),
    path("gaps/recompute/<int:pk>/", views.recompute_detail, name="recompute_detail"),
    path("gaps/recompute/<int:pk>/status.json", views.recompute_status, name="recompute_status"),
    path("regions/<str:kato>/gaps/", views.region_gaps, name="region_gaps"),
    # settlements
    path("regions/<str:kato>/settlements/", views.settlements, name="settlements"),
    path("regions/<str:kato>/settlements.geojson", views.settlements_geojson, name="settlements_geojson"),
    path("settlements/<int:pk>/", views.settlement_detail, name="settlement_detail"),
    path("settlements/import/", views.settlement_import, name="settlement_import"),
    path("settlements/import/<int:pk>/", views.settlement_import_detail, name="settlement_import_detail"),
    path("settlements/import/<int:pk>/status.json", views.settlement_import_status, name="settlement_import_status"),
    # RSS catalogue
    path("rss/standards/", views.rss_catalogue, name="rss_catalogue"),
    path("rss/standards/new/", views.rss_standard_edit, name="rss_standard_new"),
    path("rss/standards/<int:pk>/edit/", views.rss_standard_edit, name="rss_standard_edit"),
]
