"""The LLM series Prometheus scrapes from heron, updated from stored spans and scores.

Names and labels are those a team's hand-made stack already uses (see
``shared/seed-stack``: ``llm_requests_total``, ``llm_tokens_total``,
``llm_request_duration``, ``llm_time_to_first_token``, ``llm_cost_usd_total``,
``llm_eval_score``), so their alert rules and dashboards work unchanged, plus the
OpenTelemetry GenAI instruments under their Prometheus names
(``gen_ai_client_token_usage``, ``gen_ai_client_operation_duration_seconds``,
``gen_ai_client_operation_time_to_first_chunk_seconds`` and
``gen_ai_server_time_to_first_token_seconds``) with the semconv bucket boundaries.

Counted: spans of kind ``llm`` or ``embedding`` without ``duplicate_of`` (a
wrapper span repeating its child's call is not a second call), each
``(project, trace, span)`` once even when the WAL replays it. Labels are
bounded per project (:class:`~heron.metrics.cardinality.LabelLimiter`); user,
session and trace ids are never labels.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder

from heron.metrics.cardinality import LabelLimiter, RecentKeys, RecentValues
from heron.metrics.eval_score import EvalScoreWindows
from heron.metrics.health import HealthCollector, HealthSource
from heron.model import Score, Span

__all__ = [
    "DURATION_BUCKETS",
    "GENAI_DURATION_BUCKETS",
    "GENAI_SERVER_TTFT_BUCKETS",
    "GENAI_TOKEN_BUCKETS",
    "TTFT_BUCKETS",
    "LlmMetrics",
]

# Boundaries include 10 s exactly because the standard alert is "p95 > 10 s":
# histogram_quantile interpolates inside a bucket, so a boundary at the
# threshold keeps the alert sharp.
# fmt: off
DURATION_BUCKETS: tuple[float, ...] = (
    0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 120.0, 300.0,
)
TTFT_BUCKETS: tuple[float, ...] = (
    0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 20.0, 30.0, 60.0,
)
# OpenTelemetry GenAI semantic conventions, explicit bucket boundaries advice.
GENAI_TOKEN_BUCKETS: tuple[float, ...] = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)
GENAI_DURATION_BUCKETS: tuple[float, ...] = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)
GENAI_SERVER_TTFT_BUCKETS: tuple[float, ...] = (
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)
# fmt: on

_GENAI_LABELS = ["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "project"]
_PROJECT_SCOPE = "\x00projects"  # the scope holding project ids themselves


class LlmMetrics:
    """Prometheus series for LLM calls, on the registry given (never the global one).

    Use it as the flusher's :class:`heron.protocols.SpanObserver` (``metrics(spans)``
    or :meth:`observe_spans`), feed scores to :meth:`observe_scores`, and serve
    :meth:`render` at ``/metrics``.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        health: HealthSource | None = None,
        max_models_per_project: int = 100,
        max_projects: int = 100,
        max_providers_per_project: int = 20,
        max_evaluators_per_project: int = 50,
        recent_span_capacity: int = 100_000,
        eval_window_s: float = 300.0,
        eval_window_values: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._projects = LabelLimiter(max_projects)
        self._models = LabelLimiter(max_models_per_project)
        self._providers = LabelLimiter(max_providers_per_project)
        self._operations = LabelLimiter(max_providers_per_project)
        self._evaluators = LabelLimiter(max_evaluators_per_project)
        self._seen_spans = RecentKeys(recent_span_capacity)
        self._seen_scores = RecentKeys(recent_span_capacity)
        # Scores carry no model: remember which model answered each span/trace.
        self._span_models = RecentValues(recent_span_capacity)
        self._trace_models = RecentValues(recent_span_capacity)
        # Children by (metric, label values): prometheus-client's labels() validates
        # and converts the values on every call (~2 us, a dozen calls per LLM span).
        # Bounded by the label limiters above, like the series themselves.
        self._children: dict[tuple[object, tuple[str, ...]], Any] = {}

        self.requests = Counter(
            "llm_requests", "LLM calls by model, provider and outcome.",
            ["model", "provider", "status", "project"], registry=registry,
        )  # fmt: skip
        self.tokens = Counter(
            "llm_tokens", "Tokens by model and type (input includes cached_input).",
            ["model", "type", "project"], registry=registry,
        )  # fmt: skip
        # No unit= here: the series must be exactly llm_request_duration_bucket,
        # which is what the standard alert rules query (unit= would append _seconds).
        self.duration = Histogram(
            "llm_request_duration", "LLM call duration in seconds.",
            ["model", "project"], buckets=DURATION_BUCKETS, registry=registry,
        )  # fmt: skip
        self.ttft = Histogram(
            "llm_time_to_first_token", "Time to first token of streamed LLM calls, seconds.",
            ["model", "project"], buckets=TTFT_BUCKETS, registry=registry,
        )  # fmt: skip
        self.cost = Counter(
            "llm_cost_usd", "Cost of LLM calls in US dollars.",
            ["model", "project"], registry=registry,
        )  # fmt: skip
        self.genai_tokens = Histogram(
            "gen_ai_client_token_usage", "Number of input and output tokens used (OTel GenAI).",
            [*_GENAI_LABELS, "gen_ai_token_type"], buckets=GENAI_TOKEN_BUCKETS,
            registry=registry,
        )  # fmt: skip
        self.genai_duration = Histogram(
            "gen_ai_client_operation_duration", "GenAI operation duration (OTel GenAI).",
            [*_GENAI_LABELS, "error_type"], buckets=GENAI_DURATION_BUCKETS, unit="seconds",
            registry=registry,
        )  # fmt: skip
        self.genai_first_chunk = Histogram(
            "gen_ai_client_operation_time_to_first_chunk",
            "Time to receive the first chunk of a streamed response (OTel GenAI).",
            _GENAI_LABELS, buckets=GENAI_DURATION_BUCKETS, unit="seconds", registry=registry,
        )  # fmt: skip
        # Same measurement under the server-side name, which existing GenAI
        # dashboards query; heron only sees what the client measured.
        self.genai_server_ttft = Histogram(
            "gen_ai_server_time_to_first_token",
            "Time to first token of streamed responses, as measured by the client (OTel GenAI).",
            _GENAI_LABELS, buckets=GENAI_SERVER_TTFT_BUCKETS, unit="seconds", registry=registry,
        )  # fmt: skip
        self.eval_scores = EvalScoreWindows(
            window_s=eval_window_s, max_values=eval_window_values, clock=clock
        )
        registry.register(self.eval_scores)
        if health is not None:
            registry.register(HealthCollector(health))

    def __call__(self, spans: Sequence[Span]) -> None:
        """:class:`heron.protocols.SpanObserver` entry point; same as :meth:`observe_spans`."""
        self.observe_spans(spans)

    def observe_spans(self, spans: Sequence[Span]) -> None:
        """Count the LLM spans of a stored batch (duplicates and replays once, non-LLM never)."""
        with self._lock:
            for span in spans:
                if not span.is_llm or span.duplicate_of is not None:
                    continue
                if not self._seen_spans.add((span.project_id, span.trace_id, span.span_id)):
                    continue
                self._observe(span)

    def _child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """``metric.labels(*labels)``, looked up once per label set."""
        key = (metric, labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def _observe(self, span: Span) -> None:
        child = self._child
        project = self._projects(_PROJECT_SCOPE, span.project_id)
        model = self._models(project, span.model or span.response_model or span.request_model)
        provider = self._providers(project, span.provider)
        self._span_models.put((span.project_id, span.span_id), model)
        self._trace_models.put((span.project_id, span.trace_id), model)

        # Touch both outcomes and the cost series so that ratio and sum queries
        # (error rate, cost per hour) evaluate to 0, not to an empty vector,
        # before the first error or the first priced call.
        for status in ("ok", "error"):
            child(self.requests, model, provider, status, project)
        child(self.requests, model, provider, span.status, project).inc()
        cost = child(self.cost, model, project)
        total = span.total_tokens or span.input_tokens + span.output_tokens
        for kind, n in (
            ("input", span.input_tokens),
            ("output", span.output_tokens),
            ("cached_input", span.cached_input_tokens),
            ("total", total),
        ):
            if n > 0:
                child(self.tokens, model, kind, project).inc(n)
        seconds = max(span.duration_ms, 0.0) / 1000.0
        child(self.duration, model, project).observe(seconds)
        if span.cost_usd is not None and span.cost_usd > 0:
            cost.inc(float(span.cost_usd))

        request_model = self._models(project, span.request_model or span.model)
        operation = self._operations(
            project, span.operation or ("embeddings" if span.kind == "embedding" else "chat")
        )
        genai = (operation, provider, request_model, project)
        if span.input_tokens > 0 or span.output_tokens > 0:
            child(self.genai_tokens, *genai, "input").observe(span.input_tokens)
            child(self.genai_tokens, *genai, "output").observe(span.output_tokens)
        error_type = ""
        if span.status == "error":
            error_type = self._operations(project + "\x00error", span.error_type or "_OTHER")
        child(self.genai_duration, *genai, error_type).observe(seconds)
        if span.ttft_ms is not None and span.ttft_ms >= 0:
            ttft = span.ttft_ms / 1000.0
            child(self.ttft, model, project).observe(ttft)
            child(self.genai_first_chunk, *genai).observe(ttft)
            child(self.genai_server_ttft, *genai).observe(ttft)

    def observe_scores(self, scores: Sequence[Score]) -> None:
        """Add numeric scores to the ``llm_eval_score`` windows (each score_id once).

        The model label comes from ``score.metadata["model"]`` when present, else
        from the LLM span (or trace) the score is attached to, if this process
        counted it, else ``unknown``.
        """
        with self._lock:
            for score in scores:
                if score.value is None:
                    continue
                if not self._seen_scores.add((score.project_id, score.score_id)):
                    continue
                project = self._projects(_PROJECT_SCOPE, score.project_id)
                evaluator = self._evaluators(project, score.evaluator or score.name)
                raw_model = score.metadata.get("model")
                if isinstance(raw_model, str) and raw_model:
                    model = self._models(project, raw_model)
                else:
                    model = (
                        (score.span_id and self._span_models.get((score.project_id, score.span_id)))
                        or self._trace_models.get((score.project_id, score.trace_id))
                        or self._models(project, None)
                    )
                self.eval_scores.add((evaluator, model, project), float(score.value))

    def render(self, accept_header: str | None) -> tuple[bytes, str]:
        """The exposition body and its content type: OpenMetrics when ``Accept`` asks for it."""
        encoder, content_type = choose_encoder(accept_header or "")
        return encoder(self.registry), content_type
