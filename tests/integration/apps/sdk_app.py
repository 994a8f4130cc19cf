"""A small LLM app instrumented with heron_sdk, run as a subprocess by test_sdk_e2e.py.

argv: <openai base url> <anthropic base url>; heron's endpoint comes from HERON_ENDPOINT.
Prints one JSON line: the trace ids of the two requests it handled.
"""

from __future__ import annotations

import json
import logging
import sys

import anthropic
import heron_sdk
import openai
from heron_sdk.logging import HeronLogHandler
from opentelemetry import trace

openai_url, anthropic_url = sys.argv[1], sys.argv[2]
handle = heron_sdk.init(service_name="sdk-e2e-app", capture_content=True)
log = logging.getLogger("sdk_app")
log.setLevel(logging.INFO)
log.addHandler(HeronLogHandler())
oai = openai.OpenAI(base_url=openai_url, api_key="test-key", max_retries=0)
claude = anthropic.Anthropic(base_url=anthropic_url, api_key="test-key", max_retries=0)


@heron_sdk.observe(name="ask_openai", kind="chain")
def ask_openai(country: str) -> str:
    with heron_sdk.prompt_context(
        "What is the capital of {country}?", version="v2", country=country
    ) as text:
        stream = oai.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": text}],
            stream=True,
            stream_options={"include_usage": True},
        )
        answer = "".join((c.choices[0].delta.content or "") for c in stream if c.choices)
    log.info("openai answered", extra={"chars": len(answer)})
    return answer


@heron_sdk.observe(name="ask_claude", kind="chain")
def ask_claude(country: str) -> str:
    text = heron_sdk.prompt("Name the capital of {country}.", version="v1", country=country)
    msg = claude.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": text}]
    )
    log.info("claude answered")
    return "".join(block.text for block in msg.content if block.type == "text")


trace_ids = {}
tracer = trace.get_tracer("sdk_app")
ctx = {"user_id": "user-e2e", "session_id": "sess-e2e", "tags": ["e2e"]}
with heron_sdk.context(**ctx), tracer.start_as_current_span("request") as root:
    ask_openai("France")
    trace_ids["openai"] = format(root.get_span_context().trace_id, "032x")
with heron_sdk.context(**ctx), tracer.start_as_current_span("request") as root:
    ask_claude("Japan")
    trace_ids["anthropic"] = format(root.get_span_context().trace_id, "032x")
    heron_sdk.score("thumbs", 1.0, comment="great")
handle.force_flush()
handle.shutdown()
print(json.dumps(trace_ids))
