"""Proposals: attachments, who may submit or edit, the field rules, submission and revision."""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import tasks
from ..models import MAX_ATTACHMENT_BYTES, Attachment, Bucket, Cycle, Proposal, ResidentProfile, Stage
from .common import VOTING_AGE, BudgetError
from .geography import check_point_in_area
from .residents import age_on, resident_of

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
