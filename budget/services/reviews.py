"""Expert review: which round is open, an expert's queue, and recording a checklist with its decision."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import tasks
from ..models import FAIL_REASONS, Criterion, CriterionVerdict, Cycle, Proposal, Reason, Review, Stage
from .common import BudgetError, is_assigned_expert

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
