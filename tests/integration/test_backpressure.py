"""Over the WAL budget: 429 + Retry-After (HTTP), RESOURCE_EXHAUSTED + RetryInfo (gRPC).

Nothing accepted before the refusal is lost.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from heron.testing.server import HeronServer, wait_for
from heron.testing.traffic import make_request, trace_specs

pytestmark = pytest.mark.integration


def test_backpressure_http_and_grpc(tmp_path: Path) -> None:
    # A small budget and a flusher that waits long for more data: the backlog must
    # cross the budget within a few requests.
    env = {
        "HERON_WAL_BUDGET_BYTES": "200000",
        "HERON_FLUSH_INTERVAL_S": "20",
        "HERON_FLUSH_MAX_SPANS": "100000",
    }
    start_ns = int((datetime.now(UTC) - timedelta(minutes=2)).timestamp() * 1e9)
    accepted: set[str] = set()
    with HeronServer(tmp_path / "data", env=env) as server:
        refused = None
        for batch in range(200):
            specs = list(trace_specs(10, seed=batch, start_ns=start_ns + batch * 10**8))
            resp = httpx.post(
                f"{server.url}/v1/traces",
                content=make_request(specs).SerializeToString(),
                headers={"Content-Type": "application/x-protobuf"},
            )
            if resp.status_code == 429:
                refused = resp
                break
            assert resp.status_code == 200, resp.text
            accepted.update(s.trace_id.hex() for s in specs)
        assert refused is not None, "the WAL budget was never enforced"
        assert int(refused.headers["Retry-After"]) >= 1
        assert accepted, "the first batches should have been accepted"

        channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        specs = list(trace_specs(10, seed=999, start_ns=start_ns))
        with pytest.raises(grpc.RpcError) as info:
            stub.Export(make_request(specs), timeout=10)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        status = rpc_status.from_call(info.value)
        assert status is not None
        retry = error_details_pb2.RetryInfo()
        assert any(d.Unpack(retry) for d in status.details)
        assert retry.retry_delay.seconds >= 1
        channel.close()

        # Everything acknowledged before the refusal reaches the store.
        def listed() -> set[str]:
            body = httpx.get(
                f"{server.url}/api/v1/traces", params={"since": "1h", "limit": 500}
            ).json()
            return {r["trace_id"] for r in body["traces"]}

        seen = wait_for(listed, lambda ids: accepted <= ids, timeout=60)
        assert accepted <= seen
