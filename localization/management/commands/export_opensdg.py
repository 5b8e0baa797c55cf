"""``python manage.py export_opensdg OUT`` — the site's data as an Open SDG data repository (folder or .zip)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from localization.models import Indicator, Region
from localization.services import values


class Command(BaseCommand):
    help = (
        "Write the site's published data as an Open SDG data repository laid out like the national platform's: "
        "data/indicator_<id>.csv (Year, disaggregation columns, Value), meta/<id>.md (YAML front matter) and "
        "translations/<lang>/<group>.yml. OUT ending in .zip gives a zip (the same as the web download)."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="folder to write (created; existing files are overwritten) or a .zip path")
        parser.add_argument("--region", metavar="KATO", help="only this region's values (9-digit KATO or ISO 3166-2 code)")

    def handle(self, *args, out, region=None, **options):
        scope = None
        if region:
            from localization.services.imports import code_table

            code = code_table().lookup(region)
            scope = Region.objects.filter(kato=region).first() or (
                Region.objects.filter(ref_area=code).first() if code else None)
            if scope is None:
                raise CommandError(f"unknown region {region!r}: give its KATO (e.g. 150000000) or ISO code (KZ-AKT)")
        indicators = Indicator.objects.order_by("sort_key")
        target = Path(out)
        if target.suffix.lower() == ".zip":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(values.csv_zip(indicators, scope))
            n = "zip"
        else:
            files = values.repository_files(indicators, scope)
            files["README.txt"] = values.readme_text(scope)
            for path, text in files.items():
                dest = target / path
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(text, encoding="utf-8")
            n = f"{sum(p.startswith('data/') for p in files)} data files"
        self.stdout.write(f"Exported {n} to {target}" + (f" (region {scope.kato})" if scope else ""))
