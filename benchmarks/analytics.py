"""Analytics benchmark: latency of every analytics endpoint over a loaded instance.

    .venv/bin/python benchmarks/ingest.py --spans 1000000 --data-dir /tmp/heron-1m --keep
    .venv/bin/python benchmarks/analytics.py --data-dir /tmp/heron-1m

Starts ``heron serve`` on the data dir and reports p50/p95 per endpoint
(target: p95 < 500 ms on 2 cores at 1M spans). A ``/healthz`` round trip is
measured in the same run as the HTTP baseline. Needs the analytics router
registered in ``heron.app`` (a 404 on /api/v1/prompts means it is not).
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

import httpx
import latency  # benchmarks/latency.py (scripts run from this folder)

from heron.testing.server import HeronServer

measure = functools.partial(latency.measure, target_ms=500, width=42)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("-n", type=int, default=20, help="samples per endpoint")
    parser.add_argument("--since", default="24h", help="window of every query")
    args = parser.parse_args()
    window = {"since": args.since}
    with HeronServer(args.data_dir, env={"HERON_LOG_LEVEL": "warning"}) as server, \
            httpx.Client(base_url=server.url, timeout=120) as http:  # fmt: skip
        prompts = http.get("/api/v1/prompts", params={**window, "limit": 5})
        prompts.raise_for_status()
        hashes = [p["prompt_template_hash"] for p in prompts.json()["prompts"]]
        users = http.get("/api/v1/users", params={**window, "limit": 5}).json()["users"]
        print(f"{len(hashes)} sample templates, {len(users)} sample users")
        base, _ = measure("baseline GET /healthz", lambda: http.get("/healthz"), args.n)
        measure("prompts (list)", lambda: http.get("/api/v1/prompts", params=window), args.n)
        for by in ("errors", "latency", "quality", "cost"):
            measure(f"prompts/worst?by={by}", lambda by=by: http.get(  # type: ignore[misc]
                "/api/v1/prompts/worst", params={**window, "by": by}), args.n)  # fmt: skip
        if hashes:
            measure("prompts/{hash}", lambda: http.get(
                f"/api/v1/prompts/{hashes[0]}", params=window), args.n)  # fmt: skip
            measure("prompts/compare split_at=now-12h", lambda: http.get(
                "/api/v1/prompts/compare",
                params={**window, "a": hashes[0], "split_at": "now-12h"}), args.n)  # fmt: skip
        measure("users/degraded", lambda: http.get("/api/v1/users/degraded", params=window),
                 args.n)  # fmt: skip
        if users:
            user = users[0]["user_id"]
            usage = {**window, "bucket": "1h"}
            measure("users/{id}/usage?bucket=1h", lambda: http.get(
                f"/api/v1/users/{user}/usage", params=usage), args.n)  # fmt: skip
        for by in ("model", "tag", "user_id"):
            measure(f"costs?by={by}&bucket=1h", lambda by=by: http.get(  # type: ignore[misc]
                "/api/v1/costs", params={**window, "by": by, "bucket": "1h"}), args.n)  # fmt: skip
        measure("context-pressure", lambda: http.get("/api/v1/context-pressure", params=window),
                 args.n)  # fmt: skip
        print(f"(HTTP round-trip baseline p50 {base:.1f} ms is included in every figure)")


if __name__ == "__main__":
    main()
