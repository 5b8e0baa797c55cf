from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LocalizationConfig(AppConfig):
    name = "localization"
    verbose_name = _("SDG localization")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from .signals import superuser_is_admin

        pre_save.connect(superuser_is_admin, sender=get_user_model(), dispatch_uid="localization.superuser_is_admin")

    def load_demo(self, stdout):
        """Demo data: the whole national SDG platform data set (fixtures/kazstat-sdg-data, 273 indicator files).

        Idempotent: a second run finds every value unchanged and creates nothing (not even an import record)."""
        from .services import imports

        run = imports.import_repository(imports.NATIONAL_REPOSITORY, source=imports.NATIONAL_SOURCE)
        warnings = imports.run_warnings(run)
        stdout.write(
            f"National SDG data: {run.files_total} files ({run.files_failed} failed); values {run.rows_created} created, "
            f"{run.rows_updated} updated, {run.rows_unchanged} unchanged; {len(warnings)} rows repaired or skipped "
            f"(see import #{run.pk})."
        )
        for line in run.errors:
            stdout.write(f"error: {line}")
        self._demo_progress(stdout)
        if not (run.rows_created or run.rows_updated or run.errors or run.files_failed):
            run.delete()  # nothing changed: leave no trace, so that a second demo load creates nothing at all

    def _demo_progress(self, stdout):
        """Directions and published targets from fixtures/progress (as ``load_reference`` does), then a check
        that no status contradicts its numbers. No target is set here: a national target is only used on the
        series it was set for, and regional targets come only from a decomposition a statistics officer runs."""
        from .models import Indicator
        from .reference import LoadReport
        from .services.provenance import load_provenance
        from .services.status import StatusBoard

        report = LoadReport()
        load_provenance(report)
        for line in report.lines():
            stdout.write(line)
        board = StatusBoard(Indicator.objects.select_related("goal"))
        rows = [row for ind in board.indicators for row in (board.national(ind), *board.across_regions(ind))]
        assessed = [r for r in rows if r.status is not None]
        contradictions = [r for r in assessed if r.result.worse_than_base and r.summary == "on_track"]
        with_directions = sum(1 for i in board.indicators if i.direction_kind)
        stdout.write(f"Progress: {with_directions} of {len(board.indicators)} indicators have a direction with its "
                     f"source; {len(assessed)} of {len(rows)} national and regional series assessed; "
                     f"{len(contradictions)} on track while worse than their base year.")
