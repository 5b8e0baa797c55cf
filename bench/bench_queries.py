"""SQL queries per page of the indicator pages at 1× and 10× data: the counts must be equal.

    .venv/bin/python bench/bench_queries.py            # prints one line per page; exit 1 if any count grows

Runs on a fresh test database (created and destroyed here; SQLite in memory by default, PostgreSQL when
DATABASE_URL points to it), loads the territory and SDG framework, then stores synthetic values for every region
and the country (two disaggregations each) and regional targets. "1×" = 5 indicators × 6 years; "10×" = 20
indicators × 15 years (ten times the rows). Queries are counted with django.test.utils.CaptureQueriesContext;
times are for information only.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

SCALES = {"1×": (5, 6), "10×": (20, 15)}  # (indicators, years): 10× the stored values
ASTANA = "710000000"


def grow(indicators: int, years: int) -> int:
    """Bring the synthetic data set up to ``indicators`` × ``years``; return the number of stored values."""
    from localization.models import Goal, Indicator, IndicatorValue, Region, RegionalTarget

    regions = list(Region.objects.all())
    goals = {g.number: g for g in Goal.objects.all()}
    made = list(Indicator.objects.filter(code__startswith="b-").order_by("code"))
    for k in range(len(made), indicators):
        made.append(Indicator.objects.create(
            code=f"b-{k:03d}", sort_key=f"b-{k:03d}", goal=goals[1 + k % 17], direction=1 if k % 2 else -1,
            title_en=f"Bench indicator {k}", unit="PT", target_value=150.0 if k % 2 else 50.0, target_year=2030,
            localized=k % 3 == 0, category="current"))
    rows = []
    for ind in made:
        have = set(IndicatorValue.objects.filter(indicator=ind).values_list("year", flat=True).distinct())
        for y in range(years):
            year = 2010 + y
            if year in have:
                continue
            for region in [None, *regions]:
                for dims in ("", "SEX=F"):
                    rows.append(IndicatorValue(
                        indicator=ind, region=region, area_code=region.ref_area if region else "", year=year,
                        unit="PT", dims=dims, value=100.0 + y * (1 if ind.direction == 1 else -1),
                        source_file=f"data/indicator_{ind.code}.csv", source_line=y + 2))
        for region in regions[: len(made)]:
            RegionalTarget.objects.get_or_create(indicator=ind, region=region, status="approved", defaults={
                "base_year": 2010, "base_value": 100.0, "target_year": 2030, "target_value": 130.0, "weight": 1.0})
    IndicatorValue.objects.bulk_create(rows, batch_size=2000)
    return IndicatorValue.objects.count()


def pages() -> list[tuple[str, str, str | None]]:
    with translation.override("en"):
        first = "b-000"
        return [
            ("ind_list", reverse("ind_list"), None),
            ("ind_detail", reverse("ind_detail", kwargs={"code": first}), None),
            ("ind_detail (statistics)", reverse("ind_detail", kwargs={"code": first}), "statistics"),
            ("ind_decompose (statistics)", reverse("ind_decompose", kwargs={"code": first}), "statistics"),
            ("ind_review (statistics)", reverse("ind_review"), "statistics"),
            ("ind_propose (akimat)", reverse("ind_propose", kwargs={"code": first, "kato": ASTANA}), "akimat"),
            ("ind_region", reverse("ind_region", kwargs={"kato": ASTANA}), None),
            ("ind_compare", reverse("ind_compare") + f"?indicator={first}&region={ASTANA}&peers=all", None),
            ("vlr_region", reverse("vlr_region", kwargs={"kato": ASTANA}), None),
            ("vlr_download", reverse("vlr_download", kwargs={"kato": ASTANA}), None),
        ]


def measure(clients: dict) -> dict[str, tuple[int, float]]:
    out = {}
    for name, path, who in pages():
        client = clients[who]
        client.get(path)  # warm caches (translations, templates) so only the data work is compared
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise SystemExit(f"{name}: HTTP {response.status_code}")
        out[name] = (len(ctx.captured_queries), elapsed)
    return out


def main() -> int:
    from localization.models import User
    from localization.reference import load_territory, load_sdg_framework, LoadReport

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        report = LoadReport()
        load_territory(report)
        load_sdg_framework(report)
        from localization.models import Region

        clients = {None: Client()}
        for role, region in (("statistics", None), ("akimat", Region.objects.get(kato=ASTANA))):
            user = User.objects.create_user(username=f"bench-{role}", password="x", role=role, region=region)
            clients[role] = Client()
            clients[role].force_login(user)
        results, sizes = {}, {}
        for label, (n_indicators, n_years) in SCALES.items():
            sizes[label] = grow(n_indicators, n_years)
            results[label] = measure(clients)
        small, big = results["1×"], results["10×"]
        print(f"values stored: 1× = {sizes['1×']}, 10× = {sizes['10×']} (ratio {sizes['10×'] / sizes['1×']:.1f})")
        print(f"{'page':30} {'queries 1×':>11} {'queries 10×':>12} {'ratio':>6} {'ms 1×':>8} {'ms 10×':>8}")
        grown = []
        for name in small:
            (q1, t1), (q10, t10) = small[name], big[name]
            print(f"{name:30} {q1:>11} {q10:>12} {q10 / q1:>6.2f} {t1 * 1000:>8.1f} {t10 * 1000:>8.1f}")
            if q10 != q1:
                grown.append(name)
        if grown:
            print("Query counts grew with the data on: " + ", ".join(grown))
            return 1
        print("Every page runs the same number of queries at 1× and 10× data.")
        return 0
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
