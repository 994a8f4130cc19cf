"""The bounded memories behind the metrics: label limits and recently counted spans."""

from __future__ import annotations

import pytest

from heron.metrics import OTHER, UNKNOWN, LabelLimiter, RecentKeys, RecentValues


def test_label_limiter_keeps_the_first_values_per_scope() -> None:
    limit = LabelLimiter(2)
    assert [limit("p1", v) for v in ("a", "b", "c", "a")] == ["a", "b", OTHER, "a"]
    assert limit("p2", "c") == "c"
    assert limit("p1", None) == UNKNOWN


def test_recent_keys_remember_each_key_once_and_forget_the_oldest() -> None:
    keys = RecentKeys(3)
    assert keys.add(("p", "t1", "s1")) is True
    assert keys.add(("p", "t1", "s1")) is False
    for span in ("s2", "s3", "s4"):
        assert keys.add(("p", "t1", span)) is True
    assert len(keys) == 3
    assert ("p", "t1", "s1") not in keys  # the first one in went out first
    assert ("p", "t1", "s4") in keys
    assert keys.add(("p", "t1", "s1")) is True


def test_recent_keys_tell_projects_apart() -> None:
    keys = RecentKeys(10)
    assert keys.add(("p1", "t", "s"))
    assert keys.add(("p2", "t", "s"))


def test_recent_values_return_the_latest_value_and_stay_bounded() -> None:
    values = RecentValues(2)
    values.put(("p", "t1"), "gpt-4o")
    values.put(("p", "t1"), "gpt-4o-mini")
    assert values.get(("p", "t1")) == "gpt-4o-mini"
    assert len(values) == 1
    values.put(("p", "t2"), "claude")
    values.put(("p", "t3"), "llama")
    assert values.get(("p", "t1")) is None
    assert (values.get(("p", "t2")), values.get(("p", "t3"))) == ("claude", "llama")
    assert len(values) == 2


def test_a_long_stream_never_grows_past_the_capacity() -> None:
    keys, values = RecentKeys(1000), RecentValues(1000)
    for i in range(10_000):
        keys.add(("p", f"{i:032x}", f"{i:016x}"))
        values.put(("p", f"{i:016x}"), "m")
    assert len(keys) == len(values) == 1000
    assert ("p", f"{9_999:032x}", f"{9_999:016x}") in keys
    assert values.get(("p", f"{9_000:016x}")) == "m"
    assert values.get(("p", f"{8_999:016x}")) is None


@pytest.mark.parametrize("capacity", [0, -1])
def test_capacity_must_be_positive(capacity: int) -> None:
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        RecentKeys(capacity)
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        RecentValues(capacity)
