"""Redaction of previews: emails, card-like numbers and API keys never leave the app."""

from __future__ import annotations

import pytest
from heron_sdk.redaction import REDACTED, preview, redact


@pytest.mark.parametrize(
    "secret",
    [
        "jane.doe+x@mail.example.org",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5500000000000004",
        "sk-proj-AbCdEfGhIjKlMnOpQrStUv",
        "sk-ant-api03-AbCdEfGhIjKlMnOpQr",
        "ghp_abcdefghijklmnopqrstuvwxyz0123",
        "AKIAABCDEFGHIJKLMNOP",
        "Bearer eyJhbGciOiJIUzI1NiJ9.payload",
        "api_key=abcd1234efgh",
    ],
)
def test_secrets_are_redacted(secret):
    out = redact(f"before {secret} after")
    assert secret not in out
    assert REDACTED in out
    assert out.startswith("before ")


def test_ordinary_text_and_short_numbers_are_kept():
    text = "Order 12345 shipped on 2024-05-01, total 99.90 EUR"
    assert redact(text) == text


def test_preview_truncates_after_redacting():
    long = "mail bob@example.com " + "y" * 2000
    out = preview(long)
    assert out.startswith("mail [REDACTED] ")
    assert len(out) == 501
    assert out.endswith("…")
    assert preview("short") == "short"
