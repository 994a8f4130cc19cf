"""Did the model answer in the language it was asked in?

A small dependency-free detector: the writing system decides for
non-Latin scripts (Cyrillic -> ru, Han -> zh, kana -> ja, Hangul -> ko,
Arabic, Devanagari, Greek, Hebrew, Thai), and counts of very frequent
function words decide among ten Latin-script languages. Why our own: the
well-kept packages are either large (lingua ships ~100 MB of models),
slow and random unless seeded (langdetect), or download a model at run
time (fasttext-based ones); a check that must run on every span at
thousands of spans/s only needs to tell languages apart on ordinary
sentences, and says "undetermined" rather than guess on short or mixed text.

The expected language is the one the prompt explicitly asks for ("answer
in French", "translate into German", "auf Deutsch"), else the user input's.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

from heron.evals.checks.base import LocalCheck, not_applicable
from heron.evals.context import output_text, user_text
from heron.evals.types import EvalInput, EvalResult

__all__ = ["LanguageMismatchCheck", "detect_language", "requested_language"]

_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and is are was were of to in that it for with you this have not be on "
        "what how can your would should there their which will from they we an or but my "
        "i me do does did a about give tell explain write some good better more when where "
        "simply",
        "es": "el la los las que de y es en un una por para con no se su lo como pero más "
        "muy está son del al mi tu qué cómo también puede hay este esta puedo cuál "
        "hace hoy dónde tengo quiero",
        "fr": "le la les et est des une un du que qui dans pour pas ne sur au avec ce cette "
        "vous nous je il elle sont mais très aussi comment est-ce faire peut votre vos "
        "avec être ont cette ces aux où sa ses leur quelle quel peux tu expliquer",
        "de": "der die das und ist nicht ein eine zu mit den dem des sich auf für von ich "
        "sie es wir ihr auch wie was sind wird kann noch aber oder bitte du mir mich "
        "kannst bei meinen wenn uhr",
        "it": "il lo la gli le di che è e un una per non con del della sono come anche ma "
        "questo questa molto può ho hai mi ti ci perché cosa nel alla sempre dormire "
        "posso mio tuo sono",
        "pt": "o a os as de que e é em um uma para com não se do da dos das mais como "
        "muito está são você mas também pode isso este esta ao pelo qual depois "
        "água coloque durante",
        "nl": "de het een en is van dat niet in op te met voor zijn er maar ook als bij "
        "wat hoe kan je jij we wij ze zij dit deze naar om gaat uur heeft hebben wordt",
        "sv": "och är det att en ett som för på med inte jag du vi de har av till om men "
        "kan vad hur den detta ska också från",
        "pl": "i w nie na się z że to jest do jak co ale o od po tak czy dla jestem są "
        "jego jej może być tym przez bardzo",
        "tr": "ve bir bu da de için ile ne mi çok daha gibi var ama ben sen o biz değil "
        "nas\u0131l neden olarak kadar sonra şey",
    }.items()
}

_WORD_LANGS: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOPWORDS.items():
    for _word in _words:
        _WORD_LANGS[_word] = (*_WORD_LANGS.get(_word, ()), _lang)

_SCRIPT_LANGS = {
    "CYRILLIC": "ru", "ARABIC": "ar", "DEVANAGARI": "hi", "GREEK": "el", "HEBREW": "he",
    "THAI": "th", "HANGUL": "ko", "HIRAGANA": "ja", "KATAKANA": "ja", "CJK": "zh",
}  # fmt: skip

_LANGUAGE_NAMES = {
    "english": "en", "anglais": "en", "inglés": "en", "ingles": "en", "englisch": "en",
    "spanish": "es", "español": "es", "espanol": "es", "espagnol": "es", "spanisch": "es",
    "french": "fr", "français": "fr", "francais": "fr", "francés": "fr", "französisch": "fr",
    "german": "de", "deutsch": "de", "allemand": "de", "alemán": "de", "tedesco": "de",
    "italian": "it", "italiano": "it", "italien": "it", "italienisch": "it",
    "portuguese": "pt", "português": "pt", "portugues": "pt", "portugais": "pt",
    "dutch": "nl", "nederlands": "nl", "swedish": "sv", "svenska": "sv",
    "polish": "pl", "polski": "pl", "turkish": "tr", "türkçe": "tr",
    "russian": "ru", "русском": "ru", "chinese": "zh", "mandarin": "zh", "中文": "zh",
    "japanese": "ja", "日本語": "ja", "korean": "ko", "한국어": "ko", "arabic": "ar",
    "hindi": "hi", "greek": "el", "hebrew": "he", "thai": "th",
}  # fmt: skip
_LANG_ALT = "|".join(map(re.escape, _LANGUAGE_NAMES))
_REQUESTS = [
    # "answer / reply / write ... in French", "réponds toujours en français"
    r"\b(?:answer|reply|respond|write|speak|talk|responde\w*|r[ée]pond\w*|antworte\w*|"
    r"rispond\w*|schreib\w*|[ée]cri[st]\w*)\b[^.?!]{0,40}?\b(?:in|en|auf|em|på|na)\s+"
    rf"({_LANG_ALT})\b",
    # "translate ... into German", "traduce al español", "übersetze ins Deutsche"
    r"\b(?:translat\w*|traduc\w*|tradu\w*|übersetz\w*)\b[^.?!]{0,80}?\b"
    rf"(?:to|into|en|in|al|auf|ins|em|na|para)\s+({_LANG_ALT})",
    # "En français, s'il vous plaît", "in German please"
    rf"^\W*(?:in|en|auf)\s+({_LANG_ALT})\b",
    rf"\b(?:in|en|auf)\s+({_LANG_ALT})\s*,?\s*(?:please|por favor|s'il vous pla[iî]t|bitte)",
]
_REQUEST = re.compile("|".join(f"(?:{p})" for p in _REQUESTS), re.IGNORECASE)
_ASCII_NAMES = frozenset(name for name in _LANGUAGE_NAMES if name.isascii())
_OTHER_NAMES = re.compile("|".join(name for name in _LANGUAGE_NAMES if not name.isascii()))
_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`|https?://\S+|\S+@\S+", re.DOTALL)
_WORDS = re.compile(r"[^\W\d_]+")

SAMPLE_CHARS = 500
"""Only this much of a text is read to detect its language."""

MIN_WORDS = 4
"""Fewer Latin-script words than this: too short to tell."""


# Letters outside the Latin blocks (U+0000-U+024F, U+1E00-U+1EFF): only these
# need a Unicode name lookup, so Latin text with accents stays on the fast path.
_NON_LATIN_LETTER = re.compile(r"[^\W\d_\x00-\u024f\u1e00-\u1eff]")
_LETTER = re.compile(r"[^\W\d_]")


@functools.lru_cache(maxsize=8192)
def _char_language(char: str) -> str | None:
    script = unicodedata.name(char, "").split(" ", 1)[0]
    return _SCRIPT_LANGS.get(script)


def _script_language(text: str) -> tuple[str | None, float]:
    """(language of the dominant non-Latin script, share of letters in it)."""
    if text.isascii():
        return None, 0.0
    others = _NON_LATIN_LETTER.findall(text)
    if not others:
        return None, 0.0
    counts: Counter[str] = Counter()
    for char in others:
        lang = _char_language(char)
        if lang is not None:
            counts[lang] += 1
    if not counts:
        return None, 0.0
    if counts.get("ja") and counts.get("zh"):
        counts["ja"] += counts.pop("zh")  # Japanese mixes kanji with kana
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    return lang, n / len(_LETTER.findall(text))


def detect_language(text: str) -> str | None:
    """An ISO 639-1 code for ``text``, or None when it cannot tell (short, mixed, code)."""
    # The first ~500 characters decide; long answers do not change language midway.
    prose = text[:SAMPLE_CHARS]
    if "`" in prose or "@" in prose or "://" in prose:
        prose = _CODE.sub(" ", prose)
    script, share = _script_language(prose)
    if script is not None and share >= 0.5:
        return script
    if share >= 0.2:
        return None  # two scripts in earnest: a mixed text, do not guess
    words = _WORDS.findall(prose.lower())
    if len(words) < MIN_WORDS:
        return None
    hits: dict[str, float] = {}
    for word in words:
        langs = _WORD_LANGS.get(word)
        if langs:
            # A word shared by k languages is weak evidence for each of them.
            for lang in langs:
                hits[lang] = hits.get(lang, 0.0) + 1.0 / len(langs)
    if not hits:
        return None
    ranked = sorted(hits.items(), key=lambda kv: kv[1], reverse=True)[:2]
    best, best_hits = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0
    # A language must explain a fair share of the words and clearly beat the runner-up.
    if best_hits < 1.5 or best_hits < 0.15 * len(words) or best_hits < 1.5 * second:
        return None
    return best


def requested_language(*texts: str | None) -> str | None:
    """The language a prompt explicitly asks the answer to be in, if any."""
    for text in texts:
        if text:
            lowered = text.lower()
            # Gate: the request regex is slow and most prompts name no language.
            if not (
                _ASCII_NAMES.intersection(_WORDS.findall(lowered))
                or (not lowered.isascii() and _OTHER_NAMES.search(lowered))
            ):
                continue
            found = _REQUEST.search(text)
            if found:
                name = next(group for group in found.groups() if group)
                return _LANGUAGE_NAMES[name.lower()]
    return None


class LanguageMismatchCheck(LocalCheck):
    """Flags ``language:mismatch`` when the answer's language is not the expected one."""

    def __init__(self) -> None:
        self.name = "language_mismatch"

    def evaluate(self, item: EvalInput) -> EvalResult:
        """Compare the output's language with the requested or the input's language."""
        span = item.span
        question = user_text(span)
        answer = output_text(span)
        expected = requested_language(question, span.system_prompt)
        source = "requested"
        if expected is None:
            expected = detect_language(question)
            source = "input"
        actual = detect_language(answer)
        if expected is None or actual is None:
            return not_applicable(self.name, "language of input or output undetermined")
        if expected == actual:
            return EvalResult(
                evaluator=self.name,
                label="pass",
                value=1.0,
                reasoning=f"output is in {actual}, as the {source} language",
            )
        return EvalResult(
            evaluator=self.name,
            label="fail",
            value=0.0,
            reasoning=f"{source} language is {expected} but the output is in {actual}",
            flags=["language:mismatch"],
        )
