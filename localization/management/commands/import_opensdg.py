"""``python manage.py import_opensdg PATH`` — import an Open SDG data repository (or a zip of one)."""
import argparse
import shutil
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from localization.models import ImportRun
from localization.services import imports


class Command(BaseCommand):
    help = (
        "Import an Open SDG data repository (data/indicator_<id>.csv, meta/, indicator-config/, translations/) "
        "such as fixtures/kazstat-sdg-data, or a zip of one. Idempotent: unchanged rows are left alone, changed "
        "rows are updated with the old value kept in history. A repeated key keeps its first row, as the platform "
        "shows it, and every dropped row is listed as a warning (--strict refuses such files). A file with any bad "
        "row is not imported at all; every bad row is listed as file:line: reason and the command exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="repository folder (holding data/) or a .zip of one")
        parser.add_argument("--only", nargs="+", metavar="ID", help="import only these indicators, e.g. 1-2-1 3-1-1")
        parser.add_argument(
            "--strict", action="store_true",
            help="refuse a file that repeats a key (year, area, disaggregation) instead of keeping its first row "
            "the way the Open SDG platform shows it (the default; every dropped row is listed as a warning)",
        )
        parser.add_argument("--duplicates", choices=["error", "first"], help=argparse.SUPPRESS)  # old spelling of --strict
        parser.add_argument("--all", action="store_true", dest="read_all",
                            help="read every file again, even those unchanged since their last import (content hash)")
        parser.add_argument("--user", help="username recorded as the author of the changes")
        parser.add_argument("--show-warnings", action="store_true", help="list the rows the reader repaired or skipped")

    def handle(self, *args, path, only=None, strict=False, duplicates=None, read_all=False, user=None, show_warnings=False, verbosity=1, **options):
        source = Path(path)
        duplicates = "error" if strict else (duplicates or "first")
        author = None
        if user:
            author = get_user_model().objects.filter(username=user).first()
            if author is None:
                raise CommandError(f"no user {user!r}")
        cleanup = None
        if source.is_file() and source.suffix.lower() == ".zip":
            cleanup = Path(tempfile.mkdtemp(prefix="aimaq-import-"))
            try:
                with open(source, "rb") as fh:
                    root = imports.extract_archive(fh, cleanup)
            except imports.ArchiveError as exc:
                shutil.rmtree(cleanup, ignore_errors=True)
                raise CommandError(f"{source}: {exc}") from exc
        elif source.is_dir():
            root = source
        else:
            raise CommandError(f"{source}: not a folder or a .zip file")
        try:
            # as a job run here: one transaction, a lease; killed, it leaves the data as before and the run failed
            run = ImportRun.objects.create(user=author, source=str(path)[:300])
            run = imports.run_import_here(run, root, only=only, duplicates=duplicates,
                                           skip_unchanged=not read_all)
        finally:
            if cleanup is not None:
                shutil.rmtree(cleanup, ignore_errors=True)

        warnings = imports.run_warnings(run)
        if verbosity >= 1:
            self.stdout.write(
                f"Import #{run.pk} of {path}: {run.files_total} files, "
                f"{max(run.files_done - run.files_failed - run.files_unchanged, 0)} imported, "
                f"{run.files_unchanged} unchanged (skipped), "
                f"{run.files_failed} failed; rows: {run.rows_created} created, {run.rows_updated} updated, "
                f"{run.rows_unchanged} unchanged; {len(warnings)} warnings."
            )
            if show_warnings or verbosity >= 2:
                for line in warnings:
                    self.stdout.write(f"warning: {line}")
        for line in run.errors:
            self.stderr.write(line)
        if run.files_failed or run.errors:
            raise CommandError(f"{run.files_failed} file(s) failed; {len(run.errors)} error(s) listed above")
