"""Implementation tracking of the winners: an officer of the cycle's region updates status, progress and money and
adds dated milestones with photos; the public page and the map layer show them; bad input and other regions are
refused and change nothing."""
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from budget import services
from budget.models import Implementation, Milestone, Stage
from tests.budget.helpers import admit, move, propose

pytestmark = pytest.mark.django_db

# The smallest PNG: signature, IHDR (1×1 grey), IDAT, IEND.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a4944415478da63600000000200015d0b2c8b0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def winner(make_cycle, make_resident, expert_for):
    cycle = make_cycle()
    expert = expert_for(cycle)
    proposal = propose(cycle, make_resident(), cost=12_000_000)
    move(cycle, Stage.REVIEW)
    admit(proposal, expert)
    move(cycle, Stage.VOTING)
    services.cast_ballot(cycle.buckets.get(), make_resident(), [proposal.pk])
    move(cycle, Stage.COUNTING)
    services.close_cycle(cycle)
    return cycle, Implementation.objects.get(proposal=proposal)


def _edit(item):
    with translation.override("en"):
        return reverse("budget:implementation_edit", args=[item.pk])


def _update(progress=40, **extra):
    data = {"impl-status": "in_progress", "impl-progress": str(progress), "impl-money_planned": "12000000",
            "impl-money_spent": "4500000", "impl-procurement_ref": "goszakup 2026-123"}
    data.update(extra)
    return data


def test_officer_tracks_a_winner_and_the_public_sees_it(client, winner, officer):
    cycle, item = winner
    assert (item.status, item.progress, item.money_planned) == ("planned", 0, 12_000_000)
    client.force_login(officer)
    response = client.post(_edit(item), _update())
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.progress, item.money_spent, item.procurement_ref) == (
        "in_progress", 40, 4_500_000, "goszakup 2026-123")

    photo = SimpleUploadedFile("site.png", PNG, content_type="image/png")
    response = client.post(_edit(item), {"add_milestone": "1", "ms-date": "2026-06-15",
                                         "ms-text": "Old equipment removed", "ms-photo": photo})
    assert response.status_code == 302
    milestone = Milestone.objects.get(implementation=item)
    assert (milestone.date, milestone.text) == (dt.date(2026, 6, 15), "Old equipment removed")

    client.logout()
    with translation.override("en"):
        page = client.get(reverse("budget:implementation", args=[cycle.pk])).content.decode()
        photo_url = reverse("budget:milestone_photo", args=[milestone.pk])
        layer = client.get(reverse("budget:projects_geojson"), {"cycle": cycle.pk}).json()
    assert "In progress" in page and 'value="40"' in page and "Old equipment removed" in page
    assert "4 500 000" in page.replace("\xa0", " ") and photo_url in page
    served = client.get(photo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == PNG
    (feature,) = layer["features"]
    assert feature["properties"]["implementation_status"] == "in_progress"


def test_bad_input_is_refused_and_changes_nothing(client, winner, officer):
    cycle, item = winner
    client.force_login(officer)
    response = client.post(_edit(item), _update(progress=150))
    assert response.status_code == 200 and "impl" in response.context["form"].prefix
    assert "progress" in response.context["form"].errors
    response = client.post(_edit(item), {"add_milestone": "1", "ms-date": "2026-06-15", "ms-text": "A scan",
                                         "ms-photo": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 200
    assert "A photo must be a JPG or PNG file." in str(response.context["milestone_form"].errors)
    response = client.post(_edit(item), {"add_milestone": "1", "ms-date": "not a date", "ms-text": ""})
    assert response.status_code == 200 and {"date", "text"} <= set(response.context["milestone_form"].errors)
    item.refresh_from_db()
    assert (item.status, item.progress) == ("planned", 0) and not Milestone.objects.exists()


def test_only_officers_of_the_cycles_region_may_update(client, winner, make_user, make_resident):
    cycle, item = winner
    other = make_user("almaty-officer", role="akimat", region="750000000")
    for who in (other, make_resident("a-resident")):
        client.force_login(who)
        assert client.post(_edit(item), _update()).status_code == 403
    client.logout()
    assert client.post(_edit(item), _update()).status_code == 302  # to the sign-in page
    item.refresh_from_db()
    assert (item.status, item.progress) == ("planned", 0)
