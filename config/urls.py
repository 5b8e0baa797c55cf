from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# The admin's own titles ("Django administration" reads "Даңғо әкімшілігі" in Django's kk catalogue).
admin.site.site_header = _("Aimaq administration")
admin.site.site_title = _("Aimaq site administration")
admin.site.index_title = _("Aimaq site administration")

urlpatterns = [
    path("api/", include("config.api")),  # the REST API is not language-prefixed (?lang= / Accept-Language)
] + i18n_patterns(
    path("", include("localization.urls")),
    path("geo/", include("geo.urls")),
    path("budget/", include("budget.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("admin/", admin.site.urls),
    prefix_default_language=True,
)
