"""to_json: the fast path for flat values writes exactly what json.dumps writes."""

from __future__ import annotations

import enum
import json
import math
import random
from dataclasses import dataclass
from typing import Any

import pytest
from heron_sdk.serialization import MAX_JSON, _fallback, _flat, to_json


def reference(value: Any, limit: int = MAX_JSON) -> str:
    """What to_json returned before it had a fast path (json.dumps every time)."""
    try:
        text = json.dumps(value, default=_fallback, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = json.dumps(repr(value))
    if len(text) > limit:
        return json.dumps(text[:limit] + "...[truncated]")
    return text


class Color(enum.IntEnum):
    RED = 1


class Label(str):
    def __str__(self) -> str:
        return "label!"


@dataclass
class Point:
    x: int
    y: float


class Model:
    """Looks like a pydantic v2 model to the fallback."""

    def model_dump(self, mode: str) -> dict[str, Any]:
        return {"mode": mode, "ok": True}


class BrokenModel:
    def model_dump(self, mode: str) -> dict[str, Any]:
        raise RuntimeError("cannot dump")

    def __repr__(self) -> str:
        return "<BrokenModel>"


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque é>"


SCALARS: list[Any] = [
    "",
    "plain",
    "héllo wörld, 東京, 🦜",
    'quotes " and \\ backslash',
    "controls \n\t\r\b\f \x00 \x1f \x7f",
    "\u2028\u2029",
    "\ud800 lone surrogate",
    0,
    -1,
    2**63,
    -(10**30),
    0.0,
    -0.0,
    0.1,
    1e300,
    -2.5e-300,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    None,
]

CASES: list[Any] = [
    *SCALARS,
    {},
    [],
    (),
    {"x": 1},
    {"question": "Qu'est-ce que c'est ?", "k": 3, "temperature": 0.2, "stream": False},
    {"é": "ü", "none": None, "nan": math.nan},
    ["a", 1, 2.5, None, True],
    ("t", "u", "p"),
    {"nested": {"a": [1, 2, {"b": "c"}]}},
    [[1, 2], [3]],
    {"items": list(range(33))},
    list(range(33)),
    {str(i): i for i in range(33)},
    {1: "int key"},
    {None: "none key", True: "bool key", 2.5: "float key"},
    {"key": Color.RED},
    Color.RED,
    Label("sub"),
    {"label": Label("sub")},
    Point(1, 2.5),
    {"point": Point(3, math.inf)},
    {1, 2, 3},
    frozenset({"a"}),
    Model(),
    {"response": Model()},
    BrokenModel(),
    Opaque(),
    {"obj": Opaque()},
    [Opaque(), "x"],
    b"bytes",
    {"bytes": b"\x00\xff"},
    1 + 2j,
    object,
]


@pytest.mark.parametrize("value", CASES, ids=repr)
def test_same_json_as_json_dumps(value: Any) -> None:
    assert to_json(value) == reference(value)


def test_circular_value_is_recorded_as_its_repr() -> None:
    loop: list[Any] = ["a"]
    loop.append(loop)
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    for value in (loop, cyclic, {"outer": loop}):
        assert to_json(value) == reference(value)
        assert json.loads(to_json(value)) == repr(value)


def test_truncation_applies_to_fast_and_slow_paths() -> None:
    for value in ("x" * 100, {"text": "y" * 100}, ["z" * 100], {"deep": {"text": "w" * 100}}):
        text = to_json(value, limit=40)
        assert text == reference(value, limit=40)
        assert json.loads(text).endswith("...[truncated]")
    assert to_json("é" * 10, limit=40) == '"' + "é" * 10 + '"'


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    scalars: list[Any] = [
        rng.choice(SCALARS),
        rng.randint(-(2**70), 2**70),
        rng.uniform(-1e6, 1e6),
        "".join(chr(rng.choice([rng.randint(32, 126), rng.randint(0xA0, 0x2FFF)])) for _ in "abc"),
    ]
    if depth >= 3 or rng.random() < 0.4:
        return rng.choice(scalars)
    width = rng.choice([0, 1, 3, 40])
    kind = rng.choice(["dict", "list", "tuple"])
    if kind == "dict":
        return {f"k{i}é": _random_value(rng, depth + 1) for i in range(width)}
    items = [_random_value(rng, depth + 1) for _ in range(width)]
    return items if kind == "list" else tuple(items)


def test_random_nested_values_match_json_dumps() -> None:
    rng = random.Random(7)  # noqa: S311 -- seeded test data, not a secret
    for _ in range(2000):
        value = _random_value(rng)
        assert to_json(value) == reference(value), value


def test_output_is_valid_json_for_flat_values() -> None:
    value = {"s": "東京\n", "i": 5, "f": 0.5, "b": True, "n": None}
    assert json.loads(to_json(value)) == value


@pytest.mark.parametrize(
    "value", [*SCALARS, {}, [], (), {"x": 1, "y": "é"}, ["a", 1, None], ("t", 2.5)], ids=repr
)
def test_flat_values_take_the_fast_path(value: Any) -> None:
    assert _flat(value) == reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"nested": {"a": 1}},
        [[1]],
        list(range(33)),
        {1: "int key"},
        {"key": Color.RED},
        Label("sub"),
        Point(1, 2.0),
        {"obj": Opaque()},
    ],
    ids=repr,
)
def test_other_values_go_to_the_encoder(value: Any) -> None:
    assert _flat(value) is None
