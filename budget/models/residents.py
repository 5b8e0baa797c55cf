"""Residents' identity for PPB.

Residents' IINs are never stored: only a keyed hash (HMAC with ``settings.IIN_HASH_KEY``), the birth date and
sex decoded from it.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from localization.models import District


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
