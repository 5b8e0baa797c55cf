"""Budget API (/api/v1/budget/): what the PPB pages show for the same query, hidden tallies before the voting
stage closes (in every rendering, for every user), no author identity anywhere, the .pb file and its SHA-256,
400s with a message on bad input, a warning-free schema."""
import csv
import hashlib
import io
import json

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from budget import services
from budget.models import CountResult, Stage
from tests.budget.conftest import (  # noqa: F401
    esil, expert_for, fast_password_hashing, make_cycle, make_resident, media_in_tmp,
)
from tests.budget.helpers import INSIDE_ESIL_2, admit, move, propose
from tests.test_api_support import api, no_throttle, results, token_client  # noqa: F401

pytestmark = pytest.mark.django_db

BASE = "/api/v1/budget"


@pytest.fixture
def voted(make_cycle, make_resident, expert_for):
    """A cycle in the counting stage with two admitted proposals and three ballots, not yet counted."""
    cycle = make_cycle(max_choices=1)
    expert = expert_for(cycle)
    author = make_resident("author-anna", email="anna.author@example.kz")
    other_author = make_resident("author-bek", email="bek.author@example.kz")
    p1 = propose(cycle, author, title="Playground on Mangilik El", cost=10_000_000)
    p2 = propose(cycle, other_author, title="Benches by the Expo", cost=20_000_000, point=INSIDE_ESIL_2,
                 category="equipment")
    move(cycle, Stage.REVIEW)
    admit(p1, expert, explanation="Public courtyard, cost realistic.")
    admit(p2, expert)
    move(cycle, Stage.VOTING)
    bucket = cycle.buckets.get()
    for choice in (p1, p1, p2):
        services.cast_ballot(bucket, make_resident(), [choice.pk])
    return {"cycle": cycle, "bucket": bucket, "p1": p1, "p2": p2, "authors": [author, other_author]}


def page(client, name, lang="en", **kwargs):
    with translation.override(lang):
        response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    return response.content.decode()


def secrets_of(users) -> list[str]:
    out = []
    for user in users:
        out += [user.username, user.email, user.resident.iin_hash, user.iin]
    return out


def bodies(client, cycle_id) -> list[bytes]:
    urls = [f"{BASE}/cycles/", f"{BASE}/cycles/{cycle_id}/", f"{BASE}/proposals/", f"{BASE}/proposals/?format=csv",
            f"{BASE}/proposals/?format=geojson", f"{BASE}/proposals/?cycle={cycle_id}", f"{BASE}/results/",
            f"{BASE}/results/?format=csv"]
    out = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        out.append(response.content)
    from budget.models import Proposal

    for pk in Proposal.objects.filter(cycle_id=cycle_id).values_list("pk", flat=True):
        out.append(client.get(f"{BASE}/proposals/{pk}/").content)
        out.append(client.get(f"{BASE}/proposals/{pk}/?format=csv").content)
    return out


# ------------------------------------------------------------------------------------------ hidden tallies


@pytest.mark.parametrize("case", ["voting", "counted_then_reopened"])
def test_hidden_tallies_never_appear_before_close(api, voted, make_user, case):
    cycle, p1 = voted["cycle"], voted["p1"]
    if case == "counted_then_reopened":
        # the worst case: a count exists in the database but the stage went back (override or dates)
        move(cycle, Stage.COUNTING)
        services.close_cycle(cycle)
        move(cycle, Stage.VOTING)
    result = CountResult.objects.filter(cycle=cycle).first()
    resident = make_user("nosy", role="resident")
    clients = [api, token_client(resident), token_client(make_user("akim", role="akimat", region="710000000"))]
    for client in clients:
        for body in bodies(client, cycle.pk):
            text = body.decode()
            assert '"votes"' not in text and "votes" not in text.split("\r\n")[0], text[:300]
            for secret in secrets_of(voted["authors"]):
                assert secret not in text
        listed = client.get(f"{BASE}/results/?cycle={cycle.pk}").json()
        assert listed["count"] == 0 and listed["results"] == []
        detail = client.get(f"{BASE}/proposals/{p1.pk}/").json()
        assert "votes" not in detail and detail["title"] == p1.title
        if result is not None:
            assert client.get(f"{BASE}/results/{result.pk}/").status_code == 404
            assert client.get(f"{BASE}/results/{result.pk}/pb/").status_code == 404
            assert result.pb_sha256 not in client.get(f"{BASE}/results/").content.decode()
        cycles = client.get(f"{BASE}/cycles/{cycle.pk}/").json()
        assert cycles["voting_closed"] is False and cycles["counted"] is False


def test_no_author_identity_after_close_either(api, voted):
    move(voted["cycle"], Stage.COUNTING)
    services.close_cycle(voted["cycle"])
    for body in bodies(api, voted["cycle"].pk):
        for secret in secrets_of(voted["authors"]):
            assert secret not in body.decode()
    item = api.get(f"{BASE}/proposals/{voted['p1'].pk}/").json()
    assert not {"author", "co_applicants", "email", "iin_hash"} & set(item)


# ------------------------------------------------------------------------------------------ the pages


def test_cycles_match_the_cycle_list_page(api, client, voted):
    cycle = voted["cycle"]
    html = page(client, "budget:cycle_list", "ru")
    item = next(c for c in results(api.get(f"{BASE}/cycles/?lang=ru")) if c["id"] == cycle.pk)
    assert item["name"] == cycle.name_ru and item["name"] in html
    assert item["owner_name"] in html and item["district"] == "711210000" and item["region"] == "710000000"
    assert item["stage"] == Stage.VOTING and item["stage_label"] in html
    assert item["total_money"] == cycle.total_money and item["year"] == cycle.year == 2026
    assert (item["mrp"], item["k"], item["ballot_rule"], item["counting_rule"]) == (4325, 1, "approval", "greedy")
    assert item["cap_tenge"] == cycle.cap_tenge and item["dates"]["voting_end"] == cycle.voting_end.isoformat()
    (bucket,) = item["buckets"]
    assert bucket["name"] == "Корзина 0" and bucket["money"] == bucket["total_money"] == 100_000_000
    en = api.get(f"{BASE}/cycles/{cycle.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["name"] == "Test cycle" and en["buckets"][0]["name"] == "Bucket 0"
    kk = api.get(f"{BASE}/cycles/{cycle.pk}/?lang=kk")
    assert kk["Content-Language"] == "kk" and kk.json()["name"] == "Сынақ циклі"
    assert [c["id"] for c in results(api.get(f"{BASE}/cycles/?region=710000000&year=2026"))] == [cycle.pk]
    assert results(api.get(f"{BASE}/cycles/?year=2020")) == []


def test_proposals_match_the_proposal_list_page(api, client, voted):
    cycle = voted["cycle"]
    html = page(client, "budget:proposal_list", "en", pk=cycle.pk)
    items = results(api.get(f"{BASE}/proposals/?cycle={cycle.pk}&lang=en"))
    assert [i["id"] for i in items] == sorted(p.pk for p in cycle.proposals.all())
    for item in items:
        assert item["title"] in html and item["category_label"] in html and item["status_label"] in html
        assert item["bucket_name"] == "Bucket 0" and item["status"] == "admitted"
    p1 = next(i for i in items if i["id"] == voted["p1"].pk)
    assert p1["reviews"] == [{"round": 1, "decision": "admitted", "decision_label": "Admitted to the vote",
                              "explanation": "Public courtyard, cost realistic.", "adjusted_cost": None}]
    assert (p1["lat"], p1["lon"], p1["cost"]) == (voted["p1"].lat, voted["p1"].lon, 10_000_000)
    only = results(api.get(f"{BASE}/proposals/?category=equipment&status=admitted&bucket={voted['bucket'].pk}"))
    assert [i["id"] for i in only] == [voted["p2"].pk]
    geo = json.loads(api.get(f"{BASE}/proposals/?cycle={cycle.pk}&format=geojson").content)
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    assert geo["features"][0]["geometry"] == {"type": "Point", "coordinates": [voted["p1"].lon, voted["p1"].lat]}
    rows = list(csv.DictReader(io.StringIO(api.get(f"{BASE}/proposals/?format=csv").content.decode())))
    assert {r["title"] for r in rows} == {voted["p1"].title, voted["p2"].title}


def test_results_after_close_match_the_results_page_and_the_pb_file(api, client, voted):
    cycle = voted["cycle"]
    move(cycle, Stage.COUNTING)
    (stored,) = services.close_cycle(cycle)
    html = page(client, "budget:results", "en", pk=cycle.pk)
    (item,) = results(api.get(f"{BASE}/results/?cycle={cycle.pk}"))
    assert item["id"] == stored.pk and item["bucket"] == voted["bucket"].pk and item["rule"] == "greedy"
    assert [w["id"] for w in item["winners"]] == stored.winners
    assert item["winners"][0] == {"id": voted["p1"].pk, "title": voted["p1"].title, "votes": 2, "cost": 10_000_000}
    assert item["winners"][0]["title"] in html and item["pb_sha256"] in html
    assert (item["money_left"], item["num_votes"]) == (stored.money_left, 3)
    votes = {w["id"]: w["votes"] for w in item["winners"] + item["not_funded"]}
    assert votes == {int(k): v for k, v in stored.tallies.items()}
    pb = api.get(item["pb_url"])
    assert pb.status_code == 200 and pb["Content-Type"].startswith("text/plain")
    assert pb.content == stored.pb_text.encode("utf-8")
    assert hashlib.sha256(pb.content).hexdigest() == item["pb_sha256"] == pb["X-Checksum-SHA256"]
    assert pb.content == client.get(reverse("budget:result_pb", args=[stored.pk])).content
    assert api.get(f"{BASE}/results/{stored.pk}/").json()["pb_sha256"] == stored.pb_sha256
    etag = pb["ETag"]
    assert api.get(item["pb_url"], HTTP_IF_NONE_MATCH=etag).status_code == 304
    # the proposals now carry the published votes
    detail = api.get(f"{BASE}/proposals/{voted['p1'].pk}/").json()
    assert detail["votes"] == 2 and detail["status"] == "winner"
    assert api.get(f"{BASE}/cycles/{cycle.pk}/").json()["counted"] is True


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("url, field", [
    ("proposals/?status=elected", "status"),
    ("proposals/?category=castle", "category"),
    ("proposals/?cycle=abc", "cycle"),
    ("proposals/?bucket=-1", "bucket"),
    ("proposals/?cycle=99999999999999999999999", "cycle"),
    ("cycles/?year=3000", "year"),
    ("results/?cycle=x", "cycle"),
    ("cycles/?lang=de", "lang"),
])
def test_bad_input_gives_400_with_a_message(api, voted, url, field):
    response = api.get(f"{BASE}/{url}")
    assert response.status_code == 400, response.content
    messages = response.json()[field]
    assert messages and all(isinstance(m, str) and m for m in messages)


def test_messages_follow_the_request_language(api, voted):
    ru = api.get(f"{BASE}/proposals/?status=elected&lang=ru")
    assert ru.status_code == 400 and ru["Content-Language"] == "ru"
    assert any(ch in ru.json()["status"][0] for ch in "абвгдежзиклмнопрстуфхцчшщыэюя")
    assert api.get(f"{BASE}/results/999999/").status_code == 404
    assert api.get(f"{BASE}/results/999999/pb/").status_code == 404
    assert api.get(f"{BASE}/proposals/999999/").status_code == 404


def test_the_api_is_read_only(voted, make_user):
    client = token_client(make_user("akim2", role="akimat", region="710000000"))
    assert client.post(f"{BASE}/cycles/", {}).status_code == 405
    assert client.delete(f"{BASE}/proposals/{voted['p1'].pk}/").status_code == 405
    assert APIClient().post(f"{BASE}/results/", {}).status_code in (401, 403, 405)


def test_schema_lists_the_budget_endpoints_without_warnings(tmp_path):
    import yaml
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    for path in ("cycles/", "cycles/{id}/", "proposals/", "proposals/{id}/", "results/", "results/{id}/",
                 "results/{id}/pb/"):
        assert f"/api/v1/budget/{path}" in schema["paths"], path
    proposal = schema["components"]["schemas"]["Proposal"]
    assert "votes" in proposal["properties"] and "votes" not in proposal["required"]
    assert not {"author", "co_applicants"} & set(proposal["properties"])
