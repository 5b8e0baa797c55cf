"""The whole PPB journey through the web pages: sign up → submit → review (needs revision) → revise →
second review (admitted) → vote → close → results with winners and a verifiable .pb file."""
import datetime as dt
import hashlib
import json

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from budget import services
from budget.core import counting, pabulib
from budget.models import Ballot, BallotAudit, CountResult, Implementation, Proposal, Stage
from tests.budget.helpers import INSIDE_ESIL, INSIDE_ESIL_2, admit, move, propose, valid_iin

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def url(name, *args, **kwargs):
    with translation.override("en"):
        return reverse(f"budget:{name}", args=args, kwargs=kwargs)


def review_post(decision, failing=None, explanation="", adjusted_cost=""):
    data = {"decision": decision, "explanation": explanation, "adjusted_cost": adjusted_cost}
    for criterion in ["common_use", "public_land", "inside_district", "cost_within_cap", "allowed_category",
                      "documents_complete", "technically_feasible"]:
        if failing and criterion in failing:
            data[f"verdict_{criterion}"] = "fail"
            data[f"reason_{criterion}"] = failing[criterion]
        else:
            data[f"verdict_{criterion}"] = "pass"
            data[f"reason_{criterion}"] = ""
    return data


def test_full_journey(client, make_cycle, make_resident, expert_for, officer, esil, django_capture_on_commit_callbacks):
    on_commit = django_capture_on_commit_callbacks
    cycle = make_cycle(Stage.SUBMISSION, buckets=((30_000_000, {}),))
    bucket = cycle.buckets.get()
    expert = expert_for(cycle)

    # 1. Sign up as a resident with an IIN.
    iin = valid_iin(dt.date(1985, 3, 9), "F", 4242)
    response = client.post(url("signup"), {
        "username": "alice", "password1": "pw-Aimaq-2026!", "password2": "pw-Aimaq-2026!", "iin": iin,
        "district": esil.pk, "full_name": "Alice", "email": "alice@example.kz",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    alice = get_user_model().objects.get(username="alice")
    assert alice.resident.district == esil
    # ... and has her ID checked by the district's officer (a cycle accepts verified residents by default)
    services.verify_resident(alice.resident, officer, method="in_person")

    # 2. Submit a proposal with a pin inside the district and a photo.
    with on_commit(execute=True):
        response = client.post(url("proposal_submit", cycle.pk), {
            "bucket": bucket.pk, "title": "Alice's playground", "description": "A playground for the courtyard.",
            "category": "playgrounds", "address": "Mangilik El 1", "pin_lat": INSIDE_ESIL[0], "pin_lon": INSIDE_ESIL[1],
            "lat": "", "lon": "", "estimated_cost": 12_000_000, "co_applicants": "",
            "attachments": [SimpleUploadedFile("site.png", PNG, content_type="image/png")],
        })
    assert response.status_code == 302, response.content.decode()[:3000]
    mine = Proposal.objects.get(author=alice)
    assert mine.status == Proposal.Status.SUBMITTED and (mine.lat, mine.lon) == INSIDE_ESIL
    assert mine.attachments.get().kind == "png"
    assert [m.to for m in mail.outbox] == [["alice@example.kz"]]
    assert f"№ {mine.pk}" in mail.outbox[0].subject

    bob, carol = make_resident("bob"), make_resident("carol")
    bobs = propose(cycle, bob, title="Bob's benches", cost=15_000_000, point=INSIDE_ESIL_2)
    carols = propose(cycle, carol, title="Carol's trees", cost=9_000_000, category="greening")

    # 3. First review: Alice's proposal needs revision, the others are admitted.
    move(cycle, Stage.REVIEW)
    client.force_login(expert)
    queue = client.get(url("review_queue")).content.decode()
    assert "Alice&#x27;s playground" in queue and "Carol&#x27;s trees" in queue
    with on_commit(execute=True):
        response = client.post(url("review_form", mine.pk), review_post(
            "needs_revision", {"documents_complete": "no_estimate"}, "Please attach a cost estimate."
        ))
    assert response.status_code == 302, response.content.decode()[:3000]
    mine.refresh_from_db()
    assert mine.status == Proposal.Status.NEEDS_REVISION
    assert "Please attach a cost estimate." in mail.outbox[-1].body
    admit(bobs, expert)
    admit(carols, expert)

    # 4. Revision by the author.
    move(cycle, Stage.REVISION)
    client.force_login(alice)
    response = client.post(url("proposal_edit", mine.pk), {
        "bucket": bucket.pk, "title": "Alice's playground", "description": "Now with an estimate.",
        "category": "playgrounds", "address": "Mangilik El 1", "lat": INSIDE_ESIL[0], "lon": INSIDE_ESIL[1],
        "estimated_cost": 12_000_000, "co_applicants": "",
        "attachments": [SimpleUploadedFile("estimate.pdf", b"%PDF-1.7\n...", content_type="application/pdf")],
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    mine.refresh_from_db()
    assert mine.status == Proposal.Status.REVISED and mine.attachments.count() == 2

    # 5. Second review: admitted with the cost adjusted by the expert.
    move(cycle, Stage.REREVIEW)
    client.force_login(expert)
    response = client.post(url("review_form", mine.pk), review_post("admitted", adjusted_cost="11000000"))
    assert response.status_code == 302, response.content.decode()[:3000]
    mine.refresh_from_db()
    assert mine.status == Proposal.Status.ADMITTED and mine.cost == 11_000_000
    assert list(mine.reviews.values_list("round", "decision")) == [(1, "needs_revision"), (2, "admitted")]
    protocol = client.get(url("protocol", cycle.pk)).content.decode()
    assert "Please attach a cost estimate." in protocol and "No cost estimate" in protocol

    # 6. Voting: four residents.
    move(cycle, Stage.VOTING)
    dave = make_resident("dave")
    for voter, picks in [(alice, [mine, bobs]), (bob, [mine, carols]), (carol, [bobs]), (dave, [mine])]:
        client.force_login(voter)
        response = client.post(url("ballot", bucket.pk), {"choices": [p.pk for p in picks]})
        assert response.status_code == 302, response.content.decode()[:3000]
    assert Ballot.objects.filter(bucket=bucket).count() == 4
    assert BallotAudit.objects.filter(bucket=bucket, action="create").count() == 4
    page = client.get(url("proposal_detail", mine.pk)).content.decode()
    assert ">Votes<" not in page

    # 7. Close: the officer counts after voting has ended.
    move(cycle, Stage.COUNTING)
    client.force_login(officer)
    with on_commit(execute=True):
        response = client.post(url("cycle_close", cycle.pk))
    assert response.status_code == 302
    result = CountResult.objects.get(bucket=bucket)
    assert result.winners == [mine.pk, bobs.pk]  # greedy: 3 votes (11 M), 2 votes (15 M); 9 M no longer fits
    assert result.tallies == {str(mine.pk): 3, str(bobs.pk): 2, str(carols.pk): 1}
    assert result.money_left == 30_000_000 - 11_000_000 - 15_000_000
    assert result.fairness["share_with_funded"] == 1.0

    # 8. Results page and the .pb file whose SHA-256 matches.
    client.logout()
    page = client.get(url("results", cycle.pk)).content.decode()
    assert "Alice&#x27;s playground" in page and result.pb_sha256 in page
    download = client.get(url("result_pb", result.pk))
    assert download.status_code == 200
    body = download.content
    assert hashlib.sha256(body).hexdigest() == result.pb_sha256
    text = body.decode("utf-8")
    assert "Kazakhstan" in text and "greedy" in text and "internet" in text
    for ballot in Ballot.objects.all():
        assert ballot.voter_hash not in text
    # Anyone can recount the published file and gets the same winners.
    recount = pabulib.election_from_pb(pabulib.parse_pb(text))
    assert [int(pid) for pid in counting.count(recount, "greedy")] == result.winners
    pb = pabulib.parse_pb(text)
    assert pb.meta["country"] == "Kazakhstan" and pb.meta["num_votes"] == "4" and pb.meta["rule"] == "greedy"
    assert sorted(pb.votes) == ["1", "2", "3", "4"]
    assert {v["voting_method"] for v in pb.votes.values()} == {"internet"}
    assert iin not in text

    mine.refresh_from_db()
    carols.refresh_from_db()
    assert mine.status == Proposal.Status.WINNER and carols.status == Proposal.Status.NOT_FUNDED
    assert Implementation.objects.get(proposal=mine).money_planned == 11_000_000
    assert any("won the vote" in m.body for m in mail.outbox if m.to == ["alice@example.kz"])

    geo = json.loads(client.get(url("projects_geojson")).content)
    assert sorted(f["properties"]["id"] for f in geo["features"]) == sorted([mine.pk, bobs.pk])
    assert geo["features"][0]["geometry"]["type"] == "Point"
    detail = client.get(url("proposal_detail", mine.pk)).content.decode()
    assert ">Votes<" in detail
