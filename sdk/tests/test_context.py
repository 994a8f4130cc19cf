"""heron_sdk.context(): user, session, tags and metadata reach every span started inside."""

from __future__ import annotations

import asyncio
import json

import heron_sdk


def test_context_reaches_nested_spans_of_any_tracer(sdk, traced):
    sdk()
    app = traced.provider.get_tracer("app")
    # A tracer named like an instrumentation library's, as OpenLLMetry's would be.
    library = traced.provider.get_tracer("opentelemetry.instrumentation.openai")
    with (
        heron_sdk.context(user_id="u-1", session_id="s-1", tags=["beta"], metadata={"plan": "pro"}),
        app.start_as_current_span("outer"),
        app.start_as_current_span("middle"),
    ):
        library.start_span("openai.chat").end()
    with app.start_as_current_span("after"):
        pass

    spans = traced.finished()
    for name in ("outer", "middle", "openai.chat"):
        a = spans[name].attributes
        assert a["user.id"] == "u-1", name
        assert a["session.id"] == "s-1"
        assert list(a["tag.tags"]) == ["beta"]
        assert json.loads(a["metadata"]) == {"plan": "pro"}
        assert a["traceloop.association.properties.user_id"] == "u-1"
        assert a["traceloop.association.properties.session_id"] == "s-1"
        assert a["traceloop.association.properties.plan"] == "pro"
    assert "user.id" not in spans["after"].attributes


def test_nested_contexts_merge(sdk, traced):
    sdk()
    tracer = traced.provider.get_tracer("app")
    with heron_sdk.context(user_id="u-1", tags=["a"], metadata={"x": 1, "y": 2}):
        with heron_sdk.context(session_id="s-2", tags=["b", "a"], metadata={"y": 3}):
            tracer.start_span("inner").end()
        tracer.start_span("outer").end()

    inner = traced.finished()["inner"].attributes
    assert inner["user.id"] == "u-1"
    assert inner["session.id"] == "s-2"
    assert list(inner["tag.tags"]) == ["a", "b"]
    assert json.loads(inner["metadata"]) == {"x": 1, "y": 3}
    outer = traced.finished()["outer"].attributes
    assert "session.id" not in outer
    assert json.loads(outer["metadata"]) == {"x": 1, "y": 2}


def test_span_own_attributes_win(sdk, traced):
    sdk()
    tracer = traced.provider.get_tracer("app")
    with heron_sdk.context(user_id="from-context"):
        tracer.start_span("s", attributes={"user.id": "from-span"}).end()
    assert traced.finished()["s"].attributes["user.id"] == "from-span"


def test_context_follows_asyncio_tasks(sdk, traced):
    sdk()
    tracer = traced.provider.get_tracer("app")

    async def work(name: str) -> None:
        await asyncio.sleep(0)
        tracer.start_span(name).end()

    async def main() -> None:
        with heron_sdk.context(user_id="alice"):
            task_a = asyncio.create_task(work("a"))
        with heron_sdk.context(user_id="bob"):
            task_b = asyncio.create_task(work("b"))
        await asyncio.gather(task_a, task_b)

    asyncio.run(main())
    spans = traced.finished()
    assert spans["a"].attributes["user.id"] == "alice"
    assert spans["b"].attributes["user.id"] == "bob"


def test_lone_string_tag_and_bad_metadata_do_not_raise(sdk, traced):
    sdk()
    tracer = traced.provider.get_tracer("app")
    with heron_sdk.context(tags="solo", metadata=["not", "a", "mapping"]):  # type: ignore[arg-type]
        tracer.start_span("s").end()
    a = traced.finished()["s"].attributes
    assert list(a["tag.tags"]) == ["solo"]
    assert "metadata" not in a


def test_unserializable_metadata_is_stringified(sdk, traced):
    sdk()
    tracer = traced.provider.get_tracer("app")

    class Thing:
        def __repr__(self) -> str:
            return "<thing>"

    with heron_sdk.context(metadata={"obj": Thing()}):
        tracer.start_span("s").end()
    assert json.loads(traced.finished()["s"].attributes["metadata"]) == {"obj": "<thing>"}
