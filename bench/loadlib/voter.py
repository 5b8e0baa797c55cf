"""The HTTP voter: a keep-alive browser-like :class:`Client`, one ballot cast (:func:`cast`) and the concurrent
load (:func:`run_load`) with its :class:`LoadResult`."""
from __future__ import annotations

import http.client
import random
import re
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from loadlib.system import LANG, CpuSampler, loadavg, log, machine_cpu, postgres_pids
from loadlib.world import Bench, Resident


TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHOICE_RE = re.compile(r'name="choices" value="(\d+)"')


class Failure(Exception):
    """A request that got no HTTP response (connection refused/reset, timeout)."""


@dataclass
class Req:
    phase: str  # form | vote | confirm | login_form | login
    status: int | str  # HTTP status, or "conn:<Exception>"
    start: float  # seconds since the load started
    latency: float


@dataclass
class BallotRecord:
    resident: int
    bucket_id: int
    choices: tuple[int, ...]
    outcome: str = "not_sent"  # confirmed | refused | refused_after_failure | failed | not_sent
    attempts: int = 0
    post_failures: int = 0  # POSTs without a usable answer (5xx or no response): may or may not be stored
    start: float = 0.0
    latency: float = 0.0  # GET form + POST (+ retries) until the 302


class Client:
    """One browser: a keep-alive HTTP/1.1 connection (re-opened when the server closes it) and a cookie jar."""

    def __init__(self, port: int, timeout: float, t0: float, log_to: list[Req]):
        self.port = port
        self.timeout = timeout
        self.t0 = t0
        self.reqs = log_to
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, phase: str, method: str, path: str, form: list[tuple[str, str]] | None = None):
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": LANG, "User-Agent": "aimaq-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            start = time.monotonic()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                # A kept-alive connection the server had already closed: nothing was processed; retry a GET once.
                if reused and method == "GET" and attempt == 1 and isinstance(
                        exc, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)):
                    continue
                self.reqs.append(Req(phase, f"conn:{type(exc).__name__}", start - self.t0, time.monotonic() - start))
                raise Failure(type(exc).__name__) from None
            latency = time.monotonic() - start
            if resp.will_close:
                self.close()
            for header in resp.msg.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel.value == "" or morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            self.reqs.append(Req(phase, resp.status, start - self.t0, latency))
            return resp.status, resp.getheader("Location", ""), data.decode("utf-8", "replace")
        raise AssertionError("unreachable")


def cast(client: Client, bucket_id: int, choices: tuple[int, ...], record: BallotRecord, *, retries: int,
         backoff: float, confirm: bool, deadline_hard: float, confirm_until: float = float("inf")) -> None:
    """GET the ballot page, POST the choices, follow the 302; on 5xx/no answer retry like an impatient user."""
    path = f"/{LANG}/budget/buckets/{bucket_id}/vote/"
    token = None
    began = time.monotonic()
    record.start = began - client.t0
    for attempt in range(1 + retries):
        if attempt:
            if time.monotonic() + backoff * attempt > deadline_hard:
                break
            time.sleep(backoff * attempt)
        record.attempts = attempt + 1
        if token is None:
            try:
                status, _loc, page = client.request("form", "GET", path)
            except Failure:
                continue
            if status != 200:
                continue
            found = TOKEN_RE.search(page)
            if not found:
                # No form: already voted (an earlier POST was stored) or voting problem; the DB check decides.
                record.outcome = "refused_after_failure" if record.post_failures else "refused"
                return
            token = found.group(1)
        form = [("csrfmiddlewaretoken", token)] + [("choices", str(c)) for c in choices]
        try:
            status, location, _page = client.request("vote", "POST", path, form)
        except Failure:
            record.post_failures += 1
            continue
        if status == 302 and location.endswith(path):
            record.outcome = "confirmed"
            record.latency = time.monotonic() - began
            if confirm and time.monotonic() < confirm_until:
                try:
                    client.request("confirm", "GET", location)
                except Failure:
                    pass
            return
        if status == 200:  # the form came back with an error: for a fresh voter only "already voted" is possible
            record.outcome = "refused_after_failure" if record.post_failures else "refused"
            return
        if status == 403:  # CSRF failure etc.: a bug, not a fault to ride out
            record.outcome = "forbidden"
            return
        record.post_failures += 1  # 5xx: the transaction may have been rolled back, or not have started
    record.outcome = "failed"


@dataclass
class LoadResult:
    duration: float
    wall: float
    reqs: list[Req]
    ballots: list[BallotRecord]
    events: list[tuple[float, str]] = field(default_factory=list)
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    postgres_cpu: float = 0.0
    machine_busy: float = 0.0
    loadavg_before: str = ""


def run_load(bench: Bench, *, voters: int, duration: float, max_ballots: int, retries: int = 0,
             backoff: float = 1.0, confirm: bool = True, timeout: float = 30.0, actions=(),
             seed: int = 1, residents: list[Resident] | None = None) -> LoadResult:
    """``voters`` virtual voters for ``duration`` seconds (no new ballot starts after it; at most ``max_ballots``).

    ``actions``: [(seconds after start, callable(log_event) -> None)], run in a side thread (faults).
    """
    world = bench.world
    assert world is not None
    residents = iter(world.residents if residents is None else residents)
    take_lock = threading.Lock()
    started = Counter()
    t0 = time.monotonic()
    deadline = t0 + duration
    hard = deadline + timeout + 10 * (retries + 1)  # retries of a ballot started before the deadline may run on
    per_thread_reqs: list[list[Req]] = []
    per_thread_ballots: list[list[BallotRecord]] = []
    events: list[tuple[float, str]] = []
    bucket_ids = sorted(world.buckets)

    def next_resident():
        with take_lock:
            if started["ballots"] + len(bucket_ids) > max_ballots:
                return None
            started["ballots"] += len(bucket_ids)
            return next(residents, None)

    def voter(n: int):
        rng = random.Random(seed * 100003 + n)
        reqs: list[Req] = []
        ballots: list[BallotRecord] = []
        per_thread_reqs.append(reqs)
        per_thread_ballots.append(ballots)
        client = Client(bench.port, timeout, t0, reqs)
        try:
            while time.monotonic() < deadline:
                resident = next_resident()
                if resident is None:
                    break
                client.cookies = {"sessionid": resident.session_key}
                for bucket_id in bucket_ids:
                    if time.monotonic() >= deadline:
                        break
                    options = world.buckets[bucket_id]
                    choices = tuple(sorted(rng.sample(options, rng.randint(1, world.max_choices))))
                    record = BallotRecord(resident.index, bucket_id, choices)
                    ballots.append(record)
                    cast(client, bucket_id, choices, record, retries=retries, backoff=backoff, confirm=confirm,
                         deadline_hard=hard, confirm_until=deadline)
        finally:
            client.close()

    def log_event(text: str) -> None:
        events.append((time.monotonic() - t0, text))

    def side():
        for at, action in actions:
            delay = t0 + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            action(log_event)

    cpu_client0 = time.process_time()
    server_sampler = CpuSampler(lambda: [bench.master_pid, *bench.worker_pids()])
    pg_sampler = CpuSampler(postgres_pids)
    load_before = loadavg()
    busy0, _total0 = machine_cpu()
    threads = [threading.Thread(target=voter, args=(n,), daemon=True) for n in range(voters)]
    side_thread = threading.Thread(target=side, daemon=True) if actions else None
    if side_thread:
        side_thread.start()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=max(0.1, hard - time.monotonic()))
    if any(th.is_alive() for th in threads):
        log("   WARNING: some voters did not finish before the hard deadline")
    if side_thread:
        side_thread.join(timeout=max(0.1, hard - time.monotonic()))
    wall = time.monotonic() - t0
    result = LoadResult(
        duration=duration, wall=wall, reqs=[r for lst in per_thread_reqs for r in lst],
        ballots=[b for lst in per_thread_ballots for b in lst], events=events,
        client_cpu=time.process_time() - cpu_client0,
        server_cpu=server_sampler.stop(),
        postgres_cpu=pg_sampler.stop(),
        machine_busy=machine_cpu()[0] - busy0, loadavg_before=load_before,
    )
    return result

