"""Demo data, the close_cycle command, notifications in the recipient's language, the GeoJSON layer, RSS data."""
import io
import json
import sys
import types

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from budget import services
from budget.demo import PROPOSALS
from budget.models import Ballot, CountResult, Cycle, Proposal, ResidentProfile, Stage
from tests.budget.helpers import admit, move, propose

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_labelled_and_inside_the_district():
    from django.apps import apps

    hook = apps.get_app_config("budget").load_demo  # what localization's load_demo command calls
    out = io.StringIO()
    hook(out)
    assert "created the demo cycle" in out.getvalue()
    cycle = Cycle.objects.get()
    assert "Demo" in cycle.name_en and "Демо" in cycle.name_ru and "Демо" in cycle.name_kk
    assert cycle.stage() == Stage.VOTING and cycle.frozen_at is not None
    assert all(b.name_en.startswith("Demo") for b in cycle.buckets.all())
    assert Proposal.objects.filter(cycle=cycle).count() == len(PROPOSALS)
    assert all(p.title.startswith("[Demo]") for p in cycle.proposals.all())
    for p in cycle.proposals.all():
        services.check_point_in_area(cycle, p.lat, p.lon)  # raises if a demo point were outside Esil
    assert ResidentProfile.objects.filter(user__username__startswith="demo-resident-").count() == 6
    counts = (Cycle.objects.count(), Proposal.objects.count(), Ballot.objects.count())
    hook(io.StringIO())
    assert (Cycle.objects.count(), Proposal.objects.count(), Ballot.objects.count()) == counts
    # a demo resident who has not voted yet can vote
    from django.contrib.auth import get_user_model

    voter = get_user_model().objects.get(username="demo-resident-5")
    bucket = cycle.buckets.order_by("id").first()
    ballot, created = services.cast_ballot(bucket, voter, [bucket.proposals.filter(status="admitted").first().pk])
    assert created


def test_close_cycle_command(make_cycle, make_resident, expert_for):
    cycle = make_cycle(counting_rule=Cycle.CountingRule.MES_ADD1)
    expert = expert_for(cycle)
    a = propose(cycle, make_resident(), title="A", cost=6_000_000)
    b = propose(cycle, make_resident(), title="B", cost=5_000_000)
    move(cycle, Stage.REVIEW)
    admit(a, expert), admit(b, expert)
    move(cycle, Stage.VOTING)
    bucket = cycle.buckets.get()
    for picks in ([a], [a], [b]):
        services.cast_ballot(bucket, make_resident(), [p.pk for p in picks])
    with pytest.raises(CommandError, match="Voting has not closed yet"):
        call_command("close_cycle", cycle.pk, stdout=io.StringIO())
    move(cycle, Stage.COUNTING)
    out = io.StringIO()
    call_command("close_cycle", cycle.pk, stdout=out)
    result = CountResult.objects.get()
    assert result.rule == "mes-add1" and result.pb_sha256 in out.getvalue()
    assert "equalshares/add1" in result.pb_text
    again = io.StringIO()
    call_command("close_cycle", cycle.pk, stdout=again)  # idempotent
    assert CountResult.objects.count() == 1 and result.pb_sha256 in again.getvalue()
    with pytest.raises(CommandError):
        call_command("close_cycle", 999999, stdout=io.StringIO())


def test_notifications_use_the_recipients_language(make_cycle, make_resident, expert_for,
                                                   django_capture_on_commit_callbacks):
    cycle = make_cycle()
    author = make_resident(language="ru")
    with django_capture_on_commit_callbacks(execute=True):
        proposal = propose(cycle, author)
    assert mail.outbox[-1].subject == f"Заявка № {proposal.pk} получена"
    expert = expert_for(cycle)
    move(cycle, Stage.REVIEW)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        admit(proposal, expert)
    assert mail.outbox[-1].subject == f"Решение по заявке № {proposal.pk}"
    kk_author = make_resident(language="kk")
    move(cycle, Stage.SUBMISSION)
    with django_capture_on_commit_callbacks(execute=True):
        other = propose(cycle, kk_author, title="Kazakh")
    assert mail.outbox[-1].subject == f"№ {other.pk} өтінім қабылданды"


def test_rss_gap_shown_only_when_geo_has_data(client, make_cycle, make_resident, monkeypatch):
    cycle = make_cycle()
    proposal = propose(cycle, make_resident())
    with translation.override("en"):
        page = reverse("budget:proposal_detail", args=[proposal.pk])
    html = client.get(page).content.decode()
    assert "no data" in html and "priority settlement" not in html
    fake = types.ModuleType("geo.services")
    fake.rss_at_point = lambda lat, lon: {"settlement": "Astana", "gap": 12.345, "priority": True, "source": "test"}
    monkeypatch.setitem(sys.modules, "geo.services", fake)
    import geo

    monkeypatch.setattr(geo, "services", fake, raising=False)
    html = client.get(page).content.decode()
    assert "12.3% of the applicable standards not met" in html and "priority settlement" in html


def test_projects_geojson_lists_only_counted_winners(client, make_cycle, make_resident, expert_for):
    cycle = make_cycle()
    expert = expert_for(cycle)
    p = propose(cycle, make_resident())
    move(cycle, Stage.REVIEW)
    admit(p, expert)
    with translation.override("en"):
        url = reverse("budget:projects_geojson")
    assert json.loads(client.get(url).content)["features"] == []
    move(cycle, Stage.VOTING)
    services.cast_ballot(cycle.buckets.get(), make_resident(), [p.pk])
    move(cycle, Stage.COUNTING)
    services.close_cycle(cycle)
    data = json.loads(client.get(url, {"cycle": cycle.pk}).content)
    (feature,) = data["features"]
    assert feature["geometry"]["coordinates"] == [round(p.lon, 6), round(p.lat, 6)]
    assert feature["properties"]["implementation_status"] == "planned"


def test_rss_gap_from_geo_observations(client, make_cycle, make_resident, esil):
    from geo.models import RssObservation, RssStandard, Settlement

    cycle = make_cycle()
    proposal = propose(cycle, make_resident())
    with translation.override("en"):
        page = reverse("budget:proposal_detail", args=[proposal.pk])
    village = Settlement.objects.create(name_en="Test quarter", name_ru="Тестовый квартал", name_kk="Сынақ",
                                        type="village", lat=proposal.lat + 0.01, lon=proposal.lon, district=esil,
                                        region=esil.region, source="test")
    assert "no data" in client.get(page).content.decode()  # a settlement, but no RSS observation
    standards = [RssStandard.objects.create(code=f"T{i}", name_kk="s", name_ru="s", name_en="s",
                                            settlement_types=["village"], is_example=False, source="test")
                 for i in range(4)]
    for standard, met in zip(standards, [True, False, False, False]):
        RssObservation.objects.create(settlement=village, standard=standard, year=2024, met=met, source="test entry")
    html = client.get(page).content.decode()
    assert "Test quarter" in html and "75.0% of the applicable standards not met" in html
    assert "priority settlement" in html
