"""Public helpers for heron's tests (and for users testing their own setups)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["repo_root", "shared_dir"]


def repo_root() -> Path:
    """The checkout this heron was installed from (editable installs only)."""
    return Path(__file__).resolve().parents[3]


def shared_dir() -> Path:
    """The project's ``shared/`` folder: ``$HERON_SHARED_DIR`` or the one beside the checkout."""
    env = os.environ.get("HERON_SHARED_DIR")
    return Path(env) if env else repo_root().parent / "shared"
