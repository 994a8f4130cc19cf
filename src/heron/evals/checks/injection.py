"""Prompt-injection patterns in what the user (or a tool) put into the prompt.

Four families, each a flag:

- ``injection:override`` — "ignore all previous instructions", "disregard your rules";
- ``injection:jailbreak`` — personas without limits (DAN, "developer mode",
  "pretend you have no restrictions");
- ``injection:exfiltration`` — asking for the system prompt or hidden instructions;
- ``injection:encoded`` — base64 or hex blobs that decode to text matching the above;
- ``injection:unicode`` — invisible or direction-overriding characters, Unicode
  tag characters, Latin words with Cyrillic/Greek look-alike letters.

Text is NFKC-normalized and stripped of invisible characters before the
phrase patterns run, so the tricks cannot hide a phrase. The patterns need an
object ("ignore the previous *instructions*"), which keeps ordinary requests
("ignore the typo in my previous message") from matching.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterator

from heron.evals.checks.base import LocalCheck, findings_result, not_applicable
from heron.evals.types import EvalInput, EvalResult
from heron.model import Span

__all__ = ["InjectionCheck", "find_injection"]

_RULES = r"(?:instructions?|prompts?|rules|directions|guidelines|directives|guardrails|restrictions|programming|context|system prompt)"  # noqa: E501
_PRIOR = r"(?:all |any |the |your |my |these |those )*(?:previous|prior|above|earlier|preceding|original|initial|former|existing|system|safety)?"  # noqa: E501
_OVERRIDE = [
    rf"\b(?:ignore|disregard|forget|skip|bypass|override|overrule|abandon|drop|set aside)"
    rf"\s+{_PRIOR}\s*{_RULES}\b",
    r"\bforget (?:everything|all) (?:you(?:'ve| have)? (?:were|been) told|above|before)\b",
    r"\b(?:new|updated|real) (?:system )?instructions?\s*:",
    r"\bdo not follow (?:your|the|any) (?:previous |original )?(?:instructions|rules|guidelines)\b",
    r"\byour (?:new|only) (?:task|goal|instruction) (?:is|now)\b",
    r"\bfrom now on,? (?:you (?:will|must|shall) )?(?:ignore|disregard)\b",
]
_JAILBREAK = [
    r"\b(?:you are|you're|act as|become|pretend to be|roleplay as)\s+(?:now )?(?:a |an )?DAN\b",
    r"\b(?:you (?:can|will|shall)|free to|able to) do anything now\b",
    r"\b(?:enable|activate|enter|turn on|switch to|you are in|now in)\s+(?:the\s+)?"
    r"(?:developer|god|jailbreak|unrestricted|dan) mode\b",
    r"\b(?:developer|god|jailbreak|dan) mode (?:activated|enabled|on)\b",
    r"\b(?:roleplay|role-play|pretend|act|play)\b[^.]{0,80}\b(?:who|that|which) (?:has|had|have)"
    r" no (?:rules|restrictions|limits|filters|morals|guidelines)\b",
    r"\b(?:pretend|imagine|act as if|act like|behave as if)\b[^.]{0,60}\b(?:no|without|free of|free from)\s+(?:any\s+)?(?:restrictions|rules|filters|limits|limitations|guidelines|censorship|ethical)",  # noqa: E501
    r"\b(?:unfiltered|uncensored|jailbroken|amoral|unrestricted|evil)\s+(?:ai|assistant|model|chatbot|version|persona|mode)\b",
    r"\b(?:stay|remain) in character\b[^.]{0,40}\b(?:no matter|whatever|always)\b",
    r"\bhypothetical(?:ly)? (?:ai|model|assistant) (?:with|that has) no (?:rules|restrictions|filters)\b",  # noqa: E501
]
_EXFIL = [
    r"\b(?:reveal|show|print|display|output|repeat|tell me|give me|leak|dump|share|paste|recite|what (?:is|are|were))\s+(?:me\s+)?(?:your|the)\s+(?:full |entire |exact |original |initial |hidden |secret |internal )*(?:system prompt|system message|initial (?:prompt|instructions)|hidden (?:prompt|instructions)|developer (?:prompt|message)|(?:original|internal|confidential) instructions|instructions you were given)",  # noqa: E501
    r"\brepeat (?:the |all )?(?:words|text|everything) (?:above|before)\b",
    r"\bwhat your (?:system prompt|system message|developer (?:message|prompt)|"
    r"(?:hidden|initial|original|secret) instructions) (?:says?|is|are|contains?)\b",
    r"\b(?:print|output|repeat) (?:everything|all) (?:above|before) (?:this|the)\b",
    r"\bwhat (?:were you|have you been) (?:told|instructed)"
    r" (?:before|at the (?:start|beginning))\b",
]
_PHRASES = {
    "injection:override": re.compile("|".join(_OVERRIDE), re.I),
    "injection:jailbreak": re.compile("|".join(_JAILBREAK), re.I),
    "injection:exfiltration": re.compile("|".join(_EXFIL), re.I),
}
_DECODED_HINT = re.compile(
    r"\b(?:ignore|disregard|instructions|system prompt|jailbreak|reveal|DAN)\b", re.I
)

_B64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX = re.compile(r"\b(?:[0-9a-fA-F]{2}[ :]?){16,}\b")

_INVISIBLE = re.compile("[\u200b\u2060-\u2064\u180e\u00ad\ufeff]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_TAGS = re.compile("[\U000e0000-\U000e007f]")
_JOINER_IN_WORD = re.compile("[A-Za-z][\u200c\u200d][A-Za-z]")
_WORD = re.compile(r"\w{3,}")
_CONFUSABLE_SCRIPTS = ("CYRILLIC", "GREEK")


def _mixed_script_word(text: str) -> bool:
    """A word mixing Latin letters with Cyrillic/Greek look-alikes (paypal with a Cyrillic a)."""
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        latin = other = 0
        for char in word:
            if "a" <= char.lower() <= "z":
                latin += 1
            elif char.isalpha():
                name = unicodedata.name(char, "")
                if name.startswith(_CONFUSABLE_SCRIPTS):
                    other += 1
        if latin >= 2 and other >= 1:
            return True
    return False


def _decoded_texts(text: str) -> Iterator[str]:
    """Readable texts hidden in base64 or hex blobs of ``text``."""
    for match in _B64.finditer(text):
        blob = match.group()
        if blob.isalpha() or blob.isdigit():
            continue  # a plain long word or number, not an encoding
        padded = blob + "=" * (-len(blob) % 4)
        for decoder in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw = decoder(padded)
            except (binascii.Error, ValueError):
                continue
            if _readable(raw):
                yield raw.decode("utf-8", "ignore")
                break
    for match in _HEX.finditer(text):
        try:
            raw = bytes.fromhex(re.sub(r"[ :]", "", match.group()))
        except ValueError:
            continue
        if _readable(raw):
            yield raw.decode("utf-8", "ignore")


def _readable(raw: bytes) -> bool:
    if len(raw) < 12:
        return False
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    printable = sum(c.isprintable() or c.isspace() for c in decoded)
    return printable / len(decoded) > 0.95 and sum(c.isalpha() for c in decoded) > len(decoded) / 2


# Each family's patterns need one of these words; checking a word set first
# skips the (slow) alternations on the vast majority of ordinary inputs.
_TRIGGERS = {
    "injection:override": frozenset(
        [
            "ignore",
            "disregard",
            "forget",
            "skip",
            "bypass",
            "override",
            "overrule",
            "abandon",
            "drop",
            "set",
            "instructions",
            "instruction",
            "follow",
            "task",
            "goal",
        ]
    ),
    "injection:jailbreak": frozenset(
        [
            "dan",
            "anything",
            "mode",
            "pretend",
            "imagine",
            "act",
            "behave",
            "unfiltered",
            "uncensored",
            "jailbroken",
            "amoral",
            "unrestricted",
            "evil",
            "stay",
            "remain",
            "hypothetical",
            "hypothetically",
            "roleplay",
            "role",
            "play",
            "become",
            "like",
        ]
    ),
    "injection:exfiltration": frozenset(
        [
            "reveal",
            "show",
            "print",
            "display",
            "output",
            "repeat",
            "tell",
            "give",
            "leak",
            "dump",
            "share",
            "paste",
            "recite",
            "what",
            "whats",
        ]
    ),
}
_LOWER_WORD = re.compile(r"[a-z]+")


def _phrase_flags(text: str) -> Iterator[str]:
    words = set(_LOWER_WORD.findall(text.lower()))
    for flag, pattern in _PHRASES.items():
        if words & _TRIGGERS[flag] and pattern.search(text):
            yield flag


def find_injection(text: str) -> Iterator[str]:
    """Yield one flag per injection technique found in ``text``."""
    if text.isascii():  # no Unicode trick is possible; skip straight to the phrases
        yield from _phrase_flags(text)
        yield from _encoded_flags(text)
        return
    if (
        _INVISIBLE.search(text.lstrip("\ufeff"))
        or _BIDI.search(text)
        or _TAGS.search(text)
        or _JOINER_IN_WORD.search(text)
        or _mixed_script_word(text)
    ):
        yield "injection:unicode"
    cleaned = unicodedata.normalize("NFKC", _TAGS.sub("", _BIDI.sub("", _INVISIBLE.sub("", text))))
    cleaned = cleaned.replace("\u200c", "").replace("\u200d", "").replace("\u2019", "'")
    yield from _phrase_flags(cleaned)
    yield from _encoded_flags(cleaned)


def _encoded_flags(text: str) -> Iterator[str]:
    for decoded in _decoded_texts(text):
        if _DECODED_HINT.search(decoded) and (any(_phrase_flags(decoded)) or len(decoded) < 400):
            yield "injection:encoded"
            return


def _input_texts(span: Span) -> str:
    """User and tool messages (where injections arrive), else ``input_value``."""
    parts = [
        str(m["content"])
        for m in span.input_messages
        if m.get("role") in ("user", "tool", "function") and m.get("content")
    ]
    return "\n".join(parts) if parts else (span.input_value or "")


class InjectionCheck(LocalCheck):
    """Prompt-injection attempts in the span's user/tool input (not its system prompt)."""

    def __init__(self) -> None:
        self.name = "prompt_injection"

    def evaluate(self, item: EvalInput) -> EvalResult:
        """``fail`` with one flag per technique found."""
        text = _input_texts(item.span)
        if not text.strip():
            return not_applicable(self.name, "the span has no user input")
        return findings_result(self.name, set(find_injection(text)), "prompt-injection patterns")
