"""Security 9: who may vote — verified residents only (the default) or, by explicit choice, self-declared ones."""
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from budget import services
from budget.models import Ballot, ResidentProfile, Stage
from budget.services import BudgetError
from tests.budget.helpers import admit, move, propose

pytestmark = pytest.mark.django_db
MESSAGE = {
    "en": "Only verified residents may vote in this cycle.",
    "ru": "В этом цикле голосуют только подтверждённые жители.",
    "kk": "Бұл циклде тек расталған тұрғындар дауыс бере алады.",
}


@pytest.fixture
def voting(make_cycle, make_resident, expert_for):
    def make(**fields):
        cycle = make_cycle(**fields)
        expert = expert_for(cycle, username=f"expert-{cycle.pk}")
        proposal = propose(cycle, make_resident())
        move(cycle, Stage.REVIEW)
        admit(proposal, expert)
        move(cycle, Stage.VOTING)
        return cycle, cycle.buckets.get(), proposal
    return make


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_unverified_resident_cannot_vote_by_default(client, voting, make_resident, lang):
    cycle, bucket, proposal = voting()
    voter = make_resident(verified=False)
    client.force_login(voter)
    with translation.override(lang):
        target = reverse("budget:ballot", args=[bucket.pk])
    response = client.post(target, {"choices": [proposal.pk]}, follow=True)
    assert MESSAGE[lang] in response.content.decode()
    assert not Ballot.objects.exists()
    with translation.override(lang):
        page = client.get(reverse("budget:cycle_detail", args=[cycle.pk])).content.decode()
    assert {"en": "verified residents only", "ru": "только подтверждённые жители",
            "kk": "тек расталған тұрғындар"}[lang] in page


def test_self_declared_cycle_is_an_explicit_choice_shown_on_the_page(client, voting, make_resident):
    cycle, bucket, proposal = voting(verified_only=False)
    services.cast_ballot(bucket, make_resident(verified=False), [proposal.pk])
    with translation.override("en"):
        page = client.get(reverse("budget:cycle_detail", args=[cycle.pk])).content.decode()
    assert "self-declared residents: identities are not checked in this cycle" in page
    move(cycle, Stage.COUNTING)
    services.close_cycle(cycle)
    with translation.override("en"):
        results = client.get(reverse("budget:results", args=[cycle.pk])).content.decode()
    assert "Voters: self-declared residents (identity not checked)" in results


def test_officer_verifies_in_person_in_the_admin(client, make_resident, make_user):
    resident = make_resident(verified=False)
    officer = make_user("akim-astana", role="akimat", region="710000000", is_staff=True)
    stranger = make_user("akim-almaty", role="akimat", region="750000000", is_staff=True)
    perms = Permission.objects.filter(codename__in=["view_residentprofile", "change_residentprofile"])
    for user in (officer, stranger):
        user.user_permissions.add(*perms)
    with translation.override("en"):
        target = reverse("admin:budget_residentprofile_changelist")
    client.force_login(stranger)
    client.post(target, {"action": "mark_verified", "_selected_action": [resident.resident.pk]})
    assert ResidentProfile.objects.get(pk=resident.resident.pk).verified_at is None
    with pytest.raises(BudgetError):
        services.verify_resident(resident.resident, stranger)
    client.force_login(officer)
    client.post(target, {"action": "mark_verified", "_selected_action": [resident.resident.pk]})
    profile = ResidentProfile.objects.get(pk=resident.resident.pk)
    assert profile.verified_by == officer and profile.verified_at and profile.verification_method == "in_person"


def test_paper_ballot_id_check_verifies_the_account(voting, make_resident, officer, esil):
    cycle, bucket, proposal = voting()
    other_cycle, other_bucket, other_proposal = voting(name_en="Second cycle")
    resident = make_resident(verified=False)
    services.enter_paper_ballot(bucket, officer, iin=resident.iin, district=esil, proposal_ids=[proposal.pk])
    profile = ResidentProfile.objects.get(pk=resident.resident.pk)
    assert profile.verification_method == "paper_ballot" and profile.verified_by == officer
    services.cast_ballot(other_bucket, resident, [other_proposal.pk])  # verified now: may vote online elsewhere


def test_identity_provider_is_pluggable_and_absent_in_production(make_resident, settings):
    assert django_settings.PPB_IDENTITY_PROVIDER == ""  # no provider (let alone a fake one) unless configured
    resident = make_resident(verified=False)
    request = RequestFactory().post("/", {"iin": resident.iin})
    with pytest.raises(BudgetError) as refused:
        services.verify_with_provider(request, resident.resident)
    assert refused.value.code == "no_provider"
    settings.PPB_IDENTITY_PROVIDER = "tests.budget.identity_stub.StubProvider"
    other = make_resident(verified=False)
    with pytest.raises(BudgetError) as refused:
        services.verify_with_provider(RequestFactory().post("/", {"iin": other.iin}), resident.resident)
    assert refused.value.code == "not_confirmed"
    profile = services.verify_with_provider(request, resident.resident)
    assert profile.verification_method == "provider:stub" and profile.verified_by is None and profile.verified_at
