"""``heron_sdk.init()``: wire OpenTelemetry to send an app's traces, logs and scores to heron.

What it sets up:

- traces: a bounded batch processor with an OTLP/HTTP exporter to
  ``<endpoint>/v1/traces`` (``Authorization: Bearer <api_key>``), on a new
  global tracer provider, or added to the SDK ``TracerProvider`` the app
  already configured (heron never replaces the app's OTel setup);
- the enriching processor behind ``heron_sdk.context`` and ``heron_sdk.prompt``;
- logs: a ``LoggerProvider`` exporting to ``<endpoint>/v1/logs``, used by
  ``HeronLogHandler``, ``structlog_processor`` and ``log_llm_interaction``;
- scores: a batching sender to ``<endpoint>/api/v1/scores``;
- the installed OpenLLMetry instrumentations for OpenAI and Anthropic.
"""

from __future__ import annotations

import atexit
import logging
import weakref

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from heron_sdk import handle
from heron_sdk.counters import Counters
from heron_sdk.enrichment import EnrichingSpanProcessor
from heron_sdk.export import HeronLogProcessor, HeronSpanProcessor
from heron_sdk.instrumentation import configure_content_capture, enable_instrumentations
from heron_sdk.scores import ScoreSender
from heron_sdk.settings import SdkSettings, resolve_settings

__all__ = ["init"]

_log = logging.getLogger("heron_sdk")

_SCOPE = "heron_sdk"
# Providers that already carry heron's enriching processor (one per provider, for life).
_enriched: weakref.WeakSet[TracerProvider] = weakref.WeakSet()


def init(
    endpoint: str | None = None,
    api_key: str | None = None,
    service_name: str | None = None,
    capture_content: bool | None = None,
    sample_rate: float | None = None,
    *,
    tracer_provider: TracerProvider | None = None,
    instrument: bool = True,
    max_queue_size: int | None = None,
) -> handle.HeronHandle:
    """Send this process's traces, logs and scores to heron; returns a handle.

    Arguments left as None come from ``HERON_*`` then ``OTEL_*`` environment
    variables (see :mod:`heron_sdk.settings`). ``capture_content`` (default
    False) decides whether prompts, completions and ``@observe`` inputs and
    outputs leave the app. ``sample_rate`` keeps that fraction of traces.
    ``tracer_provider`` joins heron to a provider the app did not set globally.

    Idempotent: while a setup is active, later calls return the same handle
    (arguments that differ are logged and ignored; ``shutdown()`` it first to
    change them). Never raises: on failure it logs and returns a handle that
    sends nothing.
    """
    with handle.init_lock():
        current = handle.active()
        if current is not None:
            _warn_if_different(
                current.settings, endpoint, api_key, service_name, capture_content, sample_rate
            )
            return current
        settings = SdkSettings()
        try:
            settings = resolve_settings(
                endpoint=endpoint,
                api_key=api_key,
                service_name=service_name,
                capture_content=capture_content,
                sample_rate=sample_rate,
                max_queue_size=max_queue_size,
            )
            created = _build(settings, tracer_provider, instrument)
        except Exception:
            _log.exception("heron_sdk.init() failed; the app runs on without sending to heron")
            created = handle.HeronHandle(settings=settings)
        handle.install(created)
        return created


def _build(
    settings: SdkSettings, given: TracerProvider | None, instrument: bool
) -> handle.HeronHandle:
    counters = Counters(settings.max_queue_size)
    provider, owns = _tracer_provider(settings, given)
    out = handle.HeronHandle(settings=settings, counters=counters, owns_provider=owns)
    headers = settings.headers()
    if provider is not None:
        if provider not in _enriched:
            provider.add_span_processor(EnrichingSpanProcessor())
            _enriched.add(provider)
        out.span_processor = HeronSpanProcessor(
            OTLPSpanExporter(endpoint=settings.traces_url, headers=headers),
            counters.spans,
            max_queue_size=settings.max_queue_size,
            # A provider heron built samples by itself; the app's own is filtered at export.
            sample_rate=1.0 if owns else settings.sample_rate,
        )
        provider.add_span_processor(out.span_processor)
        out.tracer_provider = provider
        out.tracer = provider.get_tracer(_SCOPE)

    resource = provider.resource if provider is not None else _resource(settings)
    out.logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    out.log_processor = HeronLogProcessor(
        OTLPLogExporter(endpoint=settings.logs_url, headers=headers),
        counters.logs,
        max_queue_size=settings.max_queue_size,
    )
    out.logger_provider.add_log_record_processor(out.log_processor)
    out.scores = ScoreSender(
        settings.scores_url, headers, counters.scores, max_queue_size=settings.max_queue_size
    )

    configure_content_capture(settings.capture_content)
    if instrument and provider is not None:
        out.instrumented = enable_instrumentations(provider)
    _log.info(
        "heron_sdk: sending to %s (service %s, content capture %s, instrumented: %s)",
        settings.endpoint,
        resource.attributes.get("service.name"),
        "on" if settings.capture_content else "off",
        ", ".join(out.instrumented) or "none",
    )
    return out


def _resource(settings: SdkSettings) -> Resource:
    # Resource.create merges OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME; an explicit name wins.
    return Resource.create({"service.name": settings.service_name} if settings.service_name else {})


def _tracer_provider(
    settings: SdkSettings, given: TracerProvider | None
) -> tuple[TracerProvider | None, bool]:
    """The SDK provider heron adds its processors to, and whether heron created it."""
    if given is not None:
        if isinstance(given, TracerProvider):
            return given, False
        _log.warning(
            "heron_sdk.init(): tracer_provider %r is not an SDK TracerProvider; ignored", given
        )
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        if settings.sample_rate < 1.0:
            _log.info(
                "heron_sdk: joining the app's tracer provider; "
                "sample_rate applies to heron's export only"
            )
        return current, False
    if not isinstance(current, trace.ProxyTracerProvider):
        _log.warning(
            "heron_sdk.init(): the app set a %s, which heron cannot add an exporter to; "
            "spans are not sent. Pass tracer_provider= an opentelemetry.sdk.trace.TracerProvider.",
            type(current).__name__,
        )
        return None, False
    created = TracerProvider(
        resource=_resource(settings),
        sampler=ParentBased(TraceIdRatioBased(settings.sample_rate)),
    )
    trace.set_tracer_provider(created)
    return created, True


def _warn_if_different(settings: SdkSettings, *given: object) -> None:
    endpoint, api_key, service_name, capture_content, sample_rate = given
    wanted = {
        "endpoint": endpoint,
        "api_key": api_key,
        "service_name": service_name,
        "capture_content": capture_content,
        "sample_rate": sample_rate,
    }
    differing = [
        name
        for name, value in wanted.items()
        if value is not None
        and getattr(settings, name)
        != (value.rstrip("/") if name == "endpoint" and isinstance(value, str) else value)
    ]
    if differing:
        _log.warning(
            "heron_sdk.init() was already called; ignoring new %s. "
            "Call handle.shutdown() first to change them.",
            ", ".join(differing),
        )


@atexit.register
def _shutdown_at_exit() -> None:
    current = handle.active()
    if current is not None:
        current.shutdown(timeout_millis=5000)
