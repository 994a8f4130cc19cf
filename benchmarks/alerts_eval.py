"""Time one alert cycle: 100 rules evaluated over a store holding many spans.

The store is the embedded chDB on a temp directory, loaded through
``insert_spans`` with synthetic traffic (``heron.testing.traffic``) normalized
by heron's own pipeline; rule state, events and outbox live in SQLite, so a
cycle includes every claim and commit. Target: < 1 s per cycle on 2 cores.

    .venv/bin/python benchmarks/alerts_eval.py                 # 100k spans
    .venv/bin/python benchmarks/alerts_eval.py --spans 1000000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from heron.alerts import METRICS, AlertEngine, AlertRule, RuleFilter
from heron.alerts.persistence import MetaAlertStore
from heron.alerts.store_source import StoreMetricSource
from heron.normalize import Normalizer
from heron.store.meta import open_meta_store
from heron.store.telemetry import open_telemetry_store
from heron.testing.traffic import MODELS, make_request, trace_specs

SPANS_PER_TRACE = 5
TRACES_PER_REQUEST = 1000


def load(store_url: str, project_id: str, spans: int, now: datetime) -> None:
    """Insert ``spans`` spans spread over the hour before ``now``."""
    store = open_telemetry_store(store_url)
    store.migrate()
    normalizer = Normalizer()
    traces = spans // SPANS_PER_TRACE
    start_ns = int((now - timedelta(hours=1)).timestamp() * 1e9)
    spacing = int(3600e9 / max(traces, 1))
    specs = list(trace_specs(traces, start_ns=start_ns, spacing_ns=spacing, text_bytes=200))
    began = time.perf_counter()
    for i in range(0, len(specs), TRACES_PER_REQUEST):
        request = make_request(specs[i : i + TRACES_PER_REQUEST], seed=i)
        store.insert_spans(normalizer.normalize(project_id, request))
    print(f"loaded {traces * SPANS_PER_TRACE} spans in {time.perf_counter() - began:.1f} s")
    store.close()


def rules(project_id: str, count: int) -> list[AlertRule]:
    """``count`` distinct rules: every metric, unfiltered and per model/provider/user/tag."""
    filters = [RuleFilter()]
    filters += [RuleFilter(model=m) for _, _, m in MODELS]
    filters += [RuleFilter(provider=p) for p in ("openai", "anthropic")]
    filters += [RuleFilter(user_id=f"user-{i}") for i in range(6)]
    filters += [RuleFilter(tag="support")]
    windows = (timedelta(minutes=5), timedelta(minutes=30))
    made: list[AlertRule] = []
    for window in windows:
        for flt in filters:
            for metric in METRICS:
                if len(made) == count:
                    return made
                made.append(AlertRule.model_validate({
                    "id": f"r{len(made)}", "project_id": project_id, "name": f"rule {len(made)}",
                    "metric": metric, "threshold": 1e12, "window": window, "filter": flt,
                }))  # fmt: skip
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="reuse a data dir filled by benchmarks/load.py (its default project) instead "
        "of loading --spans",
    )
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="heron-alerts-bench-") as tmp:
        root = Path(tmp)
        if args.data_dir is not None:
            # The loaded dir's own metadata: rules need its project to exist.
            meta = open_meta_store(
                f"sqlite:///{(args.data_dir / 'meta.db').resolve()}", data_dir=args.data_dir
            )
        else:
            meta = open_meta_store(f"sqlite:///{root / 'meta.db'}", server_secret="b" * 40)
        meta.migrate()
        if args.data_dir is not None:
            project_id = meta.ensure_project("default").id
            store_url = f"chdb://{(args.data_dir / 'telemetry').resolve()}"
            loaded_store = open_telemetry_store(store_url)
            args.spans = loaded_store.count_spans(project_id)
            _, rows = loaded_store.query_rows(
                "SELECT max(start_time) FROM heron.spans WHERE project_id = {p:String}",
                {"p": project_id},
                "newest span",
            )
            # Evaluate at the newest data, so every rule's window holds spans.
            now = rows[0][0].replace(tzinfo=UTC, microsecond=0)
        else:
            project_id = meta.ensure_project("bench").id
            store_url = f"chdb://{root / 'telemetry'}"
            load(store_url, project_id, args.spans, now)
        telemetry = open_telemetry_store(store_url)
        alert_store = MetaAlertStore(meta.engine, clock=lambda: now)
        for rule in rules(project_id, args.rules):
            alert_store.create_rule(rule)
        engine = AlertEngine(
            rules=alert_store.rules, source=StoreMetricSource(telemetry), store=alert_store,
            clock=lambda: now, claim_for=timedelta(seconds=10),
        )  # fmt: skip
        timings = []
        start = max(now, datetime.now(UTC)) if args.data_dir is None else now
        for cycle in range(args.cycles):
            at = start + timedelta(seconds=15 * (cycle + 1))
            began = time.perf_counter()
            engine.evaluate_once(at)
            timings.append(time.perf_counter() - began)
        evaluated = len(alert_store.rules())
        print(
            f"{evaluated} rules over {args.spans} spans: cycle median "
            f"{statistics.median(timings) * 1000:.0f} ms, min {min(timings) * 1000:.0f} ms, "
            f"max {max(timings) * 1000:.0f} ms ({args.cycles} cycles; target < 1000 ms)"
        )
        telemetry.close()
        meta.close()


if __name__ == "__main__":
    main()
