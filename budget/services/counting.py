"""Closing a cycle: the count of every bucket with the frozen rule, the pabulib file and the fairness figures."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.lazy import lazy

from .. import tasks
from ..models import Ballot, Bucket, CountResult, Cycle, CycleCount, Implementation, Proposal
from .common import BudgetError
from .cycles import ensure_frozen

# numpy (counting) is imported when a cycle is counted or exported, not at start-up
counting, pabulib = lazy("budget.core.counting"), lazy("budget.core.pabulib")

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


def close_cycle(cycle: Cycle, user=None, progress=None) -> list[CountResult]:
    """Count every bucket with the frozen rule and store the results (idempotent: a counted cycle is kept).
    ``progress(done)`` is called after each bucket (the job's progress counter)."""
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        problem = close_problem(locked)
        if problem:
            raise problem
        ensure_frozen(locked)
        if locked.closed_at is not None:
            return list(locked.results.order_by("bucket_id"))
        results = []
        for bucket in locked.buckets.order_by("id"):
            results.append(count_bucket(locked, bucket, user))
            if progress is not None:
                progress(len(results))
        now = timezone.now()
        Cycle.objects.filter(pk=locked.pk).update(closed_at=now)
        transaction.on_commit(lambda: tasks.notify.enqueue("results", locked.pk))
    cycle.closed_at = now
    cycle.frozen_at = locked.frozen_at
    return results


def start_count(cycle: Cycle, user=None) -> CycleCount:
    """Queue the count of ``cycle`` for a worker (never in the web request) and return its job row, whose page
    polls the progress. Refused at once (BudgetError) before the voting has closed; a count already queued or
    running for the cycle is returned instead of a second one."""
    from geo.services import expire_stale, run_job

    problem = close_problem(cycle)
    if problem:
        raise problem
    for job in cycle.counts.filter(finished_at__isnull=True):
        expire_stale(job)  # a job whose worker is gone is failed here, and a new one may start
        if not job.finished:
            return job
    job = CycleCount.objects.create(cycle=cycle, user=user if user is not None and user.is_authenticated else None,
                                    total=cycle.buckets.count())
    run_job(job, count_job)
    job.refresh_from_db()
    return job


def count_job(job: CycleCount) -> None:
    """The body of a count on the task queue (in one transaction: a worker killed mid-count leaves no result)."""
    from jobs.runner import update_row

    update_row(job, message=gettext_noop("Counting the votes"))
    close_cycle(job.cycle, job.user, progress=lambda done: update_row(job, done=done))
    update_row(job, done=job.total)


def fairness_rows(result: CountResult) -> list[dict]:
    """Fairness by registration district with district names, for the results page."""
    from localization.models import District

    by_group = result.fairness.get("by_group", {}) or {}
    names = {d.kato: d.name for d in District.objects.filter(kato__in=list(by_group))}
    rows = []
    for kato, figures in sorted(by_group.items()):
        rows.append({"kato": kato, "name": names.get(kato, kato), **figures})
    return rows
