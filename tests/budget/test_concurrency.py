"""Parallel voting on PostgreSQL: the database, not luck, guarantees one ballot per person and bucket.

Transactional tests end with a flush of every table, which also removes the reference data loaded once per
session: it is loaded again before each test here and after the module. On SQLite the module is skipped before
any database is touched (a module-scoped fixture runs before pytest-django's per-test database fixture).
"""
import datetime as dt
import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from budget import services
from budget.models import Ballot, BallotAudit, CountResult, ResidentProfile, Stage
from tests.budget.helpers import admit, move, propose, valid_iin
from tests.conftest import require

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _ensure_reference():
    from localization.models import Region

    if not Region.objects.exists():
        call_command("load_reference", verbosity=0, stdout=open(os.devnull, "w"))


@pytest.fixture(scope="module", autouse=True)
def postgres_only(django_db_setup, django_db_blocker):
    require(connection.vendor == "postgresql", "needs PostgreSQL")
    yield
    with django_db_blocker.unblock():
        _ensure_reference()


@pytest.fixture(autouse=True)
def reference_data(db):
    _ensure_reference()


@pytest.fixture
def open_vote(make_cycle, make_resident, expert_for):
    cycle = make_cycle(max_choices=2)
    expert = expert_for(cycle)
    proposals = [propose(cycle, make_resident(), title=f"P{i}", cost=2_000_000 + i) for i in range(3)]
    move(cycle, Stage.REVIEW)
    for p in proposals:
        admit(p, expert)
    move(cycle, Stage.VOTING)
    return cycle, cycle.buckets.get(), proposals


def _run_in_threads(n_threads, jobs):
    """Run the jobs on ``n_threads`` threads, each with its own connection, all starting together."""
    barrier = threading.Barrier(n_threads)
    outcomes = []
    lock = threading.Lock()

    def worker(chunk):
        try:
            barrier.wait()
            for job in chunk:
                try:
                    job()
                    outcome = "ok"
                except services.BudgetError as error:
                    outcome = error.code
                with lock:
                    outcomes.append(outcome)
        finally:
            connection.close()

    chunks = [jobs[i::n_threads] for i in range(n_threads)]
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        list(pool.map(worker, chunks))
    return Counter(outcomes)


def test_fifty_parallel_attempts_by_one_resident_create_one_ballot(open_vote, make_resident):
    cycle, bucket, proposals = open_vote
    voter = make_resident()
    jobs = [lambda i=i: services.cast_ballot(bucket, voter, [proposals[i % 3].pk]) for i in range(50)]
    outcomes = _run_in_threads(50, jobs)
    assert outcomes == Counter({"ok": 1, "already_voted": 49})
    assert Ballot.objects.filter(bucket=bucket, voter_hash=services.ballot_voter_hash(voter.resident.iin_hash, bucket)).count() == 1
    assert BallotAudit.objects.filter(bucket=bucket).count() == 1


def _free_connections(limit: int) -> int:
    """How many more connections the PostgreSQL server accepts now (less a margin), at most ``limit``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
                       " - (SELECT count(*) FROM pg_stat_activity)")
        free = cursor.fetchone()[0]
    return max(2, min(limit, free - 5))


def test_five_hundred_parallel_voters(open_vote, esil):
    """500 distinct voters, as many at once as the server takes connections (100 by default: about 90 threads)."""
    cycle, bucket, proposals = open_vote
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"pg-voter-{i}", role="resident") for i in range(500)])
    ResidentProfile.objects.bulk_create([
        ResidentProfile(
            user=user, iin_hash=services.hash_iin(valid_iin(dt.date(1980, 1, 1) + dt.timedelta(days=i), "M", 10 + i)),
            birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=i), sex="M", district=esil,
            verified_at=timezone.now(), verification_method="in_person",  # cycles require verified residents
        )
        for i, user in enumerate(users)
    ])
    picks = {user.pk: [proposals[i % 3].pk] + ([proposals[(i + 1) % 3].pk] if i % 4 == 0 else [])
             for i, user in enumerate(users)}
    jobs = [lambda u=user: services.cast_ballot(bucket, u, picks[u.pk]) for user in users]
    threads = _free_connections(500)
    assert threads >= 50  # a real crowd, not a queue
    outcomes = _run_in_threads(threads, jobs)
    assert outcomes == Counter({"ok": 500})
    assert Ballot.objects.filter(bucket=bucket).count() == 500

    expected = Counter(pid for chosen in picks.values() for pid in chosen)
    move(cycle, Stage.COUNTING)
    services.close_cycle(cycle)
    result = CountResult.objects.get(bucket=bucket)
    assert result.num_votes == 500
    assert result.tallies == {str(pid): expected[pid] for pid in (p.pk for p in proposals)}
