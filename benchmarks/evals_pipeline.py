"""Overhead of the online eval job pipeline per judged span, excluding the model call.

    .venv/bin/python benchmarks/evals_pipeline.py [--spans 300] [--meta sqlite|postgresql]

Spans are stored in embedded chDB (a temporary directory), an eval rule with
the ``relevance`` judge evaluator selects all of them, and the whole pipeline
runs: the span observer enqueues jobs in the metadata DB, a runner claims
them, loads each trace, calls the judge (the real openai client against the
local fake provider answering at once), stores the score and records the
job. Printed: the per-span time of each stage and, as the baseline, a bare
client call to the same fake provider; pipeline minus baseline is what heron
adds around the model call. With ``--meta postgresql`` the metadata DB is a
throwaway PostgreSQL (Debian's binaries), else SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openai

from heron.evals.jobs import JobRunner
from heron.evals.judging import EvaluatorFactory, JudgeDefaults
from heron.evals.observer import EvalObserver
from heron.evals.rules import EvalRule
from heron.model import Span
from heron.store.meta import evals as db
from heron.store.meta import open_meta_store
from heron.store.telemetry import open_telemetry_store
from heron.testing.fake_provider import FakeProvider, Reply
from heron.testing.postgres import postgres_url


def _spans(project: str, n: int) -> list[Span]:
    start = datetime.now(UTC) - timedelta(minutes=5)
    return [
        Span(
            project_id=project,
            trace_id=uuid.uuid4().hex,
            span_id=uuid.uuid4().hex[:16],
            name="chat",
            kind="llm",
            model="gpt-4o-mini",
            start_time=start,
            end_time=start + timedelta(seconds=1),
            input_messages=[{"role": "user", "content": f"How do I reset password #{i}?"}],
            output_messages=[{"role": "assistant", "content": "Open Settings > Account."}],
        )
        for i in range(n)
    ]


@contextlib.contextmanager
def _meta_url(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'meta.db'}"
        return
    with postgres_url() as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=300)
    parser.add_argument("--meta", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    n = args.spans
    with (
        tempfile.TemporaryDirectory() as tmp_dir,
        FakeProvider() as fp,
        _meta_url(args.meta, Path(tmp_dir)) as url,
    ):
        tmp = Path(tmp_dir)
        fp.default = Reply.json({"score": 0.8, "reasoning": "ok"}).with_usage(300, 20)
        meta = open_meta_store(url, server_secret="bench")
        meta.migrate()
        project = meta.ensure_project("bench").id
        store = open_telemetry_store(f"chdb://{tmp / 'chdb'}", database="bench")
        store.migrate()
        rule = EvalRule(
            id="bench", project_id=project, name="bench", evaluator="relevance", delay_s=0
        )
        db.insert_eval_rule(
            meta.engine,
            project_id=project,
            rule_id=rule.id,
            name=rule.name,
            definition=rule.definition(),
            enabled=True,
            now=datetime.now(UTC),
        )
        spans = _spans(project, n)
        store.insert_spans(spans)
        factory = EvaluatorFactory(
            JudgeDefaults(
                provider="openai",
                model="gpt-4o-mini",
                base_url=fp.base_url_openai,
                api_key="k",
                max_retries=0,
            )
        )
        observer = EvalObserver(meta.engine)
        runner = JobRunner(meta.engine, store, factory)

        began = time.perf_counter()
        for chunk in range(0, n, 100):
            observer(spans[chunk : chunk + 100])
        enqueue_s = time.perf_counter() - began
        began = time.perf_counter()
        ran = 0
        while ran < n:
            done = runner.run_once(limit=8)
            if not done:
                break
            ran += done
        run_s = time.perf_counter() - began
        assert ran == n, f"ran {ran} of {n} jobs"
        statuses = {j.status for j in db.list_jobs(meta.engine, project, limit=n)}
        assert statuses == {"done"}, statuses

        client = openai.OpenAI(api_key="k", base_url=fp.base_url_openai, max_retries=0)
        bare = []
        for _ in range(min(n, 200)):
            t = time.perf_counter()
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            bare.append(time.perf_counter() - t)
        client.close()
        factory.close()
        store.close()
        meta.close()

    per_span_ms = run_s / n * 1000
    bare_ms = statistics.mean(bare) * 1000
    print(f"spans judged:                 {n} (metadata DB: {args.meta})")
    print(f"enqueue (observer), per span: {enqueue_s / n * 1000:8.3f} ms")
    print(f"claim+evaluate+store+record:  {per_span_ms:8.3f} ms per span")
    print(f"bare client call (baseline):  {bare_ms:8.3f} ms")
    print(f"pipeline overhead per span:   {per_span_ms - bare_ms + enqueue_s / n * 1000:8.3f} ms")


if __name__ == "__main__":
    main()
