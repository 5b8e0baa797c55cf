"""Tallies stay hidden from everyone until voting closes: pages, exports and the admin."""
import pytest
from django.contrib.auth.models import Permission

from budget.models import CountResult, Stage
from tests.budget.helpers import en_url, move, voted_cycle

pytestmark = pytest.mark.django_db
url = en_url


@pytest.fixture
def voted(make_cycle, make_resident, expert_for):
    return voted_cycle(make_cycle, make_resident, expert_for, ballots=5, choice=0)


def test_no_tallies_before_close(client, voted, make_user):
    cycle, bucket, proposals, voters = voted
    for who in [None, voters[0], make_user("officer", role="akimat", region="710000000")]:
        client.logout()
        if who:
            client.force_login(who)
        for name, arg in [("budget:proposal_detail", proposals[0].pk), ("budget:results", cycle.pk),
                          ("budget:proposal_list", cycle.pk), ("budget:cycle_detail", cycle.pk)]:
            html = client.get(url(name, arg)).content.decode()
            assert ">Votes<" not in html and "votes per project" not in html
        results = client.get(url("budget:results", cycle.pk)).content.decode()
        assert "Votes are not shown to anyone until voting closes" in results

    # Even if a count row existed, its exports would not be served before the close.
    fake = CountResult.objects.create(
        cycle=cycle, bucket=bucket, rule="greedy", budget=1, num_votes=5, winners=[], tallies={str(proposals[0].pk): 5},
        money_spent=0, money_left=1, fairness={}, pb_text="META", pb_sha256="0" * 64,
    )
    assert client.get(url("budget:result_pb", fake.pk)).status_code == 404
    assert client.get(url("budget:result_csv", fake.pk)).status_code == 404
    fake.delete()


def test_admin_hides_ballot_contents_from_non_superusers_before_close(client, voted, make_user):
    cycle, bucket, proposals, voters = voted
    staff = make_user("staffer", role="akimat", region="710000000", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_ballot", "view_ballotaudit"]))
    client.force_login(staff)
    for model in ("ballot", "ballotaudit"):
        page = client.get(url(f"admin:budget_{model}_changelist"))
        assert page.status_code == 200
        html = page.content.decode()
        assert ("hidden until voting closes" in html) == (model == "ballot")  # the audit has no choices at all
        assert f"№ {proposals[0].pk}<" not in html
    ballot = bucket.ballots.first()
    detail = client.get(url("admin:budget_ballot_change", ballot.pk)).content.decode()
    assert "hidden until voting closes" in detail

    root = make_user("root", role="admin", is_staff=True, is_superuser=True)
    client.force_login(root)
    html = client.get(url("admin:budget_ballot_changelist")).content.decode()
    assert f"№ {proposals[0].pk}<" in html
    assert f"№ {proposals[0].pk}<" not in client.get(url("admin:budget_ballotaudit_changelist")).content.decode()

    move(cycle, Stage.COUNTING)
    client.force_login(staff)
    html = client.get(url("admin:budget_ballot_changelist")).content.decode()
    assert "hidden until voting closes" not in html and f"№ {proposals[0].pk}<" in html


def test_admin_scopes_officers_to_their_region(client, voted, make_user):
    cycle, *_ = voted
    other = make_user("almaty", role="akimat", region="750000000", is_staff=True)
    other.user_permissions.add(*Permission.objects.filter(codename__in=["view_cycle", "change_cycle"]))
    client.force_login(other)
    assert str(cycle.name_en) not in client.get(url("admin:budget_cycle_changelist")).content.decode()
    assert client.get(url("admin:budget_cycle_change", cycle.pk)).status_code in (302, 404)


def test_results_after_close(client, voted, officer):
    cycle, bucket, proposals, voters = voted
    client.force_login(officer)
    assert client.post(url("budget:cycle_close", cycle.pk)).status_code == 302  # refused: still voting
    assert not CountResult.objects.exists()
    move(cycle, Stage.COUNTING)
    client.post(url("budget:cycle_close", cycle.pk))
    result = CountResult.objects.get()
    client.logout()
    csv_text = client.get(url("budget:result_csv", result.pk)).content.decode()
    assert f"{proposals[0].pk},Project 0,1000000,5,1" in csv_text
    assert ">Votes<" in client.get(url("budget:proposal_detail", proposals[0].pk)).content.decode()
