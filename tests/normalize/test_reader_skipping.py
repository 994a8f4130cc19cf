"""Skipping a fallback convention reader whose keys are absent never changes a reading.

The mapper only runs a fallback reader when its ``applies`` check sees one of its
keys (or events); these tests check that a reader that does not apply reads
nothing, on every captured span and on random attribute sets, so the skip is
an optimization and never a change of meaning.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.model import Span
from heron.normalize.conventions import (
    _READERS,
    FAMILIES,
    Reading,
    detect_family,
    genai,
    openinference,
    read_span,
    traceloop,
)
from heron.normalize.conventions.reading import merge
from heron.normalize.convert import convert_request

from .conftest import fixture_cases, load_pb, make_request, make_span
from .test_properties import ATTRS, EVENT_NAMES, KEYS

READERS: list[tuple[str, Callable[[Span], Reading], Callable[[Span], bool]]] = [
    ("genai", genai.read, genai.applies),
    ("openinference", openinference.read, openinference.applies),
    ("traceloop", traceloop.read, traceloop.applies),
]


def _fixture_spans() -> list[Span]:
    spans: list[Span] = []
    for folder, case in fixture_cases():
        spans.extend(convert_request("p", load_pb(folder, case)))
    return spans


def _assert_skip_is_lossless(span: Span) -> None:
    for name, read, applies in READERS:
        if not applies(span):
            assert read(span) == Reading(), f"{name} read something from a span it skips"
    family = detect_family(span)
    # The skipping mapper agrees with running every reader of the family's list.
    unskipped = merge(*(read(span) for read in _READERS[family]))
    assert read_span(span, family) == unskipped


def test_fixture_spans_lose_nothing_when_readers_are_skipped() -> None:
    spans = _fixture_spans()
    assert len(spans) >= 28
    skipped = 0
    for span in spans:
        _assert_skip_is_lossless(span)
        skipped += sum(not applies(span) for _, _, applies in READERS)
    assert skipped > 0  # the fixtures do exercise the skip


@pytest.mark.parametrize("family", FAMILIES)
def test_a_span_without_llm_keys_reads_the_same_under_every_family(family: str) -> None:
    span = convert_request(
        "p", make_request(("app", [make_span("01", attrs={"http.method": "GET"})]))
    )[0]
    assert not any(applies(span) for _, _, applies in READERS)
    for _name, read, _applies in READERS:
        assert read(span) == Reading()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    attrs=ATTRS,
    extra=st.dictionaries(st.sampled_from(["http.url", "x", "llm.user", "gen_ai.x"]), st.text()),
    event=st.tuples(EVENT_NAMES, st.floats(min_value=0, max_value=50), ATTRS),
)
def test_random_spans_lose_nothing_when_readers_are_skipped(
    attrs: dict[str, object],
    extra: dict[str, str],
    event: tuple[str, float, dict[str, object]],
) -> None:
    span = convert_request(
        "p", make_request(("app", [make_span("01", attrs={**attrs, **extra}, events=[event])]))
    )[0]
    _assert_skip_is_lossless(span)


SINGLE_VALUES: tuple[object, ...] = ("chat", "42", 42, 0.5, "true", '[{"role": "user"}]', ["a"])


@pytest.mark.parametrize("key", KEYS)
def test_every_known_key_alone_is_read_by_a_reader_that_applies(key: str) -> None:
    for value in SINGLE_VALUES:
        span = convert_request("p", make_request(("app", [make_span("01", attrs={key: value})])))[0]
        _assert_skip_is_lossless(span)
