from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetConfig(AppConfig):
    name = "budget"
    verbose_name = _("People's Participation Budget")
    default_auto_field = "django.db.models.BigAutoField"

    def load_demo(self, stdout) -> None:
        """Called by ``manage.py load_demo``: one clearly labelled demo cycle (idempotent)."""
        from .demo import load_demo

        load_demo(stdout)

    def vlr_sections(self, region, lang) -> list[dict]:
        """The PPB section of a region's Voluntary Local Review draft (see ``budget.vlr``)."""
        from .vlr import vlr_sections

        return vlr_sections(region, lang)

    def home_banners(self, request) -> list[dict]:
        """Banners for the home page: every cycle in voting in the visitor's region (see ``budget.banners``)."""
        from .banners import home_banners

        return home_banners(request)

    def officer_tasks(self, user, region) -> list[dict]:
        """The budget's items on an akimat officer's work page (see ``localization.services.officer``)."""
        from .officer import officer_tasks

        return officer_tasks(user, region)
