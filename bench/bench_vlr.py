"""Time of the Voluntary Local Review draft: ``build_vlr`` and the full ``vlr_region`` / ``vlr_download`` answers,
for all 20 regions in kk and ru, on the reference + demo data; SQL queries per build.

    .venv/bin/python bench/bench_vlr.py [--runs 1] [--limit 1.0]

Runs on a fresh test database (created and destroyed here; SQLite in memory by default, PostgreSQL when
DATABASE_URL points to it), loads ``manage.py load_reference`` and ``manage.py load_demo`` (national SDG data, the
demo settlements and budget cycle) and counts the demo budget cycle (Esil, Astana: its winners fill the PPB section of
Astana's review, so the budget app's part is measured too), then, per language and region: ``build_vlr(region, lang)`` alone, then GET
``vlr_region`` and ``vlr_download`` through django.test.Client (a warm-up pass first, so that translations and
templates are loaded). Queries are counted with django.test.utils.CaptureQueriesContext. Prints one line per
region and language, then median, p95 and max per measure, the query counts, and whether the slowest answer is
under ``--limit`` seconds (exit 1 if not, or if the queries of a build differ between regions of the same kind —
with or without funded PPB projects, whose section reads them with a fixed number of queries: a count that
follows the region's data would grow with the data). The machine's load average is printed before and after:
the box is shared, so compare figures of one run.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from loadlib.system import loadavg, percentile  # noqa: E402

LANGS = ("kk", "ru")
MEASURES = ("build_vlr", "vlr_region", "vlr_download")
#: For comparison, in the same run: build_vlr over a status board of all 273 indicators (as before issue 14, when
#: the national series of indicators without any regional value were read and assessed too).
FULL = "build_vlr_all"


def load_data() -> float:
    start = time.perf_counter()
    out = io.StringIO()
    call_command("load_reference", stdout=out)
    call_command("load_demo", stdout=out)
    return time.perf_counter() - start


def count_demo_cycle() -> str:
    """Close the demo PPB cycle as an officer's count would (its dates moved to the counting stage)."""
    from budget import services
    from budget.demo import schedule
    from budget.models import Cycle, Proposal, Stage

    cycle = Cycle.objects.order_by("id").first()
    if cycle is None:
        return "no demo cycle"
    Cycle.objects.filter(pk=cycle.pk).update(**schedule(Stage.COUNTING))
    cycle.refresh_from_db()
    services.close_cycle(cycle)
    winners = Proposal.objects.filter(cycle=cycle, status=Proposal.Status.WINNER).count()
    return f"demo cycle counted: {winners} funded projects in {cycle.owner_name}"


def timed(func):
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        value = func()
        elapsed = time.perf_counter() - start
    return elapsed, len(ctx.captured_queries), value


def measure_one(client: Client, region, lang: str) -> dict[str, tuple[float, int]]:
    from localization.models import Indicator
    from localization.services.status import StatusBoard
    from localization.services.vlr import build_vlr

    out = {}
    with translation.override(lang):
        elapsed, queries, context = timed(lambda: build_vlr(region, lang, board=StatusBoard(
            Indicator.objects.select_related("goal"), regions=[region])))
        out[FULL] = (elapsed, queries, len(context["rows"]))
        elapsed, queries, context = timed(lambda: build_vlr(region, lang))
        out["build_vlr"] = (elapsed, queries, len(context["rows"]))
        out["ppb"] = bool(context["ppb_sections"])
        for name in ("vlr_region", "vlr_download"):
            path = reverse(name, kwargs={"kato": region.kato})
            elapsed, queries, response = timed(lambda: client.get(path))
            if response.status_code != 200:
                raise SystemExit(f"{name} {region.kato} {lang}: HTTP {response.status_code}")
            out[name] = (elapsed, queries, len(response.content))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="timed passes over all regions and languages")
    parser.add_argument("--limit", type=float, default=1.0, help="seconds an answer may take in the request")
    args = parser.parse_args(argv)

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"database: {connection.vendor}; loading reference + demo data …", flush=True)
        seconds = load_data()
        from localization.models import IndicatorValue, Region

        regions = list(Region.objects.order_by("kato"))
        print(f"loaded in {seconds:.1f} s: {len(regions)} regions, {IndicatorValue.objects.count():,d} values; "
              + count_demo_cycle())
        client = Client()
        load_before = loadavg()
        for lang in LANGS:  # warm-up: translations, templates, the first compiled queries
            measure_one(client, regions[0], lang)

        results: dict[tuple[str, str], list[dict]] = {}
        for _ in range(max(1, args.runs)):
            for lang in LANGS:
                for region in regions:
                    results.setdefault((lang, region.kato), []).append(measure_one(client, region, lang))

        print(f"\n{'lang':4} {'region':10} {'rows':>4} {'ppb':>3} " + " ".join(f"{m + ' ms':>16} {'q':>4}" for m in MEASURES)
              + f" {'page KB':>8} {'file KB':>8}")
        per_measure: dict[str, list[float]] = {m: [] for m in MEASURES}
        queries: dict[str, set[int]] = {m: set() for m in MEASURES}
        by_kind: dict[tuple[str, bool], set[int]] = {}
        for (lang, kato), runs in results.items():
            best = {m: min(r[m][0] for r in runs) for m in MEASURES}
            first = runs[0]
            for m in MEASURES:
                per_measure[m] += [r[m][0] for r in runs]
                queries[m] |= {r[m][1] for r in runs}
                by_kind.setdefault((m, first["ppb"]), set()).update(r[m][1] for r in runs)
            print(f"{lang:4} {kato:10} {first['build_vlr'][2]:>4} {'yes' if first['ppb'] else '':>3} "
                  + " ".join(f"{best[m] * 1000:>16.1f} {first[m][1]:>4}" for m in MEASURES)
                  + f" {first['vlr_region'][2] / 1024:>8.0f} {first['vlr_download'][2] / 1024:>8.0f}")

        print(f"\n{'measure':14} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'queries':>9}")
        worst = 0.0
        for m in MEASURES:
            values = sorted(per_measure[m])
            q = sorted(queries[m])
            qtext = str(q[0]) if len(q) == 1 else f"{q[0]}–{q[-1]}"
            print(f"{m:14} {len(values):>4} {statistics.median(values) * 1000:>10.1f} "
                  f"{percentile(values, 95) * 1000:>8.1f} {values[-1] * 1000:>8.1f} {qtext:>9}")
            if m != "build_vlr":
                worst = max(worst, values[-1])
        ok = worst <= args.limit
        full = sorted(t for runs in results.values() for r in runs for t in [r[FULL][0]])
        fq = sorted({r[FULL][1] for runs in results.values() for r in runs})
        print(f"{FULL:14} {len(full):>4} {statistics.median(full) * 1000:>10.1f} {percentile(full, 95) * 1000:>8.1f} "
              f"{full[-1] * 1000:>8.1f} {'–'.join(map(str, fq[::max(1, len(fq) - 1)])):>9}  (all indicators)")
        ratios = sorted(r["build_vlr"][0] / r[FULL][0] for runs in results.values() for r in runs)
        print(f"build_vlr / build_vlr_all, per build: median {statistics.median(ratios):.2f}")
        print(f"\nslowest answer {worst:.2f} s (limit {args.limit:.1f} s): {'under' if ok else 'OVER'}")
        for (m, ppb), counts in sorted(by_kind.items()):
            print(f"  {m:14} regions {'with' if ppb else 'without'} funded PPB projects: "
                  f"{', '.join(map(str, sorted(counts)))} queries")
        varying = sorted({m for (m, _ppb), counts in by_kind.items() if len(counts) > 1})
        if varying:
            print("query counts differ between regions of the same kind (they follow the data) on: "
                  + ", ".join(varying))
        else:
            print("regions of the same kind run the same number of queries per build and per answer")
        print(f"load average: {load_before} before, {loadavg()} after the timed passes")
        return 0 if ok and not varying else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
