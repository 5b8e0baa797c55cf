"""Issue 12 (budget half): ballot receipts and the "my ballot" check, the next-bucket prompt, the place search of
the pin map, the goal picker, "my proposals"/"my activity", the home-page voting banner, accounts (password reset,
createsuperuser's role, demo passwords)."""
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse as django_reverse
from django.utils import translation

from budget import services
from budget.models import Ballot, Proposal, Stage
from tests.budget.helpers import admit, move, propose

pytestmark = pytest.mark.django_db


def reverse(name, args=None):
    with translation.override("en"):
        return django_reverse(name, args=args)


@pytest.fixture
def voting(make_cycle, make_resident, expert_for):
    """A cycle in voting with two buckets, one admitted proposal in each."""
    cycle = make_cycle(buckets=((60_000_000, {}), (40_000_000, {})))
    expert = expert_for(cycle)
    first, second = cycle.buckets.order_by("id")
    a = propose(cycle, make_resident(), title="Swings for the courtyard", bucket=first)
    b = propose(cycle, make_resident(), title="Lights on the path", bucket=second)
    move(cycle, Stage.REVIEW)
    admit(a, expert)
    admit(b, expert)
    move(cycle, Stage.VOTING)
    return cycle, first, second, a, b


# --------------------------------------------------------------------------------------------------- receipts

def test_receipt_code_is_returned_once_and_only_its_hash_is_stored(voting, make_resident):
    cycle, first, _second, a, _b = voting
    voter = make_resident()
    ballot, created = services.cast_ballot(first, voter, [a.pk])
    assert created
    code = ballot.receipt_code
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    stored = Ballot.objects.get(pk=ballot.pk)
    assert stored.receipt_hash == services.receipt_hash(code) and len(stored.receipt_hash) == 64
    assert services.normalize_receipt(code) not in stored.receipt_hash
    assert services.check_receipt(code.lower().replace("-", " ")).pk == ballot.pk  # typed loosely on a phone
    assert services.check_receipt("AAAA-BBBB-CCCC") is None
    assert services.check_receipt("") is None


def test_changing_a_vote_keeps_the_receipt(make_cycle, make_resident, expert_for):
    cycle = make_cycle(vote_changeable=True)
    expert = expert_for(cycle)
    a = propose(cycle, make_resident(), title="A")
    b = propose(cycle, make_resident(), title="B")
    move(cycle, Stage.REVIEW)
    admit(a, expert)
    admit(b, expert)
    move(cycle, Stage.VOTING)
    voter = make_resident()
    bucket = cycle.buckets.get()
    ballot, _ = services.cast_ballot(bucket, voter, [a.pk])
    code = ballot.receipt_code
    changed, created = services.cast_ballot(bucket, voter, [b.pk])
    assert not created and changed.receipt_code is None
    assert services.check_receipt(code).pk == ballot.pk


def test_ballot_page_shows_the_receipt_once_and_prompts_the_next_bucket(client, voting, make_resident):
    cycle, first, second, a, b = voting
    voter = make_resident()
    client.force_login(voter)
    with translation.override("en"):
        url = reverse("budget:ballot", args=[first.pk])
    response = client.post(url, {"choices": [a.pk]}, follow=True)
    html = response.content.decode()
    ballot = Ballot.objects.get(bucket=first, voter_hash=services.ballot_voter_hash(services.resident_of(voter).iin_hash, first))
    code = re.search(r'class="receipt-code">([A-Z0-9-]+)<', html).group(1)
    assert services.receipt_hash(code) == ballot.receipt_hash
    assert reverse("budget:ballot", args=[second.pk]) in html  # the prompt for the other bucket
    assert "Bucket 1" in html
    again = client.get(url).content.decode()
    assert "receipt-code" not in again  # shown only once
    client.post(reverse("budget:ballot", args=[second.pk]), {"choices": [b.pk]})
    done = client.get(reverse("budget:ballot", args=[second.pk])).content.decode()
    assert 'class="next-bucket"' not in done  # both buckets voted: no more prompt


def test_my_ballot_confirms_the_ballot_and_never_shows_choices(client, voting, make_resident, make_user):
    cycle, first, _second, a, _b = voting
    voter = make_resident()
    ballot, _ = services.cast_ballot(first, voter, [a.pk])
    code = ballot.receipt_code
    with translation.override("en"):
        url = reverse("budget:my_ballot")
    for who in (None, make_resident(), make_user("someone-else", role="akimat"), voter):
        client.logout()
        if who is not None:
            client.force_login(who)
        html = client.get(url, {"code": code}).content.decode()
        assert "This ballot was recorded." in html
        assert "Bucket 0" in html and "Test cycle" in html
        assert a.title not in html, "the receipt check must never show the choices"
        assert voter.username not in html or who == voter
    client.logout()
    html = client.get(url, {"code": "WXYZ-WXYZ-WXYZ"}).content.decode()
    assert "No ballot has this receipt code" in html
    assert client.get(url, {"code": "x" * 5000}).status_code == 200


def test_my_ballot_lists_the_residents_own_ballots_without_choices(client, voting, make_resident):
    _cycle, first, second, a, b = voting
    voter = make_resident()
    services.cast_ballot(first, voter, [a.pk])
    services.cast_ballot(second, voter, [b.pk])
    client.force_login(voter)
    html = client.get(reverse("budget:my_ballot")).content.decode()
    assert "Bucket 0" in html and "Bucket 1" in html
    assert a.title not in html and b.title not in html


# --------------------------------------------------------------------------------------------------- pin map

def _settlement(district, **names):
    from geo.models import Settlement

    return Settlement.objects.create(district=district, region=district.region, lat=51.12, lon=71.43,
                                     type="village", source="test", **names)


def test_place_search_matches_kk_ru_en_names_in_the_cycles_district(client, make_cycle, esil):
    from localization.models import District

    cycle = make_cycle()
    _settlement(esil, name_kk="Көктал", name_ru="Коктал", name_en="Koktal")
    other = District.objects.exclude(pk=esil.pk).first()
    _settlement(other, name_kk="Көкбұлақ", name_ru="Кокбулак", name_en="Kokbulak")
    url = reverse("budget:place_search", args=[cycle.pk])
    for query in ("көкт", "КОКТ", "koktal", "Kok"):
        data = client.get(url, {"q": query}).json()
        names = [r["name"] for r in data["results"]]
        assert len(names) == 1 and names[0] in ("Көктал", "Коктал", "Koktal"), (query, names)
        assert data["results"][0]["lat"] == 51.12
    assert client.get(url, {"q": "к"}).json()["results"] == []  # too short
    assert client.get(url, {"q": "nowhere"}).json()["results"] == []
    assert client.get(reverse("budget:place_search", args=[999999]), {"q": "ko"}).status_code == 404


def test_place_search_answers_in_the_page_language(client, make_cycle, esil):
    cycle = make_cycle()
    _settlement(esil, name_kk="Көктал", name_ru="Коктал", name_en="Koktal")
    for lang, name in (("kk", "Көктал"), ("ru", "Коктал"), ("en", "Koktal")):
        with translation.override(lang):
            url = django_reverse("budget:place_search", args=[cycle.pk])
        assert client.get(url, {"q": "kokt"}).json()["results"][0]["name"] == name


def test_proposal_form_has_the_map_tools_and_a_17_goal_picker(client, make_cycle, make_resident):
    cycle = make_cycle()
    client.force_login(make_resident())
    html = client.get(reverse("budget:proposal_submit", args=[cycle.pk])).content.decode()
    assert 'id="place-q"' in html and 'id="locate-me"' in html and "tile.openstreetmap.org" in html
    assert html.count('name="sdg_goals"') == 17
    assert 'id="goal-filter"' in html and "<select" in html  # the bucket/category selects stay; no target list
    assert 'name="sdg_targets"' not in html


def test_goals_are_saved_and_shown_as_badges(client, make_cycle, make_resident, esil):
    from localization.models import Goal

    cycle = make_cycle()
    author = make_resident()
    client.force_login(author)
    goals = list(Goal.objects.filter(number__in=[3, 11]))
    data = {
        "bucket": cycle.buckets.get().pk, "title": "Courtyard with trees", "description": "Trees and benches",
        "category": "greening", "address": "Astana", "lat": "51.11", "lon": "71.44", "estimated_cost": "1000000",
        "sdg_goals": [g.pk for g in goals],
    }
    response = client.post(reverse("budget:proposal_submit", args=[cycle.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    proposal = Proposal.objects.get(title="Courtyard with trees")
    assert sorted(proposal.sdg_goals.values_list("number", flat=True)) == [3, 11]
    html = client.get(reverse("budget:proposal_list", args=[cycle.pk])).content.decode()
    assert 'class="sdg sdg-3"' in html and 'class="sdg sdg-11"' in html and 'class="ppb-card"' in html
    assert "<table" not in html
    # the pin is still checked on the server: outside the district is refused, nothing stored
    data.update(title="Far away", lat="43.24", lon="76.89")
    client.force_login(make_resident())
    response = client.post(reverse("budget:proposal_submit", args=[cycle.pk]), data)
    assert response.status_code == 200 and not Proposal.objects.filter(title="Far away").exists()


# --------------------------------------------------------------------------------------------------- my pages, banner

def test_my_proposals_and_my_activity(client, voting, make_resident):
    cycle, first, _second, a, _b = voting
    author = a.author
    client.force_login(author)
    html = client.get(reverse("budget:my_proposals")).content.decode()
    assert a.title in html and "Lights on the path" not in html
    services.cast_ballot(first, author, [a.pk])
    html = client.get(reverse("budget:my_activity")).content.decode()
    assert a.title in html and "Bucket 0" in html and "Admitted to the vote" in html
    client.logout()
    assert client.get(reverse("budget:my_activity")).status_code == 302


def test_home_banner_for_cycles_in_voting_in_the_visitors_region(client, voting, make_resident, esil):
    from localization.models import District

    cycle = voting[0]
    with translation.override("en"):
        home = reverse("home")
    banner = f'href="{reverse("budget:cycle_detail", args=[cycle.pk])}#buckets"'
    assert banner in client.get(home).content.decode()  # anonymous visitors see every cycle in voting
    client.force_login(make_resident())  # registered in Esil, Astana
    html = client.get(home).content.decode()
    assert banner in html and "Voting is open: Test cycle" in html
    elsewhere = District.objects.exclude(region=esil.region).first()
    client.force_login(make_resident(district=elsewhere))
    assert banner not in client.get(home).content.decode()
    move(cycle, Stage.COUNTING)
    client.logout()
    assert banner not in client.get(home).content.decode()


def test_cycle_page_has_a_sticky_vote_button_during_voting(client, voting):
    cycle, first, *_ = voting
    html = client.get(reverse("budget:cycle_detail", args=[cycle.pk])).content.decode()
    assert 'class="sticky-cta"' in html and reverse("budget:ballot", args=[first.pk]) in html
    move(cycle, Stage.COUNTING)
    assert 'class="sticky-cta"' not in client.get(reverse("budget:cycle_detail", args=[cycle.pk])).content.decode()


# --------------------------------------------------------------------------------------------------- accounts

def test_createsuperuser_gets_the_administrator_role(db):
    from django.contrib.auth import get_user_model

    call_command("createsuperuser", interactive=False, username="root", email="root@example.kz", stdout=io.StringIO())
    user = get_user_model().objects.get(username="root")
    assert user.is_superuser and user.role == "admin"
    expert = get_user_model().objects.create_user("chief-expert", role="expert")
    expert.is_superuser = True
    expert.save()
    expert.refresh_from_db()
    assert expert.role == "expert"  # a deliberately chosen role is kept


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_password_reset_by_email(client, settings, make_resident, lang):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = make_resident(email="aigerim@example.kz")
    with translation.override(lang):
        start = django_reverse("password_reset")
        login = django_reverse("login")
    assert 'href="%s"' % start in client.get(login).content.decode()
    page = client.get(start)
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.content.decode()
    response = client.post(start, {"email": "aigerim@example.kz"}, follow=True)
    assert response.status_code == 200 and len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/\S+/reset/\S+/)", mail.outbox[0].body).group(1)
    assert link.startswith(f"/{lang}/")
    form = client.get(link, follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Nov-Parol-2026!", "new_password2": "Nov-Parol-2026!"},
                       follow=True)
    assert done.status_code == 200
    user.refresh_from_db()
    assert user.check_password("Nov-Parol-2026!")
    # the link works once
    again = client.get(link, follow=True).content.decode()
    assert 'name="new_password1"' not in again
    # an unknown address sends nothing and says the same
    client.post(start, {"email": "nobody@example.kz"})
    assert len(mail.outbox) == 1


def test_reset_demo_passwords_prints_working_passwords(db):
    from django.contrib.auth import get_user_model
    from django.core.management.base import CommandError

    User = get_user_model()
    User.objects.create_user("demo-akimat", password="old-Password-1", role="akimat")
    User.objects.create_user("demo-resident-1", password="old-Password-1")
    User.objects.create_user("real-person", password="old-Password-1")
    out = io.StringIO()
    call_command("reset_demo_passwords", stdout=out)
    lines = dict(re.findall(r"^(\S+) \(\w+\): (\S+)$", out.getvalue(), re.M))
    assert set(lines) == {"demo-akimat", "demo-resident-1"}
    for name, password in lines.items():
        assert User.objects.get(username=name).check_password(password)
    assert User.objects.get(username="real-person").check_password("old-Password-1")
    with pytest.raises(CommandError):
        call_command("reset_demo_passwords", "real-person", stdout=io.StringIO())


def test_api_lists_the_goals_of_a_proposal(client, make_cycle, make_resident):
    from localization.models import Goal

    cycle = make_cycle()
    proposal = propose(cycle, make_resident(), title="Trees", goals=list(Goal.objects.filter(number__in=[11, 15])))
    rows = client.get("/api/v1/budget/proposals/", {"cycle": cycle.pk}).json()
    rows = rows.get("results", rows) if isinstance(rows, dict) else rows
    (row,) = [r for r in rows if r["id"] == proposal.pk]
    assert row["sdg_goals"] == [11, 15]
