"""capture_content=False keeps counts and drops prompt/completion text everywhere."""

from __future__ import annotations

import json

from heron.normalize import Normalizer

from .conftest import load_pb

FOLDERS_CASES = [
    ("openinference", "anthropic_tool_call"),
    ("otel_genai", "openai_tool_call"),
    ("openllmetry", "anthropic_chat"),
]


def test_content_dropped_counts_kept() -> None:
    for folder, case in FOLDERS_CASES:
        with_content = Normalizer().normalize("p", load_pb(folder, case))
        without = Normalizer(capture_content=False).normalize("p", load_pb(folder, case))
        for full, bare in zip(with_content, without, strict=True):
            assert (bare.input_tokens, bare.output_tokens, bare.cost_usd) == (
                full.input_tokens,
                full.output_tokens,
                full.cost_usd,
            )
            assert bare.input_messages == []
            assert bare.output_messages == []
            assert bare.system_prompt is None
            assert bare.input_value is None
            assert bare.output_value is None
            assert bare.prompt_template_variables == {}
            assert bare.prompt_template_hash == full.prompt_template_hash
            assert [(t["id"], t["name"]) for t in bare.tool_calls] == [
                (t["id"], t["name"]) for t in full.tool_calls
            ]
            assert all(t["arguments"] == "" for t in bare.tool_calls)
            dumped = json.dumps(bare.to_api_dict(), default=str)
            for secret in ("capital of France", "terse geography", "Paris", "rainy"):
                assert secret not in dumped, (folder, case, secret)
