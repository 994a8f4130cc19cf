"""The PII detectors on a corpus of real-shaped positives and look-alike negatives.

``data/<kind>.jsonl`` holds >= 30 positives (the value must disappear and
``[REDACTED:<kind>]`` appear) and >= 30 negatives (nothing may be redacted)
per kind; ``data/generate.py`` rebuilds it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from heron.security.pii import PII_KINDS, PiiScanner, iban_ok, luhn_ok

DATA = Path(__file__).parent / "data"
RECALL_FLOOR = 0.95
PRECISION_FLOOR = 0.95


def _rows(kind: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (DATA / f"{kind}.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("kind", PII_KINDS)
def test_corpus_has_enough_examples(kind: str) -> None:
    rows = _rows(kind)
    assert sum(r["label"] == "positive" for r in rows) >= 30
    assert sum(r["label"] == "negative" for r in rows) >= 30


@pytest.mark.parametrize("kind", PII_KINDS)
def test_recall_and_precision_floors(kind: str) -> None:
    scanner = PiiScanner(PII_KINDS)
    rows = _rows(kind)
    hits = misses = false_alarms = clean = 0
    for row in rows:
        redacted, counts = scanner.redact(row["text"])
        if row["label"] == "positive":
            if row["value"] not in redacted and f"[REDACTED:{kind}]" in redacted:
                hits += 1
            else:
                misses += 1
        elif counts:
            false_alarms += 1
        else:
            clean += 1
    recall = hits / (hits + misses)
    precision = hits / (hits + false_alarms)
    assert recall >= RECALL_FLOOR, f"{kind}: recall {recall:.2f}"
    assert precision >= PRECISION_FLOOR, f"{kind}: precision {precision:.2f}"
    assert clean / (clean + false_alarms) >= PRECISION_FLOOR


def test_only_enabled_kinds_are_redacted() -> None:
    scanner = PiiScanner(["email"])
    text = "mail a.b@example.com from 10.0.0.1"
    assert scanner.redact(text) == ("mail [REDACTED:email] from 10.0.0.1", {"email": 1})


def test_overlaps_go_to_the_higher_priority_kind() -> None:
    # 123-45-6789 also fits the phone pattern; it is reported once, as a national id.
    assert PiiScanner(PII_KINDS).redact("ssn 123-45-6789") == (
        "ssn [REDACTED:national_id]",
        {"national_id": 1},
    )


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True), ("", False)],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_ok(number) is valid


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),
        ("DE89370400440532013000", True),
        ("DE89370400440532013001", False),
        ("GB82", False),
    ],
)
def test_iban(iban: str, valid: bool) -> None:
    assert iban_ok(iban) is valid
