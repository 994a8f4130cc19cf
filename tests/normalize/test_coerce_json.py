"""loads_json keeps what the JSON says: big integers exact, NaN as the standard library reads it."""

from __future__ import annotations

import math

from heron.normalize.coerce import loads_json


def test_parses_messages_json() -> None:
    text = '[{"role": "user", "parts": [{"type": "text", "content": "héllo"}]}]'
    assert loads_json(text) == [{"role": "user", "parts": [{"type": "text", "content": "héllo"}]}]


def test_integers_past_64_bits_still_parse() -> None:
    assert loads_json('{"n": 123456789012345678901234567890}') == {
        "n": 123456789012345678901234567890
    }


def test_nan_still_parses_as_the_standard_library_does() -> None:
    value = loads_json('{"x": NaN}')
    assert isinstance(value, dict)
    assert math.isnan(value["x"])


def test_invalid_json_is_none() -> None:
    assert loads_json('{"unterminated": ') is None
    assert loads_json("plain text") is None
