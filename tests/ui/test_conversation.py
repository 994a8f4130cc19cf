"""Chat bubbles from a span's normalized messages."""

from __future__ import annotations

from heron.ui.conversation import conversation

from .factories import llm_span, span


def test_messages_in_order_input_then_output() -> None:
    bubbles = conversation(llm_span("b" * 16, None, 0, 10))
    assert [(b.role, b.content, b.direction) for b in bubbles] == [
        ("system", "Be brief.", "in"),
        ("user", "Where is my order?", "in"),
        ("assistant", "It ships today.", "out"),
    ]


def test_system_prompt_field_is_shown_once() -> None:
    s = llm_span(
        "b" * 16,
        None,
        0,
        10,
        system_prompt="Sys",
        input_messages=[{"role": "user", "content": "hi"}],
    )
    assert [b.role for b in conversation(s)][:2] == ["system", "user"]
    dup = llm_span("b" * 16, None, 0, 10, system_prompt="Be brief.")
    assert [b.role for b in conversation(dup)].count("system") == 1


def test_tool_calls_and_results_are_kept() -> None:
    call = {"id": "call_1", "name": "lookup_order", "arguments": '{"id": 7}'}
    s = llm_span(
        "b" * 16,
        None,
        0,
        10,
        input_messages=[
            {"role": "user", "content": "order 7?"},
            {"role": "tool", "content": "shipped", "tool_call_id": "call_1"},
        ],
        output_messages=[{"role": "assistant", "content": None}],
        tool_calls=[call],
    )
    bubbles = conversation(s)
    assert bubbles[1].role == "tool"
    assert bubbles[1].tool_call_id == "call_1"
    assert bubbles[-1].tool_calls == [call]


def test_plain_input_output_for_non_llm_spans() -> None:
    s = span("a" * 16, None, 0, 10, kind="chain", input_value="q", output_value="a")
    assert [(b.role, b.content) for b in conversation(s)] == [("input", "q"), ("output", "a")]
    assert conversation(span("a" * 16, None, 0, 10)) == []
