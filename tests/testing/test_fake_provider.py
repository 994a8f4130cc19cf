"""The fake provider answers the real anthropic and openai clients, streaming included."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import anthropic
import openai
import pytest

from heron.testing.fake_provider import FakeProvider, Reply

TOOL_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}


@pytest.fixture
def fp() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


def claude(fp: FakeProvider, *, timeout: float = 10, max_retries: int = 0) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=fp.base_url_anthropic, api_key="test-key", timeout=timeout, max_retries=max_retries
    )


def gpt(fp: FakeProvider, *, timeout: float = 10, max_retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=fp.base_url_openai, api_key="test-key", timeout=timeout, max_retries=max_retries
    )


def test_anthropic_default_reply_echoes_and_request_is_recorded(fp: FakeProvider) -> None:
    message = claude(fp).messages.create(
        model="claude-3-5-haiku-latest",
        max_tokens=50,
        system="be brief",
        messages=[{"role": "user", "content": "hello there"}],
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "echo: hello there"
    assert message.stop_reason == "end_turn"
    (request,) = fp.requests
    assert request.api == "anthropic"
    assert request.body["system"] == "be brief"
    # The SDK sends the key as x-api-key or as a bearer token depending on its version.
    auth = request.headers.get("x-api-key") or request.headers.get("authorization", "")
    assert auth.endswith("test-key")


def test_anthropic_stream_emits_every_event_type_and_usage_with_cache(fp: FakeProvider) -> None:
    fp.enqueue(
        Reply.text("The quick brown fox jumps over the lazy dog.").with_usage(
            30, 11, cache_read=200, cache_write=50
        )
    )
    with claude(fp).messages.stream(
        model="m", max_tokens=50, messages=[{"role": "user", "content": "x"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    for kind in ("message_start", "content_block_start", "message_delta", "message_stop"):
        assert kind in kinds
    assert kinds.count("text") > 2  # several deltas, not one blob
    assert final.content[0].type == "text"
    assert final.content[0].text == "The quick brown fox jumps over the lazy dog."
    assert final.usage.cache_read_input_tokens == 200
    assert final.usage.cache_creation_input_tokens == 50
    assert final.usage.output_tokens == 11
    assert fp.requests[0].stream


def test_anthropic_forced_tool_gets_json_as_tool_input_streamed(fp: FakeProvider) -> None:
    fp.enqueue(Reply.json({"city": "Lisbon", "n": [1, 2]}))
    with claude(fp).messages.stream(
        model="m",
        max_tokens=50,
        messages=[{"role": "user", "content": "x"}],
        tools=[{"name": "lookup", "input_schema": TOOL_SCHEMA}],
        tool_choice={"type": "tool", "name": "lookup"},
    ) as stream:
        final = stream.get_final_message()
    block = final.content[0]
    assert block.type == "tool_use"
    assert block.name == "lookup"
    assert block.input == {"city": "Lisbon", "n": [1, 2]}
    assert final.stop_reason == "tool_use"


def test_anthropic_refusal_and_errors(fp: FakeProvider) -> None:
    client = claude(fp)
    fp.enqueue(Reply.refusal("I can't do that."), Reply.error(500, "boom"))
    refused = client.messages.create(
        model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
    )
    assert refused.stop_reason == "refusal"
    with pytest.raises(anthropic.InternalServerError) as info:
        client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 500
    assert "boom" in str(info.value)


def test_retry_after_is_sent_and_the_client_retries(fp: FakeProvider) -> None:
    fp.enqueue(Reply.error(429, "slow down", retry_after=0), Reply.text("ok now"))
    message = claude(fp, max_retries=1).messages.create(
        model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "ok now"
    assert len(fp.requests) == 2
    fp.enqueue(Reply.error(429, "slow down", retry_after=7))
    with pytest.raises(openai.RateLimitError) as info:
        gpt(fp).chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert info.value.response.headers["retry-after"] == "7"


def test_openai_tool_call_and_response_format(fp: FakeProvider) -> None:
    client = gpt(fp)
    fp.enqueue(Reply.tool_call("lookup", {"city": "Oslo"}), Reply.json({"score": 0.5}))
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "x"}],
        tools=[{"type": "function", "function": {"name": "lookup", "parameters": TOOL_SCHEMA}}],
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.function.name == "lookup"
    assert json.loads(call.function.arguments) == {"city": "Oslo"}
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "x"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "s", "schema": {"type": "object"}},
        },
    )
    assert json.loads(completion.choices[0].message.content or "") == {"score": 0.5}
    assert fp.requests[-1].body["response_format"]["type"] == "json_schema"


def test_openai_stream_with_usage_last_and_delays(fp: FakeProvider) -> None:
    fp.enqueue(
        Reply.text("streamed answer in pieces")
        .with_usage(10, 4, cache_read=6)
        .with_delay(first_byte_s=0.05, between_chunks_s=0.01)
    )
    chunks = list(
        gpt(fp).chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "streamed answer in pieces"
    assert chunks[-1].choices == []
    usage = chunks[-1].usage
    assert usage is not None
    assert usage.prompt_tokens == 16  # OpenAI counts cached tokens inside prompt_tokens
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 6
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_openai_streamed_tool_call_and_refusal(fp: FakeProvider) -> None:
    client = gpt(fp)
    fp.enqueue(Reply.tool_call("lookup", {"city": "Reykjavík"}), Reply.refusal("No."))
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": TOOL_SCHEMA}}]
    with client.chat.completions.stream(
        model="m",
        messages=[{"role": "user", "content": "x"}],
        tools=tools,  # type: ignore[arg-type]
    ) as stream:
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert calls is not None
    assert json.loads(calls[0].function.arguments) == {"city": "Reykjavík"}
    with client.chat.completions.stream(
        model="m", messages=[{"role": "user", "content": "x"}]
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.refusal == "No."


def test_hang_triggers_client_timeouts(fp: FakeProvider) -> None:
    fp.enqueue(Reply.hang(10), Reply.hang(10))
    with pytest.raises(anthropic.APITimeoutError):
        claude(fp, timeout=0.3).messages.create(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    with pytest.raises(openai.APITimeoutError):
        gpt(fp, timeout=0.3).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )


def test_rules_filters_and_default(fp: FakeProvider) -> None:
    fp.add_rule(Reply.text("rule for big"), match=lambda r: r.body.get("model") == "big")
    fp.enqueue(Reply.text("only openai"), api="openai")
    fp.default = Reply.text("default")
    client = claude(fp)

    def ask(model: str) -> str:
        block = client.messages.create(
            model=model, max_tokens=5, messages=[{"role": "user", "content": "x"}]
        ).content[0]
        assert block.type == "text"
        return block.text

    assert ask("big") == "rule for big"
    assert ask("small") == "default"  # the openai-only queued reply is not taken
    assert fp.pending == 1
    reply = gpt(fp).chat.completions.create(model="s", messages=[{"role": "user", "content": "x"}])
    assert reply.choices[0].message.content == "only openai"
    assert fp.pending == 0


def test_stop_releases_a_hanging_request() -> None:
    fp = FakeProvider().start()
    fp.enqueue(Reply.hang(60))
    errors: list[BaseException] = []

    def call() -> None:
        try:
            claude(fp, timeout=120).messages.create(
                model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
        except anthropic.APIError as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    while not fp.requests:
        threading.Event().wait(0.01)
    fp.stop()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(errors) == 1
    assert isinstance(errors[0], anthropic.APIConnectionError)
