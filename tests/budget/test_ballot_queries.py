"""The cost of a vote: a ballot POST runs at most 8 SQL queries and redirects (the page is rendered once, by the
GET that follows). bench/bench_ballot_insert.py measures the rates."""
import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from budget.models import Ballot, BallotAudit, Stage
from tests.budget.helpers import admit, move, propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_vote(make_cycle, make_resident, expert_for, request):
    cycle = make_cycle(max_choices=2, vote_changeable=getattr(request, "param", False))
    expert = expert_for(cycle)
    proposals = [propose(cycle, make_resident(), title=f"P{i}", cost=2_000_000 + i) for i in range(3)]
    move(cycle, Stage.REVIEW)
    for p in proposals:
        admit(p, expert)
    move(cycle, Stage.VOTING)
    return cycle, cycle.buckets.get(), proposals


def _statements(ctx) -> list[str]:
    """The SQL statements of a request. The test runs inside a transaction, so the request's own transaction
    shows as SAVEPOINT/RELEASE; outside tests it is BEGIN/COMMIT on the connection, which is not a query."""
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_a_ballot_post_costs_at_most_8_queries(client, open_vote, make_resident, django_assert_max_num_queries):
    cycle, bucket, proposals = open_vote
    voter = make_resident()
    client.force_login(voter)
    url = reverse("budget:ballot", args=[bucket.pk])
    client.get(url)  # the session exists, as for a resident who opened the ballot
    with django_assert_max_num_queries(10) as ctx:  # 8 statements + the transaction's SAVEPOINT and RELEASE
        response = client.post(url, {"choices": [proposals[0].pk, proposals[2].pk]})
    statements = _statements(ctx)
    assert len(statements) <= 8, "\n".join(statements)
    # (the session), the user with the resident profile, the chosen proposals with their bucket and cycle, then the
    # ballot, its choices and its audit entry: one statement on PostgreSQL, three INSERTs elsewhere
    kinds = [s.split()[0] for s in statements]
    assert kinds.count("SELECT") == 2 + settings.SESSION_ENGINE.endswith(".db"), "\n".join(statements)
    if connection.vendor == "postgresql":
        assert kinds[-1] == "WITH" and statements[-1].count("INSERT INTO") == 3
    else:
        assert kinds[-3:] == ["INSERT"] * 3
    assert response.status_code == 302 and response["Location"] == url
    ballot = Ballot.objects.get(bucket=bucket)
    assert sorted(ballot.choices.values_list("pk", flat=True)) == [proposals[0].pk, proposals[2].pk]


def test_a_refused_ballot_changes_nothing_and_shows_the_error(client, open_vote, make_resident):
    cycle, bucket, proposals = open_vote
    client.force_login(make_resident())
    url = reverse("budget:ballot", args=[bucket.pk])
    response = client.post(url, {"choices": [p.pk for p in proposals]})  # 3 > max_choices 2
    assert response.status_code == 200 and not Ballot.objects.exists()
    # the service refused them; the form names the rule once, on its field
    assert response.context["form"].errors == {"choices": ["Ең көбі 2 жобаны таңдауға болады; сіз 3 жобаны таңдадыңыз."]}


def test_a_second_vote_where_votes_cannot_change_is_refused_once_on_the_form(client, open_vote, make_resident):
    cycle, bucket, proposals = open_vote
    client.force_login(make_resident())
    url = reverse("budget:ballot", args=[bucket.pk])
    assert client.post(url, {"choices": [proposals[0].pk]}).status_code == 302
    response = client.post(url, {"choices": [proposals[1].pk]})
    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": [
        "Сіз осы бюджет бөлімінде дауыс беріп қойдыңыз; бұл циклде дауысты өзгертуге болмайды."]}
    assert list(Ballot.objects.get().choices.values_list("pk", flat=True)) == [proposals[0].pk]


@pytest.mark.parametrize("open_vote", [True], indirect=True)
def test_a_changed_vote_keeps_one_ballot_and_audits_the_change(client, open_vote, make_resident):
    cycle, bucket, proposals = open_vote
    client.force_login(make_resident())
    url = reverse("budget:ballot", args=[bucket.pk])
    assert client.post(url, {"choices": [proposals[0].pk]}).status_code == 302
    assert client.post(url, {"choices": [proposals[1].pk]}).status_code == 302
    ballot = Ballot.objects.get(bucket=bucket)
    assert list(ballot.choices.values_list("pk", flat=True)) == [proposals[1].pk]
    assert list(BallotAudit.objects.filter(bucket=bucket).values_list("action", flat=True).order_by("pk")) == [
        "create", "change"]


def test_a_second_ballot_refused_by_the_database_leaves_nothing_behind(open_vote, make_resident):
    """The unique (bucket, voter) constraint refuses the ballot's INSERT: its choices and audit entry are not
    written either (one statement on PostgreSQL, one transaction elsewhere), and the caller's transaction goes on."""
    from django.db import transaction

    from budget import services

    cycle, bucket, proposals = open_vote
    voter = make_resident()
    ballot, created = services.cast_ballot(bucket, voter, [proposals[0].pk])
    assert created and ballot.pk and sorted(ballot.choices.values_list("pk", flat=True)) == [proposals[0].pk]
    stored = Ballot.objects.get()
    assert (stored.cycle_id, stored.bucket_id, stored.channel, stored.entered_by_id) == (
        cycle.pk, bucket.pk, "online", None)
    assert stored.created_at and 0 <= (stored.updated_at - stored.created_at).total_seconds() < 1  # auto_now(_add)
    assert len(stored.receipt_hash) == 64
    audit = BallotAudit.objects.get()
    assert (audit.cycle_id, audit.bucket_id, audit.channel, audit.action) == (cycle.pk, bucket.pk, "online", "create")
    with transaction.atomic():  # a caller's transaction survives the refusal
        with pytest.raises(services.BudgetError) as refused:
            services.cast_ballot(bucket, voter, [proposals[1].pk])
        assert refused.value.code == "already_voted"
        assert Ballot.objects.count() == 1
    assert list(Ballot.choices.through.objects.values_list("proposal_id", flat=True)) == [proposals[0].pk]
    assert list(BallotAudit.objects.values_list("action", "actor_id")) == [("create", voter.pk)]


@pytest.mark.parametrize("bad", ["abc", "", " ", "-3", "0", "1.5", "99999999999999999999", "\x00", "12\x00"])
def test_a_ballot_with_a_value_that_is_no_project_id_is_refused_with_a_field_error(client, open_vote, make_resident,
                                                                                   bad):
    cycle, bucket, proposals = open_vote
    client.force_login(make_resident())
    url = reverse("budget:ballot", args=[bucket.pk])
    response = client.post(url, {"choices": [proposals[0].pk, bad]})
    assert response.status_code == 200 and not Ballot.objects.exists() and not BallotAudit.objects.exists()
    errors = response.context["form"].errors["choices"]
    assert errors in (["Бюллетеньде белгісіз жоба бар."], ["Кемінде бір жобаны таңдаңыз."]), errors


def test_a_ballot_naming_a_project_of_another_bucket_or_not_admitted_is_refused(client, open_vote, make_resident,
                                                                              make_cycle):
    from budget.models import Proposal

    cycle, bucket, proposals = open_vote
    other = propose(make_cycle(), make_resident(), title="Elsewhere")
    Proposal.objects.filter(pk=proposals[1].pk).update(status=Proposal.Status.REJECTED)
    client.force_login(make_resident())
    url = reverse("budget:ballot", args=[bucket.pk])
    for chosen in ([proposals[0].pk, other.pk], [proposals[1].pk], [10 ** 12]):
        response = client.post(url, {"choices": chosen})
        assert response.status_code == 200 and not Ballot.objects.exists()
        assert response.context["form"].errors["choices"] == [
            "Тек осы бюджет бөлімінде дауыс беруге жіберілген жобаларды таңдауға болады."], chosen
