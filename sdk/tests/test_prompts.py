"""heron_sdk.prompt / prompt_context: rendered text, and the template recorded on LLM spans."""

from __future__ import annotations

import json

import heron_sdk
from heron_sdk.prompts import render

LLM_START = {"gen_ai.operation.name": "chat"}  # what OpenLLMetry sets when it starts an LLM span


def test_render_fills_known_and_keeps_unknown_placeholders():
    assert render("Hi {name}, see {missing} and {other.attr:>3}", {"name": "Ann"}) == (
        "Hi Ann, see {missing} and {other.attr:>3}"
    )
    assert render("{n:03d} items", {"n": 7}) == "007 items"


def test_unparseable_template_is_returned_as_written():
    assert render("a lone { brace", {"x": 1}) == "a lone { brace"


def test_prompt_tags_only_the_next_llm_span(sdk, traced):
    sdk()
    tracer = traced.provider.get_tracer("lib")
    text = heron_sdk.prompt(
        "Summarize for {audience}: {doc}", version="v3", audience="kids", doc="D"
    )
    assert text == "Summarize for kids: D"

    tracer.start_span("http", attributes={"http.request.method": "POST"}).end()
    tracer.start_span("first-llm", attributes=LLM_START).end()
    tracer.start_span("second-llm", attributes=LLM_START).end()

    spans = traced.finished()
    assert "llm.prompt_template.template" not in spans["http"].attributes
    first = spans["first-llm"].attributes
    assert first["llm.prompt_template.template"] == "Summarize for {audience}: {doc}"
    assert first["llm.prompt_template.version"] == "v3"
    assert json.loads(first["llm.prompt_template.variables"]) == {"audience": "kids", "doc": "D"}
    assert "llm.prompt_template.template" not in spans["second-llm"].attributes


def test_prompt_context_tags_every_llm_span_inside(sdk, traced):
    sdk()
    tracer = traced.provider.get_tracer("lib")
    with heron_sdk.prompt_context("Q: {q}", "v1", q="why?") as text:
        assert text == "Q: why?"
        tracer.start_span("llm-a", attributes=LLM_START).end()
        tracer.start_span("llm-b", attributes={"openinference.span.kind": "LLM"}).end()
        tracer.start_span("tool", attributes={"openinference.span.kind": "TOOL"}).end()
    tracer.start_span("llm-after", attributes=LLM_START).end()

    spans = traced.finished()
    for name in ("llm-a", "llm-b"):
        assert spans[name].attributes["llm.prompt_template.template"] == "Q: {q}"
        assert spans[name].attributes["llm.prompt_template.version"] == "v1"
    assert "llm.prompt_template.template" not in spans["tool"].attributes
    assert "llm.prompt_template.template" not in spans["llm-after"].attributes


def test_prompt_without_version_records_no_version(sdk, traced):
    sdk()
    tracer = traced.provider.get_tracer("lib")
    heron_sdk.prompt("plain")
    tracer.start_span("llm", attributes=LLM_START).end()
    a = traced.finished()["llm"].attributes
    assert a["llm.prompt_template.template"] == "plain"
    assert "llm.prompt_template.version" not in a
    assert json.loads(a["llm.prompt_template.variables"]) == {}
