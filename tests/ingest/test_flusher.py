"""The flusher: WAL -> normalize -> store -> checkpoint, against the real embedded store."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from heron.config import Settings
from heron.errors import StoreError
from heron.ingest import Flusher, IngestCounters, WriteAheadLog
from heron.ingest import flusher as flusher_module
from heron.model import Span

OpenWal = Callable[..., WriteAheadLog]
MakeTraces = Callable[..., ExportTraceServiceRequest]


class RecordingSink:
    """Our own SpanSink: remembers every successful insert; can fail the first N."""

    def __init__(self, fail_times: int = 0) -> None:
        self.calls: list[tuple[list[Span], str | None]] = []
        self.failures_left = fail_times
        self.attempts = 0

    def insert_spans(self, spans: Sequence[Span], *, dedup_token: str | None = None) -> None:
        self.attempts += 1
        if self.failures_left:
            self.failures_left -= 1
            raise StoreError("telemetry store failed to insert spans: connection refused")
        self.calls.append((list(spans), dedup_token))

    @property
    def span_ids(self) -> list[str]:
        return [s.span_id for spans, _ in self.calls for s in spans]


def _ids(request: ExportTraceServiceRequest) -> list[str]:
    return [
        s.span_id.hex() for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans
    ]


def _trace_ids(request: ExportTraceServiceRequest) -> set[str]:
    return {
        s.trace_id.hex() for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans
    }


Normalize = Callable[[str, ExportTraceServiceRequest], list[Span]]


@pytest.fixture
def make_flusher(simple_normalize: Normalize) -> Callable[..., Flusher]:
    """``make_flusher(wal, store, **kwargs)`` with short intervals and retry delays."""

    def make(wal: WriteAheadLog, store: Any, **kwargs: Any) -> Flusher:
        kwargs.setdefault("interval_s", 0.05)
        kwargs.setdefault("retry_initial_s", 0.01)
        kwargs.setdefault("retry_max_s", 0.05)
        return Flusher(wal, kwargs.pop("normalize", simple_normalize), store, **kwargs)

    return make


MakeFlusher = Callable[..., Flusher]


def test_records_reach_the_real_store_and_the_checkpoint_advances(
    make_flusher: MakeFlusher, open_wal: OpenWal, make_traces: MakeTraces, telemetry_store: Any
) -> None:
    wal = open_wal()
    requests = [make_traces(2, seed=seed) for seed in (1, 2, 3)]
    for request in requests:
        wal.append_blocking("traces", "proj-a", request.SerializeToString())
    counters = IngestCounters()
    flusher = make_flusher(wal, telemetry_store, counters=counters)
    flusher.start()
    try:
        assert flusher.wait_idle(timeout=30)
    finally:
        assert flusher.stop()
    assert wal.checkpoint_seq == 3
    assert wal.backlog_bytes == 0
    for request in requests:
        for trace_id in _trace_ids(request):
            stored = telemetry_store.get_trace("proj-a", trace_id)
            assert len(stored) == 5
            assert {s.span_id for s in stored} <= set(_ids(request))
        assert telemetry_store.get_trace("other-project", next(iter(_trace_ids(request)))) == []
    snapshot = counters.snapshot()
    assert snapshot.flushed_spans == 30
    assert snapshot.flush_batches >= 1
    assert snapshot.flush_seconds_avg > 0


def test_batches_respect_max_spans_and_tokens_name_the_wal_range(
    make_flusher: MakeFlusher, open_wal: OpenWal, make_traces: MakeTraces
) -> None:
    wal = open_wal()
    small = [make_traces(1, seed=s) for s in (1, 2, 3)]  # 5 spans each
    big = make_traces(3, seed=9)  # 15 spans in one record
    for request in [*small, big]:
        wal.append_blocking("traces", "p", request.SerializeToString())
    sink = RecordingSink()
    flusher = make_flusher(wal, sink, max_spans=11)
    flusher.start()
    assert flusher.wait_idle(timeout=10)
    flusher.stop()
    sizes = [len(spans) for spans, _ in sink.calls]
    tokens = [token for _, token in sink.calls]
    assert sizes == [10, 5, 11, 4]
    assert tokens == [
        f"{wal.wal_id}:1-2:0",
        f"{wal.wal_id}:3-3:0",
        f"{wal.wal_id}:4-4:0",
        f"{wal.wal_id}:4-4:1",
    ]
    expected = [i for r in [*small, big] for i in _ids(r)]
    assert sink.span_ids == expected


def test_batches_are_capped_below_a_large_max_spans_to_bound_memory(
    make_flusher: MakeFlusher,
    open_wal: OpenWal,
    make_traces: MakeTraces,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(flusher_module, "_BATCH_SPANS", 10)
    wal = open_wal()
    requests = [*(make_traces(1, seed=s) for s in (1, 2, 3)), make_traces(3, seed=9)]
    for request in requests:
        wal.append_blocking("traces", "p", request.SerializeToString())
    sink = RecordingSink()
    flusher = make_flusher(wal, sink, max_spans=1000)
    flusher.start()
    assert flusher.wait_idle(timeout=10)
    flusher.stop()
    assert flusher.max_spans == 1000
    # A record larger than the cap still goes whole, in one insert of up to max_spans.
    assert [len(spans) for spans, _ in sink.calls] == [10, 5, 15]
    assert [token for _, token in sink.calls] == [
        f"{wal.wal_id}:1-2:0",
        f"{wal.wal_id}:3-3:0",
        f"{wal.wal_id}:4-4:0",
    ]
    assert sink.span_ids == [i for r in requests for i in _ids(r)]


def test_a_failing_store_is_retried_without_loss_or_duplicates(
    make_flusher: MakeFlusher, open_wal: OpenWal, make_traces: MakeTraces
) -> None:
    wal = open_wal()
    requests = [make_traces(1, seed=s) for s in range(1, 5)]
    for request in requests:
        wal.append_blocking("traces", "p", request.SerializeToString())
    sink = RecordingSink(fail_times=4)
    counters = IngestCounters()
    flusher = make_flusher(wal, sink, counters=counters)
    flusher.start()
    assert flusher.wait_idle(timeout=10)
    flusher.stop()
    expected = [i for r in requests for i in _ids(r)]
    assert sorted(sink.span_ids) == sorted(expected)
    assert not [i for i, n in Counter(sink.span_ids).items() if n > 1]
    assert counters.store_errors == 4
    assert sink.attempts == len(sink.calls) + 4
    assert wal.checkpoint_seq == 4


def test_the_checkpoint_does_not_pass_unstored_data(
    make_flusher: MakeFlusher, open_wal: OpenWal, make_traces: MakeTraces
) -> None:
    wal = open_wal()
    wal.append_blocking("traces", "p", make_traces(1).SerializeToString())
    sink = RecordingSink(fail_times=10**9)
    flusher = make_flusher(wal, sink)
    flusher.start()
    assert flusher.wait_idle(timeout=0.3) is False
    assert sink.attempts >= 2
    assert wal.checkpoint_seq == 0
    assert wal.inflight == (1, 1)
    assert flusher.stop(timeout=0.2) is False  # gives up, keeps the record for the next start
    assert wal.checkpoint_seq == 0
    assert len(wal.read_after(0)) == 1


class InsertThenFail:
    """A store whose inserts land but whose answers are lost (a crash after the insert)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.tokens: list[str | None] = []
        self.inserted = threading.Event()

    def insert_spans(self, spans: Sequence[Span], *, dedup_token: str | None = None) -> None:
        self.store.insert_spans(spans, dedup_token=dedup_token)
        self.tokens.append(dedup_token)
        self.inserted.set()
        raise StoreError("connection reset after the insert was sent")


class Recording:
    """Passes inserts to the real store and remembers their tokens."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.tokens: list[str | None] = []

    def insert_spans(self, spans: Sequence[Span], *, dedup_token: str | None = None) -> None:
        self.tokens.append(dedup_token)
        self.store.insert_spans(spans, dedup_token=dedup_token)


def test_a_restart_between_insert_and_checkpoint_replays_the_same_block_once(
    make_flusher: MakeFlusher, open_wal: OpenWal, make_traces: MakeTraces, telemetry_store: Any
) -> None:
    first_requests = [make_traces(2, seed=s) for s in (11, 12)]
    later_requests = [make_traces(2, seed=s) for s in (13, 14)]
    wal = open_wal()
    for request in first_requests:
        wal.append_blocking("traces", "proj", request.SerializeToString())
    crashing = InsertThenFail(telemetry_store)
    first = make_flusher(wal, crashing)
    first.start()
    assert crashing.inserted.wait(10)
    # More data arrives; the "crashed" run never checkpoints.
    for request in later_requests:
        wal.append_blocking("traces", "proj", request.SerializeToString())
    assert first.stop(timeout=0.2) is False
    assert wal.checkpoint_seq == 0
    wal.close()

    reopened = open_wal()
    assert reopened.inflight == (1, 2)
    recording = Recording(telemetry_store)
    second = make_flusher(reopened, recording)
    second.start()
    assert second.wait_idle(timeout=30)
    assert second.stop()
    # The replayed batch is exactly the crashed one: same records, same token.
    assert recording.tokens[0] == crashing.tokens[0] == f"{reopened.wal_id}:1-2:0"
    for request in [*first_requests, *later_requests]:
        for trace_id in _trace_ids(request):
            spans = telemetry_store.get_trace("proj", trace_id)
            assert len(spans) == 5
            assert len({s.span_id for s in spans}) == 5
    assert reopened.checkpoint_seq == 4


def test_observers_see_stored_spans_and_cannot_block_storage(
    make_flusher: MakeFlusher, open_wal: OpenWal, make_traces: MakeTraces
) -> None:
    wal = open_wal()
    request = make_traces(2)
    wal.append_blocking("traces", "p", request.SerializeToString())
    seen: list[str] = []

    def broken(spans: Sequence[Span]) -> None:
        raise RuntimeError("observer bug")

    def recorder(spans: Sequence[Span]) -> None:
        seen.extend(s.span_id for s in spans)

    sink = RecordingSink()
    flusher = make_flusher(wal, sink, observers=[broken, recorder])
    flusher.start()
    assert flusher.wait_idle(timeout=10)
    flusher.stop()
    assert seen == _ids(request) == sink.span_ids


def test_log_records_go_to_the_logs_sink_in_order_with_traces(
    make_flusher: MakeFlusher, open_wal: OpenWal, make_traces: MakeTraces
) -> None:
    wal = open_wal()
    logs = ExportLogsServiceRequest()
    logs.resource_logs.add().scope_logs.add().log_records.add().body.string_value = "hello"
    wal.append_blocking("traces", "p", make_traces(1, seed=1).SerializeToString())
    wal.append_blocking("logs", "p-logs", logs.SerializeToString())
    wal.append_blocking("traces", "p", make_traces(1, seed=2).SerializeToString())
    received: list[tuple[str, ExportLogsServiceRequest]] = []
    sink = RecordingSink(fail_times=0)
    failures = iter([True, False])

    def logs_sink(project_id: str, request: ExportLogsServiceRequest) -> None:
        if next(failures, False):
            raise StoreError("logs table unavailable")
        received.append((project_id, request))

    counters = IngestCounters()
    flusher = make_flusher(wal, sink, logs_sink=logs_sink, counters=counters)
    flusher.start()
    assert flusher.wait_idle(timeout=10)
    flusher.stop()
    assert received == [("p-logs", logs)]
    assert [t for _, t in sink.calls] == [f"{wal.wal_id}:1-1:0", f"{wal.wal_id}:3-3:0"]
    assert counters.flushed_log_records == 1
    assert counters.store_errors == 1
    assert wal.checkpoint_seq == 3


def test_without_a_logs_sink_log_records_are_passed_over(
    make_flusher: MakeFlusher, open_wal: OpenWal
) -> None:
    wal = open_wal()
    wal.append_blocking("logs", "p", ExportLogsServiceRequest().SerializeToString())
    flusher = make_flusher(wal, RecordingSink())
    flusher.start()
    assert flusher.wait_idle(timeout=10)
    flusher.stop()
    assert wal.checkpoint_seq == 1


def test_a_record_the_normalizer_rejects_is_quarantined_not_retried_forever(
    make_flusher: MakeFlusher,
    simple_normalize: Normalize,
    open_wal: OpenWal,
    make_traces: MakeTraces,
) -> None:
    wal = open_wal()
    wal.append_blocking("traces", "poison", make_traces(1, seed=1).SerializeToString())
    wal.append_blocking("traces", "fine", make_traces(1, seed=2).SerializeToString())

    def normalize(project_id: str, request: ExportTraceServiceRequest) -> list[Span]:
        if project_id == "poison":
            raise ValueError("cannot normalize this")
        return simple_normalize(project_id, request)

    sink = RecordingSink()
    counters = IngestCounters()
    flusher = make_flusher(wal, sink, normalize=normalize, counters=counters)
    flusher.start()
    assert flusher.wait_idle(timeout=10)
    flusher.stop()
    assert {s.project_id for s in sink.calls[0][0]} == {"fine"}
    assert counters.quarantined_records == 1
    quarantined = list((wal.directory / "quarantine").glob("*.pb"))
    assert [p.name for p in quarantined] == [f"{1:020d}-traces.pb"]
    assert wal.checkpoint_seq == 2


def test_stop_drains_what_is_pending(
    make_flusher: MakeFlusher, open_wal: OpenWal, make_traces: MakeTraces
) -> None:
    wal = open_wal()
    sink = RecordingSink()
    flusher = make_flusher(wal, sink, interval_s=30)  # only stop() makes it write
    flusher.start()
    wal.append_blocking("traces", "p", make_traces(1).SerializeToString())
    assert flusher.stop(timeout=10)
    assert len(sink.span_ids) == 5
    assert wal.checkpoint_seq == 1


def test_max_spans_must_be_positive(open_wal: OpenWal, simple_normalize: Normalize) -> None:
    with pytest.raises(ValueError, match="max_spans must be at least 1"):
        Flusher(open_wal(), simple_normalize, RecordingSink(), max_spans=0)


def test_settings_give_the_batch_size_and_interval(
    open_wal: OpenWal, simple_normalize: Normalize, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, flush_max_spans=77, flush_interval_s=0.25)
    flusher = Flusher(open_wal(), simple_normalize, RecordingSink(), settings=settings)
    assert (flusher.max_spans, flusher.interval_s) == (77, 0.25)
    bare = Flusher(open_wal(tmp_path / "other"), simple_normalize, RecordingSink())
    assert (bare.max_spans, bare.interval_s) == (20_000, 0.5)
