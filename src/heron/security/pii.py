"""PII and secret detectors: compiled patterns plus checksum validators.

Each detector is a regular expression that finds *candidates* and an optional
validator that rejects look-alikes (a card number must pass Luhn, an IBAN
mod-97, an IP address must parse, a phone number must not be a date). A
:class:`PiiScanner` runs the enabled detectors over a string and replaces every
accepted match with ``[REDACTED:<kind>]``.

Speed comes from two things: every pattern is compiled once per scanner, and a
cheap prefilter skips detectors whose trigger characters are absent (no digit
means no phone, card, IBAN, id or IP; no ``@`` means no e-mail), which is the
common case for short attribute values.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["PII_KINDS", "Detector", "PiiScanner", "custom_detector", "iban_ok", "luhn_ok"]

PII_KINDS: Final[tuple[str, ...]] = (
    "secret",
    "email",
    "iban",
    "card",
    "national_id",
    "ip",
    "phone",
)
"""Built-in kinds, in priority order: where two matches overlap the earlier kind wins
(an SSN ``123-45-6789`` is a national id, not a phone number)."""

_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Detector:
    """One kind of sensitive value: a candidate pattern and an optional validator."""

    kind: str
    pattern: re.Pattern[str]
    validate: Callable[[str], bool] | None = None
    needs: str | None = None
    """Prefilter: the detector only runs when this trigger (``digit`` or a literal) occurs."""
    needs_any: tuple[str, ...] = ()
    """Prefilter: ... and one of these literals occurs (case-insensitive when lower-case)."""
    group: int = 0
    """The regex group that is replaced (``password=<group 1>`` keeps the key)."""


def luhn_ok(number: str) -> bool:
    """True when the digits of ``number`` pass the Luhn checksum (card numbers)."""
    digits = [int(c) for c in number if c.isdigit()]
    if not digits:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    """True for an IBAN of a plausible length whose mod-97 check (ISO 13616) holds."""
    iban = candidate.replace(" ", "").upper()
    if not 15 <= len(iban) <= 34 or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    rearranged = iban[4:] + iban[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def _card_ok(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    return luhn_ok(digits)


_DATE_SHAPES = (
    re.compile(r"\d{4}[-/. ]\d{1,2}[-/. ]\d{1,2}"),
    re.compile(r"\d{1,2}[-/. ]\d{1,2}[-/. ]\d{2,4}"),
)


_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")
_DOTTED_QUAD = re.compile(r"\d+(?:\.\d+){3,}")


def _phone_ok(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    if not 9 <= digits <= 15:
        return False
    # Dates, SSN-shaped numbers (valid ones are national ids, invalid ones are not
    # phones either) and dotted quads (IP-like, versions) are the usual look-alikes.
    return not (
        any(shape.fullmatch(candidate) for shape in _DATE_SHAPES)
        or _SSN_SHAPE.fullmatch(candidate)
        or _DOTTED_QUAD.fullmatch(candidate)
    )


def _ip_ok(candidate: str) -> bool:
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    # "::" or "::1"-style fragments of code (C++ scopes) are not worth a redaction.
    return not (address.version == 6 and sum(c.isalnum() for c in candidate) < 3)


_ES_LETTERS: Final = "TRWAGMYFPDXBNJZSQVHLCKE"


def _national_id_ok(candidate: str) -> bool:
    text = candidate.replace(" ", "").replace("-", "").upper()
    if len(text) == 9 and text[:8].isdigit() and text[8].isalpha():  # Spanish DNI
        return _ES_LETTERS[int(text[:8]) % 23] == text[8]
    if len(text) == 9 and text[0] in "XYZ" and text[1:8].isdigit():  # Spanish NIE
        return _ES_LETTERS[int(str("XYZ".index(text[0])) + text[1:8]) % 23] == text[8]
    if len(text) == 9 and text[:2].isalpha():  # UK NINO: some prefixes are never issued
        return text[:2] not in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
    return True  # US SSN: the pattern already excludes 000, 666, 9xx, 00 and 0000


_B = r"(?<![\w.+-])"  # not glued to a word, a decimal, a sign or a dash
_E = r"(?![\w@-]|\.\w)"  # and not continued by one

_BUILTIN: Final[tuple[Detector, ...]] = (
    Detector(
        "secret",
        re.compile(
            r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE KEY-----"
        ),
        needs="-----BEGIN",
    ),
    Detector(
        "secret",
        re.compile(
            r"(?<![\w-])(?:"
            r"sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"
            r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"
            r"|(?:AKIA|ASIA)[0-9A-Z]{16}"
            r"|gh[pousr]_[A-Za-z0-9]{36,}"
            r"|github_pat_[A-Za-z0-9_]{40,}"
            r"|xox[abposr]-[A-Za-z0-9-]{10,}"
            r"|AIza[0-9A-Za-z_-]{35}"
            r"|heron_[ira]_[A-Za-z0-9_-]{43}"
            r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"
            r")(?![\w-])"
        ),
        needs_any=(
            "sk-",
            "sk_",
            "rk_",
            "pk_",
            "AKIA",
            "ASIA",
            "gh",
            "xox",
            "AIza",
            "heron_",
            "eyJ",
        ),
    ),
    Detector(
        "secret",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|pass|secret|client_secret|api[_-]?key|access[_-]?token"
            r"|auth[_-]?token|token)\b[\"']?\s*[=:]\s*[\"']?"
            r"(?![<{$\[(])([^\s\"'&,;]{4,})"
        ),
        group=1,
        needs_any=("pass", "pwd", "secret", "key", "token"),
    ),
    Detector(
        "email",
        re.compile(
            r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
            r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
            r"(?!(?:png|jpe?g|gif|svg|webp|ico|bmp)\b)[A-Za-z]{2,24}\b"
        ),
        needs="@",
    ),
    Detector(
        "iban",
        re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
        validate=iban_ok,
        needs="digit",
    ),
    Detector(
        "card",
        re.compile(_B + r"\d(?:[ -]?\d){12,18}" + _E),
        validate=_card_ok,
        needs="digit",
    ),
    Detector(
        "national_id",
        re.compile(
            _B + r"(?:(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}"  # US SSN
            r"|[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]"  # UK NINO
            r"|\d{8}-?[A-Z]|[XYZ]-?\d{7}-?[A-Z])" + _E  # Spanish DNI / NIE
        ),
        validate=_national_id_ok,
        needs="digit",
    ),
    Detector(
        "ip",
        re.compile(
            r"(?<![\w.:])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
            r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w:]|\.\w)"
        ),
        validate=_ip_ok,
        needs="digit",
        needs_any=(".",),
    ),
    Detector(
        "ip",
        re.compile(
            r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:|:)(?:[0-9A-Fa-f]{0,4}:){1,7}"
            r"(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\w)"
        ),
        validate=_ip_ok,
        needs=":",
    ),
    Detector(
        "phone",
        re.compile(
            r"(?<![\w+./:-])(?:"
            r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"
            r"|\(\d{2,4}\)[ .-]?\d{3,4}[ .-]?\d{3,4}"
            r"|\d{2,4}(?:[ .-]\d{2,4}){2,4}"
            r")(?![\w/:-]|\.\d)"
        ),
        validate=_phone_ok,
        needs="digit",
    ),
)


def custom_detector(name: str, regex: str) -> Detector:
    """A user-defined detector; raises ``re.error`` for an invalid pattern."""
    return Detector(name, re.compile(regex))


class PiiScanner:
    """Finds and replaces sensitive values of the enabled kinds in strings."""

    def __init__(self, kinds: Iterable[str], custom: Iterable[Detector] = ()) -> None:
        enabled = set(kinds)
        self.detectors: tuple[Detector, ...] = tuple(
            d for d in _BUILTIN if d.kind in enabled
        ) + tuple(custom)
        self.kinds = frozenset(d.kind for d in self.detectors)

    def __bool__(self) -> bool:
        return bool(self.detectors)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Accepted matches as ``(start, end, kind)``, non-overlapping, in text order."""
        has_digit: bool | None = None
        lowered: str | None = None
        taken: list[tuple[int, int, str]] = []
        for detector in self.detectors:
            if detector.needs == "digit":
                if has_digit is None:
                    has_digit = _DIGIT.search(text) is not None
                if not has_digit:
                    continue
            elif detector.needs is not None and detector.needs not in text:
                continue
            if detector.needs_any:
                if lowered is None:
                    lowered = text.lower()
                if not any(
                    (lowered if needle.islower() else text).find(needle) >= 0
                    for needle in detector.needs_any
                ):
                    continue
            for match in detector.pattern.finditer(text):
                start, end = match.span(detector.group)
                if start == end:
                    continue
                if detector.validate is not None and not detector.validate(
                    match.group(detector.group)
                ):
                    continue
                if any(start < t_end and t_start < end for t_start, t_end, _ in taken):
                    continue
                taken.append((start, end, detector.kind))
        taken.sort()
        return taken

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        """``text`` with every accepted match replaced, and the count per kind."""
        found = self.find(text)
        if not found:
            return text, {}
        counts: dict[str, int] = {}
        parts: list[str] = []
        last = 0
        for start, end, kind in found:
            parts.append(text[last:start])
            parts.append(f"[REDACTED:{kind}]")
            counts[kind] = counts.get(kind, 0) + 1
            last = end
        parts.append(text[last:])
        return "".join(parts), counts
