"""Data flows (see views/data.py): downloads, import, national indicator editing, value entry, verification."""
from django.urls import path

from ..views import data as v

urlpatterns = [
    path("data/", v.data_index, name="data_index"),
    path("data/download/", v.data_download, name="data_download"),
    # One indicator (optionally ?region=<kato>): reverse("data_download", kwargs={"code": ...}) and the XLSX twin.
    path("data/download/<str:code>.csv", v.data_download_indicator, {"fmt": "csv"}, name="data_download"),
    path("data/download/<str:code>.xlsx", v.data_download_indicator, {"fmt": "xlsx"}, name="data_download_xlsx"),
    path("data/import/", v.data_import, name="data_import"),
    path("data/import/<int:pk>/", v.data_import_run, name="data_import_run"),
    path("data/import/<int:pk>/status/", v.data_import_status, name="data_import_status"),
    path("data/import/<int:pk>/report.txt", v.data_import_report, name="data_import_report"),
    path("data/indicators/<str:code>/edit/", v.data_indicator_edit, name="data_indicator_edit"),
    path("data/indicators/<str:code>/history/", v.data_indicator_history, name="data_indicator_history"),
    path("data/regions/<str:kato>/values/", v.data_region_values, name="data_region_values"),
    path("data/regions/<str:kato>/values/new/", v.data_value_entry, name="data_value_entry"),
    path("data/regions/<str:kato>/values/upload/", v.data_value_upload, name="data_value_upload"),
    path("data/regions/<str:kato>/values/template/<str:code>.csv", v.data_value_template, {"fmt": "csv"},
         name="data_value_template"),
    path("data/regions/<str:kato>/values/template/<str:code>.xlsx", v.data_value_template, {"fmt": "xlsx"},
         name="data_value_template_xlsx"),
    path("data/verification/", v.data_verification, name="data_verification"),
    path("data/values/<int:pk>/verify/", v.data_value_verify, name="data_value_verify"),
]
