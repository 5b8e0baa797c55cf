from localization.hooks import app_hooks
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Load the demo data: the whole national SDG platform data set, then each app's demo data "
        "(settlements, published gap figures, a demo budget cycle). Idempotent."
    )

    def handle(self, *args, **options):
        # Every app (localization first, then geo, then budget) contributes through ``AppConfig.load_demo(stdout)``,
        # so this command needs no imports from apps above localization.
        for _config, hook in app_hooks("load_demo"):
            hook(self.stdout)
