"""Ingest benchmark: drive a real ``heron serve`` through OTLP/HTTP protobuf.

Realistic LLM traces (5 spans per trace, ~2 KB of prompt/completion text per LLM
span). Reports accepted spans/s, end-to-end spans/s (accepted -> queryable),
the server's CPU per span, peak RSS and disk bytes per span. Absolute figures on
a shared machine are noisy: run twice and compare with benchmarks/README.md.

    .venv/bin/python benchmarks/ingest.py --spans 200000 --clients 4
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from heron.testing.server import HeronServer, send_traces, wal_backlog_bytes
from heron.testing.traffic import encoded_requests

SPANS_PER_TRACE = 5


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_parts_mib(pid: int) -> tuple[float, float]:
    """(anonymous, file-backed) resident MiB now: file pages are mostly chDB's library."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values.get("RssAnon", float("nan")), values.get("RssFile", float("nan"))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (all its threads, the engine's too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _stored_spans(url: str) -> int:
    body = httpx.get(f"{url}/api/v1/stats", params={"since": "30d"}, timeout=60).json()
    # 2 LLM spans per 5-span trace: convert LLM requests back to spans.
    return sum(int(r["requests"]) for r in body["rows"]) * SPANS_PER_TRACE // 2


def _wait_queryable(url: str, total_spans: int) -> None:
    """Wait for the WAL backlog to drain, then check the count through the API.

    Polling the stats API itself would aggregate every stored span several times a
    second, taking CPU and memory from the flusher being measured; the backlog gauge
    is cheap, and it reaches 0 only once the flusher has stored every record.
    """
    with httpx.Client(timeout=60) as http:
        while True:
            if wal_backlog_bytes(http, url) == 0 and _stored_spans(url) >= total_spans:
                return
            time.sleep(0.25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=200_000, help="spans to send in all")
    parser.add_argument("--traces-per-request", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data dir (for query.py)")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="heron-bench-")) / "data"
    n_requests = max(1, args.spans // (SPANS_PER_TRACE * args.traces_per_request))
    start_ns = int((datetime.now(UTC) - timedelta(hours=20)).timestamp() * 1e9)
    print(f"building {n_requests} requests of {args.traces_per_request} traces ...", flush=True)
    bodies = encoded_requests(
        n_requests, traces_per_request=args.traces_per_request, start_ns=start_ns
    )
    total_spans = n_requests * args.traces_per_request * SPANS_PER_TRACE
    mean_kib = sum(map(len, bodies)) / len(bodies) / 1024
    print(f"{total_spans} spans, {mean_kib:.0f} KiB per request", flush=True)

    server = HeronServer(data_dir, env={"HERON_LOG_LEVEL": "warning"}).start()
    assert server.process is not None
    retries = 0
    lock = threading.Lock()
    queue = list(range(n_requests))

    def client() -> None:
        nonlocal retries
        with httpx.Client(timeout=60) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    i = queue.pop()
                refused = send_traces(http, server.url, bodies[i])
                with lock:
                    retries += refused

    # VmHWM counts the library's file pages too; sample the anonymous part for its peak.
    peak_anon = [0.0, 0.0]
    sampling = threading.Event()

    pid = server.process.pid

    def sample() -> None:
        while not sampling.wait(0.25):
            anon, file = _rss_parts_mib(pid)
            if anon > peak_anon[0]:
                peak_anon[:] = [anon, file]

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_before = _cpu_seconds(pid)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted_s = time.perf_counter() - t0
    _wait_queryable(server.url, total_spans)
    e2e_s = time.perf_counter() - t0
    rss = _peak_rss_mib(pid)
    cpu = _cpu_seconds(pid) - cpu_before
    sampling.set()
    sampler.join()
    server.stop()
    disk = _dir_bytes(data_dir / "telemetry")

    print(
        f"accepted:    {total_spans / accepted_s:,.0f} spans/s ({accepted_s:.1f} s, "
        f"{retries} 429 retries)"
    )
    print(f"end-to-end:  {total_spans / e2e_s:,.0f} spans/s ({e2e_s:.1f} s until queryable)")
    print(f"server CPU:  {cpu / total_spans * 1e6:,.0f} µs/span (user + system, all threads)")
    print(f"peak RSS:    {rss:,.0f} MiB (VmHWM)")
    print(
        f"peak anon:   {peak_anon[0]:,.0f} MiB sampled every 0.25 s "
        f"(file-backed {peak_anon[1]:,.0f} MiB at that moment)"
    )
    print(
        f"disk:        {disk / total_spans:,.0f} bytes/span (telemetry dir {disk / 2**20:,.0f} MiB)"
    )
    if not args.keep and args.data_dir is None:
        shutil.rmtree(data_dir.parent, ignore_errors=True)
    else:
        print(f"data kept in {data_dir}")


if __name__ == "__main__":
    main()
