"""Refusals with clear messages: location, cost, IIN, age, district, stage, ballot size and money, frozen rules."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from budget import services
from budget.forms import CycleRulesForm
from budget.models import Ballot, BallotAudit, Bucket, Cycle, Proposal, Sponsorship, Stage, StageChange
from budget.services import BudgetError
from tests.budget.helpers import INSIDE_ESIL, OUTSIDE_ESIL, admit, move, propose, valid_iin

pytestmark = pytest.mark.django_db



@pytest.fixture(autouse=True)
def english_messages():
    """Service refusals are asserted in English here (the source language)."""
    from django.utils import translation

    translation.activate("en")

def url(name, *args):
    with translation.override("en"):
        return reverse(f"budget:{name}", args=args)


def form_data(bucket, **overrides):
    data = {
        "bucket": bucket.pk, "title": "Benches", "description": "New benches.", "category": "equipment",
        "address": "Astana", "lat": INSIDE_ESIL[0], "lon": INSIDE_ESIL[1], "estimated_cost": 5_000_000,
        "co_applicants": "",
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------------------------- submission

def test_pin_outside_the_district_is_refused(client, make_cycle, make_resident):
    cycle = make_cycle()
    client.force_login(make_resident())
    response = client.post(url("proposal_submit", cycle.pk),
                           form_data(cycle.buckets.get(), lat=OUTSIDE_ESIL[0], lon=OUTSIDE_ESIL[1]))
    assert response.status_code == 200
    assert "The location is outside Esil." in response.content.decode()
    assert not Proposal.objects.exists()


def test_city_cycle_accepts_any_district_of_the_city(make_cycle, make_resident, esil):
    from localization.models import District

    cycle = make_cycle(region=esil.region)
    other = District.objects.get(kato="711110000")  # Almaty district of Astana
    resident = make_resident(district=other)
    proposal = propose(cycle, resident, point=OUTSIDE_ESIL)  # outside Esil but inside Astana
    assert proposal.pk
    with pytest.raises(BudgetError) as refused:
        propose(cycle, make_resident(), point=(43.2389, 76.8897))  # Almaty city
    assert refused.value.code == "outside_area"


def test_cost_over_the_cap_is_refused(client, make_cycle, make_resident):
    cycle = make_cycle(cap_unit=Cycle.CapUnit.MRP, cap_amount=1_000, mrp=4325)  # 4 325 000 ₸
    client.force_login(make_resident())
    response = client.post(url("proposal_submit", cycle.pk), form_data(cycle.buckets.get(), estimated_cost=4_325_001))
    html = response.content.decode()
    assert "The cost 4 325 001 ₸ is over the cap of 4 325 000 ₸ per project." in html
    assert not Proposal.objects.exists()
    response = client.post(url("proposal_submit", cycle.pk), form_data(cycle.buckets.get(), estimated_cost=4_325_000))
    assert response.status_code == 302


def test_per_author_limit(make_cycle, make_resident):
    cycle = make_cycle()
    author = make_resident()
    propose(cycle, author)
    with pytest.raises(BudgetError) as refused:
        propose(cycle, author, title="Second")
    assert refused.value.code == "author_limit"
    assert "maximum number of proposals" in refused.value.message


def test_attachment_type_and_size_limits(client, make_cycle, make_resident, settings):
    cycle = make_cycle()
    client.force_login(make_resident())
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a jpeg", content_type="image/jpeg")
    response = client.post(url("proposal_submit", cycle.pk), {**form_data(cycle.buckets.get()), "attachments": [fake]})
    assert "is not a real JPG file" in response.content.decode()
    exe = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(url("proposal_submit", cycle.pk), {**form_data(cycle.buckets.get()), "attachments": [exe]})
    assert "Only JPG, PNG and PDF files can be attached." in response.content.decode()
    big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), content_type="application/pdf")
    response = client.post(url("proposal_submit", cycle.pk), {**form_data(cycle.buckets.get()), "attachments": [big]})
    assert "A file may be at most 5 MB." in response.content.decode()
    assert not Proposal.objects.exists()


def test_submission_outside_the_submission_stage(make_cycle, make_resident):
    cycle = make_cycle(Stage.REVIEW)
    with pytest.raises(BudgetError) as refused:
        propose(cycle, make_resident())
    assert refused.value.code == "not_submission"


def test_bucket_by_courtyard_size(make_cycle, make_resident):
    cycle = make_cycle(buckets=((50_000_000, {"max_apartments": 100}), (50_000_000, {"min_apartments": 101})))
    small, large = cycle.buckets.order_by("id")
    with pytest.raises(BudgetError) as refused:
        propose(cycle, make_resident(), bucket=small, apartments=150)
    assert refused.value.code == "bucket_mismatch"
    assert propose(cycle, make_resident(), bucket=large, apartments=150).bucket == large


# --------------------------------------------------------------------------------------------- sign-up / IIN

def test_invalid_iin_checksum_is_refused_without_echoing_it(client, esil):
    good = valid_iin(dt.date(1990, 1, 2), "M", 7)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    for lang, message in [("en", "its check digit does not match"), ("ru", "контрольная цифра"), ("kk", "бақылау")]:
        with translation.override(lang):
            signup = reverse("budget:signup")
        response = client.post(signup, {
            "username": f"x{lang}", "password1": "pw-Aimaq-2026!", "password2": "pw-Aimaq-2026!", "iin": bad,
            "district": esil.pk,
        })
        html = response.content.decode()
        assert response.status_code == 200
        assert message in html
        assert bad not in html


def test_one_account_per_iin(client, make_resident, esil):
    first = make_resident()
    response = client.post(url("signup"), {
        "username": "twin", "password1": "pw-Aimaq-2026!", "password2": "pw-Aimaq-2026!", "iin": first.iin,
        "district": esil.pk,
    })
    assert "An account already exists for this IIN." in response.content.decode()
    with pytest.raises(BudgetError):
        services.register_resident(username="twin2", password="pw-Aimaq-2026!", iin=first.iin, district=esil)


# --------------------------------------------------------------------------------------------- voting

@pytest.fixture
def voting_cycle(make_cycle, make_resident, expert_for):
    def make(**fields):
        cycle = make_cycle(Stage.SUBMISSION, **fields)
        expert = expert_for(cycle, username=f"expert{Cycle.objects.count()}")
        proposals = [propose(cycle, make_resident(), title=f"P{i}", cost=cost)
                     for i, cost in enumerate([6_000_000, 5_000_000, 4_000_000])]
        move(cycle, Stage.REVIEW)
        for p in proposals:
            admit(p, expert)
        move(cycle, Stage.VOTING)
        return cycle, cycle.buckets.get(), proposals

    return make


def test_under_age_voter_is_refused(voting_cycle, make_resident):
    cycle, bucket, proposals = voting_cycle()
    young = make_resident(birth=cycle.voting_start - dt.timedelta(days=365 * 18 - 30))
    with pytest.raises(BudgetError) as refused:
        services.cast_ballot(bucket, young, [proposals[0].pk])
    assert refused.value.code == "under_age"
    assert "18 or over" in refused.value.message
    turns_18 = make_resident(birth=cycle.voting_start.replace(year=cycle.voting_start.year - 18))
    assert services.cast_ballot(bucket, turns_18, [proposals[0].pk])[1] is True


def test_wrong_district_is_refused(voting_cycle, make_resident):
    from localization.models import District

    cycle, bucket, proposals = voting_cycle()
    outsider = make_resident(district=District.objects.get(kato="711110000"))
    with pytest.raises(BudgetError) as refused:
        services.cast_ballot(bucket, outsider, [proposals[0].pk])
    assert refused.value.code == "wrong_district"


def test_vote_outside_the_voting_stage(client, voting_cycle, make_resident):
    cycle, bucket, proposals = voting_cycle()
    voter = make_resident()
    for stage in (Stage.AWAITING_VOTE, Stage.COUNTING):
        move(cycle, stage)
        with pytest.raises(BudgetError) as refused:
            services.cast_ballot(bucket, voter, [proposals[0].pk])
        assert refused.value.code == "not_voting"
        client.force_login(voter)
        response = client.post(url("ballot", bucket.pk), {"choices": [proposals[0].pk]})
        assert "Voting is not open" in response.content.decode()
    assert not Ballot.objects.exists()


def test_ballot_over_k_is_refused(client, voting_cycle, make_resident):
    cycle, bucket, proposals = voting_cycle()  # approval, k = 2
    client.force_login(make_resident())
    response = client.post(url("ballot", bucket.pk), {"choices": [p.pk for p in proposals]})
    assert "You may choose at most 2 projects; you chose 3." in response.content.decode()
    assert not Ballot.objects.exists()


def test_knapsack_ballot_over_the_money_is_refused(voting_cycle, make_resident):
    cycle, bucket, proposals = voting_cycle(ballot_rule=Cycle.BallotRule.KNAPSACK, buckets=((10_000_000, {}),))
    voter = make_resident()
    with pytest.raises(BudgetError) as refused:
        services.cast_ballot(bucket, voter, [proposals[0].pk, proposals[1].pk])  # 11 M > 10 M
    assert refused.value.code == "over_money"
    assert "11 000 000 ₸, more than the 10 000 000 ₸" in refused.value.message
    ballot, created = services.cast_ballot(bucket, voter, [proposals[0].pk, proposals[2].pk])  # 10 M
    assert created and ballot.choices.count() == 2


def test_only_admitted_projects_of_the_bucket(voting_cycle, make_resident):
    cycle, bucket, proposals = voting_cycle()
    Proposal.objects.filter(pk=proposals[0].pk).update(status=Proposal.Status.REJECTED)
    with pytest.raises(BudgetError) as refused:
        services.cast_ballot(bucket, make_resident(), [proposals[0].pk])
    assert refused.value.code == "unknown_project"


def test_already_voted_and_changes_are_audited(voting_cycle, make_resident):
    cycle, bucket, proposals = voting_cycle()
    voter = make_resident()
    services.cast_ballot(bucket, voter, [proposals[0].pk])
    with pytest.raises(BudgetError) as refused:
        services.cast_ballot(bucket, voter, [proposals[1].pk])
    assert refused.value.code == "already_voted"

    cycle2, bucket2, proposals2 = voting_cycle(vote_changeable=True, name_en="Changeable")
    ballot, created = services.cast_ballot(bucket2, voter, [proposals2[0].pk])
    ballot, created = services.cast_ballot(bucket2, voter, [proposals2[1].pk, proposals2[2].pk])
    assert not created
    assert sorted(ballot.choices.values_list("pk", flat=True)) == [proposals2[1].pk, proposals2[2].pk]
    audit = list(BallotAudit.objects.filter(bucket=bucket2).values_list("action", "channel", "actor"))
    assert audit == [("create", "online", voter.pk), ("change", "online", voter.pk)]  # who and when, never what
    assert Ballot.objects.filter(bucket=bucket2).count() == 1


def test_verified_only_cycle(voting_cycle, make_resident, officer):
    cycle, bucket, proposals = voting_cycle()
    assert cycle.verified_only  # the default: verified residents only
    voter = make_resident(verified=False)
    with pytest.raises(BudgetError) as refused:
        services.cast_ballot(bucket, voter, [proposals[0].pk])
    assert refused.value.code == "not_verified"
    assert not Ballot.objects.exists()
    services.verify_resident(voter.resident, officer, method="in_person")
    voter.resident.refresh_from_db()
    assert (voter.resident.verified_by, voter.resident.verification_method) == (officer, "in_person")
    services.cast_ballot(bucket, voter, [proposals[0].pk])
    # a cycle that explicitly accepts self-declared residents
    cycle2, bucket2, proposals2 = voting_cycle(verified_only=False, name_en="Open")
    services.cast_ballot(bucket2, make_resident(verified=False), [proposals2[0].pk])


# --------------------------------------------------------------------------------------------- frozen rules

def test_rules_cannot_change_after_voting_opened(client, voting_cycle, make_user):
    cycle, bucket, proposals = voting_cycle()
    message = "Voting has opened: the ballot rule, k, vote changes, eligibility and the counting rule are frozen."
    for field, value in [("ballot_rule", "knapsack"), ("max_choices", 5), ("vote_changeable", True),
                         ("counting_rule", "mes")]:
        fresh = Cycle.objects.get(pk=cycle.pk)
        setattr(fresh, field, value)
        with pytest.raises(ValidationError) as refused:
            fresh.full_clean()
        assert message in str(refused.value)
        with pytest.raises(ValidationError):
            fresh.save()
    form = CycleRulesForm({"ballot_rule": "approval", "max_choices": 9, "vote_changeable": False,
                           "verified_only": False, "counting_rule": "greedy", "proposals_per_author": 1},
                          instance=Cycle.objects.get(pk=cycle.pk))
    assert not form.is_valid() and message in str(form.errors)

    bucket = Bucket.objects.get(pk=bucket.pk)
    bucket.money += 1
    with pytest.raises(ValidationError) as refused:
        bucket.full_clean()
    assert "the money of the buckets is frozen" in str(refused.value)
    with pytest.raises(ValidationError):
        bucket.save()
    with pytest.raises(ValidationError):
        Sponsorship(bucket=bucket, sponsor="A company", amount=1_000_000).save()

    admin = make_user("root", role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    stored = Cycle.objects.get(pk=cycle.pk)
    with translation.override("en"):
        change_url = reverse("admin:budget_cycle_change", args=[cycle.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    data = _admin_form_data(page)
    data["max_choices"] = "7"
    response = client.post(change_url, data)
    assert response.status_code == 200 and message in response.content.decode()
    assert Cycle.objects.get(pk=cycle.pk).max_choices == stored.max_choices


def test_moving_the_voting_dates_later_does_not_thaw_frozen_rules(voting_cycle):
    """Voting opened by its dates (nobody has voted yet): postponing it first, then changing a rule, is refused."""
    cycle, _bucket, _proposals = voting_cycle()
    assert Cycle.objects.get(pk=cycle.pk).frozen_at is None and not Ballot.objects.filter(bucket__cycle=cycle).exists()
    later = Cycle.objects.get(pk=cycle.pk)
    later.voting_start = later.voting_start + dt.timedelta(days=30)
    later.voting_end = later.voting_end + dt.timedelta(days=30)
    later.results_date = later.results_date + dt.timedelta(days=30)
    later.implementation_start = later.implementation_start + dt.timedelta(days=30)
    later.full_clean()
    later.save()
    postponed = Cycle.objects.get(pk=cycle.pk)
    assert postponed.stage() != Stage.VOTING and postponed.frozen_at is not None
    postponed.counting_rule = "mes" if postponed.counting_rule != "mes" else "greedy"
    with pytest.raises(ValidationError) as refused:
        postponed.full_clean()
    assert "the counting rule are frozen" in str(refused.value)
    with pytest.raises(ValidationError):
        postponed.save()


def _admin_form_data(page):
    """The values of a rendered admin change form, as the browser would post them."""
    import re
    from html import unescape

    html = page.content.decode()
    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        kind = kind.group(1) if kind else "text"
        value = re.search(r'value="([^"]*)"', tag)
        if kind == "checkbox":
            if "checked" in tag:
                data[name.group(1)] = "on"
        elif kind not in ("submit", "button", "file"):
            data[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = unescape(chosen.group(1)) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = unescape(body.strip())
    return data


def test_rules_can_change_before_voting(make_cycle):
    cycle = make_cycle(Stage.REREVIEW)
    cycle.max_choices = 5
    cycle.full_clean()
    cycle.save()
    assert Cycle.objects.get(pk=cycle.pk).max_choices == 5


def test_stage_override_is_logged(client, make_cycle, officer, make_user):
    cycle = make_cycle(Stage.SUBMISSION)
    client.force_login(make_user("stranger", role="akimat", region="750000000"))
    assert client.get(url("cycle_stage", cycle.pk)).status_code == 403
    client.force_login(officer)
    response = client.post(url("cycle_stage", cycle.pk), {"stage": "review", "reason": ""})
    assert "This field is required." in response.content.decode()
    response = client.post(url("cycle_stage", cycle.pk), {"stage": "review", "reason": "Submission closed early by decision of the akimat."})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.stage() == Stage.REVIEW and cycle.stage_from_dates() == Stage.SUBMISSION
    change = StageChange.objects.get(cycle=cycle)
    assert (change.changed_by, change.from_stage, change.to_stage) == (officer, "submission", "review")
    services.set_stage(cycle, officer, "", "Back to the calendar.")
    cycle.refresh_from_db()
    assert cycle.stage() == Stage.SUBMISSION and StageChange.objects.filter(cycle=cycle).count() == 2


def test_cycle_validation(esil):
    from localization.models import Region

    cycle = Cycle(name_en="x", name_ru="x", name_kk="x", region=Region.objects.filter(kind="oblast").first(),
                  year=2026, mrp=4325, total_money=1, cap_amount=1, submission_start=dt.date(2026, 3, 1),
                  submission_end=dt.date(2026, 2, 1), review_end=dt.date(2026, 4, 1), revision_end=dt.date(2026, 4, 2),
                  rereview_end=dt.date(2026, 4, 3), voting_start=dt.date(2026, 4, 4), voting_end=dt.date(2026, 4, 5),
                  results_date=dt.date(2026, 4, 6), implementation_start=dt.date(2026, 4, 7))
    with pytest.raises(ValidationError) as refused:
        cycle.full_clean()
    errors = refused.value.message_dict
    assert "region" in errors and "submission_end" in errors


def _new_cycle_data(client, **buckets):
    """The admin's "add cycle" form filled in: Esil district, 2026, 100 M ₸, approval k = 2, greedy."""
    with translation.override("en"):
        add_url = reverse("admin:budget_cycle_add")
    data = _admin_form_data(client.get(add_url))
    data.update({
        "name_kk": "Есіл 2026", "name_ru": "Есиль 2026", "name_en": "Esil 2026", "district": "", "region": "",
        "year": "2026", "mrp": "4325", "total_money": "100000000", "cap_unit": "tenge", "cap_amount": "30000000",
        "ballot_rule": "approval", "max_choices": "2", "counting_rule": "greedy", "proposals_per_author": "1",
        "submission_start": "2027-01-10", "submission_end": "2027-02-08", "review_end": "2027-02-23",
        "revision_end": "2027-03-02", "rereview_end": "2027-03-09", "voting_start": "2027-03-13",
        "voting_end": "2027-03-26", "results_date": "2027-04-02", "implementation_start": "2027-05-10",
    })
    from localization.models import District

    data["district"] = str(District.objects.get(kato="711210000").pk)
    data.update(buckets)
    return add_url, data


def test_a_cycle_created_without_buckets_gets_one_for_all_its_money(client, make_user, make_resident):
    client.force_login(make_user("root", role="admin", is_staff=True, is_superuser=True))
    add_url, data = _new_cycle_data(client)
    assert data["buckets-TOTAL_FORMS"] == "0"
    response = client.post(add_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    cycle = Cycle.objects.get(name_en="Esil 2026")
    (bucket,) = cycle.buckets.all()
    assert bucket.money == 100_000_000 and bucket.category == "" and not bucket.by_size
    assert (bucket.name_kk, bucket.name_ru, bucket.name_en) == (
        "Циклдың барлық өтінімдері", "Все заявки цикла", "All proposals of the cycle")
    move(cycle, Stage.SUBMISSION)
    proposal = propose(cycle, make_resident(), cost=10_000_000, bucket=bucket)
    assert proposal.bucket == bucket


def test_a_cycle_created_with_buckets_keeps_exactly_those(client, make_user):
    client.force_login(make_user("root", role="admin", is_staff=True, is_superuser=True))
    add_url, data = _new_cycle_data(client, **{
        "buckets-TOTAL_FORMS": "1", "buckets-0-name_kk": "Аулалар", "buckets-0-name_ru": "Дворы",
        "buckets-0-name_en": "Courtyards", "buckets-0-category": "", "buckets-0-money": "60000000"})
    assert client.post(add_url, data).status_code == 302
    assert list(Cycle.objects.get(name_en="Esil 2026").buckets.values_list("name_en", "money")) == [
        ("Courtyards", 60_000_000)]
