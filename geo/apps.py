from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = _("Maps and gaps")
    default_auto_field = "django.db.models.BigAutoField"

    def load_reference(self, report) -> None:
        from .reference import load_boundaries

        load_boundaries(report)

    def load_demo(self, stdout) -> None:
        """Demo data of the geo app (idempotent): OSM settlements, published gap figures, example RSS catalogue."""
        from . import services

        figures = services.load_published_figures()
        stdout.write(
            f"geo: published figures (VNR/CF lines): {figures['created']} created, {figures['updated']} updated, "
            f"{figures['unchanged']} unchanged, {figures['skipped']} rows skipped (ranges or other kinds)\n"
        )
        examples = services.load_example_catalogue()
        stdout.write(f"geo: example RSS catalogue: {examples} standards created (labelled as examples)\n")
        job = services.load_osm_settlements()
        problems = ", ".join(f"{k}: {v}" for k, v in sorted(job.problems.items())) or "none"
        stdout.write(
            f"geo: settlements from OpenStreetMap (ODbL): {job.created} created, {job.updated} updated, "
            f"{job.unchanged} unchanged, {job.rejected} rejected; problems: {problems}\n"
        )
        services.theme_tables(refresh=True)
        stdout.write("geo: gap tables recomputed\n")
