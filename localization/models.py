"""Territory, users and the SDG framework.

localization is the bottom layer: it imports no other Aimaq app. Names are stored once per language
(``name_kk``, ``name_ru``, ``name_en``) and read through :class:`Trilingual`, which picks the active language.
"""
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

LANGS = ("kk", "ru", "en")


def current_lang() -> str:
    lang = (get_language() or "kk")[:2]
    return lang if lang in LANGS else "kk"


class Trilingual:
    """Read ``<field>_<lang>`` for the active language, falling back kk → ru → en."""

    def tr(self, field: str, lang: str | None = None) -> str:
        lang = lang or current_lang()
        order = [lang] + [code for code in ("ru", "kk", "en") if code != lang]
        for code in order:
            value = getattr(self, f"{field}_{code}", "")
            if value:
                return value
        return ""

    @property
    def name(self) -> str:
        return self.tr("name")


class Region(Trilingual, models.Model):
    """A first-level unit after the 2022 reform: 17 oblasts and 3 cities of republican significance."""

    class Kind(models.TextChoices):
        OBLAST = "oblast", _("Region (oblast)")
        CITY = "city", _("City of republican significance")

    kato = models.CharField(_("KATO code"), max_length=9, unique=True)
    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=6, unique=True)
    ref_area = models.CharField(_("National SDG platform code"), max_length=8, unique=True)
    pcode = models.CharField(_("Boundary code"), max_length=6, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    population_total = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_urban = models.PositiveIntegerField(_("urban population"), null=True, blank=True)
    population_rural = models.PositiveIntegerField(_("rural population"), null=True, blank=True)
    population_date = models.DateField(_("population as of"), null=True, blank=True)
    population_source = models.CharField(_("population source"), max_length=200, blank=True)
    website = models.URLField(_("akimat website"), blank=True)
    contact_email = models.EmailField(_("SDG focal point e-mail"), blank=True)
    focal_point = models.CharField(_("SDG focal point"), max_length=200, blank=True)
    predecessors = models.ManyToManyField(
        "FormerRegion", related_name="successors", blank=True, verbose_name=_("pre-2022 regions")
    )

    class Meta:
        ordering = ["kato"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name_en or self.kato

    @property
    def code2(self) -> str:
        return self.kato[:2]


class District(Trilingual, models.Model):
    """A second-level unit (district or city of regional significance), 2024 grid."""

    kato = models.CharField(_("KATO code"), max_length=9, unique=True)
    pcode = models.CharField(_("Boundary code"), max_length=10, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="districts", verbose_name=_("region"))
    name_kk = models.CharField(_("name (Kazakh)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    population_total = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_urban = models.PositiveIntegerField(_("urban population"), null=True, blank=True)
    population_rural = models.PositiveIntegerField(_("rural population"), null=True, blank=True)
    population_date = models.DateField(_("population as of"), null=True, blank=True)

    class Meta:
        ordering = ["kato"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name_en or self.kato


class FormerRegion(Trilingual, models.Model):
    """One of the 17 first-level units on the 2018 boundaries (before the 2022 reform)."""

    kato = models.CharField(_("KATO code"), max_length=9, unique=True)
    pcode = models.CharField(_("Boundary code"), max_length=6, unique=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)

    class Meta:
        ordering = ["kato"]
        verbose_name = _("pre-2022 region")
        verbose_name_plural = _("pre-2022 regions")

    def __str__(self) -> str:
        return self.name_en or self.kato


USERNAME_IIN_MESSAGE = _("A username may not contain 12 digits in a row (it could be an IIN): choose another name.")


def username_is_iin_like(username) -> bool:
    """12 digits in a row could be an IIN, which must never be stored in plain text (the users table would hold it)."""
    import re

    return bool(re.search(r"\d{12}", str(username or "")))


class User(AbstractUser):
    """A person using the site. The role decides what they may change; see ``localization.permissions``."""

    class Role(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        EXPERT = "expert", _("Expert")
        AKIMAT = "akimat", _("Akimat officer")
        STATISTICS = "statistics", _("Statistics officer")
        ADMIN = "admin", _("Administrator")

    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.RESIDENT)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="officers", verbose_name=_("region")
    )
    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.PROTECT, related_name="officers", verbose_name=_("district")
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        if username_is_iin_like(self.get_username()):
            raise ValidationError({"username": USERNAME_IIN_MESSAGE}, code="username_iin")
        if self.role == self.Role.AKIMAT and not self.region_id:
            raise ValidationError({"region": _("An akimat officer must be bound to a region.")})
        if self.district_id and self.region_id and self.district.region_id != self.region_id:
            raise ValidationError({"district": _("The district must lie in the officer's region.")})

    def save(self, *args, **kwargs):
        if username_is_iin_like(self.get_username()):  # the last guard, whatever the path (shell, command, API)
            from django.core.exceptions import ValidationError

            raise ValidationError({"username": USERNAME_IIN_MESSAGE}, code="username_iin")
        super().save(*args, **kwargs)


class Goal(Trilingual, models.Model):
    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    short_kk = models.CharField(max_length=200)
    short_ru = models.CharField(max_length=200)
    short_en = models.CharField(max_length=200)
    title_kk = models.TextField()
    title_ru = models.TextField()
    title_en = models.TextField()

    class Meta:
        ordering = ["number"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return f"{self.number}. {self.short_en}"

    @property
    def short(self) -> str:
        return self.tr("short")

    @property
    def title(self) -> str:
        return self.tr("title")


class Target(Trilingual, models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True)  # "1.1", "17.a"
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="targets")
    sort_key = models.CharField(max_length=16, db_index=True)
    title_kk = models.TextField()
    title_ru = models.TextField()
    title_en = models.TextField()

    class Meta:
        ordering = ["sort_key"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return self.tr("title")


class GlobalIndicator(Trilingual, models.Model):
    """A global SDG indicator. One indicator may sit under several targets (e.g. 1.5.1 = 11.5.1 = 13.1.1)."""

    code = models.CharField(_("code"), max_length=12, unique=True)  # "1.1.1"
    sort_key = models.CharField(max_length=24, db_index=True)
    targets = models.ManyToManyField(Target, related_name="indicators")
    title_kk = models.TextField(blank=True)
    title_ru = models.TextField(blank=True)
    title_en = models.TextField()
    untranslated = models.JSONField(
        default=list, blank=True, help_text=_("Languages whose title is missing or in the wrong language.")
    )

    class Meta:
        ordering = ["sort_key"]
        verbose_name = _("global indicator")
        verbose_name_plural = _("global indicators")

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return self.tr("title")

    def title_is_translated(self, lang: str | None = None) -> bool:
        return (lang or current_lang()) not in self.untranslated


# ---------------------------------------------------------------------------------------------------------------
# National indicator list, values and targets
# ---------------------------------------------------------------------------------------------------------------
from simple_history.models import HistoricalRecords  # noqa: E402


class Indicator(Trilingual, models.Model):
    """A national SDG indicator (national code such as ``1-2-1`` or ``10-5-1-1``)."""

    class Category(models.TextChoices):
        CURRENT = "current", _("Current")
        MONITORING = "monitoring", _("Monitoring")

    class Direction(models.IntegerChoices):
        HIGHER = 1, _("Higher is better")
        LOWER = -1, _("Lower is better")

    class DirectionKind(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")
        BINARY = "binary", _("Binary (achieved or not)")
        NONE = "none", _("No direction (not applicable)")

    class DirectionSource(models.TextChoices):
        STATCAN = "statcan", _("Statistics Canada table")
        TARGET_TEXT = "target_text", _("SDG target text")
        DECISION = "decision", _("Decision cited to the SDG target text")
        OFFICER = "officer", _("Statistics officer")

    code = models.CharField(_("national code"), max_length=24, unique=True)
    sort_key = models.CharField(max_length=40, db_index=True)
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="national_indicators", verbose_name=_("goal"))
    targets = models.ManyToManyField(Target, blank=True, related_name="national_indicators", verbose_name=_("SDG targets"))
    global_indicator = models.ForeignKey(
        GlobalIndicator, null=True, blank=True, on_delete=models.SET_NULL, related_name="national_indicators"
    )
    title_kk = models.TextField(_("title (Kazakh)"), blank=True)
    title_ru = models.TextField(_("title (Russian)"), blank=True)
    title_en = models.TextField(_("title (English)"), blank=True)
    unit = models.CharField(_("unit code"), max_length=40, blank=True)
    unit_kk = models.CharField(_("unit (Kazakh)"), max_length=120, blank=True)
    unit_ru = models.CharField(_("unit (Russian)"), max_length=120, blank=True)
    unit_en = models.CharField(_("unit (English)"), max_length=120, blank=True)
    direction = models.SmallIntegerField(_("direction"), choices=Direction.choices, null=True, blank=True)
    #: The desired direction including binary / not applicable; ``direction`` (+1/−1/None) follows it on save.
    direction_kind = models.CharField(_("desired direction"), max_length=8, choices=DirectionKind.choices, blank=True)
    direction_source_kind = models.CharField(_("source of the direction"), max_length=12,
                                             choices=DirectionSource.choices, blank=True)
    direction_source = models.CharField(_("citation of the direction"), max_length=500, blank=True)
    direction_note = models.TextField(_("note on the direction"), blank=True)
    headline_unit = models.CharField(_("headline unit"), max_length=40, blank=True,
                                     help_text=_("Empty: the first unit in the published file."))
    headline_series = models.CharField(_("headline series"), max_length=80, blank=True,
                                       help_text=_("Empty: the first series in the published file."))
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, blank=True)
    localized = models.BooleanField(_("localized"), default=False)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    baseline_value = models.FloatField(_("baseline value"), null=True, blank=True)
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    target_value = models.FloatField(_("target value"), null=True, blank=True)
    target_source = models.CharField(_("source of the target"), max_length=300, blank=True)
    limit = models.FloatField(_("natural limit"), null=True, blank=True, help_text=_("e.g. 100 for a percentage of coverage"))
    value_min = models.FloatField(_("lowest allowed value"), null=True, blank=True)
    value_max = models.FloatField(_("highest allowed value"), null=True, blank=True)
    responsible_body = models.CharField(_("responsible body"), max_length=300, blank=True)
    responsible_body_kk = models.CharField(_("responsible body (Kazakh)"), max_length=300, blank=True)
    responsible_body_ru = models.CharField(_("responsible body (Russian)"), max_length=300, blank=True)
    series_breaks = models.JSONField(_("series breaks"), default=list, blank=True, help_text=_("Years in which the definition changed."))
    customisation = models.CharField(_("relation to the global indicator"), max_length=40, blank=True)
    reporting_status = models.CharField(_("reporting status"), max_length=20, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    source_kk = models.CharField(_("source (Kazakh)"), max_length=300, blank=True)
    source_ru = models.CharField(_("source (Russian)"), max_length=300, blank=True)
    history = HistoricalRecords(excluded_fields=["sort_key"])

    class Meta:
        ordering = ["sort_key"]
        verbose_name = _("national indicator")
        verbose_name_plural = _("national indicators")

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return self.tr("title")

    @property
    def unit_label(self) -> str:
        return self.unit_in(current_lang())

    def _in(self, field: str, lang: str) -> str:
        """``<field>_kk`` / ``<field>_ru`` in ``lang``, or ``field`` itself (English, the canonical text) when that
        translation is empty (responsible body, source)."""
        return (getattr(self, f"{field}_{lang}", "") if lang in ("kk", "ru") else "") or getattr(self, field)

    @property
    def responsible_label(self) -> str:
        """The responsible body in the reader's language."""
        return self._in("responsible_body", current_lang())

    @property
    def source_label(self) -> str:
        """The data source (the platform's compiling body and data collection) in the reader's language."""
        return self.source_in(current_lang())

    def source_in(self, lang: str) -> str:
        return self._in("source", lang)

    def unit_in(self, lang: str) -> str:
        """The unit in ``lang`` from the unit catalogue (``localization.core.units``), whatever form the data gave."""
        from .core import units

        for text in (self.unit, self.unit_ru, self.unit_kk, self.unit_en):
            found = units.label(text, lang)
            if found:
                return found
        return self.tr("unit", lang) or self.unit

    @property
    def dotted(self) -> str:
        return self.code.replace("-", ".")

    def save(self, *args, **kwargs):
        sync_direction(self)
        super().save(*args, **kwargs)

    @property
    def bounds(self) -> tuple[float | None, float | None] | None:
        """The indicator's natural bounds: those a statistics officer set, else [0, 100] for a percentage."""
        return self.bounds_for(self.unit)

    def bounds_for(self, unit: str) -> tuple[float | None, float | None] | None:
        """The bounds of a value in ``unit`` (the indicator's unit when empty); None: unbounded."""
        if self.value_min is not None or self.value_max is not None:
            return self.value_min, self.value_max
        if (unit or self.unit) in PERCENT_UNITS:
            return 0.0, 100.0
        return None


PERCENT_UNITS = {"PT"}
#: The numeric direction the cores use (+1 higher is better, −1 lower is better) of a direction kind.
DIRECTION_SIGN = {"higher": 1, "lower": -1}


def sync_direction(indicator: "Indicator") -> None:
    """Keep ``direction`` (+1/−1/None, used by the numeric cores) in step with ``direction_kind``."""
    kind = indicator.direction_kind
    if kind in DIRECTION_SIGN:
        indicator.direction = DIRECTION_SIGN[kind]
    elif kind in ("binary", "none"):
        indicator.direction = None
    elif indicator.direction in (1, -1):
        indicator.direction_kind = "higher" if indicator.direction == 1 else "lower"


class ImportRun(models.Model):
    """One import of Open SDG data (command line, web or upload), with its report."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Finished with errors")

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey("User", null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    files_failed = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    #: Files skipped because their content hash (and the indicator's stored values) did not change since.
    files_unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    #: Rows the reader repaired or skipped (``file:line: reason``): the report keeps them next to the errors.
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")


class IndicatorValue(models.Model):
    """One observation: indicator × year × territory × disaggregation.

    ``region`` is null for national values. ``dims`` is the canonical key of the other disaggregations
    (``"SEX=F|URBANISATION=U"``; empty for the total) and ``disaggregation`` keeps them as a mapping for queries.
    """

    class Verification(models.TextChoices):
        OFFICIAL = "official", _("Official statistics")
        UNVERIFIED = "unverified", _("Unverified")
        VERIFIED = "verified", _("Verified")
        ESTIMATE = "estimate", _("Estimate")

    # No single-column indexes on the foreign keys: the unique key (indicator, …) and the (region, indicator) index
    # serve those look-ups, and every index costs on each of the ~45,000 rows a national import writes.
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values", db_index=False)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="values",
                               db_index=False)
    area_code = models.CharField(_("area code in the source"), max_length=16, blank=True)
    territory = models.CharField(_("territory version"), max_length=10, blank=True, default="2024")
    year = models.PositiveSmallIntegerField(_("year"))
    unit = models.CharField(_("unit code"), max_length=40, blank=True)
    series = models.CharField(_("series"), max_length=80, blank=True)
    dims = models.CharField(_("disaggregation"), max_length=300, blank=True)
    disaggregation = models.JSONField(default=dict, blank=True)
    value = models.FloatField(_("value"))
    status = models.CharField(_("status"), max_length=10, choices=Verification.choices, default=Verification.OFFICIAL)
    source_file = models.CharField(_("source file"), max_length=300, blank=True)
    source_line = models.PositiveIntegerField(_("source line"), null=True, blank=True)
    source_note = models.CharField(_("source"), max_length=300, blank=True)
    #: Outside the indicator's bounds (e.g. 855 for a percentage): shown "as published, suspect", never used.
    suspect = models.BooleanField(_("suspect"), default=False, db_default=False)
    entered_by = models.ForeignKey("User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   db_index=False)
    verified_by = models.ForeignKey("User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    db_index=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # History is looked up by value (id), date, user and region (rejected values); not by the other keys.
    history = HistoricalRecords(excluded_fields=["updated_at", "suspect"],
                                no_db_index=["indicator", "entered_by", "verified_by"])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "area_code", "unit", "series", "dims"], name="uniq_indicator_value_key"
            )
        ]
        indexes = [models.Index(fields=["indicator", "region", "year"]), models.Index(fields=["region", "indicator"])]
        ordering = ["indicator", "year", "area_code", "dims"]
        verbose_name = _("value")
        verbose_name_plural = _("values")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.year} {self.area_code or 'KZ'} {self.dims} = {self.value}"


class Decomposition(models.Model):
    """A national target split into regional targets by one rule, with its parameters and weights."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="decompositions")
    rule = models.CharField(_("rule"), max_length=24)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    weight_kind = models.CharField(_("weights"), max_length=20, default="population")
    base_year = models.PositiveSmallIntegerField(_("base year"))
    target_year = models.PositiveSmallIntegerField(_("target year"))
    national_base = models.FloatField()
    national_target = models.FloatField()
    weighted_result = models.FloatField()
    created_by = models.ForeignKey("User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved = models.BooleanField(default=False)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name=_("superseded by"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("decomposition")
        verbose_name_plural = _("decompositions")


class RegionalTarget(models.Model):
    """A region's target for an indicator: from a decomposition, or proposed by the akimat and approved."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed by the akimat")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded by a later decomposition")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="regional_targets")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="targets")
    decomposition = models.ForeignKey(Decomposition, null=True, blank=True, on_delete=models.SET_NULL, related_name="targets")
    base_year = models.PositiveSmallIntegerField(_("base year"))
    base_value = models.FloatField(_("baseline value"))
    weight = models.FloatField(_("weight"), null=True, blank=True)
    target_year = models.PositiveSmallIntegerField(_("target year"))
    target_value = models.FloatField(_("target value"))
    milestones = models.JSONField(_("annual milestones"), default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    reason = models.TextField(_("reason"), blank=True)
    proposed_by = models.ForeignKey("User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey("User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["indicator", "region"]
        verbose_name = _("regional target")
        verbose_name_plural = _("regional targets")


class PublishedTarget(models.Model):
    """A numeric target as published, with its provenance (fixtures/progress/targets.csv; never invented).

    ``kind`` national: a 2030 target of the UN Cooperation Framework results matrix, with its own baseline;
    global: an explicit number in an SDG target text. Keyed by the national indicator code (the indicator may be
    imported later). Loaded by ``load_reference``; the fixture is the record, so rows are replaced from it.
    """

    class Kind(models.TextChoices):
        NATIONAL = "national", _("National target")
        GLOBAL = "global", _("Global target")

    code = models.CharField(_("national code"), max_length=24, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    comparison = models.CharField(_("comparison"), max_length=2, default="=")
    target_value = models.FloatField(_("target value"))
    target_year = models.PositiveSmallIntegerField(_("target year"))
    baseline_value = models.FloatField(_("baseline value"), null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    series = models.CharField(_("series"), max_length=120, blank=True)
    source = models.CharField(_("source"), max_length=500)
    source_ref = models.CharField(_("source reference"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    line = models.PositiveIntegerField(_("line in the fixture"), null=True, blank=True)

    class Meta:
        ordering = ["code", "kind", "line"]
        verbose_name = _("published target")
        verbose_name_plural = _("published targets")

    def __str__(self) -> str:
        return f"{self.code} {self.kind} {self.comparison} {self.target_value:g} ({self.target_year})"

    @property
    def other_series(self) -> bool:
        """Set on a series the platform does not publish as the indicator's headline (never used for its status)."""
        return self.note.startswith("Other series:")

    @property
    def citation(self) -> str:
        """The source as a reader's citation: source, then the exact place in it."""
        return f"{self.source} ({self.source_ref})" if self.source_ref else self.source
class ImportedFile(models.Model):
    """The content hash of a source file as last imported for an indicator (data + its metadata + translations),
    and the state of the indicator's values right after: a re-import skips the file while both are unchanged."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="imported_files")
    path = models.CharField(max_length=300)
    digest = models.CharField(max_length=64)
    #: ``<row count>:<latest updated_at>`` of the indicator's values after the import (detects later edits).
    values_state = models.CharField(max_length=80, blank=True)
    rows = models.PositiveIntegerField(default=0)  # rows the file gave (created + updated + unchanged)
    run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["indicator", "path"], name="imported_file_unique")]
        verbose_name = _("imported file")
        verbose_name_plural = _("imported files")


class DisaggregationLabel(models.Model):
    """A disaggregation column (``code=""``) or one of its values, with labels from the repository it was learned
    from (``translations/<lang>/<column>.yml`` or ``data.yml``); columns of any name in any language are learned."""

    column = models.CharField(max_length=80)
    code = models.CharField(max_length=120, blank=True)
    label_kk = models.CharField(max_length=300, blank=True)
    label_ru = models.CharField(max_length=300, blank=True)
    label_en = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["column", "code"], name="disaggregation_label_unique")]
        ordering = ["column", "code"]
        verbose_name = _("disaggregation label")
        verbose_name_plural = _("disaggregation labels")

    def label(self, lang: str | None = None) -> str:
        lang = (lang or get_language() or "en")[:2]
        return getattr(self, f"label_{lang}", "") or self.label_en or self.label_ru or self.label_kk or self.code or self.column


def targets_in_force(indicator_ids=None, region_ids=None) -> dict[tuple[int, int], RegionalTarget]:
    """{(indicator_id, region_id): newest approved RegionalTarget} in one query."""
    qs = RegionalTarget.objects.filter(status=RegionalTarget.Status.APPROVED).order_by("updated_at", "pk")
    if indicator_ids is not None:
        qs = qs.filter(indicator_id__in=list(indicator_ids))
    if region_ids is not None:
        qs = qs.filter(region_id__in=list(region_ids))
    found = {}
    for rt in qs:
        found[(rt.indicator_id, rt.region_id)] = rt
    return found
