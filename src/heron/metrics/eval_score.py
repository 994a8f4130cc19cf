"""The ``llm_eval_score`` gauge: the average of each key's latest window of scores.

Scores arrive in bursts (an eval run, a batch of human feedback), so a gauge of
"the last score" would jump around and one "average since start" would never
move. Per ``(evaluator, model, project)`` key this keeps the scores received
within ``window`` seconds of that key's most recent score (at most
``max_values``), and reports their mean. The value stays until newer scores
replace it, so an alert such as ``avg(llm_eval_score) < 0.7 for 10m`` does not
resolve merely because evals paused.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["EvalScoreWindows"]

Key = tuple[str, str, str]  # (evaluator, model, project), already bounded


class EvalScoreWindows(Collector):
    """Rolling windows of scores per key, exposed as the ``llm_eval_score`` gauge."""

    def __init__(self, *, window_s: float, max_values: int, clock: Callable[[], float]) -> None:
        if window_s <= 0 or max_values < 1:
            raise ValueError(
                f"eval score window must be positive (got {window_s} s, {max_values} values)"
            )
        self.window_s = window_s
        self.max_values = max_values
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[Key, deque[tuple[float, float]]] = {}

    def add(self, key: Key, value: float) -> None:
        """Add one score to ``key``'s window, dropping those now outside it."""
        now = self._clock()
        with self._lock:
            window = self._windows.setdefault(key, deque(maxlen=self.max_values))
            window.append((now, value))
            while window and window[0][0] < now - self.window_s:
                window.popleft()

    def average(self, key: Key) -> float | None:
        """The current window average for ``key``, None when it never had a score."""
        with self._lock:
            window = self._windows.get(key)
            if not window:
                return None
            return sum(v for _, v in window) / len(window)

    def collect(self) -> Iterable[Metric]:
        """Yield the gauge family with one sample per key."""
        family = GaugeMetricFamily(
            "llm_eval_score",
            "Average eval score (0..1) over the latest window of scores per evaluator and model.",
            labels=["evaluator", "model", "project"],
        )
        with self._lock:
            items = [(k, sum(v for _, v in w) / len(w)) for k, w in self._windows.items() if w]
        for key, avg in sorted(items):
            family.add_metric(list(key), avg)
        yield family
