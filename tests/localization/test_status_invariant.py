"""Issue 10 item 4 at the service level: whatever the stored values and targets (regional target in force, a
published global target, an officer's national target), a territory whose latest value is worse than its base-year
value is never "target achieved" nor counted on track — on the board, in its summaries and in the API rows."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localization.models import Goal, Indicator, IndicatorValue, PublishedTarget, Region, RegionalTarget
from localization.services.status import StatusBoard

pytestmark = pytest.mark.django_db
ASTANA = "710000000"

value = st.floats(min_value=0, max_value=100, allow_nan=False)
series = st.dictionaries(st.integers(2012, 2024), value, min_size=2, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(national=series, regional=series, direction=st.sampled_from(["higher", "lower"]),
       regional_target=st.one_of(st.none(), st.tuples(st.integers(2012, 2024), value, value)),
       global_target=st.one_of(st.none(), value), officer_target=st.one_of(st.none(), value))
def test_worse_than_base_is_never_achieved_or_on_track_on_the_board(national, regional, direction, regional_target,
                                                                    global_target, officer_target):
    ind = Indicator.objects.create(code="16-9-9", sort_key="16-9-9", goal=Goal.objects.get(number=16), unit="PT",
                                   direction_kind=direction, target_value=officer_target,
                                   target_year=2030 if officer_target is not None else None)
    region = Region.objects.get(kato=ASTANA)
    try:
        for territory, data in ((None, national), (region, regional)):
            IndicatorValue.objects.bulk_create(
                IndicatorValue(indicator=ind, region=territory, area_code=territory.ref_area if territory else "",
                               year=y, unit="PT", value=v, source_file="f.csv", source_line=n)
                for n, (y, v) in enumerate(sorted(data.items()), start=2))
        if regional_target is not None:
            base_year, base_value, target = regional_target
            RegionalTarget.objects.create(indicator=ind, region=region, base_year=base_year, base_value=base_value,
                                          target_year=2030, target_value=target, status="approved")
        if global_target is not None:
            PublishedTarget.objects.create(code="16-9-9", kind="global", comparison="<=", target_value=global_target,
                                           target_year=2030, source="test")
        board = StatusBoard([ind], regions=[region])
        d = ind.direction
        for row in (board.national(ind), board.regional(ind, region)):
            r = row.result
            if r is None or r.status is None:
                continue
            if d * (r.current_value - row.point(r.base_year).value) < 0:
                assert row.status != "target_achieved" and row.summary != "on_track"
                assert board.region_summary(region)["counts"]["on_track"] == 0 or row.region is None
    finally:
        PublishedTarget.objects.filter(code="16-9-9").delete()
        RegionalTarget.objects.filter(indicator=ind).delete()
        IndicatorValue.objects.filter(indicator=ind).delete()
        ind.delete()
