"""Implementation of the winning projects: status, progress, money spent and dated milestones."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .proposals import Proposal


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
