"""City labels on the maps: the largest city of each region, named in the reader's language."""
import pytest

from geo.maps import city_labels
from geo.models import Settlement
from localization.models import Region

pytestmark = pytest.mark.django_db


def test_largest_city_of_each_region_is_labelled_in_the_readers_language():
    Settlement.objects.all().delete()
    abai = Region.objects.get(kato="100000000")
    make = dict(region=abai, type=Settlement.Type.CITY, lat=50.41, lon=80.23)
    Settlement.objects.create(name_kk="Семей", name_ru="Семей", name_en="Semey", population=350_000, **make)
    Settlement.objects.create(name_kk="Аягөз", name_ru="Аягоз", name_en="Ayagoz", population=40_000, **make)
    Settlement.objects.create(name_kk="Ауыл", name_ru="Аул", name_en="Aul", population=900_000,
                              **{**make, "type": Settlement.Type.VILLAGE})
    assert [c["name"] for c in city_labels("kk")] == ["Семей"]
    assert [c["name"] for c in city_labels("en")] == ["Semey"]
