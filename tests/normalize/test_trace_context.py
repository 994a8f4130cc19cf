"""Inheritance across batches and arrival orders, and duplicate (nested) LLM spans."""

from __future__ import annotations

import itertools
import json

from opentelemetry.proto.trace.v1.trace_pb2 import Span as OtlpSpan

from heron.normalize import Normalizer
from heron.normalize.trace_context import model_family

from .conftest import TRACE_ID, load_pb, make_request, make_span

ROOT, MID, LEAF, NATIVE = "a1" * 8, "b2" * 8, "c3" * 8, "d4" * 8
INSTRUMENTATION = {
    "gen_ai.provider.name": "anthropic",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "claude-haiku-4-5",
    "gen_ai.response.model": "claude-haiku-4-5-20251001",
    "gen_ai.usage.input_tokens": 1325,
    "gen_ai.usage.output_tokens": 42,
}


def _root() -> OtlpSpan:
    return make_span(
        ROOT,
        name="chat_handler",
        end_ms=500,
        attrs={
            "user.id": "user-42",
            "session.id": "sess-1",
            "tag.tags": ["a", "b"],
            "llm.prompt_template.template": "Hi {name}",
            "llm.prompt_template.version": "v2",
        },
    )


def _mid() -> OtlpSpan:
    return make_span(MID, parent=ROOT, name="step", start_ms=1, end_ms=400)


def _leaf() -> OtlpSpan:
    return make_span(LEAF, parent=MID, name="chat", start_ms=2, end_ms=300, attrs=INSTRUMENTATION)


def test_descendants_inherit_in_any_order_within_a_batch() -> None:
    results = []
    for order in itertools.permutations([_root(), _mid(), _leaf()]):
        spans = Normalizer().normalize("p", make_request(("app", list(order))))
        leaf = next(s for s in spans if s.span_id == LEAF)
        results.append(leaf.to_api_dict())
        assert (leaf.user_id, leaf.session_id, leaf.tags) == ("user-42", "sess-1", ["a", "b"])
        assert leaf.prompt_template == "Hi {name}"
        assert leaf.prompt_template_version == "v2"
        assert leaf.prompt_template_hash is not None
    assert all(r == results[0] for r in results)


def test_descendant_in_a_later_batch_inherits_from_earlier_ancestors() -> None:
    normalizer = Normalizer()
    normalizer.normalize("p", make_request(("app", [_root(), _mid()])))
    (leaf,) = normalizer.normalize("p", make_request(("app", [_leaf()])))
    assert (leaf.user_id, leaf.session_id) == ("user-42", "sess-1")


def test_inheritance_is_scoped_by_project_and_bounded() -> None:
    normalizer = Normalizer(trace_cache_size=1)
    normalizer.normalize("p", make_request(("app", [_root(), _mid()])))
    (other_project,) = normalizer.normalize("q", make_request(("app", [_leaf()])))
    assert other_project.user_id is None
    # The cache holds one trace: project q's trace pushed p's out.
    (evicted,) = normalizer.normalize("p", make_request(("app", [_leaf()])))
    assert evicted.user_id is None
    assert len(normalizer.trace_context) == 1


def test_own_values_win_over_ancestors() -> None:
    leaf = make_span(LEAF, parent=ROOT, attrs={**INSTRUMENTATION, "user.id": "someone-else"})
    spans = Normalizer().normalize("p", make_request(("app", [leaf, _root()])))
    assert next(s for s in spans if s.span_id == LEAF).user_id == "someone-else"


def _native(parent: str, start: float, end: float, model: str = "claude-haiku-4-5") -> OtlpSpan:
    return make_span(
        NATIVE,
        parent=parent,
        name="anthropic.messages.create",
        start_ms=start,
        end_ms=end,
        attrs={
            **INSTRUMENTATION,
            "gen_ai.request.model": model,
            "gen_ai.response.model": model,
            "anthropic.message.stop_reason": "end_turn",
        },
    )


def test_native_sdk_span_inside_instrumentation_span_is_a_duplicate() -> None:
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        groups = [
            ("app", [_root(), _mid()]),
            ("opentelemetry.instrumentation.anthropic", [_leaf()]),
            ("com.anthropic.sdk.python", [_native(LEAF, 3, 290)]),
        ]
        spans = Normalizer().normalize("p", make_request(*[groups[i] for i in order]))
        by_id = {s.span_id: s for s in spans}
        assert by_id[NATIVE].duplicate_of == LEAF
        assert by_id[LEAF].duplicate_of is None
        # Both keep their own tokens and cost; the store excludes the duplicate from totals.
        assert by_id[NATIVE].cost_usd == by_id[LEAF].cost_usd is not None
        assert by_id[NATIVE].user_id == "user-42"


def test_duplicate_found_when_the_outer_span_came_in_an_earlier_batch() -> None:
    normalizer = Normalizer()
    normalizer.normalize("p", make_request(("opentelemetry.instrumentation.anthropic", [_leaf()])))
    (native,) = normalizer.normalize(
        "p", make_request(("com.anthropic.sdk.python", [_native(LEAF, 3, 290)]))
    )
    assert native.duplicate_of == LEAF


def test_not_a_duplicate_without_overlap_other_model_or_non_llm_parent() -> None:
    cases = [
        [_leaf(), _native(LEAF, 301, 400)],  # after the outer span ended
        [_leaf(), _native(LEAF, 3, 290, model="claude-sonnet-4-5")],  # another model family
        [_mid(), _native(MID, 3, 290)],  # parent is not an LLM span
    ]
    for spans in cases:
        out = Normalizer().normalize("p", make_request(("x", spans)))
        assert next(s for s in out if s.span_id == NATIVE).duplicate_of is None


def test_fixture_native_spans_are_not_duplicates_on_their_own() -> None:
    spans = Normalizer().normalize("p", load_pb("anthropic_sdk_native", "anthropic_tool_call"))
    assert [s.duplicate_of for s in spans] == [None, None, None]


def test_model_family_strips_dates_and_prefixes() -> None:
    assert model_family("claude-haiku-4-5-20251001") == "claude-haiku-4-5"
    assert model_family("gpt-4o-mini-2024-07-18") == "gpt-4o-mini"
    assert model_family("anthropic/Claude-3-5-Sonnet@20240620") == "claude-3-5-sonnet"
    assert model_family("gpt-4o") == "gpt-4o"


def _templated_root(trace_id: bytes, doc_bytes: int) -> OtlpSpan:
    """A root carrying a user and a template whose variable is a large RAG document."""
    return make_span(
        ROOT,
        trace_id=trace_id,
        name="rag",
        attrs={
            "user.id": "user-7",
            "llm.prompt_template.template": "Answer from {doc}",
            "llm.prompt_template.variables": json.dumps({"doc": "x" * doc_bytes}),
        },
    )


def _child_of_root(trace_id: bytes) -> OtlpSpan:
    return make_span(LEAF, parent=ROOT, trace_id=trace_id, name="chat", attrs=INSTRUMENTATION)


def test_the_cache_is_bounded_by_bytes_when_template_variables_are_large() -> None:
    normalizer = Normalizer(trace_cache_bytes=100_000)
    context = normalizer.trace_context
    for i in range(10):
        normalizer.normalize("p", make_request(("app", [_templated_root(bytes([i]) * 16, 30_000)])))
        assert context.estimated_bytes <= context.max_bytes
    # Each trace holds ~31 KB: three fit under 100 KB, not ten.
    assert len(context) == 3
    # The newest traces are the ones kept.
    (leaf,) = normalizer.normalize("p", make_request(("app", [_child_of_root(bytes([9]) * 16)])))
    assert leaf.user_id == "user-7"
    (gone,) = normalizer.normalize("p", make_request(("app", [_child_of_root(bytes([0]) * 16)])))
    assert gone.user_id is None


def test_small_spans_stay_bounded_by_count_not_bytes() -> None:
    normalizer = Normalizer(trace_cache_size=50)
    for i in range(200):
        normalizer.normalize("p", make_request(("app", [_templated_root(i.to_bytes(16), 10)])))
    assert len(normalizer.trace_context) == 50
    assert normalizer.trace_context.estimated_bytes < normalizer.trace_context.max_bytes


def test_a_batch_over_the_byte_bound_still_resolves_within_itself() -> None:
    normalizer = Normalizer(trace_cache_bytes=1_000)
    big = _templated_root(TRACE_ID, 50_000)
    spans = normalizer.normalize("p", make_request(("app", [_leaf(), _mid(), big])))
    leaf = next(s for s in spans if s.span_id == LEAF)
    assert leaf.user_id == "user-7"
    assert leaf.prompt_template == "Answer from {doc}"
    # Afterwards only the newest trace is kept, even though it alone is over the bound.
    assert len(normalizer.trace_context) == 1
