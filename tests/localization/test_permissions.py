"""One permission check decides who may change a region's data."""
import pytest

from localization.models import Region
from localization.permissions import can_edit_region

pytestmark = pytest.mark.django_db


def test_permission_matrix(make_user):
    astana, almaty = Region.objects.get(kato="710000000"), Region.objects.get(kato="750000000")
    akimat = make_user("akim-astana", role="akimat", region=astana)
    stats = make_user("stat", role="statistics")
    resident = make_user("res", role="resident")
    expert = make_user("exp", role="expert")
    assert can_edit_region(akimat, astana) and not can_edit_region(akimat, almaty)
    assert can_edit_region(akimat, astana.pk)
    assert can_edit_region(stats, astana) and can_edit_region(stats, almaty)
    assert not can_edit_region(resident, astana) and not can_edit_region(expert, astana)
    akimat.is_active = False
    assert not can_edit_region(akimat, astana)


def test_akimat_officer_refused_for_another_region(client, make_user):
    officer = make_user("akim-astana", role="akimat", region="710000000")
    client.force_login(officer)
    assert client.get("/en/regions/750000000/edit/").status_code == 403
    response = client.post("/en/regions/750000000/edit/", {"website": "https://evil.example", "focal_point": "x", "contact_email": ""})
    assert response.status_code == 403
    assert Region.objects.get(kato="750000000").website == ""
    # Own region works and saves.
    response = client.post("/en/regions/710000000/edit/", {"website": "https://astana.gov.kz", "focal_point": "SDG unit", "contact_email": "sdg@astana.kz"})
    assert response.status_code == 302
    assert Region.objects.get(kato="710000000").website == "https://astana.gov.kz"


def test_bad_input_shows_field_errors_and_changes_nothing(client, make_user):
    client.force_login(make_user("akim", role="akimat", region="710000000"))
    response = client.post("/ru/regions/710000000/edit/", {"website": "not a url", "focal_point": "", "contact_email": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert Region.objects.get(kato="710000000").website == ""


def _all_routes():
    """Every named URL of the site, reversed with sample arguments (kato, code, pk, number)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    samples = {"kato": "710000000", "code": "1-2-1", "pk": 1, "number": 1}

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                yield prefix + p.name, list(p.pattern.converters)

    for name, params in walk(get_resolver().url_patterns):
        yield name, {k: samples[k] for k in params if k in samples}


# Views that change data, and so must send anonymous visitors to sign in.
EDIT_VIEWS = {
    "region_edit", "data_import", "data_indicator_edit", "data_value_entry", "data_value_upload", "data_verification",
    "ind_decompose", "ind_propose", "ind_review", "geo:settlement_import", "geo:rss_standard_new", "geo:rss_standard_edit", "geo:recompute",
    "budget:proposal_submit", "budget:proposal_edit", "budget:review_queue", "budget:review_form",
    "budget:paper_ballot", "budget:ballot", "budget:cycle_close", "budget:cycle_stage", "budget:implementation_edit",
}
PUBLIC_FORMS = {"login", "budget:signup", "logout"}


def _row_counts():
    from django.apps import apps

    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def test_anonymous_users_cannot_reach_edit_views(client):
    from django.urls import NoReverseMatch, reverse

    before = _row_counts()
    seen = set()
    for name, kwargs in _all_routes():
        try:
            url = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
        seen.add(name)
        if name in EDIT_VIEWS:
            response = client.get(url)
            allowed = (302, 403, 404) if "pk" in kwargs else (302, 403)  # sample pk=1 may not exist
            assert response.status_code in allowed, (name, response.status_code)
            if response.status_code == 302:
                assert "/accounts/login/" in response["Location"], name
        if name in PUBLIC_FORMS or name.startswith("admin:"):
            continue
        # No anonymous POST anywhere may change anything or crash.
        response = client.post(url, {})
        assert response.status_code < 500, (name, url, response.status_code)
        if name in EDIT_VIEWS and response.status_code == 302:
            assert "/accounts/login/" in response["Location"], (name, response["Location"])
    assert _row_counts() == before
    assert EDIT_VIEWS <= seen, EDIT_VIEWS - seen
    # Any new *_edit view must be listed above.
    assert {n for n in seen if n.endswith("_edit") and not n.startswith("admin:")} <= EDIT_VIEWS
