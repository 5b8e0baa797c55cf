"""``python manage.py import_settlements FILE.csv`` — import a settlement registry (idempotent)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo import services
from geo.models import SettlementImport


class Command(BaseCommand):
    help = (
        "Import a settlement registry (CSV: name_kk, name_ru, name_en or name, type, population, lat, lon, optional "
        "region_kato = declared region, osm_id, source). District and region come from the coordinates; a declared "
        "region that disagrees is reported. Without FILE the bundled OpenStreetMap settlements are imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="CSV file (default: fixtures/settlements/kz_settlements_osm_hotosm.csv)")
        parser.add_argument("--source", default="", help="source stored with every settlement (default: the file name)")
        parser.add_argument("--show-problems", action="store_true", help="list every reported row")

    def handle(self, *args, path=None, source="", show_problems=False, **options):
        if path is None:
            job = services.load_osm_settlements()
        else:
            file = Path(path)
            if not file.is_file():
                raise CommandError(f"{file}: no such file")
            job = SettlementImport.objects.create(file_name=file.name[:200], source=(source or f"file {file.name}")[:300])
            services.run_job_here(job, services.import_settlements, file.read_bytes(), job.source)
            job.refresh_from_db()
        self.stdout.write(
            f"Settlement import #{job.pk} ({job.get_status_display()}): {job.total} rows, {job.created} created, "
            f"{job.updated} updated, {job.unchanged} unchanged, {job.rejected} rejected"
        )
        for kind, n in sorted((job.problems or {}).items()):
            self.stdout.write(f"  {kind}: {n}")
        for message in job.errors or []:
            self.stderr.write(f"  {message}")
        if show_problems:
            for item in job.report or []:
                self.stdout.write(f"  line {item['line']}: {item.get('name', '')}: {item['problem']}"
                                  f" (declared {item.get('declared') or '-'}, found {item.get('found') or '-'})")
        if job.status == SettlementImport.Status.FAILED:
            raise CommandError("the import failed")
