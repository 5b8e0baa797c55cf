"""People's Participation Budget (PPB): cycles, buckets, proposals, expert review, ballots, counting, implementation.

Money is stored in whole tenge. A cycle belongs either to a district or to a city of republican significance
(city akimats run one PPB for the whole city). The stage of a cycle is derived from its dates (see
:meth:`Cycle.stage`); an officer may override it, and every override is logged in :class:`StageChange`.

Once voting opens the ballot rules are frozen (:attr:`Cycle.frozen_at`): the ballot rule, k, whether a vote may
be changed, the counting rule and the money of the buckets can no longer change (model ``clean``, ``save``,
forms and admin all refuse).

Residents' IINs are never stored: only a keyed hash (HMAC with ``settings.IIN_HASH_KEY``), the birth date and
sex decoded from it.
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

from localization.models import District, Goal, Region, Target, Trilingual

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


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


class ResidentProfile(models.Model):
    """A resident's identity for PPB. The IIN itself is never stored: only its keyed hash."""

    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident", verbose_name=_("user")
    )
    iin_hash = models.CharField(_("IIN hash"), max_length=64, unique=True, editable=False)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="residents", verbose_name=_("declared registration district")
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES, default="kk")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verification_method = models.CharField(
        _("how verified"), max_length=40, blank=True,
        help_text=_("in_person (an officer, at a service centre), paper_ballot (ID checked when a paper ballot was "
                    "entered) or provider:<name> (an identity provider)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["iin_hash"])

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    class Meta:
        verbose_name = _("resident profile")
        verbose_name_plural = _("resident profiles")

    def __str__(self) -> str:
        return self.user.get_username()

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class Proposal(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        NEEDS_REVISION = "needs_revision", _("Needs revision")
        REVISED = "revised", _("Revised")
        ADMITTED = "admitted", _("Admitted to the vote")
        REJECTED = "rejected", _("Rejected")
        WINNER = "winner", _("Winner")
        NOT_FUNDED = "not_funded", _("Not funded")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("cycle"))
    bucket = models.ForeignKey(Bucket, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("bucket"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ppb_proposals", verbose_name=_("author")
    )
    co_applicants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="ppb_co_proposals", verbose_name=_("co-applicants")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    address = models.CharField(_("address"), max_length=300)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    apartments = models.PositiveIntegerField(
        _("apartments in the courtyard"), null=True, blank=True,
        help_text=_("Only needed for buckets by courtyard size."),
    )
    estimated_cost = models.PositiveBigIntegerField(_("estimated cost, tenge"))
    adjusted_cost = models.PositiveBigIntegerField(_("cost adjusted by experts, tenge"), null=True, blank=True)
    sdg_targets = models.ManyToManyField(Target, blank=True, related_name="ppb_proposals", verbose_name=_("SDG targets"))
    sdg_goals = models.ManyToManyField(Goal, blank=True, related_name="ppb_proposals", verbose_name=_("SDG goals"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["cycle", "id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")

    def __str__(self) -> str:
        return self.title

    @property
    def cost(self) -> int:
        """The cost used on the ballot and in the count: the experts' figure if they adjusted it."""
        return int(self.adjusted_cost if self.adjusted_cost is not None else self.estimated_cost)

    @property
    def on_ballot(self) -> bool:
        return self.status in (self.Status.ADMITTED, self.Status.WINNER, self.Status.NOT_FUNDED)


def attachment_path(instance, filename: str) -> str:
    return f"budget/proposals/{instance.proposal_id}/{filename}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        JPG = "jpg", "JPEG"
        PNG = "png", "PNG"
        PDF = "pdf", "PDF"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    kind = models.CharField(_("type"), max_length=3, choices=Kind.choices)
    size = models.PositiveIntegerField(_("size, bytes"))
    original_name = models.CharField(_("file name"), max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class ExpertAssignment(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="experts", verbose_name=_("cycle"))
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ppb_assignments", verbose_name=_("expert"),
        limit_choices_to={"role": "expert"},
    )

    class Meta:
        verbose_name = _("expert assignment")
        verbose_name_plural = _("expert assignments")
        constraints = [models.UniqueConstraint(fields=["cycle", "expert"], name="budget_expert_once_per_cycle")]

    def __str__(self) -> str:
        return f"{self.expert} @ {self.cycle}"

    def clean(self):
        if self.expert_id and self.expert.role != "expert":
            raise ValidationError({"expert": _("Only users with the expert role can be assigned.")})


class Criterion(models.TextChoices):
    COMMON_USE = "common_use", _("The object is for common use")
    PUBLIC_LAND = "public_land", _("On common-use (public) land")
    INSIDE_DISTRICT = "inside_district", _("Inside the district")
    COST_WITHIN_CAP = "cost_within_cap", _("Cost within the cap")
    ALLOWED_CATEGORY = "allowed_category", _("Allowed category of work")
    DOCUMENTS_COMPLETE = "documents_complete", _("Documents complete")
    TECHNICALLY_FEASIBLE = "technically_feasible", _("Technically feasible")


class Reason(models.TextChoices):
    MEETS = "meets", _("Meets the requirement")
    PRIVATE_BENEFIT = "private_benefit", _("Serves a private owner, not the public")
    RESTRICTED_ACCESS = "restricted_access", _("Access would be restricted")
    PRIVATE_LAND = "private_land", _("The land is privately owned or leased")
    LAND_RESERVED = "land_reserved", _("The land is reserved for other state use")
    LAND_UNKNOWN = "land_unknown", _("The land status could not be established")
    OUTSIDE_DISTRICT = "outside_district", _("The site is outside the district")
    OVER_CAP = "over_cap", _("The cost exceeds the per-project cap")
    ESTIMATE_UNREALISTIC = "estimate_unrealistic", _("The estimate is unrealistic")
    CATEGORY_NOT_ALLOWED = "category_not_allowed", _("This kind of work is not allowed")
    CAPITAL_CONSTRUCTION = "capital_construction", _("Capital construction is not allowed")
    NO_PHOTO = "no_photo", _("No photo or sketch of the site")
    NO_ESTIMATE = "no_estimate", _("No cost estimate")
    NO_CONSENT = "no_consent", _("No consent of the residents or the condominium")
    UTILITY_CONFLICT = "utility_conflict", _("Conflicts with utility networks")
    ALREADY_PLANNED = "already_planned", _("Already in a state programme or the akimat's plan")
    NOT_FEASIBLE_IN_YEAR = "not_feasible_in_year", _("Cannot be built within one year")


#: reason codes allowed when a criterion fails
FAIL_REASONS: dict[str, list[str]] = {
    Criterion.COMMON_USE: [Reason.PRIVATE_BENEFIT, Reason.RESTRICTED_ACCESS],
    Criterion.PUBLIC_LAND: [Reason.PRIVATE_LAND, Reason.LAND_RESERVED, Reason.LAND_UNKNOWN],
    Criterion.INSIDE_DISTRICT: [Reason.OUTSIDE_DISTRICT],
    Criterion.COST_WITHIN_CAP: [Reason.OVER_CAP, Reason.ESTIMATE_UNREALISTIC],
    Criterion.ALLOWED_CATEGORY: [Reason.CATEGORY_NOT_ALLOWED, Reason.CAPITAL_CONSTRUCTION],
    Criterion.DOCUMENTS_COMPLETE: [Reason.NO_PHOTO, Reason.NO_ESTIMATE, Reason.NO_CONSENT],
    Criterion.TECHNICALLY_FEASIBLE: [Reason.UTILITY_CONFLICT, Reason.ALREADY_PLANNED, Reason.NOT_FEASIBLE_IN_YEAR],
}


class Review(models.Model):
    class Decision(models.TextChoices):
        ADMITTED = "admitted", _("Admitted to the vote")
        NEEDS_REVISION = "needs_revision", _("Needs revision")
        REJECTED = "rejected", _("Rejected")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("proposal"))
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ppb_reviews", verbose_name=_("expert")
    )
    round = models.PositiveSmallIntegerField(_("round"), choices=[(1, _("first review")), (2, _("second review"))])
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    explanation = models.TextField(_("public explanation"), blank=True)
    adjusted_cost = models.PositiveBigIntegerField(_("adjusted cost, tenge"), null=True, blank=True)
    created_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["proposal", "round"]
        verbose_name = _("expert review")
        verbose_name_plural = _("expert reviews")
        constraints = [models.UniqueConstraint(fields=["proposal", "round"], name="budget_one_review_per_round")]

    def __str__(self) -> str:
        return f"{self.proposal_id} r{self.round}: {self.decision}"


class CriterionVerdict(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="verdicts")
    criterion = models.CharField(_("criterion"), max_length=24, choices=Criterion.choices)
    passed = models.BooleanField(_("passed"))
    reason = models.CharField(_("reason code"), max_length=24, choices=Reason.choices)

    class Meta:
        ordering = ["id"]
        verbose_name = _("criterion verdict")
        verbose_name_plural = _("criterion verdicts")
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="budget_one_verdict_per_criterion")]

    def __str__(self) -> str:
        return f"{self.criterion}: {'pass' if self.passed else 'fail'} ({self.reason})"


class Ballot(models.Model):
    """One voter's ballot in one bucket. The voter is identified only by a keyed hash: HMAC of the IIN hash and
    the bucket (:func:`budget.services.ballot_voter_hash`), different in every bucket and different from the
    profile's ``iin_hash``, so a ballot cannot be joined to a resident without the server's key. Nothing else
    about the voter is stored beside the choices (no user, no profile; a paper ballot names the entering officer).

    ``UNIQUE(bucket, voter_hash)`` makes a second ballot of the same person impossible at the database level,
    whichever channel (online or paper) and however many parallel requests.
    """

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        PAPER = "paper", _("paper")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("cycle"))
    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("bucket"))
    voter_hash = models.CharField(_("voter (keyed hash)"), max_length=64, editable=False)
    voter_district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="+", verbose_name=_("voter's registration district")
    )
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("entered by"),
    )
    choices = models.ManyToManyField(Proposal, related_name="ballots", verbose_name=_("chosen projects"))
    created_at = models.DateTimeField(_("cast at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    #: SHA-256 of the voter's receipt code (the code itself is shown once and never stored); empty for paper ballots.
    receipt_hash = models.CharField(_("receipt (hash)"), max_length=64, blank=True, db_index=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["bucket", "voter_hash"], name="budget_one_ballot_per_voter_and_bucket")
        ]

    def __str__(self) -> str:
        return f"{_('ballot')} #{self.pk}"


class BallotAudit(models.Model):
    """*That* someone voted (or changed a vote) in a bucket, by whom and when — never what they chose, and no link
    to the ballot itself (the secrecy of the vote)."""

    class Action(models.TextChoices):
        CREATE = "create", _("cast")
        CHANGE = "change", _("changed")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+", verbose_name=_("cycle"))
    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="ballot_audit", verbose_name=_("bucket"))
    channel = models.CharField(_("channel"), max_length=6, choices=Ballot.Channel.choices, default="online")
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("ballot audit entry")
        verbose_name_plural = _("ballot audit")

    def __str__(self) -> str:
        return f"{self.bucket_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class CountResult(models.Model):
    """The official count of one bucket, with the anonymised ballot file (pabulib ``.pb``) and its SHA-256."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="results", verbose_name=_("cycle"))
    bucket = models.OneToOneField(Bucket, on_delete=models.CASCADE, related_name="result", verbose_name=_("bucket"))
    rule = models.CharField(_("counting rule"), max_length=8, choices=Cycle.CountingRule.choices)
    budget = models.PositiveBigIntegerField(_("money, tenge"))
    num_votes = models.PositiveIntegerField(_("ballots"))
    winners = models.JSONField(_("winners in order"), default=list)
    tallies = models.JSONField(_("votes per project"), default=dict)
    money_spent = models.PositiveBigIntegerField(_("money allocated, tenge"))
    money_left = models.PositiveBigIntegerField(_("money left, tenge"))
    fairness = models.JSONField(_("fairness figures"), default=dict)
    pb_text = models.TextField(_("ballot file (.pb)"))
    pb_sha256 = models.CharField(_("SHA-256 of the ballot file"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("counted by"),
    )
    created_at = models.DateTimeField(_("counted at"), auto_now_add=True)

    class Meta:
        ordering = ["cycle", "bucket"]
        verbose_name = _("count result")
        verbose_name_plural = _("count results")

    def __str__(self) -> str:
        return f"{self.bucket} ({self.rule})"


class Implementation(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        PROCUREMENT = "procurement", _("Procurement")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    proposal = models.OneToOneField(
        Proposal, on_delete=models.CASCADE, related_name="implementation", verbose_name=_("project")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    progress = models.PositiveSmallIntegerField(_("progress, %"), default=0)
    money_planned = models.PositiveBigIntegerField(_("money planned, tenge"))
    money_spent = models.PositiveBigIntegerField(_("money spent, tenge"), default=0)
    procurement_ref = models.CharField(_("procurement reference"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["proposal"]
        verbose_name = _("implementation")
        verbose_name_plural = _("implementation")
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="budget_progress_at_most_100"),
        ]

    def __str__(self) -> str:
        return str(self.proposal)

    def clean(self):
        if self.progress is not None and self.progress > 100:
            raise ValidationError({"progress": _("Progress cannot exceed 100%.")})
        if self.status == self.Status.COMPLETED and self.progress != 100:
            raise ValidationError({"progress": _("A completed project has 100% progress.")})


def milestone_path(instance, filename: str) -> str:
    return f"budget/milestones/{instance.implementation_id}/{filename}"


class Milestone(models.Model):
    implementation = models.ForeignKey(Implementation, on_delete=models.CASCADE, related_name="milestones")
    date = models.DateField(_("date"))
    text = models.TextField(_("what happened"))
    photo = models.FileField(_("photo"), upload_to=milestone_path, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return f"{self.date}: {self.text[:40]}"
