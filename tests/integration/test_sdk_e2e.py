"""End to end: an app using heron_sdk with the real openai/anthropic clients (against the
local fake provider) reports to a real heron serve; heron's API shows user, session,
template, tokens, cost, TTFT, scores and logs on the right spans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from heron.testing.fake_provider import FakeProvider, Reply
from heron.testing.server import HeronServer, get_trace, wait_for

pytestmark = pytest.mark.integration

APP = Path(__file__).parent / "apps" / "sdk_app.py"


def _llm_spans(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in body["spans"] if s["kind"] == "llm" and s["duplicate_of"] is None]


def test_sdk_app_reaches_heron_with_context(server: HeronServer) -> None:
    with FakeProvider() as fp:
        fp.enqueue(
            Reply.text("Paris is the capital of France.")
            .with_usage(313, 21, cache_read=1024)
            .with_delay(0.3, 0.01)
        )  # 313 uncached
        fp.enqueue(Reply.text("Tokyo.").with_usage(25, 4, cache_read=1200, cache_write=100))
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OTEL_", "TRACELOOP_", "HERON_"))
        }
        env.update(HERON_ENDPOINT=server.url, OTEL_EXPORTER_OTLP_TIMEOUT="5")
        done = subprocess.run(
            [sys.executable, str(APP), fp.base_url_openai, fp.base_url_anthropic],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert len(fp.requests) == 2
    trace_ids = json.loads(done.stdout.strip().splitlines()[-1])

    openai_trace = wait_for(
        lambda: get_trace(server.url, trace_ids["openai"]),
        lambda b: bool(b) and len(b.get("logs", [])) >= 1,
    )
    (call,) = _llm_spans(openai_trace)
    assert call["provider"] == "openai"
    assert call["user_id"] == "user-e2e"
    assert call["session_id"] == "sess-e2e"
    assert "e2e" in call["tags"]
    assert call["prompt_template"] == "What is the capital of {country}?"
    assert call["prompt_template_version"] == "v2"
    assert call["prompt_template_variables"] == {"country": "France"}
    assert call["prompt_template_hash"]
    assert (call["input_tokens"], call["cached_input_tokens"], call["output_tokens"]) == (
        1337,
        1024,
        21,
    )
    assert call["cost_usd"] is not None
    assert call["cost_usd"] > 0
    assert call["streaming"] is True
    assert call["ttft_ms"] is not None
    assert call["ttft_ms"] >= 300  # the provider waited 0.3 s before the first chunk
    assert call["service_name"] == "sdk-e2e-app"
    log_spans = {record["span_id"] for record in openai_trace["logs"]}
    assert log_spans <= {s["span_id"] for s in openai_trace["spans"]}
    assert any("openai answered" in (r["body"] or "") for r in openai_trace["logs"])

    claude_trace = wait_for(
        lambda: get_trace(server.url, trace_ids["anthropic"]),
        lambda b: bool(b) and bool(b.get("scores")),
    )
    (call,) = _llm_spans(claude_trace)
    assert call["provider"] == "anthropic"
    assert call["user_id"] == "user-e2e"
    # Anthropic's usage excludes cache; heron's input_tokens includes it.
    assert call["input_tokens"] == 25 + 1200 + 100
    assert call["cached_input_tokens"] == 1200
    assert call["cache_write_input_tokens"] == 100
    assert call["prompt_template_version"] == "v1"
    assert call["streaming"] is False
    assert call["ttft_ms"] is None
    assert [s["name"] for s in claude_trace["scores"]] == ["thumbs"]
    assert claude_trace["scores"][0]["value"] == 1.0
