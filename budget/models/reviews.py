"""Expert review: experts assigned to a cycle, the criteria checklist with reason codes, reviews and verdicts."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .cycles import Cycle
from .proposals import Proposal


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
