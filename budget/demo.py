"""Demo data for the PPB: one cycle for Esil district of Astana, clearly labelled "Demo".

Everything here is invented for demonstration and says so in its name: the money, the proposals, the people.
Only the territory (Esil district, its boundary) and the MRP values (set by the annual republican budget laws)
are real. Idempotent: objects are found by natural keys (names, user names) and created only if missing.
"""
from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from localization.models import District, Target

from .services import ballot_voter_hash, hash_iin
from .models import (
    Ballot,
    BallotAudit,
    Bucket,
    Category,
    Criterion,
    CriterionVerdict,
    Cycle,
    ExpertAssignment,
    Proposal,
    Reason,
    ResidentProfile,
    Review,
    Stage,
)

ESIL_KATO = "711210000"  # Esil district, Astana
DEMO_NAME_EN = "Demo: People's Participation Budget — Esil district, Astana"

#: MRP (monthly calculation index) in tenge, from the laws on the republican budget.
MRP_BY_YEAR = {2024: 3692, 2025: 3932, 2026: 4325}

#: Offsets in days from the opening of submissions; see :func:`schedule`.
OFFSETS = {
    "submission_start": 0, "submission_end": 29, "review_end": 44, "revision_end": 51, "rereview_end": 58,
    "voting_start": 62, "voting_end": 75, "results_date": 82, "implementation_start": 120,
}
#: A day (offset) inside each stage with the offsets above.
DAY_IN_STAGE = {
    Stage.ANNOUNCED: -10, Stage.SUBMISSION: 10, Stage.REVIEW: 35, Stage.REVISION: 48, Stage.REREVIEW: 55,
    Stage.AWAITING_VOTE: 60, Stage.VOTING: 65, Stage.COUNTING: 78, Stage.RESULTS: 90, Stage.IMPLEMENTATION: 130,
}


def schedule(stage: str, today: dt.date | None = None) -> dict[str, dt.date]:
    """Stage dates (a 4-month calendar like Almaty's) placed so that ``today`` falls in ``stage``."""
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=DAY_IN_STAGE[stage])
    return {name: start + dt.timedelta(days=offset) for name, offset in OFFSETS.items()}


PROPOSALS = [
    # (title, category, address, lat, lon, apartments, cost, bucket index, decision, failed criterion/reason)
    ("[Demo] Playground renewal in a courtyard", Category.PLAYGROUNDS, "Demo address: courtyard near Mangilik El avenue",
     51.1100, 71.4400, 64, 38_000_000, 0, "admitted", None),
    ("[Demo] Ramps and a repaired sidewalk at courtyard entrances", Category.SIDEWALKS,
     "Demo address: courtyard near the Expo area", 51.0890, 71.4160, 80, 21_500_000, 0, "admitted", None),
    ("[Demo] Greening a courtyard: trees, lawn and drip irrigation", Category.GREENING,
     "Demo address: courtyard near the Ak Orda area", 51.1257, 71.4466, 96, 17_800_000, 0, "admitted", None),
    ("[Demo] Street workout ground for a large courtyard", Category.SPORTS,
     "Demo address: courtyard near Nurzhol boulevard", 51.1283, 71.4305, 240, 44_000_000, 1, "admitted", None),
    ("[Demo] Benches, bins and lighting along a walking path", Category.EQUIPMENT,
     "Demo address: walking path in a large residential block", 51.1000, 71.4200, 310, 29_000_000, 1, "admitted",
     None),
    ("[Demo] Parking lot in front of a private shop", Category.OTHER, "Demo address: private plot",
     51.0950, 71.4500, 150, 25_000_000, 1, "rejected", (Criterion.COMMON_USE, Reason.PRIVATE_BENEFIT)),
]


def _user(username: str, role: str, stdout, **extra):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    password = secrets.token_urlsafe(9)
    user = User.objects.create_user(username=username, password=password, role=role, **extra)
    stdout.write(f"  demo user {username} ({role}), password: {password}")
    return user, True


@transaction.atomic
def load_demo(stdout) -> None:
    district = District.objects.filter(kato=ESIL_KATO).select_related("region").first()
    if district is None:
        stdout.write("budget demo: Esil district is not loaded; run load_reference first.")
        return
    cycle = Cycle.objects.filter(name_en=DEMO_NAME_EN, district=district).first()
    if cycle is not None:
        stdout.write(f"budget demo: the demo cycle already exists (#{cycle.pk}); nothing to change.")
        return

    dates = schedule(Stage.VOTING)
    year = dates["voting_start"].year
    mrp = MRP_BY_YEAR.get(year, MRP_BY_YEAR[max(MRP_BY_YEAR)])
    # Set the cycle up as if voting had not opened yet (buckets and reviews come first), then move the dates.
    setup_dates = schedule(Stage.REREVIEW)
    cycle = Cycle(
        name_kk="Демо: Халық қатысатын бюджет — Есіл ауданы, Астана",
        name_ru="Демо: Бюджет народного участия — Есильский район, Астана",
        name_en=DEMO_NAME_EN,
        district=district, year=year, mrp=mrp, total_money=300_000_000,
        cap_unit=Cycle.CapUnit.MRP, cap_amount=15_000,
        ballot_rule=Cycle.BallotRule.APPROVAL, max_choices=2, vote_changeable=True,
        counting_rule=Cycle.CountingRule.MES_ADD1, **setup_dates,
    )
    cycle.full_clean()
    cycle.save()
    buckets = [
        Bucket.objects.create(
            cycle=cycle, name_kk="Демо: 100 пәтерге дейінгі аулалар", name_ru="Демо: дворы до 100 квартир",
            name_en="Demo: courtyards up to 100 apartments", max_apartments=100, money=120_000_000,
        ),
        Bucket.objects.create(
            cycle=cycle, name_kk="Демо: 100 пәтерден асатын аулалар", name_ru="Демо: дворы более 100 квартир",
            name_en="Demo: courtyards over 100 apartments", min_apartments=101, money=180_000_000,
        ),
    ]
    officer, _ = _user("demo-akimat", "akimat", stdout, region=district.region, district=district, is_staff=True)
    experts = [_user(f"demo-expert-{i}", "expert", stdout)[0] for i in (1, 2)]
    for expert in experts:
        ExpertAssignment.objects.get_or_create(cycle=cycle, expert=expert)
    residents = []
    for i in range(1, 7):
        user, created = _user(f"demo-resident-{i}", "resident", stdout)
        if created or not ResidentProfile.objects.filter(user=user).exists():
            birth = dt.date(1960 + 6 * i, 1 + i, 3 * i)
            sex = "M" if i % 2 else "F"
            from .core.iin import make_valid_iin

            iin = make_valid_iin(birth, sex, 1000 + i)
            ResidentProfile.objects.create(
                user=user, iin_hash=hash_iin(iin), birth_date=birth, sex=sex, district=district,
                full_name=f"Demo Resident {i}", verified_by=officer, verified_at=timezone.now(),
                verification_method="in_person",  # demo residents: verified in person by the demo officer
            )
        residents.append(user)

    targets = {t.code: t for t in Target.objects.filter(code__in=["11.7", "3.4", "11.3", "15.1"])}
    proposals = []
    for n, (title, category, address, lat, lon, apartments, cost, b, decision, failed) in enumerate(PROPOSALS):
        proposal = Proposal.objects.create(
            cycle=cycle, bucket=buckets[b], author=residents[n % len(residents)], title=title,
            description="This is a demonstration proposal with invented figures, not a real application.",
            category=category, address=address, lat=lat, lon=lon, apartments=apartments, estimated_cost=cost,
            status=Proposal.Status.ADMITTED if decision == "admitted" else Proposal.Status.REJECTED,
        )
        proposal.sdg_targets.set([t for code, t in targets.items() if code in ("11.7", "3.4")][:2])
        review = Review.objects.create(
            proposal=proposal, expert=experts[n % 2], round=1, decision=decision,
            explanation="" if decision == "admitted" else "Demo: the object would serve a private business.",
        )
        CriterionVerdict.objects.bulk_create([
            CriterionVerdict(
                review=review, criterion=c, passed=not (failed and failed[0] == c),
                reason=failed[1] if failed and failed[0] == c else Reason.MEETS,
            )
            for c in Criterion.values
        ])
        proposals.append(proposal)

    Cycle.objects.filter(pk=cycle.pk).update(**dates)  # voting opens
    cycle.refresh_from_db()
    Cycle.objects.filter(pk=cycle.pk).update(frozen_at=timezone.now())
    # Three demo residents have voted already (tallies stay hidden until voting closes).
    for resident, picks in zip(residents[:3], [[0, 1], [1, 2], [0]]):
        profile = resident.resident
        ballot = Ballot.objects.create(
            cycle=cycle, bucket=buckets[0], voter_hash=ballot_voter_hash(profile.iin_hash, buckets[0]),
            voter_district=district, channel=Ballot.Channel.ONLINE,
        )
        ballot.choices.set([proposals[i] for i in picks])
        BallotAudit.objects.create(cycle=cycle, bucket=buckets[0], action="create", actor=resident)
    stdout.write(f"budget demo: created the demo cycle #{cycle.pk} for Esil district (voting open).")

