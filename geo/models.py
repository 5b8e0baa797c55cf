"""Boundaries (2024 regions and districts, 2018 regions) stored as GeoJSON geometries.

The database is plain (SQLite or PostgreSQL without PostGIS): geometries are GeoJSON text and all spatial
work is done with geopandas/shapely in ``geo.core``. ``geometry`` is the cleaned full-resolution coverage,
``web_geometry`` the coverage-simplified version served to browsers.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from localization.models import District, FormerRegion, Region, Trilingual


class Boundary(models.Model):
    class Layer(models.TextChoices):
        REGIONS_2024 = "adm1_2024", _("Regions (2024)")
        DISTRICTS_2024 = "adm2_2024", _("Districts (2024)")
        REGIONS_2018 = "adm1_2018", _("Regions before 2022 (2018 boundaries)")

    layer = models.CharField(_("layer"), max_length=10, choices=Layer.choices)
    code = models.CharField(_("KATO code"), max_length=9)
    region = models.OneToOneField(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="boundary")
    district = models.OneToOneField(
        District, null=True, blank=True, on_delete=models.CASCADE, related_name="boundary"
    )
    former_region = models.OneToOneField(
        FormerRegion, null=True, blank=True, on_delete=models.CASCADE, related_name="boundary"
    )
    geometry = models.TextField(_("geometry (GeoJSON)"))
    web_geometry = models.TextField(_("simplified geometry (GeoJSON)"), blank=True)
    area_km2 = models.FloatField(_("area, km²"))
    source = models.CharField(_("source"), max_length=200)

    class Meta:
        unique_together = [("layer", "code")]
        ordering = ["layer", "code"]
        verbose_name = _("boundary")
        verbose_name_plural = _("boundaries")

    def __str__(self) -> str:
        return f"{self.layer} {self.code}"


# ---------------------------------------------------------------------------------------------------------------
# Settlements and the Regional Standards System (RSS)
# ---------------------------------------------------------------------------------------------------------------

class Settlement(Trilingual, models.Model):
    """A populated place. District and region come from the coordinates (point-in-polygon on the 2024 boundaries).

    ``declared_region`` is the region the source file named; where it disagrees with the coordinates the settlement
    keeps the region found at the coordinates and ``problem`` says ``region_mismatch`` (reported, never accepted
    silently). Points in no region (abroad, in the Caspian, typos) keep ``region`` empty and ``problem="outside"``.
    """

    class Type(models.TextChoices):
        CITY = "city", _("city")
        TOWN = "town", _("town")
        VILLAGE = "village", _("village")
        HAMLET = "hamlet", _("hamlet")
        ISOLATED = "isolated_dwelling", _("isolated dwelling")
        OTHER = "other", _("other")

    class Problem(models.TextChoices):
        NO_COORDINATES = "no_coordinates", _("no coordinates")
        OUTSIDE = "outside", _("outside every region")
        REGION_MISMATCH = "region_mismatch", _("declared region differs from the coordinates")
        NO_DISTRICT = "no_district", _("in no district")
        DISTRICT_REGION_MISMATCH = "district_region_mismatch", _("district and region disagree")

    name_kk = models.CharField(_("name (Kazakh)"), max_length=200, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.OTHER)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("district")
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("region")
    )
    declared_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("declared region")
    )
    problem = models.CharField(_("problem"), max_length=30, choices=Problem.choices, blank=True)
    source = models.CharField(_("source"), max_length=300)
    osm_id = models.BigIntegerField(_("OpenStreetMap id"), null=True, blank=True, unique=True)
    imported_by = models.ForeignKey(
        "SettlementImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="settlements"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region", "district", "name_ru", "name_kk"]
        indexes = [models.Index(fields=["region", "type"]), models.Index(fields=["district"])]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class GeoJob(models.Model):
    """A long operation run in the background, with progress counters the pages poll."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(_("steps in total"), default=0)
    done = models.PositiveIntegerField(_("steps done"), default=0)
    message = models.CharField(_("current step"), max_length=300, blank=True)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        abstract = True
        ordering = ["-started_at"]

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class SettlementImport(GeoJob):
    """One import of a settlement registry (CSV), with its report."""

    source = models.CharField(_("source"), max_length=300)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected rows"), default=0)
    problems = models.JSONField(_("problems by kind"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=list, blank=True)

    class Meta(GeoJob.Meta):
        verbose_name = _("settlement import")
        verbose_name_plural = _("settlement imports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name or self.source}"


class Recomputation(GeoJob):
    """One recomputation of the gap tables (crosswalk, poverty, gasification, RSS, composite index)."""

    class Meta(GeoJob.Meta):
        verbose_name = _("recomputation of the gaps")
        verbose_name_plural = _("recomputations of the gaps")


class RssStandard(Trilingual, models.Model):
    """One standard of the Regional Standards System and the settlement types it applies to.

    The official catalogue is not in the seed documents: a standard marked ``is_example`` only illustrates the
    structure and never enters a provision figure.
    """

    code = models.CharField(_("code"), max_length=30, unique=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=300)
    name_ru = models.CharField(_("name (Russian)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300)
    settlement_types = models.JSONField(_("applies to settlement types"), default=list)
    is_example = models.BooleanField(
        _("example only"), default=True, help_text=_("An example standard is shown as such and never used in a provision figure.")
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("RSS standard")
        verbose_name_plural = _("RSS standards")

    def __str__(self) -> str:
        return self.code

    def applies_to(self, settlement_type: str) -> bool:
        return settlement_type in (self.settlement_types or [])


class RssObservation(models.Model):
    """Whether a settlement meets one RSS standard in a year, as entered by an officer (none is shipped)."""

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="rss_observations")
    standard = models.ForeignKey(RssStandard, on_delete=models.PROTECT, related_name="observations")
    year = models.PositiveSmallIntegerField(_("year"))
    met = models.BooleanField(_("standard met"))
    source = models.CharField(_("source"), max_length=300)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["settlement", "standard", "year"], name="uniq_rss_observation")]
        ordering = ["settlement", "year", "standard"]
        verbose_name = _("RSS observation")
        verbose_name_plural = _("RSS observations")


class GapFigure(models.Model):
    """A figure a published document states (poverty, gasification, RSS provision), with the exact line it comes from.

    Loaded from ``fixtures/seed-facts`` (every row carries the seed file, line and an exact quote). ``region`` is
    null for national figures; ``scope`` separates the urban and rural national figures. ``year`` is null when the
    document does not state it (``period`` then says what the text implies). ``qualifier`` keeps "about" and "not
    exceeding": a ``le`` value is an upper bound, never an exact value.
    """

    class Kind(models.TextChoices):
        POVERTY = "poverty", _("Poverty")
        GASIFICATION = "gasification", _("Gasification")
        RSS = "rss", _("RSS provision")

    class Measure(models.TextChoices):
        RATE = "rate", _("rate")
        TARGET = "target", _("target")
        PACE = "pace", _("average annual change")

    class Scope(models.TextChoices):
        TOTAL = "total", _("total")
        URBAN = "urban", _("urban")
        RURAL = "rural", _("rural")

    class Qualifier(models.TextChoices):
        EQ = "eq", _("as stated")
        APPROX = "approx", _("about")
        LE = "le", _("not exceeding")
        GT = "gt", _("more than")

    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    measure = models.CharField(_("measure"), max_length=8, choices=Measure.choices, default=Measure.RATE)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="gap_figures")
    scope = models.CharField(_("scope"), max_length=6, choices=Scope.choices, default=Scope.TOTAL)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    period = models.CharField(_("period as written"), max_length=40, blank=True)
    value = models.FloatField(_("value"))
    qualifier = models.CharField(_("qualifier"), max_length=6, choices=Qualifier.choices, default=Qualifier.EQ)
    unit = models.CharField(_("unit"), max_length=120)
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    document = models.CharField(_("document"), max_length=200)
    seed_file = models.CharField(_("source file"), max_length=100)
    seed_line = models.PositiveIntegerField(_("source line"))
    quote = models.TextField(_("exact quote"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["kind", "measure", "region", "scope", "year"]
        indexes = [models.Index(fields=["kind", "measure", "region"])]
        verbose_name = _("published figure")
        verbose_name_plural = _("published figures")

    def __str__(self) -> str:
        return f"{self.kind} {self.measure} {self.region_id or 'KZ'} {self.scope} {self.year or self.period} = {self.value}"

    @property
    def source_text(self) -> str:
        return f"{self.document}, {self.seed_file} line {self.seed_line}: \u201c{self.quote}\u201d"
