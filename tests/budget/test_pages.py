"""Every PPB page answers in kk, ru and en; the forms are keyboard-usable (labels for every control)."""
import re

import pytest
from django.urls import reverse
from django.utils import translation

from budget import services
from budget.models import Implementation, Stage
from tests.budget.helpers import admit, move, propose

pytestmark = pytest.mark.django_db

WORD = {"kk": "Өтінімдер", "ru": "Заявки", "en": "Proposals"}


@pytest.fixture
def counted(make_cycle, make_resident, expert_for, officer):
    cycle = make_cycle()
    expert = expert_for(cycle)
    p = propose(cycle, make_resident())
    move(cycle, Stage.REVIEW)
    admit(p, expert)
    move(cycle, Stage.VOTING)
    bucket = cycle.buckets.get()
    voter = make_resident()
    services.cast_ballot(bucket, voter, [p.pk])
    move(cycle, Stage.COUNTING)
    (result,) = services.close_cycle(cycle)
    return cycle, bucket, p, result, expert, voter


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_pages_in_each_language(client, counted, officer, lang):
    cycle, bucket, p, result, expert, voter = counted
    impl = Implementation.objects.get(proposal=p)
    public = [
        ("cycle_list", []), ("cycle_detail", [cycle.pk]), ("proposal_list", [cycle.pk]), ("proposal_detail", [p.pk]),
        ("protocol", [cycle.pk]), ("results", [cycle.pk]), ("implementation", [cycle.pk]), ("signup", []),
    ]
    with translation.override(lang):
        urls = [reverse(f"budget:{name}", args=args) for name, args in public]
        officer_urls = [reverse("budget:cycle_stage", args=[cycle.pk]), reverse("budget:cycle_close", args=[cycle.pk]),
                        reverse("budget:implementation_edit", args=[impl.pk]),
                        reverse("budget:paper_ballot", args=[bucket.pk])]
        expert_urls = [reverse("budget:review_queue")]
        voter_urls = [reverse("budget:ballot", args=[bucket.pk])]
    for group, who in [(urls, None), (officer_urls, officer), (expert_urls, expert), (voter_urls, voter)]:
        if who:
            client.force_login(who)
        for url in group:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert f'<html lang="{lang}">' in html
    client.logout()
    assert WORD[lang] in client.get(urls[1]).content.decode()


def _assert_labelled(html):
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', html))
    hidden = set(re.findall(r'<input type="hidden"[^>]*\sid="([^"]+)"', html))
    for control in ids - hidden:
        assert f'for="{control}"' in html, control


def test_every_form_control_has_a_label(client, make_cycle, make_resident, expert_for):
    cycle = make_cycle()
    client.force_login(make_resident())
    with translation.override("en"):
        html = client.get(reverse("budget:proposal_submit", args=[cycle.pk])).content.decode()
    assert 'src="/static/vendor/leaflet/leaflet.js"' in html and "unpkg" not in html and "cdn" not in html.lower()
    assert 'name="pin_lat"' in html and 'name="lat"' in html
    _assert_labelled(html)

    expert = expert_for(cycle, username="expert2")
    proposal = propose(cycle, make_resident())
    client.force_login(expert)
    with translation.override("en"):
        _assert_labelled(client.get(reverse("budget:review_form", args=[proposal.pk])).content.decode())
        client.logout()
        _assert_labelled(client.get(reverse("budget:signup")).content.decode())
    move(cycle, Stage.REVIEW)
    admit(proposal, expert)
    move(cycle, Stage.VOTING)
    client.force_login(make_resident())
    with translation.override("en"):
        html = client.get(reverse("budget:ballot", args=[cycle.buckets.get().pk])).content.decode()
    assert 'type="checkbox"' in html
    _assert_labelled(html)


def test_admin_lists_every_budget_model(client, counted, make_user):
    from django.apps import apps
    from django.contrib import admin as django_admin

    root = make_user("root", role="admin", is_staff=True, is_superuser=True)
    client.force_login(root)
    models = [m for m in apps.get_app_config("budget").get_models() if not m.__name__.startswith("Historical")]
    assert all(m in django_admin.site._registry for m in models), [m for m in models if m not in django_admin.site._registry]
    with translation.override("en"):
        for model in models:
            url = reverse(f"admin:budget_{model._meta.model_name}_changelist")
            assert client.get(url).status_code == 200, url
            obj = model.objects.first()
            if obj is not None:
                change = reverse(f"admin:budget_{model._meta.model_name}_change", args=[obj.pk])
                assert client.get(change).status_code == 200, change
