"""Scores (user feedback, app-side checks) posted to heron in batches off the app's thread.

``heron_sdk.score("helpful", 1.0)`` validates and enqueues; a daemon thread
posts batches as JSON to ``POST <endpoint>/api/v1/scores`` with the stdlib
(``urllib``), so the SDK needs no HTTP client dependency. A full queue, an
invalid score or a failed post is logged and counted, never raised.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from heron_sdk.counters import QueueTracker

__all__ = ["ScoreSender", "build_score", "score"]

_log = logging.getLogger("heron_sdk")

_MAX_BATCH = 100  # the server takes up to 1000 per request; smaller keeps each post quick
_RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
_STOP = object()

try:  # suppress urllib/requests instrumentations on heron's own posts (no self-tracing loop)
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY as _SUPPRESS
except ImportError:  # pragma: no cover - older or newer opentelemetry-api without the key
    _SUPPRESS = otel_context.create_key("suppress_instrumentation")


def build_score(
    name: str,
    value: float | bool | str,
    trace_id: str | int | None = None,
    span_id: str | int | None = None,
    comment: str | None = None,
) -> dict[str, Any] | str:
    """The JSON body of one score, or a message saying why it cannot be sent.

    A ``str`` value is a categorical label; a number must be in 0..1 (bools
    become 1.0/0.0). Without ``trace_id`` the current span's trace is scored.
    """
    if not isinstance(name, str) or not 1 <= len(name) <= 200:
        return f"score name must be a string of 1..200 characters, got {name!r}"
    body: dict[str, Any] = {"name": name, "source": "api", "score_id": uuid.uuid4().hex}
    if isinstance(value, str):
        body["label"] = value[:200]
        body["value"] = None
    elif isinstance(value, (bool, int, float)):
        number = float(value)
        if not (math.isfinite(number) and 0.0 <= number <= 1.0):
            return f"score {name!r}: value {value!r} must be a number in 0..1 (or a string label)"
        body["value"] = number
    else:
        kind = type(value).__name__
        return f"score {name!r}: value must be a number in 0..1 or a string label, not {kind}"

    if trace_id is None:
        current = trace.get_current_span().get_span_context()
        if not current.is_valid:
            return (
                f"score {name!r}: no current trace; call it inside a traced block or pass trace_id="
            )
        trace_id = current.trace_id
    hex_trace = _hex_id(trace_id, 32)
    if hex_trace is None:
        return f"score {name!r}: trace_id {trace_id!r} is not a 32-hex-digit id"
    body["trace_id"] = hex_trace
    body["span_id"] = None
    if span_id is not None:
        hex_span = _hex_id(span_id, 16)
        if hex_span is None:
            return f"score {name!r}: span_id {span_id!r} is not a 16-hex-digit id"
        body["span_id"] = hex_span
    body["comment"] = None if comment is None else str(comment)[:10_000]
    return body


def _hex_id(value: str | int, digits: int) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return format(value, f"0{digits}x") if 0 < value < 16**digits else None
    if isinstance(value, str):
        text = value.strip().lower()
        if len(text) == digits and all(c in "0123456789abcdef" for c in text) and text.strip("0"):
            return text
    return None


class ScoreSender:
    """A bounded queue of scores and the daemon thread that posts them in batches."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str] | None,
        tracker: QueueTracker,
        *,
        max_queue_size: int = 2048,
        timeout_s: float = 5.0,
        retry_backoff_s: float = 0.5,
    ) -> None:
        self._url = url
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._tracker = tracker
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue_size)
        self._timeout_s = timeout_s
        self._backoff_s = retry_backoff_s
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._failing = False  # log the first failure loudly, the rest quietly until recovery

    def submit(self, body: dict[str, Any]) -> bool:
        """Enqueue one score; False (and counted as dropped) when the queue is full or closed."""
        if self._closed:
            self._tracker.lost(1)
            return False
        self._ensure_thread()
        try:
            self._queue.put_nowait(body)
        except queue.Full:
            self._tracker.lost(1)
            _log.debug("heron_sdk: score queue full; score %r dropped", body.get("name"))
            return False
        return True

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued score was posted or dropped; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks:
            if self._thread is None or not self._thread.is_alive() or time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Post what is queued (up to ``timeout_s``) and stop the thread."""
        if self._closed:
            return
        self._closed = True
        if self._thread is None:
            return
        try:
            self._queue.put(_STOP, timeout=timeout_s)
        except queue.Full:
            return
        self._thread.join(timeout_s)

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="heron-sdk-scores", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        otel_context.attach(otel_context.set_value(_SUPPRESS, True))
        while True:
            first = self._queue.get()
            batch: list[dict[str, Any]] = []
            stop = first is _STOP
            if not stop:
                batch.append(first)  # type: ignore[arg-type]
            while not stop and len(batch) < _MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                else:
                    batch.append(item)  # type: ignore[arg-type]
            if batch:
                try:
                    self._tracker.taken(len(batch), delivered=self._post(batch))
                except Exception:  # a bug here must not kill the thread and stall flush()
                    _log.warning("heron_sdk: posting scores failed", exc_info=True)
                    self._tracker.taken(len(batch), delivered=False)
            for _ in range(len(batch) + (1 if stop else 0)):
                self._queue.task_done()
            if stop:
                return

    def _post(self, batch: list[dict[str, Any]]) -> bool:
        data = json.dumps(batch).encode()
        for attempt in (1, 2):
            # The URL is heron's configured endpoint, checked to be http(s) by settings.
            request = urllib.request.Request(  # noqa: S310
                self._url, data=data, headers=self._headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self._timeout_s) as response:  # noqa: S310
                    response.read()
                if self._failing:
                    _log.info("heron_sdk: scores reach %s again", self._url)
                self._failing = False
                return True
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:300].decode(errors="replace")
                retry = exc.code in _RETRYABLE
                reason = f"HTTP {exc.code}: {detail}"
            except (urllib.error.URLError, OSError) as exc:
                retry = True
                reason = str(exc)
            if retry and attempt == 1 and not self._closed:
                time.sleep(self._backoff_s)
                continue
            self._report(len(batch), reason)
            return False
        return False  # pragma: no cover - the loop always returns

    def _report(self, count: int, reason: str) -> None:
        level = logging.DEBUG if self._failing else logging.WARNING
        self._failing = True
        _log.log(
            level,
            "heron_sdk: %d scores not delivered to %s (%s); counted as dropped",
            count,
            self._url,
            reason,
        )


def score(
    name: str,
    value: float | bool | str,
    trace_id: str | int | None = None,
    span_id: str | int | None = None,
    comment: str | None = None,
) -> bool:
    """Attach a score to a trace (the current one by default) or to one of its spans.

    ``value`` is a number in 0..1 (bools count as 1/0) or a string label. The
    score is queued and posted in the background; returns False (logged and
    counted in :func:`heron_sdk.stats`) when it cannot be queued.

    Example::

        heron_sdk.score("user_feedback", 1.0, comment="thumbs up")
    """
    from heron_sdk import handle  # deferred: handle imports this module

    active = handle.active()
    try:
        body = build_score(name, value, trace_id, span_id, comment)
    except Exception:
        _log.warning("heron_sdk.score(): could not build the score", exc_info=True)
        body = "invalid score"
    if isinstance(body, str):
        _log.warning("heron_sdk.score(): %s; dropped", body)
        if active is not None:
            active.counters.scores.lost(1)
        return False
    if active is None or active.scores is None:
        _log.warning("heron_sdk.score(%r): heron_sdk.init() was not called; dropped", name)
        return False
    return active.scores.submit(body)
