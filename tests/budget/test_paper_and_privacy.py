"""Paper ballots entered by officers, de-duplicated against online ballots by IIN hash; IINs never stored."""
import datetime as dt
import io
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from budget import services
from budget.models import Ballot, BallotAudit, ResidentProfile, Stage
from budget.services import BudgetError
from tests.budget.helpers import admit, move, propose, valid_iin

pytestmark = pytest.mark.django_db


def url(name, *args):
    with translation.override("en"):
        return reverse(f"budget:{name}", args=args)


@pytest.fixture
def voting(make_cycle, make_resident, expert_for):
    cycle = make_cycle()
    expert = expert_for(cycle)
    proposals = [propose(cycle, make_resident(), title=f"P{i}", cost=3_000_000) for i in range(3)]
    move(cycle, Stage.REVIEW)
    for p in proposals:
        admit(p, expert)
    move(cycle, Stage.VOTING)
    return cycle, cycle.buckets.get(), proposals


def test_paper_ballot_for_someone_who_voted_online_is_refused(client, voting, make_resident, officer, esil):
    cycle, bucket, proposals = voting
    online = make_resident()
    services.cast_ballot(bucket, online, [proposals[0].pk])
    client.force_login(officer)
    response = client.post(url("paper_ballot", bucket.pk), {
        "iin": online.iin, "district": esil.pk, "choices": [proposals[1].pk],
    })
    html = response.content.decode()
    assert "This person has already voted online in this bucket; the paper ballot is refused." in html
    assert online.iin not in html
    assert Ballot.objects.filter(bucket=bucket).count() == 1


def test_paper_then_online_and_paper_twice(client, voting, make_resident, officer, esil):
    cycle, bucket, proposals = voting
    iin = valid_iin(dt.date(1970, 7, 7), "F", 55)
    client.force_login(officer)
    response = client.post(url("paper_ballot", bucket.pk), {
        "iin": f"{iin[:6]} {iin[6:]}", "district": esil.pk, "choices": [proposals[1].pk, proposals[2].pk],
    })
    assert response.status_code == 302
    ballot = Ballot.objects.get(channel="paper")
    assert ballot.entered_by == officer and not hasattr(ballot, "voter")
    assert BallotAudit.objects.get(bucket=bucket, channel="paper").actor == officer
    with pytest.raises(BudgetError) as refused:
        services.enter_paper_ballot(bucket, officer, iin=iin, district=esil, proposal_ids=[proposals[0].pk])
    assert refused.value.code == "voted_paper"
    # The same person signs up later and tries to vote online.
    user = services.register_resident(username="late", password="pw-Aimaq-2026!", iin=iin, district=esil)
    assert user.resident.verification_method == ""  # signed up after the paper ballot: verified in person below
    services.verify_resident(user.resident, officer, method="in_person")
    with pytest.raises(BudgetError) as refused:
        services.cast_ballot(bucket, user, [proposals[0].pk])
    assert refused.value.code == "voted_paper"
    assert "already voted on paper" in refused.value.message
    assert Ballot.objects.filter(bucket=bucket).count() == 1


def test_paper_ballot_checks(client, voting, officer, make_user, esil):
    cycle, bucket, proposals = voting
    under_age = valid_iin(cycle.voting_start - dt.timedelta(days=365 * 17), "M", 3)
    with pytest.raises(BudgetError) as refused:
        services.enter_paper_ballot(bucket, officer, iin=under_age, district=esil, proposal_ids=[proposals[0].pk])
    assert refused.value.code == "under_age"
    good = valid_iin(dt.date(1980, 1, 1), "M", 4)
    with pytest.raises(BudgetError) as refused:
        services.enter_paper_ballot(bucket, officer, iin=good[:-1] + str((int(good[-1]) + 1) % 10), district=esil,
                                    proposal_ids=[proposals[0].pk])
    assert refused.value.code == "bad_iin"
    for outsider in (make_user("resident-x"), make_user("almaty", role="akimat", region="750000000"),
                     make_user("expert-x", role="expert")):
        client.force_login(outsider)
        assert client.get(url("paper_ballot", bucket.pk)).status_code == 403
        with pytest.raises(BudgetError):
            services.enter_paper_ballot(bucket, outsider, iin=good, district=esil, proposal_ids=[proposals[0].pk])
    statistics = make_user("stat", role="statistics")
    assert services.enter_paper_ballot(bucket, statistics, iin=good, district=esil, proposal_ids=[proposals[0].pk])
    move(cycle, Stage.COUNTING)
    with pytest.raises(BudgetError) as refused:
        services.enter_paper_ballot(bucket, officer, iin=valid_iin(dt.date(1981, 1, 1), "M", 5), district=esil,
                                    proposal_ids=[proposals[0].pk])
    assert refused.value.code == "not_voting"


def test_iin_is_never_stored_or_logged(client, voting, officer, esil, caplog):
    cycle, bucket, proposals = voting
    caplog.set_level(logging.DEBUG)
    iin = valid_iin(dt.date(1977, 11, 30), "F", 9876)
    paper_iin = valid_iin(dt.date(1966, 2, 14), "M", 6543)
    response = client.post(url("signup"), {
        "username": "zarina", "password1": "pw-Aimaq-2026!", "password2": "pw-Aimaq-2026!", "iin": iin,
        "district": esil.pk, "full_name": "Zarina", "email": "z@example.kz",
    })
    assert response.status_code == 302
    services.verify_resident(ResidentProfile.objects.get(user__username="zarina"), officer, method="in_person")
    client.post(url("ballot", bucket.pk), {"choices": [proposals[0].pk]})
    client.force_login(officer)
    client.post(url("paper_ballot", bucket.pk), {"iin": paper_iin, "district": esil.pk, "choices": [proposals[1].pk]})
    assert Ballot.objects.filter(bucket=bucket).count() == 2
    profile = ResidentProfile.objects.get(user__username="zarina")
    assert profile.iin_hash == services.hash_iin(iin) and len(profile.iin_hash) == 64

    dump = io.StringIO()
    call_command("dumpdata", "budget", "localization.user", "sessions", "admin", stdout=dump)
    text = dump.getvalue()
    assert '"budget.residentprofile"' in text and '"budget.ballot"' in text
    for plain in (iin, paper_iin):
        assert plain not in text
        assert plain not in caplog.text

    # The admin never shows the IIN nor its hash.
    root = officer.__class__.objects.create_superuser("root", "r@example.kz", "pw-Aimaq-2026!", role="admin")
    client.force_login(root)
    with translation.override("en"):
        changelist = reverse("admin:budget_residentprofile_changelist")
    assert "zarina" in client.get(changelist).content.decode()
    page = client.get(reverse("admin:budget_residentprofile_change", args=[profile.pk])).content.decode()
    assert iin not in page and profile.iin_hash not in page
