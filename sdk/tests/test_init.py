"""heron_sdk.init: settings, OTLP export to heron, joining an app's provider, idempotence."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import heron_sdk
import pytest
from heron_sdk.settings import resolve_settings
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider


def test_spans_reach_heron_over_otlp_http_with_bearer_key(sdk, stub, traced):
    h = sdk(api_key="hk_abc")
    with heron_sdk.context(user_id="u-9"):
        traced.provider.get_tracer("app").start_span("work").end()
    assert h.force_flush()

    [post] = stub.posts("/v1/traces")
    assert post.headers["authorization"] == "Bearer hk_abc"
    assert post.headers["content-type"] == "application/x-protobuf"
    [(_, span)] = stub.spans()
    assert span.name == "work"
    assert stub.attrs(span.attributes)["user.id"] == "u-9"
    assert heron_sdk.stats().spans_exported == 1


def test_joining_an_existing_provider_keeps_its_processors_and_resource(stub):
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    theirs = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "their-app"}))
    provider.add_span_processor(SimpleSpanProcessor(theirs))
    h = heron_sdk.init(endpoint=stub.url, service_name="ignored", tracer_provider=provider)
    assert h.owns_provider is False
    assert h.tracer_provider is provider

    provider.get_tracer("app").start_span("shared").end()
    h.force_flush()
    assert [s.name for s in theirs.get_finished_spans()] == ["shared"]
    [(resource, span)] = stub.spans()
    assert span.name == "shared"
    assert resource["service.name"] == "their-app"
    h.shutdown()


def test_sample_rate_on_a_joined_provider_filters_heron_export_only(stub, traced):
    h = heron_sdk.init(endpoint=stub.url, tracer_provider=traced.provider, sample_rate=0.0)
    for i in range(20):
        traced.provider.get_tracer("app").start_span(f"s{i}").end()
    h.force_flush()
    assert len(traced.exporter.get_finished_spans()) == 20
    assert stub.spans() == []


def test_init_is_idempotent(sdk, traced):
    first = sdk()
    second = sdk(service_name="other")  # differing arguments are logged and ignored
    assert second is first
    # One enriching processor only: a context attribute is set once, spans are exported once.
    with heron_sdk.context(tags=["t"]):
        traced.provider.get_tracer("app").start_span("once").end()
    first.force_flush()
    assert len(traced.exporter.get_finished_spans()) == 1


def test_reinit_after_shutdown_on_the_same_provider(sdk, stub, traced):
    first = sdk()
    first.shutdown()
    first.shutdown()  # idempotent
    assert not first.active
    second = sdk()
    assert second is not first
    traced.provider.get_tracer("app").start_span("after").end()
    second.force_flush()
    assert [span.name for _, span in stub.spans()] == ["after"]


def test_heron_down_drops_and_counts_with_bounded_queue(traced, closed_url):
    h = heron_sdk.init(endpoint=closed_url, tracer_provider=traced.provider, max_queue_size=4)
    tracer = traced.provider.get_tracer("app")
    for i in range(40):
        tracer.start_span(f"s{i}").end()
    h.force_flush()
    stats = heron_sdk.stats()
    assert stats.spans_exported == 0
    assert stats.spans_dropped == 40
    assert len(traced.exporter.get_finished_spans()) == 40  # the app's own pipeline is unaffected


def test_settings_precedence(monkeypatch):
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318/",
        "OTEL_SERVICE_NAME": "from-otel",
        "HERON_API_KEY": "hk_env",
        "HERON_CAPTURE_CONTENT": "true",
        "HERON_SAMPLE_RATE": "0.25",
    }
    s = resolve_settings(environ=env)
    assert s.endpoint == "http://otel:4318"
    assert s.traces_url == "http://otel:4318/v1/traces"
    assert s.scores_url == "http://otel:4318/api/v1/scores"
    assert s.headers() == {"Authorization": "Bearer hk_env"}
    assert s.capture_content is True
    assert s.sample_rate == 0.25
    assert s.service_name is None  # left to OTel's resource detection of OTEL_SERVICE_NAME

    s = resolve_settings(
        endpoint="http://heron:7070/v1/traces",
        capture_content=False,
        environ={**env, "HERON_ENDPOINT": "http://x:1", "HERON_SERVICE_NAME": "svc"},
    )
    assert s.endpoint == "http://heron:7070"
    assert s.capture_content is False
    assert s.service_name == "svc"


@pytest.mark.parametrize(
    ("variable", "value", "field", "default"),
    [
        ("HERON_SAMPLE_RATE", "lots", "sample_rate", 1.0),
        ("HERON_SAMPLE_RATE", "1.5", "sample_rate", 1.0),
        ("HERON_CAPTURE_CONTENT", "maybe", "capture_content", False),
        ("HERON_ENDPOINT", "heron:7070", "endpoint", "http://127.0.0.1:7070"),
    ],
)
def test_bad_settings_fall_back_to_defaults(variable, value, field, default):
    assert getattr(resolve_settings(environ={variable: value}), field) == default


def test_capture_content_switches_instrumentations(sdk):
    sdk(capture_content=False)
    assert os.environ["TRACELOOP_TRACE_CONTENT"] == "false"
    assert os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] == "false"


def test_default_global_setup_from_environment_in_a_fresh_process(stub):
    """The plain path: no provider yet, settings only from env; heron sets the global provider."""
    script = textwrap.dedent(
        """
        import heron_sdk
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider

        h = heron_sdk.init()
        assert h.owns_provider and isinstance(trace.get_tracer_provider(), TracerProvider)

        @heron_sdk.observe(name="handle", kind="agent")
        def handle(q):
            return q.upper()

        with heron_sdk.context(session_id="s-1"):
            handle("hi")
        h.shutdown()
        """
    )
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("HERON_", "OTEL_", "TRACELOOP_"))
    }
    env.update(
        HERON_ENDPOINT=stub.url,
        HERON_API_KEY="hk_env",
        OTEL_SERVICE_NAME="env-svc",
        HERON_CAPTURE_CONTENT="true",
    )
    done = subprocess.run(  # noqa: S603 - runs this interpreter on a fixed script
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    [(resource, span)] = stub.spans()
    assert resource["service.name"] == "env-svc"
    assert span.name == "handle"
    a = stub.attrs(span.attributes)
    assert a["openinference.span.kind"] == "AGENT"
    assert a["session.id"] == "s-1"
    assert a["input.value"] == '{"q": "hi"}'
    assert a["output.value"] == '"HI"'
    assert stub.posts("/v1/traces")[0].headers["authorization"] == "Bearer hk_env"
