"""Start-up cost of every command and worker boot: ``manage.py check`` wall time and ``-X importtime``.

    .venv/bin/python bench/bench_startup.py [--runs 7] [--top 15]

Prints the median wall time of N runs of ``python manage.py check`` (goal: ≤ 1 s on the 2-core CI machine), then
the top importers by cumulative import time from one ``python -X importtime manage.py check``, and whether any
of the heavy libraries (pandas, geopandas, folium, mapclassify, scipy, scikit-learn) was imported at start-up.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "geopandas", "folium", "mapclassify", "scipy", "sklearn", "numpy", "shapely", "openpyxl")
GOAL = 1.0


def run_check(extra=()) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *extra, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DEBUG": "0"})
    elapsed = time.perf_counter() - start
    if done.returncode:
        sys.exit(done.stdout + done.stderr)
    return elapsed, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    run_check()  # warm the file cache and the .pyc files
    times = [run_check()[0] for _ in range(args.runs)]
    median = statistics.median(times)
    print(f"manage.py check: median {median:.2f} s of {args.runs} runs (min {min(times):.2f}, max {max(times):.2f});"
          f" goal ≤ {GOAL:.1f} s: {'met' if median <= GOAL else 'NOT met'}")
    _, trace = run_check(("-X", "importtime"))
    rows = []
    for line in trace.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, raw = line.split("|")
        if cumulative.strip().isdigit():
            rows.append((int(cumulative), raw[1:].rstrip()))  # top-level modules have no indentation
    total = sum(c for c, name in rows if not name.startswith(" "))
    print(f"imports: {len(rows)} modules, {total / 1e6:.2f} s cumulative (top level)")
    for cumulative, name in sorted(rows, reverse=True)[: args.top]:
        print(f"  {cumulative / 1e3:8.1f} ms  {name}")
    loaded = sorted({name.strip() for _, name in rows if name.strip() in HEAVY})
    print("heavy libraries imported at start-up:", ", ".join(loaded) or "none")


if __name__ == "__main__":
    main()
