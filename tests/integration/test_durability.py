"""kill -9 of a real ``heron serve`` under load: every acknowledged span survives, exactly once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from heron.testing.server import HeronServer, wait_for
from heron.testing.traffic import make_request, trace_specs

pytestmark = pytest.mark.integration

TRACES_PER_REQUEST = 4
SPANS_PER_TRACE = 5


def _load(url: str, acked: list[str], stop: threading.Event, seed: int) -> None:
    start_ns = int((datetime.now(UTC) - timedelta(minutes=5)).timestamp() * 1e9)
    batch = 0
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            specs = list(
                trace_specs(
                    TRACES_PER_REQUEST,
                    seed=seed * 100_000 + batch,
                    start_ns=start_ns + batch * 10_000_000,
                    text_bytes=400,
                )
            )
            body = make_request(specs, seed=batch).SerializeToString()
            batch += 1
            try:
                resp = client.post(
                    f"{url}/v1/traces",
                    content=body,
                    headers={"Content-Type": "application/x-protobuf"},
                )
            except httpx.HTTPError:
                return  # the server died mid-request: this batch was never acknowledged
            if resp.status_code == 200:
                acked.extend(spec.trace_id.hex() for spec in specs)


def _all_traces(url: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"since": "2h", "limit": 500}
        if cursor:
            params["cursor"] = cursor
        body = httpx.get(f"{url}/api/v1/traces", params=params, timeout=30).json()
        rows.extend(body["traces"])
        cursor = body["next_cursor"]
        if not cursor:
            return rows


def test_kill_9_under_load_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = HeronServer(data, env={"HERON_FLUSH_INTERVAL_S": "0.05"}).start()
    acked: list[str] = []
    stop = threading.Event()
    loaders = [threading.Thread(target=_load, args=(server.url, acked, stop, n)) for n in range(3)]
    for thread in loaders:
        thread.start()
    # Kill while requests are in flight and the flusher is mid-way through the backlog.
    wait_for(lambda: len(acked), lambda n: n >= 300, timeout=60)
    server.kill()
    stop.set()
    for thread in loaders:
        thread.join(timeout=30)
    assert len(acked) >= 300, f"load never got going:\n{server.log_tail()}"

    restarted = HeronServer(data, port=server.port, grpc_port=server.grpc_port).start()
    try:
        expected = set(acked)
        rows = wait_for(
            lambda: _all_traces(restarted.url),
            lambda rs: expected <= {r["trace_id"] for r in rs},
            timeout=90,
        )
        seen = [r["trace_id"] for r in rows]
        missing = expected - set(seen)
        assert not missing, f"{len(missing)} acknowledged traces lost after kill -9"
        assert len(seen) == len(set(seen)), "a trace is listed twice after replay"
        counts = {r["trace_id"]: r["span_count"] for r in rows}
        wrong = {t: counts[t] for t in expected if counts[t] != SPANS_PER_TRACE}
        assert not wrong, f"span counts differ from {SPANS_PER_TRACE} (lost or duplicated): {wrong}"
    finally:
        restarted.stop()


def test_graceful_restart_keeps_everything(tmp_path: Path) -> None:
    data = tmp_path / "data"
    start_ns = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp() * 1e9)
    specs = list(trace_specs(20, seed=3, start_ns=start_ns))
    with HeronServer(data) as server:
        resp = httpx.post(
            f"{server.url}/v1/traces",
            content=make_request(specs).SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
        )
        assert resp.status_code == 200
        port, grpc_port = server.port, server.grpc_port
    time.sleep(0.2)
    with HeronServer(data, port=port, grpc_port=grpc_port) as again:
        rows = wait_for(lambda: _all_traces(again.url), lambda rs: len(rs) >= 20, timeout=30)
        assert {r["trace_id"] for r in rows} == {s.trace_id.hex() for s in specs}
