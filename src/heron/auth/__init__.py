"""API-key authentication: who is calling (:class:`Principal`) and what they may do.

Keys are created and verified by :mod:`heron.store.meta`; this package turns
an ``authorization`` value into a principal, checks its role for an action,
and decides at start whether auth is on and whether it is safe to listen.
"""

from __future__ import annotations

from heron.auth.authenticator import Authenticator, check_bind_safety, decide_auth_required
from heron.auth.principal import ALLOWED_ACTIONS, Action, Principal

__all__ = [
    "ALLOWED_ACTIONS",
    "Action",
    "Authenticator",
    "Principal",
    "check_bind_safety",
    "decide_auth_required",
]
