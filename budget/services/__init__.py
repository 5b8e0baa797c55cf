"""The PPB workflow as plain functions: views, forms, admin and commands call these; numbers come from budget.core.

Every function that changes several rows runs in one transaction. Ballots are protected against parallel
duplicates by the database (``UNIQUE(bucket, voter_hash)``) plus a row lock on an existing ballot when it is
changed, so concurrent requests on PostgreSQL cannot create two ballots for one person.

Errors meant for the user are raised as :class:`BudgetError` with a translated message (never echoing an IIN).

Where things live (a module imports only the ones above it; callers keep ``from budget import services``):

- ``common``: :class:`BudgetError`, the voting age, ``can_manage`` and ``is_assigned_expert``;
- ``residents``: IIN decoding and keyed hashing, per-bucket voter hashes, sign-up, verification, eligibility;
- ``cycles``: the default bucket, freezing the rules, manual stage changes;
- ``geography``: the pin inside the cycle's territory, the settlement's RSS gap;
- ``proposals``: attachments, submission and revision;
- ``reviews``: review rounds, the expert's queue, recording a review;
- ``voting``: ballot choices, online and paper ballots, receipts;
- ``counting``: counting a closed cycle, the pabulib file, fairness rows;
- ``notifications``: e-mails to authors (sent by the task queue).
"""
from .common import (
    VOTING_AGE,
    BudgetError,
    can_manage,
    is_assigned_expert,
)
from .residents import (
    IIN_MESSAGES,
    VERIFICATION_METHODS,
    age_on,
    ballot_voter_hash,
    ballots_of,
    decode_iin,
    eligibility_day,
    eligibility_problem,
    hash_iin,
    normalize_iin,
    register_resident,
    resident_of,
    sex_code,
    verify_resident,
    verify_with_provider,
)
from .cycles import (
    ensure_default_bucket,
    ensure_frozen,
    set_stage,
)
from .geography import (
    RSS_MAX_DISTANCE_KM,
    area_boundary,
    check_point_in_area,
    settlement_context,
)
from .proposals import (
    ATTACHMENT_EXTENSIONS,
    ATTACHMENT_SIGNATURES,
    ProposalData,
    attachment_kind,
    check_proposal_fields,
    edit_problem,
    resolve_co_applicants,
    submission_problem,
    submit_proposal,
    update_proposal,
)
from .reviews import (
    open_round,
    record_review,
    review_queue,
)
from .voting import (
    RECEIPT_ALPHABET,
    RECEIPT_LENGTH,
    admitted_choices_with_bucket,
    ballot_candidates,
    cast_ballot,
    check_choices,
    check_receipt,
    choice_ids,
    enter_paper_ballot,
    my_ballot,
    new_receipt_code,
    normalize_receipt,
    receipt_hash,
    voting_problem,
)
from .counting import (
    PB_METHOD,
    PB_RULE_NAMES,
    build_election,
    close_cycle,
    close_problem,
    count_bucket,
    count_job,
    export_pb,
    fairness_rows,
    pb_project_id,
    start_count,
)
from .notifications import (
    notify_proposal_received,
    notify_results,
    notify_review_decision,
    recipient_language,
)

__all__ = [
    "ATTACHMENT_EXTENSIONS",
    "ATTACHMENT_SIGNATURES",
    "BudgetError",
    "IIN_MESSAGES",
    "PB_METHOD",
    "PB_RULE_NAMES",
    "ProposalData",
    "RECEIPT_ALPHABET",
    "RECEIPT_LENGTH",
    "RSS_MAX_DISTANCE_KM",
    "VERIFICATION_METHODS",
    "VOTING_AGE",
    "age_on",
    "admitted_choices_with_bucket",
    "area_boundary",
    "attachment_kind",
    "ballot_candidates",
    "ballot_voter_hash",
    "ballots_of",
    "build_election",
    "can_manage",
    "cast_ballot",
    "check_choices",
    "check_point_in_area",
    "check_proposal_fields",
    "check_receipt",
    "choice_ids",
    "close_cycle",
    "close_problem",
    "count_bucket",
    "count_job",
    "decode_iin",
    "edit_problem",
    "eligibility_day",
    "eligibility_problem",
    "ensure_default_bucket",
    "ensure_frozen",
    "enter_paper_ballot",
    "export_pb",
    "fairness_rows",
    "hash_iin",
    "is_assigned_expert",
    "my_ballot",
    "new_receipt_code",
    "normalize_iin",
    "normalize_receipt",
    "notify_proposal_received",
    "notify_results",
    "notify_review_decision",
    "open_round",
    "pb_project_id",
    "receipt_hash",
    "recipient_language",
    "record_review",
    "register_resident",
    "resident_of",
    "resolve_co_applicants",
    "review_queue",
    "set_stage",
    "start_count",
    "settlement_context",
    "sex_code",
    "submission_problem",
    "submit_proposal",
    "update_proposal",
    "verify_resident",
    "verify_with_provider",
    "voting_problem",
]
