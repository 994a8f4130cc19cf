"""OTLP/gRPC on a real loopback port: the real OTel exporter and a real grpc.aio channel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.logs.v1.logs_service_pb2_grpc import LogsServiceStub
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from heron.errors import AuthError, ConfigError, InvalidPayloadError
from heron.ingest import Ingestor, WriteAheadLog, start_grpc_server
from heron.testing.server import free_port

OpenWal = Callable[..., WriteAheadLog]


async def _resolve(context: grpc.aio.ServicerContext) -> str:
    metadata = dict(context.invocation_metadata() or ())
    key = metadata.get("authorization")
    if key is None:
        return "default"
    if key == "Bearer bad":
        raise AuthError("invalid API key; create one with `heron keys create`")
    if key == "Bearer odd":
        raise InvalidPayloadError("x-heron-project 'a b' is not a project id")
    return "keyed"


def _status_of(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    raise AssertionError("no google.rpc.Status in the trailers")


def _spans(request: ExportTraceServiceRequest) -> list[str]:
    return [s.name for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]


def test_the_real_otlp_grpc_exporter_is_accepted(open_wal: OpenWal) -> None:
    wal = open_wal()
    port = free_port()

    async def run() -> SpanExportResult:
        server = await start_grpc_server(Ingestor(wal), "127.0.0.1", port, _resolve)
        try:
            captured = InMemorySpanExporter()
            provider = TracerProvider(resource=Resource.create({"service.name": "grpc-test"}))
            provider.add_span_processor(SimpleSpanProcessor(captured))
            tracer = provider.get_tracer("grpc-test")
            with tracer.start_as_current_span("outer"), tracer.start_as_current_span("inner"):
                pass
            provider.shutdown()
            exporter = OTLPSpanExporter(
                endpoint=f"127.0.0.1:{port}", insecure=True, headers={"authorization": "Bearer k"}
            )
            # The exporter blocks; the server needs this loop, so export from a thread.
            result = await asyncio.to_thread(exporter.export, captured.get_finished_spans())
            exporter.shutdown()
            return result
        finally:
            await server.stop(None)

    assert asyncio.run(run()) == SpanExportResult.SUCCESS
    [record] = wal.read_after(0)
    assert record.project_id == "keyed"
    assert _spans(ExportTraceServiceRequest.FromString(record.payload)) == ["inner", "outer"]


def test_fixtures_partial_success_and_logs_over_a_real_channel(
    open_wal: OpenWal, fixtures_dir: Path
) -> None:
    wal = open_wal()
    port = free_port()
    fixture = ExportTraceServiceRequest.FromString(
        (fixtures_dir / "openllmetry" / "anthropic_tool_call.pb").read_bytes()
    )
    damaged = ExportTraceServiceRequest()
    damaged.CopyFrom(fixture)
    damaged.resource_spans[0].scope_spans[0].spans[0].end_time_unix_nano = 1
    logs = ExportLogsServiceRequest.FromString(
        (fixtures_dir / "otel_genai" / "openai_chat.logs.pb").read_bytes()
    )

    async def run() -> tuple[
        ExportTraceServiceResponse, ExportTraceServiceResponse, ExportLogsServiceResponse
    ]:
        server = await start_grpc_server(Ingestor(wal), "127.0.0.1", port, _resolve)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                traces = TraceServiceStub(channel)
                whole = await traces.Export(fixture)
                partial = await traces.Export(damaged)
                logged = await LogsServiceStub(channel).Export(logs)
                return whole, partial, logged
        finally:
            await server.stop(None)

    whole, partial, logged = asyncio.run(run())
    assert whole == ExportTraceServiceResponse()
    assert partial.partial_success.rejected_spans == 1
    assert (
        "endTimeUnixNano (1) is before startTimeUnixNano" in partial.partial_success.error_message
    )
    assert logged == ExportLogsServiceResponse()
    records = wal.read_after(0)
    assert [(r.kind, r.project_id) for r in records] == [("traces", "default")] * 2 + [
        ("logs", "default")
    ]
    assert ExportTraceServiceRequest.FromString(records[0].payload) == fixture
    assert (
        len(_spans(ExportTraceServiceRequest.FromString(records[1].payload)))
        == len(_spans(fixture)) - 1
    )


@pytest.mark.parametrize(
    ("key", "code", "text"),
    [
        ("Bearer bad", grpc.StatusCode.UNAUTHENTICATED, "heron keys create"),
        ("Bearer odd", grpc.StatusCode.INVALID_ARGUMENT, "is not a project id"),
    ],
)
def test_auth_and_input_errors_map_to_grpc_codes(
    open_wal: OpenWal, key: str, code: grpc.StatusCode, text: str
) -> None:
    wal = open_wal()
    port = free_port()

    async def run() -> grpc.aio.AioRpcError:
        server = await start_grpc_server(Ingestor(wal), "127.0.0.1", port, _resolve)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await TraceServiceStub(channel).Export(
                        ExportTraceServiceRequest(), metadata=(("authorization", key),)
                    )
                return info.value
        finally:
            await server.stop(None)

    error = asyncio.run(run())
    assert error.code() == code
    assert text in (error.details() or "")
    assert wal.last_seq == 0


def test_over_budget_is_resource_exhausted_with_retry_info(
    open_wal: OpenWal, make_traces: Callable[..., ExportTraceServiceRequest]
) -> None:
    wal = open_wal(budget_bytes=100, retry_after_s=4)
    port = free_port()
    request = make_traces(1)

    async def run() -> grpc.aio.AioRpcError:
        server = await start_grpc_server(Ingestor(wal), "127.0.0.1", port, _resolve)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = TraceServiceStub(channel)
                await stub.Export(request)
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await stub.Export(request)
                return info.value
        finally:
            await server.stop(None)

    error = asyncio.run(run())
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = _status_of(error)
    assert status.code == code_pb2.RESOURCE_EXHAUSTED
    info = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info)
    assert info.retry_delay.seconds == 4
    assert wal.last_seq == 1


def test_a_busy_port_is_reported(open_wal: OpenWal) -> None:
    wal = open_wal()
    port = free_port()

    async def run() -> None:
        first = await start_grpc_server(Ingestor(wal), "127.0.0.1", port, _resolve)
        try:
            with pytest.raises(ConfigError, match=r"cannot listen for OTLP/gRPC on 127.0.0.1"):
                await start_grpc_server(Ingestor(wal), "127.0.0.1", port, _resolve)
        finally:
            await first.stop(None)

    asyncio.run(run())
