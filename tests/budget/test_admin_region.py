"""Security 1: the Django admin obeys the region rule (can_edit_region) on every model whose rows reach a region.

An akimat officer of region A with is_staff and ALL model permissions tries, through the real admin pages:
to add a row in region B, to move a row of A to B, to change a row of B, to delete a row of B (page and bulk
action). All are refused and nothing is saved; changing a row of A still works.

The models are enumerated by introspection (every registered model with a chain of foreign keys to Region), so a
new model cannot be forgotten: its admin must use localization.admin_region, and the world below must hold a row
of it.
"""
from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models as djm
from django.utils import timezone

from budget import models as bm
from budget import services
from budget.core.iin import make_valid_iin
from budget.demo import schedule
from geo import models as gm
from localization import models as lm
from localization.admin_region import NationalOnlyMixin, RegionRuleMixin  # noqa

pytestmark = pytest.mark.django_db

A, B = "710000000", "750000000"  # Astana and Almaty: both cities of republican significance
POINT = {A: (51.1100, 71.4400), B: (43.2380, 76.9450)}


PERSON_FIELDS = ("entered_by", "verified_by", "changed_by", "created_by", "approved_by", "proposed_by", "imported_by",
                 "user", "author", "expert", "actor", "declared_region", "former_region")


def region_paths(model, depth=6, seen=()) -> list[list[str]]:
    """Every chain of foreign keys from ``model`` to Region (people and declared/former regions left out)."""
    if depth == 0:
        return []
    paths = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, (djm.ForeignKey, djm.OneToOneField)) or field.name.startswith(PERSON_FIELDS):
            continue
        if field.related_model is lm.Region:
            paths.append([field.name])
        elif field.related_model not in seen:
            paths += [[field.name, *rest] for rest in region_paths(field.related_model, depth - 1, (*seen, model))]
    return paths


def regions_of(obj) -> set[int]:
    found = set()
    for path in region_paths(type(obj)):
        target = obj
        for part in path:
            target = getattr(target, part, None) if target is not None else None
        if target is not None:
            found.add(target.pk)
    return found


def reaches_region(model) -> bool:
    return bool(region_paths(model))


def scoped_models():
    out = []
    for app in ("localization", "geo", "budget"):
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical") or model is lm.Region:
                continue
            if reaches_region(model):
                out.append(model)
    return out


SCOPED = scoped_models()


def test_every_model_reaching_a_region_follows_the_rule():
    assert len(SCOPED) >= 20
    loose = [m.__name__ for m in SCOPED
             if not isinstance(admin.site._registry[m], (RegionRuleMixin, NationalOnlyMixin))]
    assert loose == []
    for model in apps.get_models():
        model_admin = admin.site._registry.get(model)
        if model_admin is None or model._meta.app_label not in ("localization", "geo", "budget"):
            continue
        assert isinstance(model_admin, (RegionRuleMixin, NationalOnlyMixin)), model.__name__


# ------------------------------------------------------------------------------------------------- the world

def build_region(kato: str, n: int, shared) -> dict:
    region = lm.Region.objects.get(kato=kato)
    district = lm.District.objects.filter(region=region).order_by("kato").first()
    lat, lon = POINT[kato]
    rows = {}
    rows[lm.IndicatorValue] = lm.IndicatorValue.objects.create(
        indicator=shared["indicator"], region=region, area_code=region.ref_area, year=2018 + n, value=1.5,
        status=lm.IndicatorValue.Verification.UNVERIFIED)
    rows[lm.RegionalTarget] = lm.RegionalTarget.objects.create(
        indicator=shared["indicator"], region=region, base_year=2020, base_value=1.0, target_year=2030,
        target_value=2.0)
    settlement = gm.Settlement(name_ru=f"Пункт {n}", lat=lat, lon=lon, source="test")
    from geo import services as geo_services

    geo_services.locate(settlement)
    assert settlement.region == region
    settlement.save()
    rows[gm.Settlement] = settlement
    rows[gm.RssObservation] = gm.RssObservation.objects.create(
        settlement=settlement, standard=shared["standard"], year=2022 + n, met=True, source="test")
    cycle = bm.Cycle(name_kk=f"Цикл {n}", name_ru=f"Цикл {n}", name_en=f"Cycle {n}", district=district, year=2026,
                     mrp=4325, total_money=100_000_000, cap_amount=10_000, **schedule(bm.Stage.SUBMISSION))
    cycle.full_clean()
    cycle.save()
    rows[bm.Cycle] = cycle
    bucket = rows[bm.Bucket] = bm.Bucket.objects.create(cycle=cycle, name_kk="Қор", name_ru="Фонд", name_en="Bucket",
                                                        money=40_000_000)
    rows[bm.Sponsorship] = bm.Sponsorship.objects.create(bucket=bucket, sponsor="Sponsor", amount=1000)
    rows[bm.StageChange] = bm.StageChange.objects.create(cycle=cycle, from_stage="submission", to_stage="review",
                                                         reason="test")
    resident = services.register_resident(username=f"resident{n}", password="pw-Aimaq-2026!",
                                          iin=make_valid_iin(dt.date(1990, 1, n), "M", 10 + n), district=district)
    rows[bm.ResidentProfile] = resident.resident
    proposal = rows[bm.Proposal] = bm.Proposal.objects.create(
        cycle=cycle, bucket=bucket, author=resident, title=f"Proposal {n}", description="d", category="playgrounds",
        address="a", lat=lat, lon=lon, estimated_cost=1_000_000)
    rows[bm.Attachment] = bm.Attachment.objects.create(
        proposal=proposal, file=SimpleUploadedFile("a.pdf", b"%PDF-1.4"), kind="pdf", size=8, original_name="a.pdf")
    expert = lm.User.objects.create_user(f"expert{n}", role="expert")
    rows[bm.ExpertAssignment] = bm.ExpertAssignment.objects.create(cycle=cycle, expert=expert)
    review = rows[bm.Review] = bm.Review.objects.create(proposal=proposal, expert=shared["expert"], round=1,
                                                        decision="admitted")
    rows[bm.CriterionVerdict] = bm.CriterionVerdict.objects.create(review=review, criterion="inside_district",
                                                                   passed=True, reason="meets")
    ballot = rows[bm.Ballot] = bm.Ballot.objects.create(cycle=cycle, bucket=bucket, voter_hash=f"{n:064d}",
                                                        voter_district=district, channel="online")
    rows[bm.BallotAudit] = bm.BallotAudit.objects.create(**audit_fields(ballot, resident))
    rows[bm.CountResult] = bm.CountResult.objects.create(
        cycle=cycle, bucket=bucket, rule="greedy", budget=1, num_votes=1, money_spent=0, money_left=1, pb_text="x",
        pb_sha256="0" * 64)
    rows[bm.CycleCount] = bm.CycleCount.objects.create(cycle=cycle, total=1)
    implementation = rows[bm.Implementation] = bm.Implementation.objects.create(proposal=proposal,
                                                                                money_planned=1_000_000)
    rows[bm.Milestone] = bm.Milestone.objects.create(implementation=implementation, date=dt.date(2026, 1, 1),
                                                     text="started")
    rows[lm.District] = district
    rows[lm.User] = lm.User.objects.create_user(f"staff{n}", role="akimat", region=region, is_staff=True)
    rows[gm.Boundary] = gm.Boundary.objects.filter(region=region).first()
    rows[gm.GapFigure] = gm.GapFigure.objects.create(kind="poverty", region=region, value=1.0, unit="%",
                                                     document="doc", seed_file="f", seed_line=n, quote="q")
    return rows


def audit_fields(ballot, resident) -> dict:
    names = {f.name for f in bm.BallotAudit._meta.get_fields()}
    fields = {"action": "create", "actor": resident}
    if "ballot" in names:
        fields.update(ballot=ballot, new=[])
    else:
        fields.update(cycle=ballot.cycle, bucket=ballot.bucket)
    return fields


@pytest.fixture
def world(make_user):
    shared = {
        "indicator": lm.Indicator.objects.create(code="99-1-1", sort_key="99.01.01", goal=lm.Goal.objects.get(number=1),
                                                 title_en="Test"),
        "standard": gm.RssStandard.objects.create(code="T1", name_kk="Т", name_ru="Т", name_en="T", is_example=False),
        "expert": make_user("expert", role="expert"),
    }
    return {A: build_region(A, 1, shared), B: build_region(B, 2, shared)}


@pytest.fixture
def officer_a(make_user):
    officer = make_user("officer-a", role="akimat", region=A, is_staff=True)
    officer.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["localization", "geo", "budget"]))
    return officer


# ------------------------------------------------------------------------------------------------- a browser's form

class FormScraper(HTMLParser):
    """The values a browser would submit from the admin's change form (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.in_form = False
        self.select = None
        self.textarea = None

    def add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id", "").endswith("_form"):
            self.in_form = True
        if not self.in_form or not a.get("name"):
            if tag == "option" and self.select and "selected" in a:
                self.add(self.select, a.get("value", ""))
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.add(name, a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self.select = name
        elif tag == "textarea":
            self.textarea = name
            self.add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.in_form = False

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data.lstrip("\n") if not self.data[self.textarea][-1] else data


def scrape(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = FormScraper()
    parser.feed(response.content.decode())
    return {k: v if len(v) > 1 else v[0] for k, v in parser.data.items()}


def form_errors(response):
    context = response.context or {}
    errors = [context["adminform"].form.errors] if "adminform" in context else []
    errors += [fs.formset.errors for fs in context.get("inline_admin_formsets", [])]
    return errors


def admin_url(model, action, pk=None):
    base = f"/en/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return base + ("add/" if action == "add" else f"{pk}/{action}/")


def snapshot(obj):
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields
            if f.attname not in ("updated_at",)}


def region_fields(model) -> list[str]:
    """The form fields that decide the row's region: foreign keys to regions, districts and region-scoped rows."""
    names = []
    for field in model._meta.concrete_fields:
        if isinstance(field, djm.ForeignKey):
            related = field.related_model
            if related in (lm.Region, lm.District) or (related in SCOPED and not field.name.startswith(PERSON_FIELDS)):
                names.append(field.name)
    if model is gm.Settlement:
        names += ["lat", "lon"]  # its region follows the coordinates
    if model is lm.IndicatorValue:
        names.append("area_code")
    return names


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m.__name__)
def test_officer_of_a_cannot_touch_region_b(client, world, officer_a, django_user_model, model):
    model_admin = admin.site._registry[model]
    root = django_user_model.objects.create_superuser("root", "root@example.kz", "pw-Aimaq-2026!")
    row_a, row_b = world[A][model], world[B][model]
    before_a, before_b, count = snapshot(row_a), snapshot(row_b), model.objects.count()
    client.force_login(root)
    data_b = scrape(client, admin_url(model, "change", row_b.pk))
    client.force_login(officer_a)

    # the list shows A's row, not B's; B's pages are not reachable (reference data may be looked at by all staff)
    listing = client.get(f"/en/admin/{model._meta.app_label}/{model._meta.model_name}/")
    assert listing.status_code in (200, 403)  # 403: accounts are for national users only
    if not isinstance(model_admin, NationalOnlyMixin):
        page = listing.content.decode()
        assert f"/{model._meta.model_name}/{row_a.pk}/change/" in page or model is bm.Ballot  # ballots: no links
        assert f"/{model._meta.model_name}/{row_b.pk}/change/" not in page
        assert client.get(admin_url(model, "change", row_b.pk)).status_code in (302, 403, 404)

    # change B (with B's own values), delete B (page and bulk action): refused
    client.post(admin_url(model, "change", row_b.pk), data_b)
    client.post(admin_url(model, "delete", row_b.pk), {"post": "yes"})
    client.post(f"/en/admin/{model._meta.app_label}/{model._meta.model_name}/",
                {"action": "delete_selected", "_selected_action": [row_b.pk], "post": "yes"})
    assert snapshot(row_b) == before_b

    # add in B: B's values posted to the add form
    if model_admin.has_add_permission(listing.wsgi_request):
        client.post(admin_url(model, "add"), data_b)
    assert model.objects.count() == count

    # move A -> B: A's form with B's region, district or parent row
    if model_admin.has_change_permission(listing.wsgi_request, row_a):
        data_a = scrape(client, admin_url(model, "change", row_a.pk))
        moved = dict(data_a)
        for name in region_fields(model):
            if name in data_b:
                moved[name] = data_b[name]
        response = client.post(admin_url(model, "change", row_a.pk), moved)
        assert response.status_code in (200, 403), response.status_code
        assert regions_of(model.objects.get(pk=row_a.pk)) == {lm.Region.objects.get(kato=A).pk}
        assert snapshot(row_a) == before_a
        # ... while saving A's own row works
        response = client.post(admin_url(model, "change", row_a.pk), data_a)
        assert response.status_code == 302, form_errors(response)
        # and the same move is valid for a national user: the officer's refusal was the region rule, nothing else
        client.force_login(root)
        moved = scrape(client, admin_url(model, "change", row_a.pk))
        if any(isinstance(model._meta.get_field(name), djm.OneToOneField) for name in region_fields(model)):
            model.objects.filter(pk=row_b.pk).delete()  # a one-to-one parent holds one row: make room
        for name in region_fields(model):
            if name in data_b:
                moved[name] = data_b[name]
        response = client.post(admin_url(model, "change", row_a.pk), moved)
        assert response.status_code == 302, form_errors(response)
        assert regions_of(model.objects.get(pk=row_a.pk)) == {lm.Region.objects.get(kato=B).pk}
        count = model.objects.count()
    assert model.objects.count() == count


def test_status_and_verification_are_read_only_for_akimat_staff(client, world, officer_a):
    client.force_login(officer_a)
    value = world[A][lm.IndicatorValue]
    data = scrape(client, admin_url(lm.IndicatorValue, "change", value.pk))
    assert "status" not in data and "verified_by" not in data
    data["status"], data["value"] = "official", "123456"
    assert client.post(admin_url(lm.IndicatorValue, "change", value.pk), data).status_code == 302
    value.refresh_from_db()
    assert value.value == 123456 and value.status == "unverified"
    lm.IndicatorValue.objects.filter(pk=value.pk).update(status="official")
    data["value"] = "7"
    client.post(admin_url(lm.IndicatorValue, "change", value.pk), data)
    value.refresh_from_db()
    assert value.value == 123456  # an official value is the statistics office's: not changed
    proposal = world[A][bm.Proposal]
    assert "status" not in scrape(client, admin_url(bm.Proposal, "change", proposal.pk))


def test_reference_data_and_accounts_are_national(client, world, officer_a):
    client.force_login(officer_a)
    astana = lm.Region.objects.get(kato=A)
    assert client.get(admin_url(lm.User, "change", officer_a.pk)).status_code in (302, 403)
    client.post(admin_url(lm.User, "change", officer_a.pk), {"username": "officer-a", "role": "statistics"})
    officer_a.refresh_from_db()
    assert officer_a.role == "akimat"
    population = astana.population_total
    data = {"kato": A, "name_en": "X", "population_total": "1"}
    client.post(admin_url(lm.Region, "change", astana.pk), data)
    astana.refresh_from_db()
    assert astana.population_total == population and astana.name_en != "X"
