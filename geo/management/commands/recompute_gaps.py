"""``python manage.py recompute_gaps`` — recompute the crosswalk and the gap tables and refresh the cache."""
from django.core.management.base import BaseCommand

from geo import services


class Command(BaseCommand):
    help = "Recompute the 2018->2024 crosswalk and the poverty, gasification and RSS gap tables (refreshes the cache)."

    def handle(self, *args, **options):
        def progress(done, total, step):
            if options.get("verbosity", 1) >= 1:
                self.stdout.write(f"[{done}/{total}] {step or 'done'}")

        tables = services.theme_tables(refresh=True, progress=progress)
        for name, table in tables.items():
            self.stdout.write(f"{name}: {len(table.regional)} region-year rows, {len(table.national)} national rows")
