"""Ballots (secret: the voter only as a keyed hash), the audit that someone voted, and the official count."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.models import GeoJob
from localization.models import District

from .cycles import Bucket, Cycle
from .proposals import Proposal


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


class CycleCount(GeoJob):
    """One request to count a cycle's votes, run by a worker on the task queue; its page polls the progress.

    The count itself (:func:`budget.services.close_cycle`) is idempotent: a second request for a counted cycle
    finds the results already there."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="counts", verbose_name=_("cycle"))

    class Meta(GeoJob.Meta):
        verbose_name = _("count of the votes")
        verbose_name_plural = _("counts of the votes")

    def __str__(self) -> str:
        return f"{self.cycle} ({self.get_status_display()})"
