"""Root fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.testing import shared_dir


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The captured real spans of ``shared/fixtures``."""
    path = shared_dir() / "fixtures"
    assert path.is_dir(), f"shared fixtures not found at {path}; set HERON_SHARED_DIR"
    return path
