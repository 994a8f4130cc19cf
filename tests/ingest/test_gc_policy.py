"""The ingest GC policy raises the collector's thresholds and never lowers them."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from heron.ingest.gc_policy import INGEST_GC_THRESHOLDS, tune_gc_for_ingest


@pytest.fixture
def restore_thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*saved)


@pytest.mark.usefixtures("restore_thresholds")
def test_raises_default_thresholds() -> None:
    gc.set_threshold(700, 10, 10)
    tune_gc_for_ingest()
    assert gc.get_threshold() == INGEST_GC_THRESHOLDS
    assert gc.isenabled()


@pytest.mark.usefixtures("restore_thresholds")
def test_keeps_thresholds_already_higher() -> None:
    higher = (INGEST_GC_THRESHOLDS[0] * 2, 5, INGEST_GC_THRESHOLDS[2] * 3)
    gc.set_threshold(*higher)
    tune_gc_for_ingest()
    assert gc.get_threshold() == (higher[0], INGEST_GC_THRESHOLDS[1], higher[2])
