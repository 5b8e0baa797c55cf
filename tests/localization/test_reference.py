"""Reference data: real regions, districts and SDG framework, loaded idempotently from fixtures/."""
import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from localization.models import District, FormerRegion, GlobalIndicator, Goal, Region, Target
from localization.reference import looks_russian

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def counts():
    return {m.__name__: m.objects.count() for m in (Region, District, FormerRegion, Goal, Target, GlobalIndicator)} | {
        "links": GlobalIndicator.targets.through.objects.count(),
        "lineage": Region.predecessors.through.objects.count(),
    }


def test_load_reference_twice_changes_nothing():
    before = counts()
    out = io.StringIO()
    call_command("load_reference", stdout=out)
    assert counts() == before
    assert "created" not in out.getvalue() or all(" 0 created, 0 updated" in l for l in out.getvalue().splitlines())


def test_twenty_regions_with_codes_names_population():
    regions = list(Region.objects.all())
    assert len(regions) == 20
    assert sum(r.kind == "oblast" for r in regions) == 17
    assert {r.name_en for r in regions if r.kind == "city"} == {"Astana", "Almaty", "Shymkent"}
    for r in regions:
        assert r.name_kk and r.name_ru and r.name_en
        assert r.iso_code == f"KZ-{r.kato[:2]}"
        assert r.ref_area.startswith("KZ")
        assert r.population_total and r.population_urban + r.population_rural == r.population_total
    assert Region.objects.get(kato="710000000").ref_area == "KZNS"
    assert Region.objects.get(kato="100000000").ref_area == "KZABY"


def test_region_populations_sum_to_national_total():
    with open(FIXTURES / "population" / "kz_population_regions_2023-01-01.csv", encoding="utf-8") as fh:
        national = next(row for row in csv.DictReader(fh) if row["KATO"] == "000000000")
    assert sum(r.population_total for r in Region.objects.all()) == int(national["total"]) == 19_765_004


def test_districts_and_lineage():
    assert District.objects.count() == 224
    assert District.objects.filter(population_total__isnull=False).count() == 219
    assert District.objects.get(kato="101010000").name_en == "Zhanasemey"  # geokz typo fixed
    assert District.objects.get(kato="113400000").name_ru == "Аршалинский"  # Latin A fixed
    assert FormerRegion.objects.count() == 17
    abai = Region.objects.get(kato="100000000")
    assert [f.kato for f in abai.predecessors.all()] == ["630000000"]
    assert [f.kato for f in Region.objects.get(kato="620000000").predecessors.all()] == ["350000000"]
    assert [f.kato for f in Region.objects.get(kato="330000000").predecessors.all()] == ["190000000"]


def test_sdg_framework_counts_and_translations():
    assert Goal.objects.count() == 17
    assert Target.objects.count() == 169
    # 252 keys in sdg-translations hold 235 distinct indicators; repeats are one indicator under several targets.
    assert GlobalIndicator.objects.count() == 235
    repeated = GlobalIndicator.objects.get(code="1.5.1")
    assert {t.code for t in repeated.targets.all()} == {"1.5", "11.5", "13.1"}
    for indicator in GlobalIndicator.objects.all():
        assert indicator.title_en
        for lang in ("kk", "ru"):
            assert getattr(indicator, f"title_{lang}") or lang in indicator.untranslated


def test_russian_text_in_kazakh_title_is_marked_untranslated():
    flagged = list(GlobalIndicator.objects.exclude(untranslated=[]).values_list("code", "untranslated"))
    assert flagged == [("8.7.1", ["kk"])]
    assert GlobalIndicator.objects.get(code="8.7.1").title_kk == ""
    assert looks_russian("Доля и число детей в возрасте от 5 до 17 лет")
    assert not looks_russian("100 000 адам бойынша туберкулезбен ауыру")


def test_boundaries_loaded_valid_and_cover_the_country():
    import json

    from shapely import is_valid
    from shapely.geometry import shape

    from geo.models import Boundary

    regions = Boundary.objects.filter(layer="adm1_2024").select_related("region")
    assert regions.count() == 20 and all(b.region is not None for b in regions)
    assert Boundary.objects.filter(layer="adm2_2024", district__isnull=False).count() == 224
    assert Boundary.objects.filter(layer="adm1_2018", former_region__isnull=False).count() == 17
    for b in regions:
        assert is_valid(shape(json.loads(b.geometry))) and is_valid(shape(json.loads(b.web_geometry)))
    total = sum(b.area_km2 for b in regions)
    assert abs(total - 2_724_900) / 2_724_900 < 0.005


def test_every_district_lies_within_its_region():
    import json

    from shapely.geometry import shape

    from geo.models import Boundary

    region_shapes = {b.code[:2]: shape(json.loads(b.geometry)) for b in Boundary.objects.filter(layer="adm1_2024")}
    for b in Boundary.objects.filter(layer="adm2_2024").select_related("district__region"):
        district = shape(json.loads(b.geometry))
        inside = district.intersection(region_shapes[b.district.region.kato[:2]]).area / district.area
        assert inside >= 0.99, (b.code, inside)
