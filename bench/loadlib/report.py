"""Reports and checks after a load: figures and per-second timeline, the database check against what the
voters were told (:func:`verify_db`), the exit status, and real sign-ins timed through the login form."""
from __future__ import annotations

import os
import threading
import time
from collections import Counter

from loadlib.system import LANG, PASSWORD, log, ms, percentile
from loadlib.voter import TOKEN_RE, Client, Failure, LoadResult, Req
from loadlib.world import Bench, World


def status_counts(reqs: list[Req]) -> Counter:
    return Counter(str(r.status) for r in reqs)


def print_load_report(result: LoadResult, voters: int) -> dict:
    """Print the figures; return the numbers the scripts assert on."""
    votes = [r for r in result.reqs if r.phase == "vote"]
    ok_in_window = [b for b in result.ballots if b.outcome == "confirmed" and b.start + b.latency <= result.duration]
    confirmed = [b for b in result.ballots if b.outcome == "confirmed"]
    post_lat = sorted(r.latency for r in votes if r.status == 302)
    ballot_lat = sorted(b.latency for b in confirmed)
    all_lat = sorted(r.latency for r in result.reqs if isinstance(r.status, int))
    n5xx = sum(1 for r in result.reqs if isinstance(r.status, int) and r.status >= 500)
    nconn = sum(1 for r in result.reqs if isinstance(r.status, str))
    outcomes = Counter(b.outcome for b in result.ballots)
    log(f"   load: {voters} concurrent voters, {result.duration:.0f} s (+{result.wall - result.duration:.1f} s to drain)")
    log(f"   ballots confirmed: {len(confirmed)}  -> {len(ok_in_window) / result.duration:.1f} ballots/s"
        f" (confirmed within the {result.duration:.0f} s window)")
    log(f"   requests: {len(result.reqs)} ({len(result.reqs) / result.wall:.1f}/s); by status: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(status_counts(result.reqs).items())))
    by_phase = Counter((r.phase, str(r.status)) for r in result.reqs)
    log("   by phase: " + ", ".join(f"{p} {s}: {n}" for (p, s), n in sorted(by_phase.items())))
    log("   ballot outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    log(f"   POST (cast) latency: p50 {ms(percentile(post_lat, 50))}, p95 {ms(percentile(post_lat, 95))}, "
        f"p99 {ms(percentile(post_lat, 99))}, max {ms(post_lat[-1] if post_lat else 0)}")
    log(f"   ballot (GET form + POST) latency: p50 {ms(percentile(ballot_lat, 50))}, "
        f"p95 {ms(percentile(ballot_lat, 95))}, p99 {ms(percentile(ballot_lat, 99))}")
    log(f"   any request latency: p50 {ms(percentile(all_lat, 50))}, p95 {ms(percentile(all_lat, 95))}, "
        f"p99 {ms(percentile(all_lat, 99))}")
    log(f"   5xx responses: {n5xx}; requests without a response: {nconn}")
    if confirmed:
        per = (result.server_cpu + result.postgres_cpu) / len(confirmed)
        log(f"   CPU per confirmed ballot (its 3 requests): gunicorn {result.server_cpu / len(confirmed) * 1000:.0f} ms + "
            f"PostgreSQL {result.postgres_cpu / len(confirmed) * 1000:.0f} ms -> at most ~{1 / per:.0f} ballots/s per "
            f"CPU core given to the server side")
    ours = result.server_cpu + result.postgres_cpu + result.client_cpu
    log(f"   CPU seconds during the load: gunicorn {result.server_cpu:.1f}, PostgreSQL {result.postgres_cpu:.1f}, "
        f"load client {result.client_cpu:.1f}; other processes on the machine {max(0.0, result.machine_busy - ours):.1f} "
        f"(of {os.cpu_count()} CPUs x {result.wall:.0f} s = {os.cpu_count() * result.wall:.0f}; "
        f"load average before: {result.loadavg_before})")
    return {"confirmed": len(confirmed), "n5xx": n5xx, "nconn": nconn, "outcomes": outcomes,
            "rate": len(ok_in_window) / result.duration}


def timeline(result: LoadResult, start: float, end: float) -> None:
    """Per second between ``start`` and ``end`` (seconds since the load began): HTTP answers (any status) /
    ballots confirmed / failures (5xx or no answer), by completion time."""
    answered = Counter(int(r.start + r.latency) for r in result.reqs if isinstance(r.status, int))
    ok = Counter(int(b.start + b.latency) for b in result.ballots if b.outcome == "confirmed")
    bad = Counter(int(r.start + r.latency) for r in result.reqs
                  if isinstance(r.status, str) or (isinstance(r.status, int) and r.status >= 500))
    lo, hi = max(0, int(start)), int(end)
    log("   per second (t: answers/confirmed ballots/failures): "
        + " ".join(f"{t}:{answered[t]}/{ok[t]}/{bad[t]}" for t in range(lo, hi + 1)))


def verify_db(world: World, result: LoadResult, *, strict: bool) -> list[str]:
    """Check the stored ballots against what the voters were told. Returns the violated invariants.

    Always: every confirmed ballot is stored exactly once with the submitted choices and one 'cast' audit
    entry; every ballot refused after a failed attempt is stored (the earlier attempt went through); nothing
    is stored for a (bucket, voter) that was never sent; no (bucket, voter) twice. ``strict`` (no faults):
    also no refusals, no failures, and stored == confirmed.
    """
    from django.db import connections
    from django.db.models import Count

    from budget.models import Ballot, BallotAudit
    from budget.services import ballot_voter_hash

    connections.close_all()  # the bench's own connection may have died with a PostgreSQL restart
    problems: list[str] = []
    by_index = {r.index: r for r in world.residents}
    sent = {}
    for b in result.ballots:
        sent[(b.bucket_id, ballot_voter_hash(by_index[b.resident].iin_hash, b.bucket_id))] = b
    stored = {}
    for pk, bucket_id, voter_hash, channel in Ballot.objects.filter(cycle_id=world.cycle_id).values_list(
            "pk", "bucket_id", "voter_hash", "channel"):
        key = (bucket_id, voter_hash)
        if key in stored:
            problems.append(f"ballot counted twice: bucket {bucket_id}, ballots #{stored[key]} and #{pk}")
        stored[key] = pk
        if channel != "online":
            problems.append(f"ballot #{pk} has channel {channel}")
    dup_groups = (Ballot.objects.values("bucket_id", "voter_hash").annotate(n=Count("id")).filter(n__gt=1).count())
    if dup_groups:
        problems.append(f"{dup_groups} (bucket, voter) pairs with more than one ballot")
    through = Ballot.choices.through
    choices: dict[int, list[int]] = {}
    for ballot_id, proposal_id in through.objects.filter(ballot__cycle_id=world.cycle_id).values_list(
            "ballot_id", "proposal_id"):
        choices.setdefault(ballot_id, []).append(proposal_id)
    # the audit no longer points at ballots (secrecy): one 'cast' entry per stored ballot and bucket
    audits = Counter(BallotAudit.objects.filter(cycle_id=world.cycle_id, action="create")
                     .values_list("bucket_id", flat=True))
    changes = BallotAudit.objects.filter(cycle_id=world.cycle_id).exclude(action="create").count()
    if changes:
        problems.append(f"{changes} 'changed' audit entries although votes are final")

    confirmed = [k for k, b in sent.items() if b.outcome == "confirmed"]
    missing = [k for k in confirmed if k not in stored]
    if missing:
        problems.append(f"{len(missing)} confirmed ballots are NOT in the database")
    wrong = [k for k in confirmed if k in stored and tuple(sorted(choices.get(stored[k], []))) != sent[k].choices]
    if wrong:
        problems.append(f"{len(wrong)} confirmed ballots stored with other choices than submitted")
    per_bucket = Counter(bucket_id for bucket_id, _hash in stored)
    bad_audit = [b for b in set(per_bucket) | set(audits) if per_bucket.get(b, 0) != audits.get(b, 0)]
    if bad_audit:
        problems.append(f"{len(bad_audit)} ballots without exactly one 'cast' audit entry")
    unknown = [k for k in stored if k not in sent]
    if unknown:
        problems.append(f"{len(unknown)} stored ballots were never sent")
    refused_after = [k for k, b in sent.items() if b.outcome == "refused_after_failure"]
    lost_refused = [k for k in refused_after if k not in stored]
    if lost_refused:
        problems.append(f"{len(lost_refused)} ballots refused as 'already voted' are not stored")
    failed_stored = [k for k, b in sent.items() if b.outcome == "failed" and k in stored]
    unconfirmed_stored = [k for k in stored if sent.get(k) and sent[k].outcome != "confirmed"]
    log(f"   database: {len(stored)} ballots stored for {len(sent)} sent; confirmed {len(confirmed)} "
        f"(all stored: {'yes' if not missing else 'NO'}); duplicates: {dup_groups}; "
        f"stored without a 302: {len(unconfirmed_stored)} (refused on retry as already voted: {len(refused_after)}, "
        f"never answered: {len(failed_stored)})")
    if strict:
        outcomes = Counter(b.outcome for b in result.ballots)
        for outcome in ("refused", "refused_after_failure", "failed", "forbidden", "not_sent"):
            if outcomes.get(outcome):
                problems.append(f"{outcomes[outcome]} ballots {outcome}")
        if len(stored) != len(confirmed):
            problems.append(f"stored {len(stored)} != confirmed {len(confirmed)}")
    else:
        forbidden = sum(1 for b in result.ballots if b.outcome in ("forbidden", "refused"))
        if forbidden:
            problems.append(f"{forbidden} ballots refused or forbidden without any failure before")
    return problems


def finish(problems: list[str]) -> int:
    if problems:
        log("   INVARIANTS VIOLATED:")
        for p in problems:
            log(f"     - {p}")
        return 1
    log("   all invariants hold")
    return 0


def measure_logins(bench: Bench, *, count: int = 24, concurrency: int = 4, timeout: float = 60.0) -> None:
    """Real sign-ins through /kk/accounts/login/ (GET for the CSRF token, POST username and password)."""
    world = bench.world
    assert world is not None
    residents = world.residents[-count:]  # the load takes residents from the start
    reqs: list[Req] = []
    lock = threading.Lock()
    queue = list(residents)
    t0 = time.monotonic()
    ok = Counter()

    def worker():
        mine: list[Req] = []
        client = Client(bench.port, timeout, t0, mine)
        while True:
            with lock:
                if not queue:
                    break
                resident = queue.pop()
            client.cookies = {}
            path = f"/{LANG}/accounts/login/"
            try:
                status, _l, page = client.request("login_form", "GET", path)
                token = TOKEN_RE.search(page).group(1)
                status, location, _p = client.request(
                    "login", "POST", path,
                    [("csrfmiddlewaretoken", token), ("username", resident.username), ("password", PASSWORD)])
                ok[status == 302 and "sessionid" in client.cookies] += 1
            except (Failure, AttributeError):
                ok[False] += 1
        client.close()
        with lock:
            reqs.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=timeout * 2)
    wall = time.monotonic() - t0
    lat = sorted(r.latency for r in reqs if r.phase == "login")
    log(f"   sign-in through the login form: {ok[True]} ok, {ok[False]} failed, {concurrency} at a time: "
        f"{ok[True] / wall:.1f} sign-ins/s, POST p50 {ms(percentile(lat, 50))}, p95 {ms(percentile(lat, 95))} "
        f"(PBKDF2-SHA256, {_pbkdf2_iterations()} iterations per check)")
    if ok[False]:
        raise RuntimeError("real sign-ins failed")


def _pbkdf2_iterations() -> int:
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    return PBKDF2PasswordHasher.iterations
