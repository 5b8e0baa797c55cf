"""Residents: IINs (decoded, keyed-hashed and forgotten), sign-up, verification and who may vote."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from localization.permissions import can_edit_region

from ..auth import PROFILE_LOADED
from ..core import iin as iin_core
from ..models import Ballot, Bucket, Cycle, ResidentProfile
from .common import VOTING_AGE, BudgetError

IIN_MESSAGES = {
    "format": gettext_lazy("An IIN consists of exactly 12 digits."),
    "checksum": gettext_lazy("This IIN is not valid: its check digit does not match."),
    "date": gettext_lazy("This IIN is not valid: it does not contain a real date of birth."),
}


def normalize_iin(raw: str) -> str:
    return "".join((raw or "").split())


def decode_iin(raw: str):
    """The decoded IIN (birth date, sex) or a ValidationError with a translated message (not echoing the IIN)."""
    try:
        return iin_core.parse_iin(normalize_iin(raw))
    except iin_core.IinError as exc:
        raise ValidationError(IIN_MESSAGES.get(exc.code, IIN_MESSAGES["format"]), code=f"iin_{exc.code}") from None


def hash_iin(raw: str) -> str:
    return iin_core.iin_hash(normalize_iin(raw), settings.IIN_HASH_KEY)


def ballot_voter_hash(iin_digest: str, bucket) -> str:
    """The only voter identity a ballot keeps: keyed per bucket, never equal to a profile's ``iin_hash``."""
    return iin_core.ballot_voter_hash(iin_digest, getattr(bucket, "pk", bucket), settings.IIN_HASH_KEY)


def ballots_of(profile, buckets=None):
    """A resident's own ballots in ``buckets`` (default: every bucket of the cycles covering the resident's district,
    the only ones they can vote in), found through the per-bucket keyed hashes."""
    if profile is None:
        return Ballot.objects.none()
    if buckets is None:
        district = profile.district
        buckets = Bucket.objects.filter(Q(cycle__district=district) | Q(cycle__region_id=district.region_id))
        buckets = buckets.values_list("pk", flat=True)
    keys = [ballot_voter_hash(profile.iin_hash, bucket) for bucket in buckets]
    return Ballot.objects.filter(voter_hash__in=keys)


def sex_code(info) -> str:
    value = str(getattr(info, "sex", "")).upper()
    return "F" if value.startswith("F") else "M"


# --------------------------------------------------------------------------------------------------- residents

def register_resident(
    *, username: str, password: str, iin: str, district, full_name: str = "", email: str = "", language: str = "kk"
):
    """Create a user (role resident) and their profile. The IIN is decoded, hashed and forgotten."""
    from localization.models import USERNAME_IIN_MESSAGE, username_is_iin_like

    if username_is_iin_like(username):
        raise BudgetError(str(USERNAME_IIN_MESSAGE), "username_iin", "username")
    info = decode_iin(iin)
    digest = hash_iin(iin)
    User = get_user_model()
    try:
        with transaction.atomic():
            if ResidentProfile.objects.filter(iin_hash=digest).exists():
                raise BudgetError(_("An account already exists for this IIN."), "iin_taken", "iin")
            user = User.objects.create_user(
                username=username, password=password, email=email, role="resident", district=None, region=None
            )
            ResidentProfile.objects.create(
                user=user,
                iin_hash=digest,
                birth_date=info.birth_date,
                sex=sex_code(info),
                district=district,
                full_name=full_name,
                language=language if language in dict(settings.LANGUAGES) else "kk",
            )
    except IntegrityError:
        raise BudgetError(_("An account already exists for this IIN."), "iin_taken", "iin") from None
    return user


VERIFICATION_METHODS = ("in_person", "paper_ballot")


def verify_resident(profile: ResidentProfile, officer, *, method: str = "in_person") -> ResidentProfile:
    """Record that the resident's identity was checked: by an officer of the district (``in_person``, at a service
    centre; ``paper_ballot``, when entering their paper ballot) or by an identity provider (officer None,
    ``provider:<name>``). Who, when and how are kept; the first verification stands."""
    if method.startswith("provider:"):
        if officer is not None:
            raise BudgetError(_("An identity provider verifies on its own, without an officer."), "bad_method")
    elif method not in VERIFICATION_METHODS:
        raise BudgetError(_("Unknown way of verification."), "bad_method")
    elif not can_edit_region(officer, profile.district.region_id):
        raise BudgetError(_("Only officers of the resident's region can verify them."), "not_officer")
    if profile.verified_at is None:
        profile.verified_by, profile.verified_at, profile.verification_method = officer, timezone.now(), method
        profile.save(update_fields=["verified_by", "verified_at", "verification_method"])
    return profile


def verify_with_provider(request, profile: ResidentProfile) -> ResidentProfile:
    """Verify through the configured identity provider (see budget.identity); refuses if none is configured or
    the IIN it vouches for is not the profile's."""
    from ..identity import get_provider

    provider = get_provider()
    if provider is None:
        raise BudgetError(_("No identity provider is configured: ask the akimat to verify you in person."), "no_provider")
    iin = provider.confirm(request, profile)
    if not iin or hash_iin(iin) != profile.iin_hash:
        raise BudgetError(_("The identity provider did not confirm this IIN."), "not_confirmed")
    return verify_resident(profile, None, method=f"provider:{provider.name}")


def resident_of(user) -> ResidentProfile | None:
    """The signed-in person's resident profile (with its district), or None.

    Read with the user by :class:`budget.auth.ResidentBackend` on every request; asked for only when the user was
    loaded some other way."""
    if not user.is_authenticated:
        return None
    if getattr(user, PROFILE_LOADED, False) and get_user_model().resident.is_cached(user):
        try:
            return user.resident
        except ResidentProfile.DoesNotExist:  # loaded with the user: there is none
            return None
    return ResidentProfile.objects.filter(user=user).select_related("district").first()


def eligibility_day(cycle: Cycle) -> dt.date:
    """Age is taken on the day voting opens."""
    return cycle.voting_start


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return iin_core.age_on(birth_date, day)


def eligibility_problem(cycle: Cycle, *, birth_date: dt.date, district) -> BudgetError | None:
    if age_on(birth_date, eligibility_day(cycle)) < VOTING_AGE:
        return BudgetError(
            _("Only residents aged 18 or over on %(date)s may vote.") % {"date": eligibility_day(cycle).isoformat()},
            "under_age",
        )
    if not cycle.covers_district(district):
        return BudgetError(
            _("Only residents registered in %(place)s may vote in this cycle.") % {"place": cycle.owner_name},
            "wrong_district",
        )
    return None
