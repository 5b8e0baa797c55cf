"""The PPB workflow as plain functions: views, forms, admin and commands call these; numbers come from budget.core.

Every function that changes several rows runs in one transaction. Ballots are protected against parallel
duplicates by the database (``UNIQUE(bucket, voter_hash)``) plus a row lock on an existing ballot when it is
changed, so concurrent requests on PostgreSQL cannot create two ballots for one person.

Errors meant for the user are raised as :class:`BudgetError` with a translated message (never echoing an IIN).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.lazy import lazy
from geo.models import Boundary
from localization.permissions import can_edit_region

from . import tasks
from .core import iin as iin_core
from .models import (
    FAIL_REASONS,
    Attachment,
    Ballot,
    BallotAudit,
    Bucket,
    CountResult,
    Criterion,
    CriterionVerdict,
    Cycle,
    ExpertAssignment,
    Implementation,
    MAX_ATTACHMENT_BYTES,
    Proposal,
    Reason,
    ResidentProfile,
    Review,
    Stage,
    StageChange,
)

# numpy (counting) is imported when a cycle is counted or exported, not at start-up
counting, pabulib = lazy("budget.core.counting"), lazy("budget.core.pabulib")
log = logging.getLogger(__name__)

VOTING_AGE = 18


class BudgetError(Exception):
    """A refusal to show to the user: ``message`` is already translated; ``code`` is stable for tests and logs."""

    def __init__(self, message: str, code: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------------------------------- permissions

def can_manage(user, cycle: Cycle) -> bool:
    """Officers of the cycle's region (akimat of that region, statistics, admin): the one region check."""
    return can_edit_region(user, cycle.owner_region)


def is_assigned_expert(user, cycle: Cycle) -> bool:
    return bool(
        user.is_authenticated
        and user.role == "expert"
        and ExpertAssignment.objects.filter(cycle=cycle, expert=user).exists()
    )


# --------------------------------------------------------------------------------------------------- IIN

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


def ballots_of(profile):
    """A resident's own ballots (their receipts and activity): found through the per-bucket keyed hashes."""
    if profile is None:
        return Ballot.objects.none()
    keys = [ballot_voter_hash(profile.iin_hash, pk) for pk in Bucket.objects.values_list("pk", flat=True)]
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


def ensure_default_bucket(cycle: Cycle) -> Bucket | None:
    """Buckets are optional: a cycle created without any gets one for all proposals, with all the cycle's money
    (proposals, ballots and the count work per bucket). Returns the bucket created, or None."""
    from django.utils import translation

    if cycle.buckets.exists():
        return None
    names = {}
    for lang in ("kk", "ru", "en"):
        with translation.override(lang):
            names[f"name_{lang}"] = str(_("All proposals of the cycle"))
    return Bucket.objects.create(cycle=cycle, money=cycle.total_money, **names)


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
    from .identity import get_provider

    provider = get_provider()
    if provider is None:
        raise BudgetError(_("No identity provider is configured: ask the akimat to verify you in person."), "no_provider")
    iin = provider.confirm(request, profile)
    if not iin or hash_iin(iin) != profile.iin_hash:
        raise BudgetError(_("The identity provider did not confirm this IIN."), "not_confirmed")
    return verify_resident(profile, None, method=f"provider:{provider.name}")


def resident_of(user) -> ResidentProfile | None:
    if not user.is_authenticated:
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


# --------------------------------------------------------------------------------------------------- stages

def ensure_frozen(cycle: Cycle) -> Cycle:
    """Record the moment voting opened: from then on the rules cannot change."""
    if cycle.frozen_at is None and cycle.is_frozen():
        now = timezone.now()
        Cycle.objects.filter(pk=cycle.pk, frozen_at__isnull=True).update(frozen_at=now)
        cycle.frozen_at = Cycle.objects.values_list("frozen_at", flat=True).get(pk=cycle.pk)
    return cycle


def set_stage(cycle: Cycle, user, to_stage: str, reason: str) -> StageChange:
    """Override the stage (``""`` = follow the dates again), logging who, when, from, to and why."""
    reason = (reason or "").strip()
    if not reason:
        raise BudgetError(_("Give a reason for changing the stage."), "reason_required", "reason")
    if to_stage and to_stage not in Stage.values:
        raise BudgetError(_("Unknown stage."), "bad_stage", "stage")
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        change = StageChange.objects.create(
            cycle=locked, changed_by=user, from_stage=locked.stage(), to_stage=to_stage, reason=reason
        )
        Cycle.objects.filter(pk=locked.pk).update(stage_override=to_stage)
        locked.stage_override = to_stage
        ensure_frozen(locked)
    cycle.stage_override = to_stage
    cycle.frozen_at = locked.frozen_at
    return change


# --------------------------------------------------------------------------------------------------- geography

@lru_cache(maxsize=64)
def _shape(boundary_pk: int, geometry_len: int, geometry: str):
    from shapely import prepare
    from shapely.geometry import shape

    geom = shape(json.loads(geometry))
    prepare(geom)
    return geom


def area_boundary(cycle: Cycle) -> Boundary | None:
    if cycle.district_id:
        return Boundary.objects.filter(layer=Boundary.Layer.DISTRICTS_2024, district_id=cycle.district_id).first()
    return Boundary.objects.filter(layer=Boundary.Layer.REGIONS_2024, region_id=cycle.region_id).first()


def check_point_in_area(cycle: Cycle, lat: float, lon: float) -> None:
    """Refuse a pin outside the cycle's district (or, for a city cycle, outside the city)."""
    from shapely.geometry import Point

    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BudgetError(_("These are not valid coordinates."), "bad_coordinates", "lat")
    boundary = area_boundary(cycle)
    if boundary is None:
        raise BudgetError(
            _("The boundary of %(place)s is not loaded, so the location cannot be checked. Please tell the akimat.")
            % {"place": cycle.owner_name},
            "no_boundary",
            "lat",
        )
    geom = _shape(boundary.pk, len(boundary.geometry), boundary.geometry)
    if not geom.covers(Point(lon, lat)):
        raise BudgetError(
            _("The location is outside %(place)s. Put the pin inside the boundary shown on the map.")
            % {"place": cycle.owner_name},
            "outside_area",
            "lat",
        )


#: A settlement point farther than this from the project is not "the settlement it sits in".
RSS_MAX_DISTANCE_KM = 10.0


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    from math import asin, cos, radians, sin, sqrt

    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    h = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * 6371.0 * asin(sqrt(h))


def settlement_context(proposal: Proposal) -> dict | None:
    """The settlement the proposal sits in and its gap under the Regional Standards System (RSS), if data exist.

    The geo app owns settlements and RSS provision. If it offers ``geo.services.rss_at_point(lat, lon)``
    (returning ``{"settlement", "gap" (percent of applicable standards not met), "priority", "source"}`` or None)
    that is used. Otherwise the settlement is the nearest settlement point of the cycle's territory (within
    :data:`RSS_MAX_DISTANCE_KM`), its gap is geo's RSS provision computed from entered observations (latest year
    in which it was assessed) and the priority flag says it is among the region's priority settlements. Without
    such data the page says "no data": nothing is estimated here.
    """
    try:
        from geo import services as geo_services
        from geo.models import Settlement
    except ImportError:
        return None
    try:
        finder = getattr(geo_services, "rss_at_point", None)
        if callable(finder):
            found = finder(proposal.lat, proposal.lon)
            if not found or found.get("gap") is None:
                return None
            return {"settlement": found.get("settlement", ""), "gap": round(float(found["gap"]), 1),
                    "priority": bool(found.get("priority")), "source": found.get("source", "")}
        return _rss_from_geo(proposal, geo_services, Settlement)
    except Exception:  # an optional layer must never break the proposal page
        log.exception("RSS lookup failed for proposal %s", proposal.pk)
        return None


def _rss_from_geo(proposal: Proposal, geo_services, Settlement) -> dict | None:
    import math

    cycle = proposal.cycle
    qs = Settlement.objects.filter(lat__isnull=False, lon__isnull=False)
    qs = qs.filter(district_id=cycle.district_id) if cycle.district_id else qs.filter(region_id=cycle.region_id)
    candidates = list(qs.only("pk", "lat", "lon", "name_kk", "name_ru", "name_en"))
    if not candidates:
        return None
    nearest = min(candidates, key=lambda s: _km(proposal.lat, proposal.lon, s.lat, s.lon))
    if _km(proposal.lat, proposal.lon, nearest.lat, nearest.lon) > RSS_MAX_DISTANCE_KM:
        return None
    region_kato = cycle.owner_region.kato
    computed = geo_services.rss_computed(region=region_kato)
    for year in sorted(computed, reverse=True):
        per = computed[year].settlements
        row = per[per["settlement_id"] == nearest.pk]
        if len(row) and row["gap"].notna().iloc[0]:
            gap = float(row["gap"].iloc[0])
            priority = False
            if year == max(computed) and hasattr(geo_services, "priority_list"):
                top, _year = geo_services.priority_list(region_kato)
                priority = len(top) > 0 and nearest.pk in set(top["settlement_id"])
            source = row["source"].iloc[0] if "source" in row and isinstance(row["source"].iloc[0], str) else ""
            return {"settlement": nearest.name, "gap": round(gap, 1) if math.isfinite(gap) else None,
                    "priority": priority, "source": f"{source} ({year})".strip()}
    return None


# --------------------------------------------------------------------------------------------------- proposals

ATTACHMENT_SIGNATURES = {
    Attachment.Kind.JPG: (b"\xff\xd8\xff",),
    Attachment.Kind.PNG: (b"\x89PNG\r\n\x1a\n",),
    Attachment.Kind.PDF: (b"%PDF-",),
}
ATTACHMENT_EXTENSIONS = {"jpg": Attachment.Kind.JPG, "jpeg": Attachment.Kind.JPG, "png": Attachment.Kind.PNG,
                         "pdf": Attachment.Kind.PDF}


def attachment_kind(upload) -> str:
    """jpg/png/pdf by extension *and* content; at most 5 MB. Raises ValidationError otherwise."""
    name = getattr(upload, "name", "") or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = ATTACHMENT_EXTENSIONS.get(ext)
    if kind is None:
        raise ValidationError(_("Only JPG, PNG and PDF files can be attached."), code="attachment_type")
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(_("A file may be at most 5 MB."), code="attachment_size")
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in ATTACHMENT_SIGNATURES[kind]):
        raise ValidationError(
            _("The file %(name)s is not a real %(kind)s file.") % {"name": name[-80:], "kind": kind.upper()},
            code="attachment_content",
        )
    return kind


def submission_problem(cycle: Cycle, user, *, counting_existing: bool = True) -> BudgetError | None:
    """Why ``user`` may not submit a proposal in ``cycle`` now (None if they may)."""
    if cycle.stage() != Stage.SUBMISSION:
        return BudgetError(_("Proposals can only be submitted during the submission stage."), "not_submission")
    profile = resident_of(user)
    if profile is None:
        return BudgetError(_("Sign up as a resident with your IIN to submit a proposal."), "not_resident")
    if age_on(profile.birth_date, timezone.localdate()) < VOTING_AGE:
        return BudgetError(_("Only adult residents (18 or over) may submit proposals."), "under_age")
    if not cycle.covers_district(profile.district):
        return BudgetError(
            _("Only residents registered in %(place)s may submit proposals in this cycle.") % {"place": cycle.owner_name},
            "wrong_district",
        )
    if counting_existing:
        mine = Proposal.objects.filter(cycle=cycle, author=user).count()
        if mine >= cycle.proposals_per_author:
            return BudgetError(
                _("You have already submitted the maximum number of proposals for this cycle (%(n)s).")
                % {"n": cycle.proposals_per_author},
                "author_limit",
            )
    return None


def check_proposal_fields(cycle: Cycle, *, bucket: Bucket, category: str, apartments, cost: int, lat, lon) -> None:
    """Field rules shared by submission and revision; raises BudgetError with the field to mark."""
    if bucket.cycle_id != cycle.pk:
        raise BudgetError(_("Choose a bucket of this cycle."), "bad_bucket", "bucket")
    if not bucket.accepts(category, apartments):
        raise BudgetError(
            _("This bucket does not accept this category or courtyard size."), "bucket_mismatch", "bucket"
        )
    if cost > cycle.cap_tenge:
        raise BudgetError(
            _("The cost %(cost)s ₸ is over the cap of %(cap)s ₸ per project.")
            % {"cost": f"{cost:,}".replace(",", " "), "cap": f"{cycle.cap_tenge:,}".replace(",", " ")},
            "over_cap",
            "estimated_cost",
        )
    if cost > bucket.total_money:
        raise BudgetError(_("The cost is more than all the money of the bucket."), "over_bucket", "estimated_cost")
    check_point_in_area(cycle, lat, lon)


def resolve_co_applicants(usernames: list[str], author) -> list:
    User = get_user_model()
    found = []
    for name in usernames:
        user = User.objects.filter(username__iexact=name).first()
        if user is None or not ResidentProfile.objects.filter(user=user).exists():
            raise BudgetError(
                _("No resident with the user name “%(name)s”.") % {"name": name[:50]}, "unknown_co_applicant",
                "co_applicants",
            )
        if user.pk == author.pk:
            raise BudgetError(_("You are the author; list only other people."), "self_co_applicant", "co_applicants")
        if user not in found:
            found.append(user)
    return found


@dataclass
class ProposalData:
    bucket: Bucket
    title: str
    description: str
    category: str
    address: str
    lat: float
    lon: float
    estimated_cost: int
    apartments: int | None = None


def submit_proposal(
    cycle: Cycle, author, data: ProposalData, *, targets=(), co_applicants=(), files=(), goals=()
) -> Proposal:
    problem = submission_problem(cycle, author)
    if problem:
        raise problem
    check_proposal_fields(
        cycle, bucket=data.bucket, category=data.category, apartments=data.apartments, cost=data.estimated_cost,
        lat=data.lat, lon=data.lon,
    )
    for upload in files:
        attachment_kind(upload)
    with transaction.atomic():
        # Lock the author's row so two parallel submissions cannot both pass the per-author limit.
        get_user_model().objects.select_for_update().filter(pk=author.pk).first()
        if Proposal.objects.filter(cycle=cycle, author=author).count() >= cycle.proposals_per_author:
            raise submission_problem(cycle, author) or BudgetError(_("Limit reached."), "author_limit")
        proposal = Proposal.objects.create(cycle=cycle, author=author, **data.__dict__)
        proposal.sdg_targets.set(targets)
        proposal.sdg_goals.set(goals)
        proposal.co_applicants.set(co_applicants)
        _store_files(proposal, files)
        transaction.on_commit(lambda: tasks.notify.enqueue("proposal_received", proposal.pk))
    return proposal


def _store_files(proposal: Proposal, files) -> None:
    for upload in files:
        kind = attachment_kind(upload)
        Attachment.objects.create(
            proposal=proposal, file=upload, kind=kind, size=upload.size, original_name=(upload.name or "")[-200:]
        )


def edit_problem(proposal: Proposal, user) -> BudgetError | None:
    if not user.is_authenticated or proposal.author_id != user.pk:
        return BudgetError(_("Only the author can edit a proposal."), "not_author")
    stage = proposal.cycle.stage()
    if stage == Stage.SUBMISSION and proposal.status == Proposal.Status.SUBMITTED:
        return None
    if stage == Stage.REVISION and proposal.status in (Proposal.Status.NEEDS_REVISION, Proposal.Status.REVISED):
        return None
    return BudgetError(
        _("This proposal can be edited only during submission, or during the revision window if the experts asked for changes."),
        "not_editable",
    )


def update_proposal(
    proposal: Proposal, user, data: ProposalData, *, targets=(), co_applicants=(), files=(), goals=None
) -> Proposal:
    problem = edit_problem(proposal, user)
    if problem:
        raise problem
    check_proposal_fields(
        proposal.cycle, bucket=data.bucket, category=data.category, apartments=data.apartments,
        cost=data.estimated_cost, lat=data.lat, lon=data.lon,
    )
    for upload in files:
        attachment_kind(upload)
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        for name, value in data.__dict__.items():
            setattr(locked, name, value)
        if locked.status == Proposal.Status.NEEDS_REVISION:
            locked.status = Proposal.Status.REVISED
        locked.save()
        locked.sdg_targets.set(targets)
        if goals is not None:
            locked.sdg_goals.set(goals)
        locked.co_applicants.set(co_applicants)
        _store_files(locked, files)
    return locked


# --------------------------------------------------------------------------------------------------- review

def open_round(proposal: Proposal) -> int | None:
    """Which review round may be recorded for ``proposal`` now (None: no review possible now)."""
    stage = proposal.cycle.stage()
    if proposal.status == Proposal.Status.SUBMITTED and stage in (Stage.SUBMISSION, Stage.REVIEW):
        return 1
    if proposal.status == Proposal.Status.REVISED and stage in (Stage.REVISION, Stage.REREVIEW):
        return 2
    return None


def review_queue(expert):
    """Proposals of the expert's cycles waiting for a decision now, oldest first."""
    cycles = Cycle.objects.filter(experts__expert=expert)
    waiting = []
    for proposal in (
        Proposal.objects.filter(cycle__in=cycles, status__in=[Proposal.Status.SUBMITTED, Proposal.Status.REVISED])
        .select_related("cycle", "bucket")
        .order_by("created_at")
    ):
        if open_round(proposal) is not None and proposal.author_id != expert.pk:
            waiting.append(proposal)
    return waiting


def record_review(
    proposal: Proposal, expert, *, verdicts: dict[str, tuple[bool, str]], decision: str, explanation: str = "",
    adjusted_cost: int | None = None,
) -> Review:
    """Store an expert's checklist and decision; move the proposal on; tell the author."""
    if not is_assigned_expert(expert, proposal.cycle):
        raise BudgetError(_("Only experts assigned to this cycle can review its proposals."), "not_expert")
    if proposal.author_id == expert.pk or proposal.co_applicants.filter(pk=expert.pk).exists():
        raise BudgetError(_("You cannot review your own proposal."), "own_proposal")
    round_ = open_round(proposal)
    if round_ is None:
        raise BudgetError(_("This proposal cannot be reviewed at this stage."), "no_round")
    missing = [c for c in Criterion.values if c not in verdicts]
    if missing:
        raise BudgetError(_("Give a verdict on every criterion."), "criteria_missing")
    for criterion, (passed, reason) in verdicts.items():
        if criterion not in Criterion.values:
            raise BudgetError(_("Unknown criterion."), "bad_criterion")
        if passed and reason != Reason.MEETS:
            raise BudgetError(_("A passed criterion has no failure reason."), "bad_reason", criterion)
        if not passed and reason not in FAIL_REASONS[criterion]:
            raise BudgetError(_("Choose why the criterion is not met."), "reason_required", criterion)
    failed = [c for c, (passed, _r) in verdicts.items() if not passed]
    Decision = Review.Decision
    if decision not in Decision.values:
        raise BudgetError(_("Choose a decision."), "bad_decision", "decision")
    if decision == Decision.ADMITTED and failed:
        raise BudgetError(_("A proposal that fails a criterion cannot be admitted."), "admit_with_failures", "decision")
    if decision != Decision.ADMITTED and not failed:
        raise BudgetError(
            _("To reject or return a proposal, mark the criteria it fails."), "decision_without_failures", "decision"
        )
    if decision == Decision.NEEDS_REVISION and round_ == 2:
        raise BudgetError(
            _("In the second review a proposal is either admitted or rejected."), "second_revision", "decision"
        )
    if decision != Decision.ADMITTED and not (explanation or "").strip():
        raise BudgetError(_("Explain the decision to the author and the public."), "explanation_required", "explanation")
    cycle = proposal.cycle
    cost = adjusted_cost if adjusted_cost is not None else proposal.cost
    if decision == Decision.ADMITTED and cost > cycle.cap_tenge:
        raise BudgetError(_("The cost is over the cap: such a proposal cannot be admitted."), "over_cap", "adjusted_cost")
    if decision == Decision.ADMITTED and cost > proposal.bucket.total_money:
        raise BudgetError(_("The cost is more than all the money of the bucket."), "over_bucket", "adjusted_cost")
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if open_round(locked) != round_:
            raise BudgetError(_("This proposal has just been reviewed by someone else."), "already_reviewed")
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    proposal=locked, expert=expert, round=round_, decision=decision,
                    explanation=(explanation or "").strip(), adjusted_cost=adjusted_cost,
                )
        except IntegrityError:
            raise BudgetError(_("This proposal has just been reviewed by someone else."), "already_reviewed") from None
        CriterionVerdict.objects.bulk_create(
            [CriterionVerdict(review=review, criterion=c, passed=p, reason=r) for c, (p, r) in verdicts.items()]
        )
        if adjusted_cost is not None:
            locked.adjusted_cost = adjusted_cost
        locked.status = {
            Decision.ADMITTED: Proposal.Status.ADMITTED,
            Decision.NEEDS_REVISION: Proposal.Status.NEEDS_REVISION,
            Decision.REJECTED: Proposal.Status.REJECTED,
        }[decision]
        locked.save()
        transaction.on_commit(lambda: tasks.notify.enqueue("review_decision", review.pk))
    proposal.refresh_from_db()
    return review


# --------------------------------------------------------------------------------------------------- voting

def ballot_candidates(bucket: Bucket):
    return bucket.proposals.filter(status=Proposal.Status.ADMITTED).order_by("id")


def check_choices(bucket: Bucket, proposal_ids, *, proposals: list[Proposal] | None = None) -> list[Proposal]:
    """The chosen proposals if they make a valid ballot under the cycle's frozen rule.

    ``proposals``: the Proposal rows of ``proposal_ids`` already read in this request (the ballot form's field);
    they are checked here without reading them again."""
    cycle = bucket.cycle
    ids = []
    for value in proposal_ids:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise BudgetError(_("Unknown project on the ballot."), "unknown_project") from None
    if len(set(ids)) != len(ids):
        raise BudgetError(_("A project can be chosen only once."), "duplicate_choice")
    if not ids:
        raise BudgetError(_("Choose at least one project."), "empty_ballot")
    if proposals is not None and sorted(p.pk for p in proposals) == sorted(ids) and all(
            p.bucket_id == bucket.pk and p.status == Proposal.Status.ADMITTED for p in proposals):
        proposals = list(proposals)
    else:
        proposals = list(ballot_candidates(bucket).filter(pk__in=ids))
    if len(proposals) != len(ids):
        raise BudgetError(_("Only projects admitted to the vote in this bucket can be chosen."), "unknown_project")
    if cycle.ballot_rule == Cycle.BallotRule.APPROVAL and len(ids) > cycle.max_choices:
        raise BudgetError(
            _("You may choose at most %(k)s projects; you chose %(n)s.") % {"k": cycle.max_choices, "n": len(ids)},
            "over_k",
        )
    if cycle.ballot_rule == Cycle.BallotRule.KNAPSACK:
        total = sum(p.cost for p in proposals)
        if total > bucket.total_money:
            raise BudgetError(
                _("The chosen projects cost %(total)s ₸, more than the %(money)s ₸ of this bucket.")
                % {"total": f"{total:,}".replace(",", " "), "money": f"{bucket.total_money:,}".replace(",", " ")},
                "over_money",
            )
    return sorted(proposals, key=lambda p: p.pk)


def _voting_open_or_refuse(cycle: Cycle) -> None:
    if cycle.stage() != Stage.VOTING or cycle.closed_at is not None:
        raise BudgetError(_("Voting is not open: ballots are accepted only during the voting stage."), "not_voting")
    ensure_frozen(cycle)


def _store_ballot(*, bucket, voter_hash, district, channel, actor, proposals, receipt: str = "") -> tuple[Ballot, bool]:
    """Create the ballot, or change it if allowed. The unique constraint settles parallel duplicates."""
    cycle = bucket.cycle
    new_ids = [p.pk for p in proposals]
    # A first ballot (the common case) is inserted at once: three INSERTs in one transaction. The unique
    # constraint (bucket, voter) refuses a second one, also between parallel requests; then the change rules apply.
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(
                cycle=cycle, bucket=bucket, voter_hash=voter_hash, voter_district=district,
                channel=channel, entered_by=actor if channel == Ballot.Channel.PAPER else None, receipt_hash=receipt,
            )
            Ballot.choices.through.objects.bulk_create(
                [Ballot.choices.through(ballot_id=ballot.pk, proposal_id=pk) for pk in new_ids])
            BallotAudit.objects.create(cycle=cycle, bucket=bucket, channel=channel, action=BallotAudit.Action.CREATE,
                                       actor=actor)  # that a vote was cast, by whom and when: never the choices
        return ballot, True
    except IntegrityError:
        pass
    with transaction.atomic():
        existing = Ballot.objects.select_for_update().filter(bucket=bucket, voter_hash=voter_hash).first()
        if existing is None:  # the IntegrityError was not the unique constraint
            raise BudgetError(_("The vote could not be recorded; try again."), "ballot_refused")
        if channel == Ballot.Channel.PAPER or existing.channel == Ballot.Channel.PAPER or not cycle.vote_changeable:
            raise _already_voted(existing, channel)
        existing.choices.set(proposals)
        existing.save(update_fields=["updated_at"])
        BallotAudit.objects.create(cycle=cycle, bucket=bucket, channel=channel, action=BallotAudit.Action.CHANGE,
                                   actor=actor)
        return existing, False


def _already_voted(existing: Ballot | None, channel: str) -> BudgetError:
    if channel == Ballot.Channel.PAPER:
        if existing is not None and existing.channel == Ballot.Channel.ONLINE:
            return BudgetError(
                _("This person has already voted online in this bucket; the paper ballot is refused."), "voted_online"
            )
        return BudgetError(_("A paper ballot of this person has already been entered for this bucket."), "voted_paper")
    if existing is not None and existing.channel == Ballot.Channel.PAPER:
        return BudgetError(
            _("You have already voted on paper in this bucket; a second ballot is not possible."), "voted_paper"
        )
    return BudgetError(_("You have already voted in this bucket; this cycle does not allow changing a vote."), "already_voted")


def voting_problem(cycle: Cycle, profile: ResidentProfile | None) -> BudgetError | None:
    if profile is None:
        return BudgetError(_("Sign up as a resident with your IIN to vote."), "not_resident")
    if cycle.verified_only and profile.verified_at is None:
        return BudgetError(
            _("Only verified residents may vote in this cycle. Have your identity checked by the akimat of your "
              "district (at a service centre, with your ID card) or through an identity provider."), "not_verified"
        )
    return eligibility_problem(cycle, birth_date=profile.birth_date, district=profile.district)


def cast_ballot(bucket: Bucket, user, proposal_ids, *, cycle: Cycle | None = None, profile=None,
                proposals: list[Proposal] | None = None) -> tuple[Ballot, bool]:
    """An eligible resident votes online in ``bucket`` (or changes the vote if the cycle allows it).

    A request that has just read the cycle, the voter's profile and the chosen proposals passes them (``cycle``,
    ``profile``, ``proposals``) so that they are not read again; they are still checked here."""
    if cycle is None or cycle.pk != bucket.cycle_id:
        cycle = Cycle.objects.get(pk=bucket.cycle_id)
    bucket.cycle = cycle
    _voting_open_or_refuse(cycle)
    if profile is None or profile.user_id != user.pk:
        profile = resident_of(user)
    problem = voting_problem(cycle, profile)
    if problem:
        raise problem
    proposals = check_choices(bucket, proposal_ids, proposals=proposals)
    code = new_receipt_code()
    ballot, created = _store_ballot(
        bucket=bucket, voter_hash=ballot_voter_hash(profile.iin_hash, bucket), district=profile.district,
        channel=Ballot.Channel.ONLINE, actor=user, proposals=proposals, receipt=receipt_hash(code),
    )
    # The receipt code is returned once on the ballot object (``ballot.receipt_code``; None on a change).
    ballot.receipt_code = code if created else None
    return ballot, created


# --------------------------------------------------------------------------------------------------- receipts

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read back from a phone
RECEIPT_LENGTH = 12  # 60 bits


def normalize_receipt(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def receipt_hash(code: str) -> str:
    return hashlib.sha256(f"aimaq-receipt:{normalize_receipt(code)}".encode()).hexdigest()


def new_receipt_code() -> str:
    """A random receipt code for an online ballot. Only its hash is stored on the ballot row (with the INSERT): the
    receipt proves that a ballot was recorded (bucket, time) and links to nothing else: no choices, no person."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _i in range(RECEIPT_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def issue_receipt(ballot: Ballot) -> str:
    """A receipt for an existing ballot (stores its hash)."""
    code = new_receipt_code()
    Ballot.objects.filter(pk=ballot.pk).update(receipt_hash=receipt_hash(code))
    ballot.receipt_hash = receipt_hash(code)
    return code


def check_receipt(code: str) -> Ballot | None:
    """The ballot a receipt code belongs to, or None. Callers show only its bucket and times, never its choices."""
    if len(normalize_receipt(code)) != RECEIPT_LENGTH:
        return None
    return (
        Ballot.objects.filter(receipt_hash=receipt_hash(code))
        .select_related("bucket", "cycle__district__region", "cycle__region").first()
    )


def enter_paper_ballot(bucket: Bucket, officer, *, iin: str, district, proposal_ids) -> Ballot:
    """An officer enters one paper ballot, identified by the voter's IIN (hashed, never stored)."""
    cycle = Cycle.objects.get(pk=bucket.cycle_id)
    bucket.cycle = cycle
    if not can_manage(officer, cycle):
        raise BudgetError(_("Only officers of this region can enter paper ballots."), "not_officer")
    _voting_open_or_refuse(cycle)
    try:
        info = decode_iin(iin)
    except ValidationError as exc:
        raise BudgetError(exc.messages[0], "bad_iin", "iin") from None
    problem = eligibility_problem(cycle, birth_date=info.birth_date, district=district)
    if problem:
        raise problem
    proposals = check_choices(bucket, proposal_ids)
    digest = hash_iin(iin)
    profile = ResidentProfile.objects.filter(iin_hash=digest).select_related("district").first()
    ballot, _created = _store_ballot(
        bucket=bucket, voter_hash=ballot_voter_hash(digest, bucket), district=district, channel=Ballot.Channel.PAPER,
        actor=officer, proposals=proposals,
    )
    if profile is not None and profile.verified_at is None and can_edit_region(officer, profile.district.region_id):
        verify_resident(profile, officer, method="paper_ballot")  # the officer has just checked the ID card
    return ballot


def my_ballot(bucket: Bucket, user, *, profile=None) -> Ballot | None:
    if profile is None or profile.user_id != user.pk:
        profile = resident_of(user)
    if profile is None:
        return None
    return Ballot.objects.filter(bucket=bucket, voter_hash=ballot_voter_hash(profile.iin_hash, bucket)).first()


# --------------------------------------------------------------------------------------------------- counting

PB_RULE_NAMES = {"greedy": "greedy", "mes": "equalshares", "mes-add1": "equalshares/add1"}
PB_METHOD = {Ballot.Channel.ONLINE: "internet", Ballot.Channel.PAPER: "paper"}


def pb_project_id(proposal_id: int) -> str:
    """Zero-padded so that the text order used for tie-breaking is the order of submission."""
    return f"{proposal_id:08d}"


def build_election(bucket: Bucket):
    """(Election, proposals, ballots) for one bucket, from the stored ballots."""
    proposals = list(bucket.proposals.filter(
        status__in=[Proposal.Status.ADMITTED, Proposal.Status.WINNER, Proposal.Status.NOT_FUNDED]
    ).order_by("id"))
    projects = {pb_project_id(p.pk): p.cost for p in proposals}
    # in the order of the keyed voter hash: the order of casting (which the audit's times reveal) is not kept
    ballots = list(bucket.ballots.order_by("voter_hash").select_related("voter_district").prefetch_related("choices"))
    votes = []
    for ballot in ballots:
        chosen = {pb_project_id(p.pk): 1 for p in ballot.choices.all()}
        votes.append({pid: 1 for pid in chosen if pid in projects})
    election = counting.Election(budget=bucket.total_money, projects=projects, ballots=votes, vote_type="approval")
    return election, proposals, ballots


def export_pb(cycle: Cycle, bucket: Bucket, election, proposals, ballots, rule: str, tallies: dict, winners) -> str:
    meta = {
        "description": f"{cycle.name_en} — {bucket.name_en}",
        "country": "Kazakhstan",
        "unit": cycle.owner_region.name_en if cycle.region_id else cycle.district.name_en,
        "subunit": bucket.name_en,
        "instance": str(cycle.year),
        "num_projects": str(len(proposals)),
        "num_votes": str(len(ballots)),
        "budget": str(bucket.total_money),
        "vote_type": "approval",
        "rule": PB_RULE_NAMES[rule],
        "date_begin": cycle.voting_start.strftime("%d.%m.%Y"),
        "date_end": cycle.voting_end.strftime("%d.%m.%Y"),
        "currency": "KZT",
        "language": "kk, ru",
    }
    if cycle.ballot_rule == Cycle.BallotRule.APPROVAL:
        meta["max_length"] = str(cycle.max_choices)
    else:
        meta["max_sum_cost"] = str(bucket.total_money)
    winner_set = set(winners)
    projects = [
        {
            "project_id": pb_project_id(p.pk),
            "cost": str(p.cost),
            "votes": str(tallies.get(pb_project_id(p.pk), 0)),
            "name": p.title,
            "category": p.category,
            "latitude": f"{p.lat:.6f}",
            "longitude": f"{p.lon:.6f}",
            "selected": "1" if pb_project_id(p.pk) in winner_set else "0",
        }
        for p in proposals
    ]
    votes = [
        {
            "voter_id": str(index),  # sequential and anonymous: never the IIN hash or a user id
            "vote": ",".join(sorted(election.ballots[index - 1])),
            "voting_method": PB_METHOD[ballot.channel],
        }
        for index, ballot in enumerate(ballots, start=1)
    ]
    return pabulib.write_pb(meta, projects, votes)


def count_bucket(cycle: Cycle, bucket: Bucket, user=None) -> CountResult:
    rule = cycle.counting_rule
    election, proposals, ballots = build_election(bucket)
    winners = counting.count(election, rule)
    tallies = counting.tally(election)
    groups = {i: b.voter_district.kato for i, b in enumerate(ballots)}
    fair = counting.fairness(election, winners, groups)
    fair["by_group"] = {str(k): v for k, v in fair.get("by_group", {}).items()}
    spent = sum(election.projects[w] for w in winners)
    pb_text = export_pb(cycle, bucket, election, proposals, ballots, rule, tallies, winners)
    winner_ids = [int(w) for w in winners]
    result = CountResult.objects.create(
        cycle=cycle, bucket=bucket, rule=rule, budget=bucket.total_money, num_votes=len(ballots),
        winners=winner_ids, tallies={str(int(k)): v for k, v in tallies.items()}, money_spent=spent,
        money_left=bucket.total_money - spent, fairness=fair, pb_text=pb_text, pb_sha256=pabulib.sha256_hex(pb_text),
        created_by=user if user is not None and user.is_authenticated else None,
    )
    by_id = {p.pk: p for p in proposals}
    for pid in winner_ids:
        proposal = by_id[pid]
        proposal.status = Proposal.Status.WINNER
        proposal.save(update_fields=["status", "updated_at"])
        Implementation.objects.get_or_create(proposal=proposal, defaults={"money_planned": proposal.cost})
    for proposal in proposals:
        if proposal.pk not in winner_ids and proposal.status != Proposal.Status.NOT_FUNDED:
            proposal.status = Proposal.Status.NOT_FUNDED
            proposal.save(update_fields=["status", "updated_at"])
    return result


def close_problem(cycle: Cycle) -> BudgetError | None:
    if not cycle.voting_closed:
        return BudgetError(_("Voting has not closed yet; the count starts after the voting stage."), "voting_not_closed")
    return None


def close_cycle(cycle: Cycle, user=None) -> list[CountResult]:
    """Count every bucket with the frozen rule and store the results (idempotent: a counted cycle is kept)."""
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        problem = close_problem(locked)
        if problem:
            raise problem
        ensure_frozen(locked)
        if locked.closed_at is not None:
            return list(locked.results.order_by("bucket_id"))
        results = [count_bucket(locked, bucket, user) for bucket in locked.buckets.order_by("id")]
        now = timezone.now()
        Cycle.objects.filter(pk=locked.pk).update(closed_at=now)
        transaction.on_commit(lambda: tasks.notify.enqueue("results", locked.pk))
    cycle.closed_at = now
    cycle.frozen_at = locked.frozen_at
    return results


def fairness_rows(result: CountResult) -> list[dict]:
    """Fairness by registration district with district names, for the results page."""
    from localization.models import District

    by_group = result.fairness.get("by_group", {}) or {}
    names = {d.kato: d.name for d in District.objects.filter(kato__in=list(by_group))}
    rows = []
    for kato, figures in sorted(by_group.items()):
        rows.append({"kato": kato, "name": names.get(kato, kato), **figures})
    return rows


# --------------------------------------------------------------------------------------------------- notifications

def recipient_language(user) -> str:
    profile = ResidentProfile.objects.filter(user=user).only("language").first()
    return profile.language if profile else settings.LANGUAGE_CODE


def _mail(user, template: str, context: dict) -> None:
    if not user.email:
        return
    with translation.override(recipient_language(user)):
        subject = render_to_string(f"budget/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"budget/email/{template}.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # mail must never break the workflow; the address is not logged
        log.warning("could not send %s notification to user %s", template, user.pk)


def notify_proposal_received(proposal: Proposal) -> None:
    for user in [proposal.author, *proposal.co_applicants.all()]:
        _mail(user, "proposal_received", {"proposal": proposal, "cycle": proposal.cycle})


def notify_review_decision(review: Review) -> None:
    proposal = review.proposal
    for user in [proposal.author, *proposal.co_applicants.all()]:
        _mail(user, "review_decision", {"proposal": proposal, "review": review, "cycle": proposal.cycle})


def notify_results(cycle: Cycle) -> None:
    for proposal in cycle.proposals.filter(
        status__in=[Proposal.Status.WINNER, Proposal.Status.NOT_FUNDED]
    ).select_related("author"):
        for user in [proposal.author, *proposal.co_applicants.all()]:
            _mail(user, "results", {"proposal": proposal, "cycle": cycle})
