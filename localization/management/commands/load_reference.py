from localization.hooks import app_hooks
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from localization.reference import load_all


class Command(BaseCommand):
    help = "Load the reference data (regions, districts, SDG framework, boundaries) from fixtures/. Idempotent."

    def handle(self, *args, **options):
        report = load_all()
        # Apps further up the stack (geo, budget) may add their own reference data without this app
        # importing them: any AppConfig with a ``load_reference(report)`` method is called in INSTALLED_APPS order.
        for config, hook in app_hooks("load_reference"):
            if config.name != "localization":
                hook(report)
        for line in report.lines() or [_("Nothing to change: the reference data is already loaded.")]:
            self.stdout.write(line)
