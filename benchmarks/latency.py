"""Shared by the read benchmarks: time an HTTP call n times and print p50/p95."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import httpx

__all__ = ["measure"]


def measure(
    name: str,
    call: Callable[[], httpx.Response],
    n: int,
    *,
    target_ms: float | None = None,
    width: int = 40,
) -> tuple[float, float]:
    """Warm once (failing loudly on a broken route), then time ``n`` calls; (p50, p95) ms."""
    call().raise_for_status()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = call()
        samples.append((time.perf_counter() - t0) * 1000)
        resp.raise_for_status()
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    flag = f"   over the {target_ms:.0f} ms target" if target_ms and p95 > target_ms else ""
    print(f"{name:<{width}} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms{flag}")
    return p50, p95
