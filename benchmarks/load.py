"""Fill a data directory with N realistic normalized spans, fast, for the read benchmarks.

Going through OTLP would measure ingest (that is benchmarks/ingest.py); this
normalizes a pool of synthetic traces once with the real Normalizer, then writes
copies with fresh ids spread over the last 24 hours straight into the store of
the default project, in large inserts. Templated calls of the last 9 hours are
version ``v2`` of their template, earlier ones ``v1`` (a release mid-day), so
template pages have versions to compare. A copy's session is its template's
session in one 30-minute slot of the day (~20 turns within half an hour), not
one session spread over the whole day.

    .venv/bin/python benchmarks/load.py --spans 1000000 --data-dir /tmp/heron-1m
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from heron.config import Settings
from heron.model import Span
from heron.normalize import Normalizer
from heron.store import open_meta_store, open_telemetry_store
from heron.testing.traffic import make_request, trace_specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--batch", type=int, default=50_000)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    meta = open_meta_store(settings.resolved_meta_url, data_dir=settings.data_dir)
    meta.migrate()
    project = meta.ensure_project(settings.default_project).id
    meta.close()
    store = open_telemetry_store(settings.resolved_store_url)
    store.migrate()

    now = datetime.now(UTC)
    start_ns = int((now - timedelta(hours=23)).timestamp() * 1e9)
    normalizer = Normalizer()
    pool: list[list[Span]] = []
    for i in range(20):
        spans = normalizer.normalize(
            project, make_request(list(trace_specs(100, seed=i, start_ns=start_ns)), seed=i)
        )
        by_trace: dict[str, list[Span]] = {}
        for span in spans:
            by_trace.setdefault(span.trace_id, []).append(span)
        pool.extend(by_trace.values())
    rng = random.Random(3)
    span_window = timedelta(hours=23).total_seconds()
    release = now - timedelta(hours=9)
    written = 0
    t0 = time.perf_counter()
    while written < args.spans:
        batch: list[Span] = []
        while len(batch) < args.batch and written + len(batch) < args.spans:
            template = pool[rng.randrange(len(pool))]
            trace_id = f"{rng.getrandbits(128):032x}"
            shift = timedelta(seconds=rng.random() * span_window) - (
                template[0].start_time - (now - timedelta(hours=23))
            )
            ids = {s.span_id: f"{rng.getrandbits(64):016x}" for s in template}
            started = template[0].start_time + shift
            version = "v2" if started >= release else "v1"
            slot = int((started - now).total_seconds() // 1800)
            for span in template:
                batch.append(
                    dataclasses.replace(
                        span,
                        trace_id=trace_id,
                        span_id=ids[span.span_id],
                        parent_span_id=ids.get(span.parent_span_id or ""),
                        start_time=span.start_time + shift,
                        end_time=span.end_time + shift,
                        prompt_template_version=version if span.prompt_template_hash else None,
                        session_id=f"{span.session_id}-{-slot}" if span.session_id else None,
                    )
                )
        store.insert_spans(batch, dedup_token=f"load-{written}")
        written += len(batch)
        rate = written / (time.perf_counter() - t0)
        print(f"\r{written:,} spans written ({rate:,.0f}/s)", end="", flush=True)
    print()
    store.close()


if __name__ == "__main__":
    main()
