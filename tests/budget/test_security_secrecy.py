"""Security 2: after the count, no admin page, export, API answer or log line links a ballot's choices to a person."""
import logging
import re

import pytest
from django.urls import reverse
from django.utils import translation

from budget import services
from budget.models import Ballot, BallotAudit, Stage
from tests.budget.helpers import admit, move, propose
from tests.test_api_support import api, no_throttle  # noqa: F401

pytestmark = pytest.mark.django_db


def url(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def counted(make_cycle, make_resident, expert_for, officer, esil, caplog):
    caplog.set_level(logging.DEBUG)
    cycle = make_cycle()
    expert = expert_for(cycle)
    proposals = [propose(cycle, make_resident(), title=f"Project {i}", cost=3_000_000) for i in range(3)]
    move(cycle, Stage.REVIEW)
    for p in proposals:
        admit(p, expert)
    move(cycle, Stage.VOTING)
    bucket = cycle.buckets.get()
    voters = [make_resident(f"voter-{name}") for name in ("aru", "bolat", "chingis")]
    for voter, p in zip(voters, proposals):
        voter.resident.refresh_from_db()
        voter.resident.full_name = f"Full Name {voter.username}"
        voter.resident.save()
        services.cast_ballot(bucket, voter, [p.pk])
    services.enter_paper_ballot(bucket, officer, iin="900517301017", district=esil, proposal_ids=[proposals[0].pk])
    move(cycle, Stage.COUNTING)
    (result,) = services.close_cycle(cycle)
    return cycle, bucket, proposals, voters, result


def identities(voters):
    out = []
    for v in voters:
        out += [v.username, v.resident.full_name, v.resident.iin_hash, v.iin, f"/residentprofile/{v.resident.pk}/"]
    return out


def test_ballots_keep_no_identity(counted):
    cycle, bucket, proposals, voters, result = counted
    hashes = set(Ballot.objects.values_list("voter_hash", flat=True))
    assert len(hashes) == 4
    assert not hashes & {v.resident.iin_hash for v in voters}  # keyed per bucket: no join with the profiles
    assert {f.name for f in Ballot._meta.get_fields()}.isdisjoint({"voter", "user", "profile"})
    assert {f.name for f in BallotAudit._meta.get_fields()}.isdisjoint({"ballot", "old", "new", "choices"})
    assert services.my_ballot(bucket, voters[1]).choices.get() == proposals[1]  # the voter still finds their own


def test_no_admin_page_links_choices_to_a_person(client, counted, django_user_model):
    cycle, bucket, proposals, voters, result = counted
    root = django_user_model.objects.create_superuser("root", "root@example.kz", "pw-Aimaq-2026!")
    client.force_login(root)
    ballot_pages = [client.get(url("admin:budget_ballot_changelist")).content.decode()]
    ballot_pages += [client.get(url("admin:budget_ballot_change", b.pk)).content.decode() for b in Ballot.objects.all()]
    for page in ballot_pages:
        for who in identities(voters):
            assert who not in page
    assert f"№ {proposals[1].pk}" in ballot_pages[0]  # the contents are there, anonymous
    audit_pages = [client.get(url("admin:budget_ballotaudit_changelist")).content.decode()]
    audit_pages += [client.get(url("admin:budget_ballotaudit_change", a.pk)).content.decode()
                    for a in BallotAudit.objects.all()]
    assert voters[0].username in audit_pages[0]  # that they voted...
    for page in audit_pages:
        for p in proposals:  # ... never what they chose
            assert f"№ {p.pk}" not in page and p.title not in page
        assert not re.search(r"/budget/ballot/\d+/", page)
    for v in voters:
        page = client.get(url("admin:budget_residentprofile_change", v.resident.pk)).content.decode()
        assert not re.search(r"/budget/ballot/\d+/", page) and "№" not in page
    # the ballot list carries no times and is not in the order of casting (which the audit's times give)
    assert "cast at" not in ballot_pages[0].lower()


def test_no_export_api_or_log_links_choices_to_a_person(client, api, counted, caplog):  # noqa: F811
    cycle, bucket, proposals, voters, result = counted
    texts = [result.pb_text,
             client.get(url("budget:result_csv", result.pk)).content.decode(),
             client.get(url("budget:result_pb", result.pk)).content.decode(),
             api.get("/api/v1/budget/results/?format=csv").content.decode(),
             api.get("/api/v1/budget/proposals/").content.decode(),
             caplog.text]
    for text in texts:
        for who in identities(voters):
            assert who not in text
        for b in Ballot.objects.all():
            assert b.voter_hash not in text
