"""@heron_sdk.observe: spans for sync, async and generator functions, errors, content capture."""

from __future__ import annotations

import asyncio
import json

import heron_sdk
import pytest
from opentelemetry.trace import StatusCode


def test_sync_function_records_kind_input_and_output(sdk, traced):
    sdk(capture_content=True)

    @heron_sdk.observe(name="lookup", kind="tool")
    def lookup(city: str, units: str = "C") -> dict[str, object]:
        return {"city": city, "temp": 21}

    assert lookup("Paris") == {"city": "Paris", "temp": 21}
    span = traced.finished()["lookup"]
    assert span.attributes["openinference.span.kind"] == "TOOL"
    assert json.loads(span.attributes["input.value"]) == {"city": "Paris"}
    assert json.loads(span.attributes["output.value"]) == {"city": "Paris", "temp": 21}
    assert span.status.status_code is StatusCode.UNSET


def test_bare_decorator_uses_qualname_and_chain(sdk, traced):
    sdk()

    @heron_sdk.observe
    def plain() -> int:
        return 1

    assert plain() == 1
    [span] = traced.exporter.get_finished_spans()
    assert span.name.endswith("plain")
    assert span.attributes["openinference.span.kind"] == "CHAIN"


def test_capture_off_records_no_content(sdk, traced):
    sdk(capture_content=False)

    @heron_sdk.observe(name="secret")
    def secret(password: str) -> str:
        return password[::-1]

    assert secret("hunter2") == "2retnuh"
    attributes = traced.finished()["secret"].attributes
    assert "input.value" not in attributes
    assert "output.value" not in attributes
    assert "hunter2" not in json.dumps(dict(attributes))


def test_nested_observed_calls_form_a_tree(sdk, traced):
    sdk()

    @heron_sdk.observe(name="child", kind="retriever")
    def child() -> None:
        pass

    @heron_sdk.observe(name="parent", kind="agent")
    def parent() -> None:
        child()

    parent()
    spans = traced.finished()
    assert spans["child"].parent.span_id == spans["parent"].context.span_id
    assert spans["parent"].attributes["openinference.span.kind"] == "AGENT"


def test_exception_is_recorded_and_reraised(sdk, traced):
    sdk()

    @heron_sdk.observe(name="boom")
    def boom() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        boom()
    span = traced.finished()["boom"]
    assert span.status.status_code is StatusCode.ERROR
    assert "bad input" in span.status.description
    [event] = [e for e in span.events if e.name == "exception"]
    assert event.attributes["exception.type"] == "ValueError"


def test_async_function_and_its_exception(sdk, traced):
    sdk(capture_content=True)

    @heron_sdk.observe(name="fetch", kind="retriever")
    async def fetch(q: str) -> list[str]:
        await asyncio.sleep(0)
        return [q, q]

    @heron_sdk.observe(name="afail")
    async def afail() -> None:
        await asyncio.sleep(0)
        raise KeyError("missing")

    assert asyncio.run(fetch("x")) == ["x", "x"]
    with pytest.raises(KeyError):
        asyncio.run(afail())
    spans = traced.finished()
    assert json.loads(spans["fetch"].attributes["output.value"]) == ["x", "x"]
    assert spans["fetch"].end_time is not None
    assert spans["afail"].status.status_code is StatusCode.ERROR


def test_generator_span_covers_iteration_and_children(sdk, traced):
    sdk(capture_content=True)
    tracer = traced.provider.get_tracer("lib")

    @heron_sdk.observe(name="stream")
    def stream(n: int):
        for i in range(n):
            tracer.start_span(f"chunk-{i}").end()
            yield i

    assert list(stream(3)) == [0, 1, 2]
    spans = traced.finished()
    assert json.loads(spans["stream"].attributes["output.value"]) == [0, 1, 2]
    for i in range(3):
        assert spans[f"chunk-{i}"].parent.span_id == spans["stream"].context.span_id


def test_generator_closed_early_still_ends_span(sdk, traced):
    sdk()

    @heron_sdk.observe(name="endless")
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    gen = endless()
    assert next(gen) == 0
    gen.close()
    assert traced.finished()["endless"].end_time is not None


def test_async_generator(sdk, traced):
    sdk(capture_content=True)

    @heron_sdk.observe(name="agen")
    async def agen():
        for i in range(2):
            await asyncio.sleep(0)
            yield i

    async def consume() -> list[int]:
        return [x async for x in agen()]

    assert asyncio.run(consume()) == [0, 1]
    assert json.loads(traced.finished()["agen"].attributes["output.value"]) == [0, 1]


def test_unknown_kind_falls_back_to_chain(sdk, traced):
    sdk()

    @heron_sdk.observe(name="odd", kind="wizard")
    def odd() -> None:
        pass

    odd()
    assert traced.finished()["odd"].attributes["openinference.span.kind"] == "CHAIN"


def test_methods_do_not_record_self(sdk, traced):
    sdk(capture_content=True)

    class Bot:
        @heron_sdk.observe(name="reply")
        def reply(self, text: str) -> str:
            return text.upper()

    assert Bot().reply("hi") == "HI"
    assert json.loads(traced.finished()["reply"].attributes["input.value"]) == {"text": "hi"}


def test_content_is_a_snapshot_taken_at_call_and_return(sdk, traced):
    sdk(capture_content=True)
    kept: list[list[str]] = []

    @heron_sdk.observe(name="collect")
    def collect(items: list[str], extra: dict[str, str]) -> list[str]:
        items.append("added inside")
        extra["late"] = "x"
        kept.append(items)
        return items

    collect(["a"], extra={"k": "é"})
    kept[0].append("added after return")
    attributes = traced.finished()["collect"].attributes
    assert json.loads(attributes["input.value"]) == {"items": ["a"], "extra": {"k": "é"}}
    assert json.loads(attributes["output.value"]) == ["a", "added inside"]
    assert attributes["input.mime_type"] == attributes["output.mime_type"] == "application/json"


def test_generator_records_its_input(sdk, traced):
    sdk(capture_content=True)

    @heron_sdk.observe(name="count")
    def count(n: int):
        yield from range(n)

    assert list(count(n=2)) == [0, 1]
    attributes = traced.finished()["count"].attributes
    assert json.loads(attributes["input.value"]) == {"n": 2}
    assert json.loads(attributes["output.value"]) == [0, 1]


def test_unserializable_content_is_recorded_without_raising(sdk, traced):
    sdk(capture_content=True)

    class Weird:
        def __repr__(self) -> str:
            return "<Weird>"

    @heron_sdk.observe(name="weird")
    def weird(thing: object) -> object:
        return {"thing": thing}

    weird(Weird())
    attributes = traced.finished()["weird"].attributes
    assert json.loads(attributes["input.value"]) == {"thing": "<Weird>"}
    assert json.loads(attributes["output.value"]) == {"thing": "<Weird>"}


def test_unsampled_span_with_capture_on_still_runs_the_function(sdk):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    provider = TracerProvider(sampler=ALWAYS_OFF)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    sdk(capture_content=True, tracer_provider=provider)

    @heron_sdk.observe(name="dropped")
    def dropped(x: int) -> int:
        return x * 2

    assert dropped(21) == 42
    assert exporter.get_finished_spans() == ()
