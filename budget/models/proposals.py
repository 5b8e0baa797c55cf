"""Proposals of residents and their attachments (photos, sketches, estimates)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from localization.models import Goal, Target

from .cycles import Bucket, Category, Cycle

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


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
