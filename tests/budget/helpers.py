"""Plain helpers for the PPB tests (fixtures are in conftest.py)."""
from budget import services
from budget.demo import schedule
from budget.models import Criterion, Cycle, Reason, Review

ESIL = "711210000"
ASTANA = "710000000"
INSIDE_ESIL = (51.1100, 71.4400)  # Mangilik El avenue, Esil district
INSIDE_ESIL_2 = (51.0890, 71.4160)  # Expo area, Esil district
OUTSIDE_ESIL = (51.1516, 71.4127)  # Central park: Astana, but another district


def move(cycle: Cycle, stage: str) -> Cycle:
    """Shift the cycle's dates so that today falls in ``stage`` (dates are not frozen; the rules are)."""
    Cycle.objects.filter(pk=cycle.pk).update(**schedule(stage))
    cycle.refresh_from_db()
    assert cycle.stage() == stage
    return cycle


def propose(cycle, author, *, title="Playground", cost=10_000_000, point=INSIDE_ESIL, bucket=None,
            category="playgrounds", apartments=None, **kwargs):
    data = services.ProposalData(
        bucket=bucket or cycle.buckets.order_by("id").first(), title=title, description=f"{title}: description",
        category=category, address="Astana, test address", lat=point[0], lon=point[1], estimated_cost=cost,
        apartments=apartments,
    )
    return services.submit_proposal(cycle, author, data, **kwargs)


def en_url(name, *args):
    """A page's URL in English (the language the tests read messages in)."""
    from django.urls import reverse
    from django.utils import translation

    with translation.override("en"):
        return reverse(name, args=args)


def voted_cycle(make_cycle, make_resident, expert_for, *, ballots: int, choice: int):
    """A cycle in voting with three admitted proposals (1, 2, 3 M tenge) and ``ballots`` ballots for proposal
    ``choice``: (cycle, bucket, proposals, voters)."""
    from budget.models import Stage

    cycle = make_cycle()
    expert = expert_for(cycle)
    proposals = [propose(cycle, make_resident(), title=f"Project {i}", cost=(i + 1) * 1_000_000) for i in range(3)]
    move(cycle, Stage.REVIEW)
    for p in proposals:
        admit(p, expert)
    move(cycle, Stage.VOTING)
    bucket = cycle.buckets.get()
    voters = [make_resident() for _ in range(ballots)]
    for voter in voters:
        services.cast_ballot(bucket, voter, [proposals[choice].pk])
    return cycle, bucket, proposals, voters


def all_pass():
    return {c: (True, Reason.MEETS) for c in Criterion.values}


def admit(proposal, expert, **kwargs):
    return services.record_review(proposal, expert, verdicts=all_pass(), decision=Review.Decision.ADMITTED, **kwargs)


def valid_iin(birth, sex="M", serial=1):
    from budget.core.iin import make_valid_iin

    return make_valid_iin(birth, sex, serial)
