"""Casting a ballot: ballots/s through the Django stack on PostgreSQL vs raw psycopg INSERTs of the same rows.

    .venv/bin/python bench/bench_ballot_insert.py [--http-seconds 20] [--n 1500]

One stored ballot = one ``budget_ballot`` row (with its receipt hash), its 1-2 ``budget_ballot_choices`` rows and one
``budget_ballotaudit`` row, committed in one transaction (that is what budget.services.voting._store_ballot writes).
Measured on the scratch database aimaq_bench (PostgreSQL on 127.0.0.1, synchronous_commit as configured),
fresh voters for every row:

  http      the real thing: GET the ballot page + POST the form through gunicorn (4 sync workers), 8 clients
  django    in-process, one thread: the POST through Django's test client (middleware, session in Redis, view,
            form, service, ORM, redirect; no HTTP server, no CSRF check)
  service   in-process, one thread: budget.services.cast_ballot() alone (ORM and the rules)
  raw       psycopg, one connection: INSERT ballot RETURNING id, INSERT choices, INSERT audit, COMMIT
  raw x4    the same on 4 connections in parallel threads (to compare with 4 gunicorn workers)
  raw batch executemany of the same rows, 500 ballots per transaction (an upper bound, not a voting pattern)

django, service and raw run interleaved in ``--rounds`` rounds (default 5), so that what else the machine does
weighs on them alike. Prints ballots/s of each (over all rounds), the in-process POST path's share of the raw rate
(overall and per round) and the ratios raw/django, raw/service and (raw x4)/http; checks the row counts.
Bounded: every phase has a count and a time cap; < 3 minutes; cleans up. Developers: ``BENCH_PROFILE=tottime``
(or ``cumulative``) profiles 200 in-process POSTs first; ``BENCH_CALLERS=regex`` also prints who calls what matches.
"""
from __future__ import annotations

import argparse
import os
import datetime as dt
import random
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadlib.system import BENCH_DB, LANG, CpuSampler, log, ms, percentile, pg_url, postgres_pids  # noqa: E402
from loadlib.world import Bench, Resident, World  # noqa: E402
from loadlib.voter import run_load  # noqa: E402
from loadlib.report import finish  # noqa: E402

# psycopg connections of the raw phases stay open until their PostgreSQL backend's CPU time has been read
# (a backend that has exited can no longer be measured), then measured() closes them.
_OPEN: list = []


def _connect():
    import psycopg

    conn = psycopg.connect(pg_url(BENCH_DB))
    _OPEN.append(conn)
    return conn


class Slots:
    """Fresh (resident, bucket) pairs, each used once across all phases."""

    def __init__(self, world: World):
        self.world = world
        self.buckets = sorted(world.buckets)
        self.next_resident = 0
        self.lock = threading.Lock()

    def residents(self, n: int) -> list[Resident]:
        with self.lock:
            chunk = self.world.residents[self.next_resident:self.next_resident + n]
            self.next_resident += len(chunk)
        return chunk

    def pairs(self, n: int, rng: random.Random) -> list[tuple[Resident, int, tuple[int, ...]]]:
        out = []
        for resident in self.residents((n + len(self.buckets) - 1) // len(self.buckets)):
            for bucket_id in self.buckets:
                options = self.world.buckets[bucket_id]
                out.append((resident, bucket_id, tuple(sorted(rng.sample(options, rng.randint(1, self.world.max_choices))))))
        return out[:n]


def phase_django(slots: Slots, n: int, cap: float, rng) -> tuple[int, float]:
    from django.test import Client
    from django.urls import get_resolver

    _ = get_resolver().url_patterns  # import the views (pandas/scipy via geo.maps) before the clock starts
    client = Client(HTTP_HOST="127.0.0.1")
    done, spent = 0, 0.0
    t_cap = time.monotonic() + cap
    for resident, bucket_id, choices in slots.pairs(n, rng):
        if time.monotonic() > t_cap:
            break
        client.cookies.clear()  # every voter comes with their own browser (no messages cookie of the previous one)
        client.cookies["sessionid"] = resident.session_key
        t = time.perf_counter()
        # form-urlencoded, as the ballot page's <form method="post"> is sent by a browser (the test client would
        # otherwise encode multipart/form-data, which costs both sides more)
        response = client.post(f"/{LANG}/budget/buckets/{bucket_id}/vote/", urlencode({"choices": choices}, doseq=True),
                               content_type="application/x-www-form-urlencoded")
        spent += time.perf_counter() - t
        if response.status_code != 302:
            raise RuntimeError(f"django phase: POST answered {response.status_code}")
        done += 1
    return done, spent


def phase_service(slots: Slots, n: int, cap: float, rng) -> tuple[int, float]:
    from django.contrib.auth import get_user_model

    from budget import services
    from budget.models import Bucket

    pairs = slots.pairs(n, rng)
    users = get_user_model().objects.in_bulk([r.user_id for r, _b, _c in pairs])
    buckets = Bucket.objects.in_bulk(list(slots.world.buckets))
    done, spent = 0, 0.0
    t_cap = time.monotonic() + cap
    for resident, bucket_id, choices in pairs:
        if time.monotonic() > t_cap:
            break
        t = time.perf_counter()
        _ballot, created = services.cast_ballot(buckets[bucket_id], users[resident.user_id], list(choices))
        spent += time.perf_counter() - t
        assert created
        done += 1
    return done, spent


def _sql():
    from budget.models import Ballot, BallotAudit

    through = Ballot.choices.through
    return {
        "ballot": f'INSERT INTO "{Ballot._meta.db_table}" (cycle_id, bucket_id, voter_hash, voter_district_id, '
                  f'channel, entered_by_id, created_at, updated_at, receipt_hash) VALUES (%s, %s, %s, %s, %s, NULL, %s, %s, %s) '
                  f'RETURNING id',
        "choices": f'INSERT INTO "{through._meta.db_table}" (ballot_id, proposal_id) VALUES (%s, %s)',
        "audit": f'INSERT INTO "{BallotAudit._meta.db_table}" (cycle_id, bucket_id, channel, action, actor_id, at) '
                 f"VALUES (%s, %s, 'online', 'create', %s, %s)",
    }


def _profile_ids(pairs) -> dict[int, int]:
    from budget.models import ResidentProfile

    return dict(ResidentProfile.objects.filter(user_id__in=[r.user_id for r, _b, _c in pairs])
                .values_list("user_id", "pk"))


def phase_raw(slots: Slots, n: int, cap: float, rng, *, connections: int = 1) -> tuple[int, float]:
    """One transaction per ballot, like the application; ``connections`` threads in parallel. Returns wall time."""
    sql = _sql()
    world = slots.world
    pairs = slots.pairs(n, rng)
    from budget.services import ballot_voter_hash
    from budget.services.voting import new_receipt_code, receipt_hash
    shares = [pairs[i::connections] for i in range(connections)]
    counts = [0] * connections
    conns = [_connect() for _ in range(connections)]
    t_cap = time.monotonic() + cap

    def run(k: int):
        conn = conns[k]
        for resident, bucket_id, choices in shares[k]:
            if time.monotonic() > t_cap:
                break
            now = dt.datetime.now(dt.timezone.utc)
            with conn.transaction():
                ballot_id = conn.execute(sql["ballot"], (world.cycle_id, bucket_id,
                                                         ballot_voter_hash(resident.iin_hash, bucket_id),
                                                         world.district_id, "online", now, now,
                                                         receipt_hash(new_receipt_code()))).fetchone()[0]
                with conn.cursor() as cur:
                    cur.executemany(sql["choices"], [(ballot_id, c) for c in choices])
                conn.execute(sql["audit"], (world.cycle_id, bucket_id, resident.user_id, now))
            counts[k] += 1

    threads = [threading.Thread(target=run, args=(k,)) for k in range(connections)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sum(counts), time.perf_counter() - t


def phase_raw_batch(slots: Slots, n: int, cap: float, rng, batch: int = 500) -> tuple[int, float]:
    sql = _sql()
    world = slots.world
    pairs = slots.pairs(n, rng)
    from budget.services import ballot_voter_hash
    from budget.services.voting import new_receipt_code, receipt_hash
    done = 0
    conn = _connect()
    t_cap = time.monotonic() + cap
    t = time.perf_counter()
    for i in range(0, len(pairs), batch):
        if time.monotonic() > t_cap:
            break
        chunk = pairs[i:i + batch]
        now = dt.datetime.now(dt.timezone.utc)
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(sql["ballot"], [
                (world.cycle_id, b, ballot_voter_hash(r.iin_hash, b), world.district_id, "online", now, now,
                 receipt_hash(new_receipt_code()))
                for r, b, _c in chunk], returning=True)
            ids = []
            while True:
                ids.append(cur.fetchone()[0])
                if not cur.nextset():
                    break
            cur.executemany(sql["choices"], [(bid, c) for bid, (_r, _b, cs) in zip(ids, chunk, strict=True) for c in cs])
            cur.executemany(sql["audit"], [(world.cycle_id, b, r.user_id, now) for r, b, _cs in chunk])
        done += len(chunk)
    return done, time.perf_counter() - t


def count_rows(world: World) -> tuple[int, int, int]:
    from django.db import connections

    from budget.models import Ballot, BallotAudit

    connections.close_all()
    ballots = Ballot.objects.filter(cycle_id=world.cycle_id)
    return (ballots.count(), Ballot.choices.through.objects.filter(ballot__cycle_id=world.cycle_id).count(),
            BallotAudit.objects.filter(cycle_id=world.cycle_id).count())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http-seconds", type=float, default=20)
    parser.add_argument("--http-clients", type=int, default=8)
    parser.add_argument("--n", type=int, default=1500, help="ballots per in-process and raw phase")
    parser.add_argument("--residents", type=int, default=9000)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the one-thread phases")
    args = parser.parse_args()
    if not (1 <= args.http_seconds <= 40 and 10 <= args.n <= 5000 and 1 <= args.rounds <= 20):
        parser.error("http-seconds 1-40, n 10-5000, rounds 1-20")
    rng = random.Random(11)
    rates: dict[str, float] = {}
    problems: list[str] = []
    with Bench("bench_ballot_insert: ballots/s, Django vs raw psycopg", residents=args.residents) as bench:
        world = bench.world
        slots = Slots(world)
        expected = {"ballots": 0}

        costs: dict[str, float] = {}

        tally: dict[str, list[float]] = {}  # name -> [ballots, seconds, CPU here, CPU PostgreSQL]
        notes: dict[str, str] = {}

        def measured(name: str, phase, *a, note: str = "", **kw) -> float:
            """Run (a slice of) a phase and add it to the phase's tally; returns its ballots/s."""
            cpu0, pg_sampler = time.process_time(), CpuSampler(postgres_pids)
            done, seconds = phase(*a, **kw)
            cpu = time.process_time() - cpu0
            pg = pg_sampler.stop()
            while _OPEN:
                _OPEN.pop().close()
            t = tally.setdefault(name, [0, 0.0, 0.0, 0.0])
            t[0] += done
            t[1] += seconds
            t[2] += cpu
            t[3] += pg
            notes[name] = note
            expected["ballots"] += done
            return done / seconds if seconds else 0.0

        def report(name: str) -> None:
            done, seconds, cpu, pg = tally[name]
            rates[name] = done / seconds if seconds else 0.0
            costs[name] = (cpu + pg) / done if done else 0.0
            log(f"   {name:<10} {int(done):6d} ballots in {seconds:6.2f} s = {rates[name]:8.1f} ballots/s  "
                f"CPU/ballot {cpu / max(done, 1) * 1000:5.2f} ms here + {pg / max(done, 1) * 1000:4.2f} ms PostgreSQL  "
                f"{notes[name]}")

        http_residents = slots.residents(min(len(world.residents) // 5, 1500))
        result = run_load(bench, voters=args.http_clients, duration=args.http_seconds,
                          max_ballots=2 * len(http_residents), confirm=False, residents=http_residents)
        confirmed = sum(1 for b in result.ballots if b.outcome == "confirmed")
        in_window = sum(1 for b in result.ballots if b.outcome == "confirmed" and b.start + b.latency <= result.duration)
        bad = [r for r in result.reqs if not (r.status == 200 or r.status == 302)]
        if bad or confirmed != len(result.ballots):
            problems.append(f"http phase: {len(bad)} bad requests, {len(result.ballots) - confirmed} unconfirmed")
        rates["http"] = in_window / result.duration
        expected["ballots"] += confirmed
        post = sorted(r.latency for r in result.reqs if r.phase == "vote")
        costs["http"] = (result.server_cpu + result.postgres_cpu) / max(confirmed, 1)
        log(f"   {'http':<10} {confirmed:6d} ballots in {result.duration:6.2f} s = {rates['http']:8.1f} ballots/s  "
            f"CPU/ballot {result.server_cpu / max(confirmed, 1) * 1000:5.2f} ms gunicorn + "
            f"{result.postgres_cpu / max(confirmed, 1) * 1000:4.2f} ms PostgreSQL  "
            f"(GET form + POST, {args.http_clients} clients, 4 sync workers; POST p50 {ms(percentile(post, 50))}; "
            f"load average before {result.loadavg_before})")
        bench.stop_gunicorn()  # the in-process phases get the machine to themselves

        if os.environ.get("BENCH_PROFILE"):  # developers: where the in-process POST spends its time
            import cProfile
            import pstats
            prof = cProfile.Profile()
            profiled, _spent = prof.runcall(phase_django, slots, 200, 25, rng)
            expected["ballots"] += profiled
            stats = pstats.Stats(prof).sort_stats(os.environ["BENCH_PROFILE"])
            stats.print_stats(45)
            if os.environ.get("BENCH_CALLERS"):
                stats.print_callers(os.environ["BENCH_CALLERS"])
        # The three one-thread phases are interleaved in rounds (django, service, raw, django, ...), so that a
        # change in what else the machine is doing affects them alike; the shares per round show the spread.
        shares = []
        per_round = max(args.n // args.rounds, 10)
        for _round in range(args.rounds):
            django_rate = measured("django", phase_django, slots, per_round, 25 / args.rounds, rng,
                                   note="(POST only, test client, one thread)")
            measured("service", phase_service, slots, per_round, 25 / args.rounds, rng,
                     note="(services.cast_ballot, one thread)")
            raw_rate = measured("raw", phase_raw, slots, per_round, 15 / args.rounds, rng,
                                note="(psycopg, 1 connection, 1 transaction per ballot)")
            shares.append(django_rate / raw_rate if raw_rate else 0.0)
        measured("raw x4", phase_raw, slots, 2 * args.n, 15, rng, connections=4,
                 note="(psycopg, 4 connections, 1 transaction per ballot)")
        measured("raw batch", phase_raw_batch, slots, 4 * args.n, 15, rng,
                 note="(psycopg executemany, 500 ballots per transaction)")
        for name in tally:
            report(name)

        n_ballots, n_choices, n_audit = count_rows(world)
        log(f"   rows: {n_ballots} ballots, {n_choices} choices, {n_audit} audit entries")
        if n_ballots != expected["ballots"] or n_audit != n_ballots or not (n_ballots <= n_choices <= 2 * n_ballots):
            problems.append(f"row counts: {n_ballots} ballots (expected {expected['ballots']}), {n_choices} choices, "
                            f"{n_audit} audit")
        if costs.get("raw"):
            log("   CPU cost per ballot relative to raw (contention-independent): "
                + ", ".join(f"{k} {costs[k] / costs['raw']:.1f}x" for k in ("http", "django", "service", "raw batch")
                            if costs.get(k)))
        if rates.get("django") and rates.get("service"):
            log(f"   ratio raw / django   = {rates['raw'] / rates['django']:.1f}x  (one thread each)")
            log(f"   ratio raw / service  = {rates['raw'] / rates['service']:.1f}x")
            share = rates["django"] / rates["raw"] if rates.get("raw") else 0.0
            log(f"   in-process POST path = {share:.0%} of the raw single-ballot rate "
                f"(goal >= 20 %: {'met' if share >= 0.20 else 'NOT met'}; per round "
                f"{', '.join(f'{x:.0%}' for x in shares)})")
        if rates.get("http"):
            log(f"   ratio (raw x4) / http = {rates['raw x4'] / rates['http']:.1f}x  "
                f"(4 connections vs 4 workers; http includes the ballot page GET)")
            log(f"   ratio raw / http      = {rates['raw'] / rates['http']:.1f}x")
        return finish(problems)


if __name__ == "__main__":
    sys.exit(main())
