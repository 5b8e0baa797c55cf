"""Voting: valid choices, online and paper ballots (one per voter and bucket), receipts and one's own ballot.

Ballots are protected against parallel duplicates by the database (``UNIQUE(bucket, voter_hash)``) plus a row
lock on an existing ballot when it is changed, so concurrent requests on PostgreSQL cannot create two ballots for
one person.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from localization.permissions import can_edit_region

from ..models import Ballot, BallotAudit, Bucket, Cycle, Proposal, ResidentProfile, Stage
from .common import BudgetError, can_manage
from .cycles import ensure_frozen
from .residents import (
    ballot_voter_hash,
    decode_iin,
    eligibility_problem,
    hash_iin,
    resident_of,
    verify_resident,
)

def ballot_candidates(bucket: Bucket):
    return bucket.proposals.filter(status=Proposal.Status.ADMITTED).order_by("id")


def choice_ids(values) -> set[int] | None:
    """The proposal ids a ballot form submitted (whole numbers in the id column's range), or None if any value is
    not one."""
    ids = set()
    for raw in values:
        try:
            pk = int(str(raw).strip())
        except (TypeError, ValueError):
            return None
        if not 0 < pk < 2 ** 63:
            return None
        ids.add(pk)
    return ids


def admitted_choices_with_bucket(bucket_pk, values) -> list[Proposal] | None:
    """The proposals a ballot POST chose, read in one query with their bucket and its cycle (the vote's only other
    read), when every value names a proposal admitted to the vote in bucket ``bucket_pk``; else None: the caller
    reads the bucket itself and the ballot form says what is wrong."""
    ids = choice_ids(values)
    if not ids:
        return None
    chosen = list(Proposal.objects.filter(bucket_id=bucket_pk, status=Proposal.Status.ADMITTED, pk__in=ids)
                  .select_related("bucket__cycle").order_by("id"))
    if len(chosen) != len(ids):
        return None
    for p in chosen[1:]:
        p.bucket = chosen[0].bucket  # one bucket (and cycle) object for the request
    return chosen


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
    # A first ballot (the common case) is inserted at once, with its choices and audit entry (_insert_ballot). The
    # unique constraint (bucket, voter) refuses a second one, also between parallel requests; then the change rules
    # apply.
    ballot = Ballot(cycle=cycle, bucket=bucket, voter_hash=voter_hash, voter_district=district, channel=channel,
                    entered_by=actor if channel == Ballot.Channel.PAPER else None, receipt_hash=receipt)
    # that a vote was cast, by whom and when: never the choices
    audit = BallotAudit(cycle=cycle, bucket=bucket, channel=channel, action=BallotAudit.Action.CREATE, actor=actor)
    try:
        _insert_ballot(ballot, new_ids, audit)
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


def _insert_ballot(ballot: Ballot, proposal_ids: list[int], audit: BallotAudit) -> None:
    """Insert a new ballot, its choices and its audit entry, all or nothing; both objects get their primary keys.

    On PostgreSQL this is one statement (INSERTs in data-modifying CTEs: atomic on its own, one round trip, no
    ORM per row; it is a ballot's whole cost in the database and most of a vote's time, bench_ballot_insert.py).
    Elsewhere (SQLite) the ORM writes the three in a transaction. Both write the same columns, with the values the
    models' own fields prepare (``auto_now_add`` included); an IntegrityError leaves nothing behind."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            ballot.save(force_insert=True)
            Ballot.choices.through.objects.bulk_create(
                [Ballot.choices.through(ballot_id=ballot.pk, proposal_id=pk) for pk in proposal_ids])
            audit.save(force_insert=True)
        return
    params = [*_insert_values(ballot), list(proposal_ids), *_insert_values(audit)]
    # One statement is its own transaction; inside a caller's transaction a savepoint keeps a refusal local.
    with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
        with connection.cursor() as cursor:
            cursor.execute(_pg_ballot_sql(), params)
            ballot.pk, audit.pk = cursor.fetchone()
    for obj in (ballot, audit):
        obj._state.adding, obj._state.db = False, connection.alias


@functools.cache
def _insert_fields(model) -> tuple:
    """The fields an INSERT of ``model`` writes (all concrete ones but the primary key)."""
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


def _insert_values(obj) -> list:
    """The database values of an INSERT of ``obj``, prepared by its fields as ``save()`` would."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in _insert_fields(type(obj))]


@functools.cache
def _pg_ballot_sql() -> str:
    q = connection.ops.quote_name
    through = Ballot.choices.through._meta

    def insert(model) -> str:
        fields = _insert_fields(model)
        return (f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
                f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {q(model._meta.pk.column)} AS id")

    return (f"WITH b AS ({insert(Ballot)}), "
            f"c AS (INSERT INTO {q(through.db_table)} ({q(through.get_field('ballot').column)}, "
            f"{q(through.get_field('proposal').column)}) SELECT b.id, p FROM b, unnest(%s::bigint[]) AS p), "
            f"a AS ({insert(BallotAudit)}) "
            f"SELECT b.id, a.id FROM b, a")


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
