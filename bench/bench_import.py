"""Benchmark of the Open SDG import (issue: full import <= 3x the time pandas needs to read the CSV files).

    .venv/bin/python bench/bench_import.py [--runs 5] [--max-ratio 2.0]

Times, over the 273 CSV files of fixtures/kazstat-sdg-data/ (45,585 data rows):

* baseline   -- plain ``pandas.read_csv(path)`` of every ``data/indicator_*.csv`` (no validation);
* core/data  -- ``read_repository(root, metadata=False, duplicates="first")``: parse + validate every
               file (code table load included) and build the per-file frames;
* core/all   -- the same plus meta/, indicator-config/ and translations/ (629 YAML files);
* round trip -- ``write_like_source`` of every file (for information);
* django     -- the whole import (``localization.services.imports.import_repository``, the code behind
               ``import_opensdg``) into a fresh in-memory SQLite database, history rows included;
* skip       -- the re-import of unchanged data (a copy of the set imported once): every file hashed (data, its
               metadata, the translations) and skipped; must take no longer than the pandas read;
* one file   -- the re-import after one file changed (the other 272 skipped): under a second;
* floor      -- for comparison, what no import with these libraries can go below: the 45,409 value rows
               (as the import writes them) inserted by plain ``sqlite3.executemany`` into a table with the
               same columns and no index at all, no history, no validation.

Each is the best of ``--runs`` runs (the box is shared; best-of is the least noisy estimator).  Exits 1 if
core/data ÷ baseline exceeds ``--max-ratio``, if the national set does not read cleanly, or if the full
import exceeds 3x.  Reads only fixtures/; bounded: a few seconds per run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from localization.core.opensdg import read_repository, write_like_source  # noqa: E402

NATIONAL = ROOT / "fixtures" / "kazstat-sdg-data"
MAX_RUNS = 20  # keep the benchmark bounded whatever is asked


def best_of(runs: int, fn):
    best, result = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def plain_pandas(files):
    return [pd.read_csv(p) for p in files]


def core_data():
    return read_repository(NATIONAL, metadata=False, duplicates="first")


def core_all():
    return read_repository(NATIONAL, metadata=True, duplicates="first")


# =====================================================================================================
# Full Django import (localization.services.imports, the code behind ``import_opensdg``)
# -----------------------------------------------------------------------------------------------------
# A fresh SQLite test database (in memory, as the test suite uses) is created and migrated once, with the
# reference data (regions, SDG framework) loaded.  Each timed run imports the whole national set into it
# -- read + validate (core/all) + 273 indicators + 45,409 values + their 45,409 history rows -- inside a
# transaction rolled back at the end (the rollback is timed too), so every run starts from the same
# fresh state.  Setting up also times, for information, the idempotent re-import (nothing changes).
def django_hook():
    import os

    os.environ["DATABASE_URL"] = "sqlite:///" + str(ROOT / "bench-import.sqlite3")  # the test DB is in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import setup_test_environment

    from localization.reference import load_all
    from localization.services.imports import import_repository

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    load_all()

    class Rollback(Exception):
        pass

    def django_import(reimport=False):
        try:
            with transaction.atomic():
                run = import_repository(NATIONAL)
                assert run.files_total == 273 and not run.errors and run.rows_created == 45_409, run.errors[:3]
                if reimport:
                    t = time.perf_counter()
                    again = import_repository(NATIONAL)
                    t = time.perf_counter() - t
                    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 45_409)
                    t_plain, _ = best_of(3, lambda: plain_pandas(sorted((NATIONAL / "data").glob("indicator_*.csv"))))
                    print(f"django    re-import, nothing changes     {t * 1000:8.1f} ms   ratio {t / t_plain:.2f} (information)")
                raise Rollback
        except Rollback:
            pass

    django_import(reimport=True)  # warm-up, and the re-import figure
    return django_import


# Skip-unchanged and one changed file: a copy of the national set (in a temporary folder) is imported once (inside
# a transaction rolled back at the end); then, timed, (a) the re-import of the unchanged copy -- every file is
# hashed and skipped -- against the pandas read of the same files, and (b) the re-import after one file changed.
def reimport_figures(runs: int, t_plain: float) -> tuple[float, float]:
    import shutil
    import tempfile

    from django.db import transaction

    from localization.services.imports import import_repository

    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    copy = tmp / "kazstat-sdg-data"
    shutil.copytree(NATIONAL, copy)
    changed = copy / "data" / "indicator_1-2-1.csv"
    original = changed.read_text(encoding="utf-8-sig")
    try:
        with transaction.atomic():
            first = import_repository(copy)
            assert first.rows_created == 45_409 and not first.errors, first.errors[:3]

            def skip():
                run = import_repository(copy)
                assert run.files_unchanged == 273 and run.rows_unchanged == 45_409, (run.files_unchanged, run.errors[:3])

            t_skip, _ = best_of(runs, skip)
            times = []
            for k in range(min(runs, 3)):
                lines = original.splitlines()
                year, *rest = lines[1].split(",")
                lines[1] = ",".join([year, *rest[:-1], str(float(rest[-1]) + 0.5 + k)])
                changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
                t = time.perf_counter()
                run = import_repository(copy)
                times.append(time.perf_counter() - t)
                assert run.files_unchanged == 272 and run.rows_updated == 1 and not run.errors, (run.files_unchanged, run.errors[:3])
            transaction.set_rollback(True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t_one = min(times)
    print(f"django    re-import, unchanged skipped  {t_skip * 1000:8.1f} ms   ratio {t_skip / t_plain:.2f} (limit 1: "
          f"no longer than the pandas read)")
    print(f"django    re-import, one file changed   {t_one * 1000:8.1f} ms   (limit 1000 ms)")
    return t_skip, t_one


def insert_floor(runs: int) -> float:
    """Best time to insert the stored value rows into a bare in-memory table with ``sqlite3.executemany``."""
    import sqlite3

    from django.db import connection, transaction

    from localization.models import IndicatorValue
    from localization.services.imports import VALUE_COLUMNS, import_repository

    fields = {f.attname: f for f in IndicatorValue._meta.concrete_fields}
    columns = [fields[name].column for name in VALUE_COLUMNS]
    with transaction.atomic():
        import_repository(NATIONAL)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(columns)} FROM {IndicatorValue._meta.db_table}")
            rows = cursor.fetchall()
        transaction.set_rollback(True)
    assert len(rows) == 45_409

    def insert():
        db = sqlite3.connect(":memory:")
        db.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, {', '.join(columns)})")
        db.executemany(f"INSERT INTO t ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
        db.commit()
        db.close()

    return best_of(runs, insert)[0]
# =====================================================================================================


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--max-ratio", type=float, default=2.0)
    args = ap.parse_args(argv)
    runs = max(1, min(args.runs, MAX_RUNS))

    files = sorted((NATIONAL / "data").glob("indicator_*.csv"))
    core_data()  # warm-up: imports, file cache
    plain_pandas(files)

    t_plain, frames = best_of(runs, lambda: plain_pandas(files))
    t_data, repo = best_of(runs, core_data)
    t_all, repo_all = best_of(runs, core_all)
    t_write, _ = best_of(runs, lambda: [write_like_source(f) for f in repo.files])

    n_rows_plain = sum(len(f) for f in frames)
    n_rows = sum(f.n_rows for f in repo.files)
    kept = sum(len(f.frame) for f in repo.files)
    print(f"files: {len(files)}; data rows: pandas {n_rows_plain:,}, core read {n_rows:,}, kept {kept:,} "
          f"(later copies of repeated keys dropped); errors {len(repo_all.errors)}, warnings {len(repo.warnings)}")
    print(f"baseline  pandas.read_csv x {len(files)}      {t_plain * 1000:8.1f} ms")
    print(f"core/data read_repository(metadata=False) {t_data * 1000:8.1f} ms   ratio {t_data / t_plain:.2f}")
    print(f"core/all  read_repository(metadata=True)  {t_all * 1000:8.1f} ms   ratio {t_all / t_plain:.2f}")
    print(f"write     write_like_source x {len(repo.files)}     {t_write * 1000:8.1f} ms")

    ok = len(files) == 273 and n_rows == 45_585 and not repo_all.errors
    if not ok:
        print("FAIL: the national set did not read cleanly")
    if t_data / t_plain > args.max_ratio:
        print(f"FAIL: core/data ratio {t_data / t_plain:.2f} > {args.max_ratio}")
        ok = False

    hook = django_hook()
    t_django, _ = best_of(min(runs, 3), hook)
    ratio = t_django / t_plain
    print(f"django    full import                    {t_django * 1000:8.1f} ms   ratio {ratio:.2f} (limit 3)")
    t_floor = insert_floor(runs)
    print(f"floor     bare executemany of the values {t_floor * 1000:8.1f} ms   ratio {t_floor / t_plain:.2f}; "
          f"with core/all {(t_floor + t_all) / t_plain:.2f} (read + bare insert, one row per value)")
    if ratio > 3.0:
        print(f"FAIL: full import ratio {ratio:.2f} > 3 (the goal; see the floor above)")
        ok = False
    t_skip, t_one = reimport_figures(runs, t_plain)
    if t_skip > t_plain:
        print(f"FAIL: re-import of unchanged data {t_skip / t_plain:.2f}x the pandas read (limit 1)")
        ok = False
    if t_one > 1.0:
        print(f"FAIL: one changed file took {t_one:.2f} s (limit 1 s)")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
