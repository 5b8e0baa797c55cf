"""People's Participation Budget (PPB): cycles, buckets, proposals, expert review, ballots, counting, implementation.

Django finds the models through this package, which imports every one of them:

- ``cycles``: categories, stages, :class:`Cycle` (dates, stage, frozen rules), :class:`StageChange`,
  :class:`Bucket` and :class:`Sponsorship`;
- ``residents``: :class:`ResidentProfile` (the IIN only as a keyed hash);
- ``proposals``: :class:`Proposal` and :class:`Attachment`;
- ``reviews``: :class:`ExpertAssignment`, the criteria and reason codes, :class:`Review` and :class:`CriterionVerdict`;
- ``ballots``: :class:`Ballot`, :class:`BallotAudit`, :class:`CountResult` and :class:`CycleCount` (a count on the
  task queue);
- ``implementation``: :class:`Implementation` and :class:`Milestone`.

Migrations refer to ``budget.models.attachment_path`` and ``budget.models.milestone_path``: keep them here.
"""
from .cycles import STAGE_ORDER, Bucket, Category, Cycle, Sponsorship, Stage, StageChange, in_region, stage_index
from .residents import ResidentProfile
from .proposals import MAX_ATTACHMENT_BYTES, Attachment, Proposal, attachment_path
from .reviews import FAIL_REASONS, Criterion, CriterionVerdict, ExpertAssignment, Reason, Review
from .ballots import Ballot, BallotAudit, CountResult, CycleCount
from .implementation import Implementation, Milestone, milestone_path

__all__ = [
    "Attachment",
    "Ballot",
    "BallotAudit",
    "Bucket",
    "Category",
    "CountResult",
    "CycleCount",
    "Criterion",
    "CriterionVerdict",
    "Cycle",
    "ExpertAssignment",
    "FAIL_REASONS",
    "Implementation",
    "MAX_ATTACHMENT_BYTES",
    "Milestone",
    "Proposal",
    "Reason",
    "ResidentProfile",
    "Review",
    "STAGE_ORDER",
    "Sponsorship",
    "Stage",
    "StageChange",
    "attachment_path",
    "milestone_path",
    "in_region",
    "stage_index",
]
