from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LocalizationConfig(AppConfig):
    name = "localization"
    verbose_name = _("SDG localization")
    default_auto_field = "django.db.models.BigAutoField"

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
        self._demo_poverty_target(stdout)
        if not (run.rows_created or run.rows_updated or run.errors or run.files_failed):
            run.delete()  # nothing changed: leave no trace, so that a second demo load creates nothing at all

    def _demo_poverty_target(self, stdout):
        """Give 1.2.1 (poverty, subsistence line) what the sources state, so the demo shows progress statuses:
        lower is better, and the national baseline and 2030 target of the UN Cooperation Framework 2026–2030,
        Annex 1 (fixtures/seed-facts/cf_results_framework.csv, seed line 858). Fields a statistics officer has
        already set are left alone."""
        import csv

        from django.conf import settings

        from .models import Indicator
        from .services import imports

        indicator = Indicator.objects.filter(code="1-2-1").first()
        path = settings.BASE_DIR / "fixtures" / "seed-facts" / "cf_results_framework.csv"
        with open(path, encoding="utf-8") as fh:
            row = next(
                (r for r in csv.DictReader(fh) if r["indicator_code"] == "1.2.1" and r["disaggregation"] == "(total)"),
                None,
            )
        if indicator is None or row is None:
            return
        source = f"UN Cooperation Framework Kazakhstan 2026–2030, Annex 1 ({row['seed_file']}, line {row['line']})"
        wanted = {
            "direction": Indicator.Direction.LOWER,
            "baseline_year": int(row["baseline_year"]),
            "baseline_value": float(row["baseline_value"]),
            "target_year": int(row["target_year"]),
            "target_value": float(row["target_value"]),
            "target_source": source,
        }
        changed = [name for name, value in wanted.items() if getattr(indicator, name) in (None, "")]
        if not changed:
            return
        for name in changed:
            setattr(indicator, name, wanted[name])
        # history_change_reason is a varchar(100): PostgreSQL refuses anything longer
        indicator._change_reason = imports.clip_reason(
            f"demo data: UN Cooperation Framework 2026–2030, Annex 1, line {row['line']}")
        indicator.save()
        stdout.write(f"1.2.1: direction and national target set from {source}.")

