"""UI page benchmark: server time of each web page over a loaded instance.

    .venv/bin/python benchmarks/ingest.py --spans 1000000 --data-dir /tmp/heron-1m --keep
    .venv/bin/python benchmarks/ui_pages.py --data-dir /tmp/heron-1m

Starts ``heron serve`` on the given data directory and times full page loads
(HTML only, the way the browser's first request sees them) of every page: the
dashboard, trace list (plain and filtered), a trace detail, a span panel
fragment, sessions, a session, users, a user, prompts, a prompt, evals,
settings.
The target is < 300 ms p50 server time per page with 1M spans.
"""

from __future__ import annotations

import argparse
import functools
import random
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
import latency  # benchmarks/latency.py (scripts run from this folder)

from heron.testing.server import HeronServer

measure = functools.partial(latency.measure, target_ms=300, width=34)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("-n", type=int, default=20, help="samples per page")
    parser.add_argument("--range", default="24h", help="time range preset of the list pages")
    parser.add_argument(
        "--pages",
        default="",
        help="only the pages whose name contains this text (e.g. 'prompt')",
    )
    args = parser.parse_args()
    with (
        HeronServer(args.data_dir, env={"HERON_LOG_LEVEL": "warning"}) as server,
        httpx.Client(base_url=server.url, timeout=120) as http,
    ):
        listing = http.get("/api/v1/traces", params={"since": "30d", "limit": 200}).json()
        traces = listing["traces"]
        if not traces:
            raise SystemExit(f"no traces in {args.data_dir}: load it with benchmarks/ingest.py")
        rng = random.Random(1)
        models = sorted({m for t in traces for m in t["models"]})
        users = sorted({t["user_id"] for t in traces if t["user_id"]})
        sessions = sorted({t["session_id"] for t in traces if t["session_id"]})
        spans = http.get(f"/api/v1/traces/{traces[0]['trace_id']}").json()["spans"]
        prompts = http.get("/api/v1/prompts", params={"since": args.range}).json()["prompts"]
        templates = [p["prompt_template_hash"] for p in prompts] or ["0" * 16]
        r = args.range
        print(f"{len(traces)} sample traces; pages over range={r}")
        measure("baseline GET /healthz", lambda: http.get("/healthz"), args.n)
        pages: list[tuple[str, Callable[[], str]]] = [
            ("dashboard", lambda: f"/dashboard?range={r}"),
            ("traces", lambda: f"/traces?range={r}"),
            (
                "traces model+status",
                lambda: f"/traces?range={r}&model={rng.choice(models)}&status=error",
            ),
            ("traces search q", lambda: f"/traces?range={r}&q=refund"),
            ("trace detail", lambda: f"/traces/{rng.choice(traces)['trace_id']}"),
            (
                "span panel fragment",
                lambda: (
                    f"/traces/{spans[0]['trace_id']}"
                    f"?span={rng.choice(spans)['span_id']}&partial=panel"
                ),
            ),
            ("sessions", lambda: f"/sessions?range={r}"),
            ("session", lambda: f"/sessions/{quote(rng.choice(sessions), safe='')}"),
            ("users", lambda: f"/users?range={r}"),
            ("user", lambda: f"/users/{quote(rng.choice(users), safe='')}?range={r}"),
            ("prompts", lambda: f"/prompts?range={r}"),
            ("prompt detail", lambda: f"/prompts/{rng.choice(templates)}?range={r}"),
            ("evals", lambda: f"/evals?range={r}"),
            ("settings", lambda: "/settings"),
        ]
        for name, path in pages:
            if args.pages not in name:
                continue
            measure(name, lambda path=path: http.get(path()), args.n)  # type: ignore[misc]
        print("(figures include the HTTP round trip; see the baseline)")


if __name__ == "__main__":
    main()
