"""Reads while ingesting: trace lookup latency of a ``heron serve`` that is busy storing spans.

    .venv/bin/python benchmarks/reads_during_ingest.py --spans 150000 --clients 4

Starts a real server on a fresh directory, sends a first slice of traffic and
waits until it is queryable, then times trace lookups (one every 0.1 s) twice in
the same run: on the idle server (the baseline), and while ``--clients`` HTTP
clients send the rest and until the flusher has stored all of it (the WAL backlog
is back to 0). This is what a user debugging a trace sees while production
traffic flows; ``query.py`` measures the idle case over 1M spans.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from heron.testing.server import HeronServer, send_traces, wal_backlog_bytes
from heron.testing.traffic import encoded_requests

TRACES_PER_REQUEST = 100
SPANS_PER_TRACE = 5
WARM_REQUESTS = 20


def _send(url: str, bodies: Sequence[bytes]) -> None:
    with httpx.Client(timeout=60) as http:
        for body in bodies:
            send_traces(http, url, body)


def _sample(call: Callable[[], httpx.Response], until: Callable[[], bool]) -> list[float]:
    samples = []
    while not until():
        t0 = time.perf_counter()
        call().raise_for_status()
        samples.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.1)
    return samples


def _report(name: str, samples: list[float]) -> float:
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(
        f"{name:<34} n {len(samples):4d}   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"
        f"   max {samples[-1]:7.1f} ms"
    )
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=150_000, help="spans to send in all")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    args = parser.parse_args()

    per_request = TRACES_PER_REQUEST * SPANS_PER_TRACE
    n_requests = max(WARM_REQUESTS + 1, args.spans // per_request)
    start_ns = int((datetime.now(UTC) - timedelta(hours=2)).timestamp() * 1e9)
    print(f"building {n_requests} requests of {per_request} spans ...", flush=True)
    bodies = encoded_requests(n_requests, traces_per_request=TRACES_PER_REQUEST, start_ns=start_ns)
    data_dir = Path(tempfile.mkdtemp(prefix="heron-rw-")) / "data"
    with (
        HeronServer(data_dir, env={"HERON_LOG_LEVEL": "warning"}) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        _send(server.url, bodies[:WARM_REQUESTS])
        while wal_backlog_bytes(http, server.url) > 0:
            time.sleep(0.25)
        listing = http.get("/api/v1/traces", params={"since": "30d", "limit": 500}).json()
        trace_ids = [t["trace_id"] for t in listing["traces"]]
        rng = random.Random(1)

        def lookup() -> httpx.Response:
            return http.get(f"/api/v1/traces/{rng.choice(trace_ids)}")

        deadline = time.monotonic() + 8
        idle = _report("trace lookup, idle", _sample(lookup, lambda: time.monotonic() > deadline))

        rest = bodies[WARM_REQUESTS:]
        senders = [
            threading.Thread(target=_send, args=(server.url, rest[k :: args.clients]))
            for k in range(args.clients)
        ]
        stored = threading.Event()

        def wait_stored() -> None:
            for sender in senders:
                sender.join()
            with httpx.Client(base_url=server.url, timeout=60) as watcher:
                while wal_backlog_bytes(watcher, server.url) > 0:
                    time.sleep(0.5)
            stored.set()

        t0 = time.perf_counter()
        for sender in senders:
            sender.start()
        threading.Thread(target=wait_stored, daemon=True).start()
        time.sleep(1)  # let the flusher get going
        busy = _report("trace lookup, during ingest", _sample(lookup, stored.is_set))
        elapsed = time.perf_counter() - t0
    spans = len(rest) * per_request
    print(f"ingest: {spans:,} spans stored in {elapsed:.1f} s ({spans / elapsed:,.0f} spans/s)")
    print(f"p50 during ingest / idle: {busy / idle:.1f}x")


if __name__ == "__main__":
    main()
