"""Cycles and their money: categories, stages, the cycle itself, manual stage changes, buckets and sponsors.

Money is stored in whole tenge. A cycle belongs either to a district or to a city of republican significance
(city akimats run one PPB for the whole city). The stage of a cycle is derived from its dates (see
:meth:`Cycle.stage`); an officer may override it, and every override is logged in :class:`StageChange`.

Once voting opens the ballot rules are frozen (:attr:`Cycle.frozen_at`): the ballot rule, k, whether a vote may
be changed, the counting rule and the money of the buckets can no longer change (model ``clean``, ``save``,
forms and admin all refuse).
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from localization.models import District, Region, Trilingual


class Category(models.TextChoices):
    """Project categories of the Almaty PPB rules (the most detailed published list)."""

    GREENING = "greening", _("Greening")
    SIDEWALKS = "sidewalks", _("Sidewalks, ramps and aryks")
    PUBLIC_SPACES = "public_spaces", _("Public spaces and lighting")
    PAVING = "paving", _("Curbs, paving and retaining walls")
    DUMPS = "dumps", _("Removal of dumps")
    EQUIPMENT = "equipment", _("Gazebos, benches, bins and equipment")
    SPORTS = "sports", _("Sports grounds")
    PLAYGROUNDS = "playgrounds", _("Playgrounds")
    OTHER = "other", _("Other")


class Stage(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    SUBMISSION = "submission", _("Submission of proposals")
    REVIEW = "review", _("Expert review")
    REVISION = "revision", _("Revision by authors")
    REREVIEW = "rereview", _("Second review")
    AWAITING_VOTE = "awaiting_vote", _("Waiting for the vote")
    VOTING = "voting", _("Voting")
    COUNTING = "counting", _("Counting and protocol")
    RESULTS = "results", _("Results")
    IMPLEMENTATION = "implementation", _("Implementation")


STAGE_ORDER = [value for value, _label in Stage.choices]


def stage_index(stage: str) -> int:
    return STAGE_ORDER.index(stage)


def in_region(region, prefix: str = "") -> Q:
    """Cycles owned by ``region`` (a region, or its pk): city-wide ones and those of its districts.
    ``prefix`` reaches the cycle from another model, e.g. ``"cycle__"`` for proposals."""
    return Q(**{f"{prefix}region": region}) | Q(**{f"{prefix}district__region": region})


class Cycle(Trilingual, models.Model):
    class BallotRule(models.TextChoices):
        APPROVAL = "approval", _("Approval: choose at most k projects")
        KNAPSACK = "knapsack", _("Knapsack: total cost of chosen projects within the bucket's money")

    class CountingRule(models.TextChoices):
        GREEDY = "greedy", _("Greedy: most votes first, skip what does not fit")
        MES = "mes", _("Method of Equal Shares")
        MES_ADD1 = "mes-add1", _("Method of Equal Shares with Add1 completion")

    class CapUnit(models.TextChoices):
        TENGE = "tenge", _("tenge")
        MRP = "mrp", _("MRP (monthly calculation index)")

    #: fields that may not change once voting has opened
    FROZEN_FIELDS = ("ballot_rule", "max_choices", "vote_changeable", "counting_rule", "verified_only")

    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.PROTECT, related_name="ppb_cycles", verbose_name=_("district")
    )
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ppb_cycles",
        verbose_name=_("city"),
        help_text=_("Only for a city-wide cycle run by the akimat of a city of republican significance."),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    mrp = models.PositiveIntegerField(_("MRP value, tenge"), help_text=_("Monthly calculation index of the year."))
    total_money = models.PositiveBigIntegerField(_("total money, tenge"))
    cap_unit = models.CharField(_("per-project cap unit"), max_length=5, choices=CapUnit.choices, default=CapUnit.MRP)
    cap_amount = models.PositiveBigIntegerField(
        _("per-project cap"), help_text=_("In tenge, or in MRP (multiplied by the MRP value).")
    )
    ballot_rule = models.CharField(
        _("ballot rule"), max_length=8, choices=BallotRule.choices, default=BallotRule.APPROVAL
    )
    max_choices = models.PositiveSmallIntegerField(
        _("k (maximum projects per ballot)"), default=3, help_text=_("Used by the approval ballot rule.")
    )
    vote_changeable = models.BooleanField(_("a vote may be changed until voting closes"), default=False)
    verified_only = models.BooleanField(
        _("only verified residents may vote"), default=True,
        help_text=_("Verified: identity checked by an officer of the district, by a paper ballot's ID check or by "
                    "an identity provider. Untick to accept self-declared residents (shown on the cycle page and "
                    "with the results)."),
    )
    counting_rule = models.CharField(
        _("counting rule"), max_length=8, choices=CountingRule.choices, default=CountingRule.GREEDY
    )
    proposals_per_author = models.PositiveSmallIntegerField(
        _("proposals per author"), default=settings.PPB_DEFAULT_PROPOSALS_PER_AUTHOR
    )
    submission_start = models.DateField(_("submission opens"))
    submission_end = models.DateField(_("submission closes"))
    review_end = models.DateField(_("expert review ends"))
    revision_end = models.DateField(_("revision by authors ends"))
    rereview_end = models.DateField(_("second review ends"))
    voting_start = models.DateField(_("voting opens"))
    voting_end = models.DateField(_("voting closes"))
    results_date = models.DateField(_("results published"))
    implementation_start = models.DateField(_("implementation starts"))
    stage_override = models.CharField(
        _("stage set manually"),
        max_length=16,
        choices=Stage.choices,
        blank=True,
        help_text=_("Leave empty to follow the dates. Change it only through the stage form, which logs a reason."),
    )
    frozen_at = models.DateTimeField(_("rules frozen at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("counted at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "id"]
        verbose_name = _("PPB cycle")
        verbose_name_plural = _("PPB cycles")
        constraints = [
            models.CheckConstraint(
                condition=(Q(district__isnull=False, region__isnull=True) | Q(district__isnull=True, region__isnull=False)),
                name="budget_cycle_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name_en or self.name_ru or self.name_kk

    # -- owner -------------------------------------------------------------------------------------------------
    @property
    def owner_region(self) -> Region:
        return self.region if self.region_id else self.district.region

    @property
    def owner_name(self) -> str:
        return self.region.name if self.region_id else self.district.name

    def covers_district(self, district) -> bool:
        """Is a resident registered in ``district`` a resident of this cycle's territory?"""
        if district is None:
            return False
        if self.district_id:
            return district.pk == self.district_id
        return district.region_id == self.region_id

    def eligible_districts(self):
        if self.district_id:
            return District.objects.filter(pk=self.district_id)
        return District.objects.filter(region_id=self.region_id)

    # -- money -------------------------------------------------------------------------------------------------
    @property
    def cap_tenge(self) -> int:
        if self.cap_unit == self.CapUnit.MRP:
            return int(self.cap_amount) * int(self.mrp)
        return int(self.cap_amount)

    # -- stages ------------------------------------------------------------------------------------------------
    def timeline(self) -> list[tuple[str, str, dt.date | None, dt.date | None]]:
        """(stage, label, first day, last day) in order; days are inclusive."""
        one = dt.timedelta(days=1)
        return [
            (Stage.ANNOUNCED, Stage.ANNOUNCED.label, None, self.submission_start - one),
            (Stage.SUBMISSION, Stage.SUBMISSION.label, self.submission_start, self.submission_end),
            (Stage.REVIEW, Stage.REVIEW.label, self.submission_end + one, self.review_end),
            (Stage.REVISION, Stage.REVISION.label, self.review_end + one, self.revision_end),
            (Stage.REREVIEW, Stage.REREVIEW.label, self.revision_end + one, self.rereview_end),
            (Stage.AWAITING_VOTE, Stage.AWAITING_VOTE.label, self.rereview_end + one, self.voting_start - one),
            (Stage.VOTING, Stage.VOTING.label, self.voting_start, self.voting_end),
            (Stage.COUNTING, Stage.COUNTING.label, self.voting_end + one, self.results_date - one),
            (Stage.RESULTS, Stage.RESULTS.label, self.results_date, self.implementation_start - one),
            (Stage.IMPLEMENTATION, Stage.IMPLEMENTATION.label, self.implementation_start, None),
        ]

    def stage_from_dates(self, today: dt.date | None = None) -> str:
        today = today or timezone.localdate()
        current = Stage.ANNOUNCED
        for stage, _label, first, _last in self.timeline():
            if first is not None and today >= first:
                current = stage
        return current

    def stage(self, today: dt.date | None = None) -> str:
        """The current stage: the manual override if one is set, otherwise derived from the dates."""
        return self.stage_override or self.stage_from_dates(today)

    def get_stage_display(self) -> str:
        return Stage(self.stage()).label

    def stage_at_least(self, stage: str) -> bool:
        return stage_index(self.stage()) >= stage_index(stage)

    @property
    def voting_open(self) -> bool:
        return self.stage() == Stage.VOTING

    @property
    def voting_closed(self) -> bool:
        """Voting is over: tallies may be shown (they come only from the stored count)."""
        return stage_index(self.stage()) > stage_index(Stage.VOTING)

    def is_frozen(self) -> bool:
        return self.frozen_at is not None or stage_index(self.stage()) >= stage_index(Stage.VOTING)

    # -- validation --------------------------------------------------------------------------------------------
    def _stored(self):
        if not self.pk:
            return None
        return type(self).objects.filter(pk=self.pk).first()

    def frozen_changes(self, stored=None) -> list[str]:
        """Names of frozen fields that differ from the stored row, if the stored cycle is frozen."""
        stored = stored if stored is not None else self._stored()
        if stored is None or not stored.is_frozen():
            return []
        return [name for name in self.FROZEN_FIELDS if getattr(stored, name) != getattr(self, name)]

    def clean(self):
        errors: dict[str, list] = {}
        if bool(self.district_id) == bool(self.region_id):
            errors.setdefault("district", []).append(
                _("Choose either a district or a city of republican significance, not both.")
            )
        if self.region_id and self.region.kind != Region.Kind.CITY:
            errors.setdefault("region", []).append(
                _("A city-wide cycle is only possible for a city of republican significance; otherwise choose a district.")
            )
        if self.ballot_rule == self.BallotRule.APPROVAL and not self.max_choices:
            errors.setdefault("max_choices", []).append(_("k must be at least 1 for approval ballots."))
        if self.mrp == 0:
            errors.setdefault("mrp", []).append(_("The MRP value must be positive."))
        dates = [
            "submission_start", "submission_end", "review_end", "revision_end", "rereview_end",
            "voting_start", "voting_end", "results_date", "implementation_start",
        ]
        values = [getattr(self, name) for name in dates]
        if all(values):
            strict = {"review_end", "revision_end", "rereview_end", "voting_start", "results_date"}
            for (prev, a), (name, b) in zip(zip(dates, values), list(zip(dates, values))[1:]):
                if b < a or (name in strict and b == a):
                    errors.setdefault(name, []).append(
                        _("This date must come after “%(previous)s”.") % {"previous": self._meta.get_field(prev).verbose_name}
                    )
        changed = self.frozen_changes()
        for name in changed:
            errors.setdefault(name, []).append(
                _("Voting has opened: the ballot rule, k, vote changes, eligibility and the counting rule are frozen.")
            )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        stored = self._stored()
        if self.frozen_changes(stored):
            raise ValidationError(
                _("Voting has opened: the ballot rule, k, vote changes, eligibility and the counting rule are frozen.")
            )
        if self.frozen_at is None and stored is not None and stored.is_frozen():
            # Once voting has opened the rules stay frozen for good: moving the voting dates later must not thaw them.
            self.frozen_at = stored.frozen_at or timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "frozen_at"}
        super().save(*args, **kwargs)


class StageChange(models.Model):
    """A manual override of a cycle's stage, with who, when and why."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("cycle"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    from_stage = models.CharField(_("from stage"), max_length=16, choices=Stage.choices)
    to_stage = models.CharField(_("to stage"), max_length=16, choices=Stage.choices, blank=True, help_text=_("Empty: follow the dates again."))
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["-changed_at"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")

    def __str__(self) -> str:
        return f"{self.cycle_id}: {self.from_stage} → {self.to_stage or 'dates'}"


class Bucket(Trilingual, models.Model):
    """A pot of money inside a cycle (by category or courtyard size), voted on and counted separately."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="buckets", verbose_name=_("cycle"))
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, blank=True,
        help_text=_("Empty: proposals of any category."),
    )
    min_apartments = models.PositiveIntegerField(
        _("courtyard size from (apartments)"), null=True, blank=True,
        help_text=_("For buckets by courtyard size, e.g. up to 40, up to 100, over 100 apartments."),
    )
    max_apartments = models.PositiveIntegerField(_("courtyard size up to (apartments)"), null=True, blank=True)
    money = models.PositiveBigIntegerField(_("money, tenge"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["cycle", "id"]
        verbose_name = _("bucket")
        verbose_name_plural = _("buckets")

    def __str__(self) -> str:
        return self.name_en or self.name_ru or self.name_kk

    @property
    def by_size(self) -> bool:
        return self.min_apartments is not None or self.max_apartments is not None

    def sponsor_money(self) -> int:
        return int(self.sponsorships.aggregate(total=Sum("amount"))["total"] or 0)

    @property
    def total_money(self) -> int:
        """The bucket's budget for ballots and counting: its own money plus sponsors' co-funding."""
        return int(self.money) + self.sponsor_money()

    def accepts(self, category: str, apartments: int | None) -> bool:
        if self.category and category != self.category:
            return False
        if self.by_size:
            if apartments is None:
                return False
            if self.min_apartments is not None and apartments < self.min_apartments:
                return False
            if self.max_apartments is not None and apartments > self.max_apartments:
                return False
        return True

    def clean(self):
        if not self.cycle_id:
            return
        stored = type(self).objects.filter(pk=self.pk).first() if self.pk else None
        if self.cycle.is_frozen() and (stored is None or stored.money != self.money or stored.cycle_id != self.cycle_id):
            raise ValidationError({"money": _("Voting has opened: the money of the buckets is frozen.")})
        others = Bucket.objects.filter(cycle_id=self.cycle_id).exclude(pk=self.pk).aggregate(t=Sum("money"))["t"] or 0
        if others + (self.money or 0) > self.cycle.total_money:
            raise ValidationError(
                {"money": _("The buckets together would exceed the cycle's total money.")}
            )
        if self.min_apartments is not None and self.max_apartments is not None and self.min_apartments > self.max_apartments:
            raise ValidationError({"max_apartments": _("The upper bound must not be below the lower bound.")})

    def save(self, *args, **kwargs):
        if self.cycle_id and self.cycle.is_frozen():
            stored = type(self).objects.filter(pk=self.pk).first() if self.pk else None
            if stored is None or stored.money != self.money:
                raise ValidationError(_("Voting has opened: the money of the buckets is frozen."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.cycle.is_frozen():
            raise ValidationError(_("Voting has opened: the money of the buckets is frozen."))
        return super().delete(*args, **kwargs)


class Sponsorship(models.Model):
    """Co-funding by a sponsor (e.g. a company's social programme), added to a bucket's money."""

    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="sponsorships", verbose_name=_("bucket"))
    sponsor = models.CharField(_("sponsor"), max_length=200)
    amount = models.PositiveBigIntegerField(_("amount, tenge"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sponsor co-funding")
        verbose_name_plural = _("sponsor co-funding")

    def __str__(self) -> str:
        return f"{self.sponsor}: {self.amount}"

    def _changes_money_after_freeze(self) -> bool:
        if not (self.bucket_id and self.bucket.cycle.is_frozen()):
            return False
        stored = type(self).objects.filter(pk=self.pk).first() if self.pk else None
        return stored is None or stored.amount != self.amount or stored.bucket_id != self.bucket_id

    def clean(self):
        if self._changes_money_after_freeze():
            raise ValidationError({"amount": _("Voting has opened: the money of the buckets is frozen.")})

    def save(self, *args, **kwargs):
        if self._changes_money_after_freeze():
            raise ValidationError(_("Voting has opened: the money of the buckets is frozen."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.bucket.cycle.is_frozen():
            raise ValidationError(_("Voting has opened: the money of the buckets is frozen."))
        return super().delete(*args, **kwargs)
