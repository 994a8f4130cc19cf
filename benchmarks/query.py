"""Query benchmark: API latency over a loaded instance (default: 1M spans from ingest.py).

    .venv/bin/python benchmarks/ingest.py --spans 1000000 --data-dir /tmp/heron-1m --keep
    .venv/bin/python benchmarks/query.py --data-dir /tmp/heron-1m

Reports p50/p95 of: trace lookup by id, trace list (plain and filtered), stats
grouped by model with percentiles, stats by model and 5-minute bucket, users.
A ``/healthz`` round trip is measured in the same run as the HTTP baseline.
"""

from __future__ import annotations

import argparse
import functools
import random
from pathlib import Path

import httpx
import latency  # benchmarks/latency.py (scripts run from this folder)

from heron.testing.server import HeronServer

measure = functools.partial(latency.measure, width=38)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("-n", type=int, default=50, help="samples per query")
    args = parser.parse_args()
    with (
        HeronServer(args.data_dir, env={"HERON_LOG_LEVEL": "warning"}) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        listing = http.get("/api/v1/traces", params={"since": "30d", "limit": 500}).json()
        trace_ids = [t["trace_id"] for t in listing["traces"]]
        models = sorted({m for t in listing["traces"] for m in t["models"]})
        users = sorted({t["user_id"] for t in listing["traces"] if t["user_id"]})
        rng = random.Random(1)
        print(f"{len(trace_ids)} sample traces; models {models}")
        base, _ = measure("baseline GET /healthz", lambda: http.get("/healthz"), args.n)
        measure("trace lookup", lambda: http.get(f"/api/v1/traces/{rng.choice(trace_ids)}"), args.n)
        measure(
            "trace list 24h", lambda: http.get("/api/v1/traces", params={"since": "24h"}), args.n
        )
        measure(
            "trace list model+status filter",
            lambda: http.get(
                "/api/v1/traces",
                params={"since": "24h", "model": rng.choice(models), "status": "error"},
            ),
            args.n,
        )
        measure(
            "trace list user filter",
            lambda: http.get(
                "/api/v1/traces", params={"since": "24h", "user_id": rng.choice(users)}
            ),
            args.n,
        )
        measure(
            "trace list min_duration",
            lambda: http.get("/api/v1/traces", params={"since": "24h", "min_duration_ms": 2500}),
            args.n,
        )
        measure(
            "stats by model (p50/p95/p99) 24h",
            lambda: http.get("/api/v1/stats", params={"since": "24h", "group_by": "model"}),
            args.n,
        )
        measure(
            "stats by model x 5m bucket 24h",
            lambda: http.get(
                "/api/v1/stats", params={"since": "24h", "group_by": "model", "bucket": "5m"}
            ),
            args.n,
        )
        measure("users 24h", lambda: http.get("/api/v1/users", params={"since": "24h"}), args.n)
        print(f"(HTTP round-trip baseline p50 {base:.1f} ms is included in every figure)")


if __name__ == "__main__":
    main()
