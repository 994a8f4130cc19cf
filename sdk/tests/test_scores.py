"""heron_sdk.score: batched JSON posts to /api/v1/scores; failures counted, never raised."""

from __future__ import annotations

import socket

import heron_sdk
from heron_sdk.counters import QueueTracker
from heron_sdk.scores import ScoreSender, build_score

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"


def test_scores_are_posted_in_batches_with_auth(sdk, stub):
    h = sdk(api_key="hk_scores")
    for i in range(5):
        assert heron_sdk.score("helpful", i / 4, trace_id=TRACE, span_id=SPAN, comment=f"c{i}")
    assert h.force_flush()

    batches = stub.score_batches()
    items = [item for batch in batches for item in batch]
    assert [item["value"] for item in items] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert {item["trace_id"] for item in items} == {TRACE}
    assert {item["span_id"] for item in items} == {SPAN}
    assert items[2]["comment"] == "c2"
    assert {item["source"] for item in items} == {"api"}
    assert len({item["score_id"] for item in items}) == 5  # idempotency keys
    assert all(isinstance(batch, list) for batch in batches)
    assert stub.posts("/api/v1/scores")[0].headers["authorization"] == "Bearer hk_scores"
    assert heron_sdk.stats().scores_sent == 5


def test_score_defaults_to_current_trace(sdk, stub, traced):
    h = sdk()
    with traced.provider.get_tracer("app").start_as_current_span("root") as span:
        assert heron_sdk.score("thumbs", True)
        expected = format(span.get_span_context().trace_id, "032x")
    h.force_flush()
    [[item]] = stub.score_batches()
    assert item["trace_id"] == expected
    assert item["span_id"] is None
    assert item["value"] == 1.0


def test_label_scores_and_invalid_scores(sdk, stub):
    h = sdk()
    assert heron_sdk.score("tone", "friendly", trace_id=TRACE)
    assert not heron_sdk.score("too-big", 3.0, trace_id=TRACE)
    assert not heron_sdk.score("nan", float("nan"), trace_id=TRACE)
    assert not heron_sdk.score("bad-id", 0.5, trace_id="xyz")
    assert not heron_sdk.score("no-trace", 0.5)  # no current span
    h.force_flush()
    [[item]] = stub.score_batches()
    assert item["label"] == "friendly"
    assert item["value"] is None
    assert heron_sdk.stats().scores_dropped == 4


def test_server_down_drops_and_counts_without_raising(sdk, closed_url):
    h = sdk(endpoint=closed_url)
    for _ in range(3):
        assert heron_sdk.score("s", 0.5, trace_id=TRACE)  # queued: delivery is asynchronous
    assert h.force_flush()
    stats = heron_sdk.stats()
    assert stats.scores_dropped == 3
    assert stats.scores_sent == 0


def test_rejected_batch_is_counted(sdk, stub):
    stub.status = 422
    h = sdk()
    heron_sdk.score("s", 0.5, trace_id=TRACE)
    h.force_flush()
    assert len(stub.posts("/api/v1/scores")) == 1  # 4xx is not retried
    assert heron_sdk.stats().scores_dropped == 1


def test_full_queue_drops_and_counts():
    # A peer that accepts connections but never answers keeps the worker busy,
    # so the queue (2 places) fills and the rest is refused at once.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        url = f"http://127.0.0.1:{hung.getsockname()[1]}/api/v1/scores"
        tracker = QueueTracker(2)
        sender = ScoreSender(url, None, tracker, max_queue_size=2, timeout_s=0.3, retry_backoff_s=0)
        body = build_score("s", 0.5, trace_id=TRACE)
        assert isinstance(body, dict)
        results = [sender.submit(dict(body)) for _ in range(50)]
        sender.shutdown(timeout_s=5)
    # At most one batch in the worker (<= 2) plus 2 queued were accepted.
    assert results.count(False) >= 46
    assert tracker.dropped == 50
    assert tracker.exported == 0


def test_score_before_init_is_dropped_quietly():
    assert heron_sdk.score("s", 0.5, trace_id=TRACE) is False
